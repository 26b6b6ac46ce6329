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
    public var restartCount: Int
    public var probe: ProbeSettings?
    public var operation: ToolOperation?
    /// Progress or reason in words: the pull's last status line, the last failure.
    public var detail: String?
    /// Set when dtma stopped it, so that an exit reads as "stopped", not as a crash.
    public var stoppedByRequest = false
    /// What the MCP probe says; nil for tools without an HTTP probe (yet).
    public var health: ToolHealth?

    /// The container's state as the contract's `status_on_toolbox` enum.
    public var statusOnToolbox: String {
        switch operation {
        case .pulling, .creating: return "deploying"
        case .starting: return "starting"
        case .stopping: return "stopping"
        case .removing: return "deleting"
        case nil: break
        }
        guard let state = containerState else { return "pending_deploy" }
        switch state.status {
        case "running":
            switch health?.state {
            case .unhealthy: return "error_runtime"
            case .starting: return "starting"
            case .healthy: return "running"
            // Probed but no verdict yet: still in its start-up grace.
            case nil: return ProbeScheduler.target(self) == nil ? "running" : "starting"
            }
        case "created": return "starting"
        case "restarting": return restartCount >= 3 ? "error_runtime" : "starting"
        case "paused": return "stopped"
        case "exited":
            if state.oomKilled { return "error_runtime" }
            return stoppedByRequest || [0, 137, 143].contains(state.exitCode) ? "stopped" : "error_runtime"
        default: return "error_runtime"
        }
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
    }

    /// Takes in what the engine says about the container now.
    mutating func update(from inspect: ContainerInspect) {
        containerID = inspect.id
        containerState = inspect.state
        ports = inspect.networkSettings?.ports ?? [:]
        restartCount = inspect.restartCount ?? 0
        hostPorts = Set((inspect.hostConfig?.portBindings ?? [:]).flatMap { key, bindings in
            let proto = key.split(separator: "/").last.map(String.init) ?? "tcp"
            return bindings.compactMap { $0.hostPort.flatMap(Int.init).map { HostPortKey(port: $0, proto: proto) } }
        })
        if inspect.state.running { stoppedByRequest = false } else { health = nil }
    }
}
