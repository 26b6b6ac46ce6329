import DockerEngine
import FoundationEssentials

/// What dtma is doing to a tool right now.
public enum ToolOperation: String, Sendable, Codable {
    case pulling, creating, starting, stopping, removing
}

/// One managed tool as the state model knows it: its container (when there is one), what dtma is
/// doing to it, and how the control plane should see it.
public struct ToolRecord: Sendable, Equatable {
    public var instanceName: String
    public var accountToolInstanceId: String
    /// The image as requested.
    public var image: String
    public var specHash: String
    public var containerID: String?
    /// Docker's `State` object.
    public var containerState: ContainerState?
    /// Docker's `NetworkSettings.Ports`.
    public var ports: [String: [PortBinding]?]
    public var hostPorts: Set<HostPortKey>
    /// The container's address on its network, for probing ports that are not published.
    public var ipAddress: String?
    public var restartCount: Int
    public var probe: ProbeSettings?
    /// The `/mcp/groups` group it was deployed in, if any.
    public var group: String?
    /// The registry digest of its image (`dtma.image-digest`).
    public var imageDigest: String?
    public var operation: ToolOperation?
    /// Progress or reason in words: the pull's last status line, the last failure.
    public var detail: String?
    /// Set when dtma stopped it, so that an exit reads as "stopped", not as a crash.
    public var stoppedByRequest = false
    /// What the MCP probe says while the container runs; nil for unprobed tools.
    public var health: ToolHealth?
    /// How the container last ended without being asked to (kept after it runs again); nil if never.
    public var crash: CrashReport?
    /// Bytes in the container's writable layer, as last measured (`DiskUsageSampler`); nil until then.
    public var writableLayerBytes: Int64?
    /// The layer's cap (`resources.diskMB`), as the container was created with it.
    public var diskLimitBytes: Int64?
    /// Restarts dtma made for the probe action `restart`, and the last one's time.
    public var recoveryRestarts = 0
    public var lastRecoveryRestartAt: Date?

    /// The container's state as the contract's `status_on_toolbox`.
    public var statusOnToolbox: ToolboxStatus {
        switch operation {
        case .pulling, .creating: return .deploying
        case .starting: return .starting
        case .stopping: return .stopping
        case .removing: return .deleting
        case nil: break
        }
        guard let state = containerState else { return .pendingDeploy }
        switch state.status {
        case .running:
            switch health?.state {
            case .unhealthy, .crashed: return .errorRuntime
            case .starting, .stopped: return .starting
            case .healthy: return .running
            // Probed but no verdict yet: still in its start-up grace.
            case nil: return ToolRoute(self) == nil ? .running : .starting
            }
        case .created: return .starting
        case .restarting: return .errorRuntime  // it exited on its own; the restart policy brings it back
        case .paused: return .stopped
        case .exited: return hasCrashed ? .errorRuntime : .stopped
        default: return .errorRuntime
        }
    }

    /// Exited on its own (killed by the kernel, or with a failure code), or restarting in a loop.
    public var hasCrashed: Bool {
        guard let state = containerState else { return false }
        switch state.status {
        case .exited, .dead: return !stoppedByRequest && Self.isCrash(code: state.exitCode, oomKilled: state.oomKilled)
        case .restarting: return true
        default: return false
        }
    }

    /// The verdict `/status` and heartbeats show: the probe's while the container runs, the exit's after.
    public var healthState: ToolHealth.State? {
        guard let state = containerState else { return nil }
        if hasCrashed { return .crashed }
        if state.running { return health?.state ?? (ToolRoute(self) == nil ? nil : .starting) }
        return state.status == .created ? nil : .stopped
    }

    /// Seconds since the container last started, while it runs.
    public func uptimeSeconds(now: Date = Date()) -> Int? {
        guard let state = containerState, state.running, let started = state.startedAt.flatMap(Self.parseDockerTime) else {
            return nil
        }
        return max(0, Int(now.timeIntervalSince(started)))
    }

    /// Docker writes RFC 3339 with nanoseconds (`2026-11-25T13:11:54.123456789Z`).
    static func parseDockerTime(_ text: String) -> Date? {
        var trimmed = text
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            trimmed = String(text[..<dot] + text[zone...])
        }
        guard !trimmed.hasPrefix("0001-") else { return nil }
        return try? Date(trimmed, strategy: .iso8601)
    }

    init(identity: ContainerLabels.Identity) {
        instanceName = identity.instanceName
        accountToolInstanceId = identity.accountToolInstanceId
        image = identity.image
        specHash = identity.specHash
        ports = [:]
        hostPorts = []
        restartCount = 0
        probe = identity.probe
        group = identity.group
        imageDigest = identity.imageDigest
    }

    init(spec: ToolSpec) {
        instanceName = spec.instanceName
        accountToolInstanceId = spec.accountToolInstanceId
        image = spec.image
        specHash = spec.specHash
        ports = [:]
        hostPorts = spec.hostPorts
        restartCount = 0
        probe = spec.probe
        group = spec.group
        imageDigest = spec.imageDigest
    }

    /// Takes in what the engine says about the container now.
    mutating func update(from inspect: ContainerInspect) {
        containerID = inspect.id
        containerState = inspect.state
        ports = inspect.networkSettings?.ports ?? [:]
        ipAddress = inspect.networkSettings?.networks?.values.compactMap(\.ipAddress).sorted().first { !$0.isEmpty }
        restartCount = inspect.restartCount ?? 0
        diskLimitBytes = inspect.hostConfig?.storageOpt?["size"].flatMap { Int64($0) }
        hostPorts = Set((inspect.hostConfig?.portBindings ?? [:]).flatMap { key, bindings in
            let proto = key.split(separator: "/").last.map(String.init) ?? "tcp"
            return bindings.compactMap { $0.hostPort.flatMap(Int.init).map { HostPortKey(port: $0, proto: proto) } }
        })
        if inspect.state.running { stoppedByRequest = false } else { health = nil }
        if hasCrashed { recordExit(code: inspect.state.exitCode, oomKilled: inspect.state.oomKilled, finishedAt: inspect.state.finishedAt) }
    }

    /// An exit code of its own accord: not 0, and not SIGTERM/SIGKILL (someone stopped it).
    static func isCrash(code: Int, oomKilled: Bool) -> Bool {
        oomKilled || ![0, 137, 143].contains(code)
    }

    /// Records an exit nobody asked for as a crash, once per exit (the restart policy may have
    /// started the container again before dtma looked: then the `die` event's code is all there is).
    mutating func recordExit(code: Int, oomKilled: Bool, finishedAt: String?) {
        guard !stoppedByRequest, Self.isCrash(code: code, oomKilled: oomKilled) || containerState?.status == .restarting,
            crash?.finishedAt != finishedAt
        else { return }
        crash = CrashReport(exitCode: code, oomKilled: oomKilled, finishedAt: finishedAt, lastLogLines: nil)
    }
}

/// How a container ended when nobody asked it to: what an operator needs first.
public struct CrashReport: Sendable, Equatable, Codable {
    public var exitCode: Int
    public var oomKilled: Bool
    public var finishedAt: String?
    /// The container's last log lines (both streams), read from the engine after it died.
    public var lastLogLines: [String]?

    enum CodingKeys: String, CodingKey {
        case exitCode = "exit_code", oomKilled = "oom_killed", finishedAt = "finished_at", lastLogLines = "last_log_lines"
    }
}
