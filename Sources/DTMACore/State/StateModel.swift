import DockerEngine
import FoundationEssentials
import MCPProbe
import NIOConcurrencyHelpers

/// The single in-memory truth of what runs here and how it is doing. The engine watcher and the
/// tool manager write it; `/status` and heartbeats only read snapshots, never the engine.
public final class StateModel: Sendable {
    public struct Snapshot: Sendable {
        public var tools: [ToolRecord]
        public var engineReachable: Bool
        public var engineVersion: String?
        public var lastEngineError: String?
        public var system: SystemSnapshot?
        public var heartbeat: HeartbeatStatus?
    }

    /// How the last heartbeats went; nil while heartbeats are off.
    public struct HeartbeatStatus: Sendable, Equatable {
        public var sequence: UInt64
        public var lastAttemptAt: Date
        public var lastSuccessAt: Date?
        public var lastError: String?
        public var consecutiveFailures: Int
    }

    private struct State {
        var revision: UInt64 = 0
        var tools: [String: ToolRecord] = [:]
        var engineReachable = false
        var engineVersion: String?
        var lastEngineError: String?
        var system: SystemSnapshot?
        var heartbeat: HeartbeatStatus?
    }

    private let state = NIOLockedValueBox(State())
    private let events = ToolEventHub()

    public init() {}

    /// Every change of a tool's status or verdict from now on, until the stream is dropped.
    public func toolEvents() -> AsyncStream<ToolEvent> {
        events.subscribe()
    }

    public func snapshot() -> Snapshot {
        state.withLockedValue { state in
            Snapshot(
                tools: state.tools.values.sorted { $0.instanceName < $1.instanceName },
                engineReachable: state.engineReachable, engineVersion: state.engineVersion,
                lastEngineError: state.lastEngineError, system: state.system, heartbeat: state.heartbeat)
        }
    }

    public func tool(_ instanceName: String) -> ToolRecord? {
        state.withLockedValue { $0.tools[instanceName] }
    }

    public var engineReachable: Bool { state.withLockedValue { $0.engineReachable } }

    /// Changes with every write, so that readers can keep what they derived from an unchanged state.
    public var revision: UInt64 { state.withLockedValue { $0.revision } }

    private func mutate(_ change: (inout State) -> Void) {
        let watched = events.hasSubscribers
        let changes = state.withLockedValue { state -> [ToolEvent] in
            let before = watched ? state.tools.mapValues(ToolEvent.Signature.init) : [:]
            change(&state)
            state.revision &+= 1
            return watched ? ToolEvent.changes(from: before, to: state.tools, at: Date()) : []
        }
        events.publish(changes)
    }

    /// Host ports held by every tool except `instanceName`.
    func hostPortsInUse(excluding instanceName: String) -> [HostPortKey: String] {
        state.withLockedValue { state in
            var used: [HostPortKey: String] = [:]
            for tool in state.tools.values where tool.instanceName != instanceName {
                for port in tool.hostPorts { used[port] = tool.instanceName }
            }
            return used
        }
    }

    func setEngine(reachable: Bool, version: String? = nil, error: String? = nil) {
        mutate { state in
            state.engineReachable = reachable
            if let version { state.engineVersion = version }
            state.lastEngineError = reachable ? nil : error
        }
    }

    public func recordHeartbeat(sequence: UInt64, at date: Date, error: String?, consecutiveFailures: Int) {
        mutate { state in
            let lastSuccess = error == nil ? date : state.heartbeat?.lastSuccessAt
            state.heartbeat = HeartbeatStatus(
                sequence: sequence, lastAttemptAt: date, lastSuccessAt: lastSuccess, lastError: error,
                consecutiveFailures: consecutiveFailures)
        }
    }

    func setSystem(_ system: SystemSnapshot) {
        mutate { $0.system = system }
    }

    /// A tool about to be deployed, before it has a container.
    func begin(_ spec: ToolSpec, operation: ToolOperation) {
        mutate { state in
            var record = state.tools[spec.instanceName] ?? ToolRecord(spec: spec)
            record.operation = operation
            record.detail = nil
            state.tools[spec.instanceName] = record
        }
    }

    func setOperation(_ instanceName: String, _ operation: ToolOperation?, detail: String? = nil) {
        mutate { state in
            state.tools[instanceName]?.operation = operation
            state.tools[instanceName]?.detail = detail
        }
    }

    /// A probe's result for the tool's current container (a stale worker's result is dropped).
    func recordProbe(_ instanceName: String, containerID: String, result: MCPProbeResult) {
        mutate { state in
            guard var tool = state.tools[instanceName], tool.containerID == containerID, let settings = tool.probe else { return }
            var health = tool.health ?? ToolHealth()
            health.record(result, at: Date(), failureThreshold: settings.failureThreshold, successThreshold: settings.successThreshold)
            tool.health = health
            state.tools[instanceName] = tool
        }
    }

    /// dtma restarted the tool: its health starts over, and the restart is counted.
    func recordRestart(_ instanceName: String) {
        mutate { state in
            state.tools[instanceName]?.health = nil
            state.tools[instanceName]?.recoveryRestarts += 1
            state.tools[instanceName]?.lastRecoveryRestartAt = Date()
        }
    }

    /// A `die` event's exit code, for the tool whose container it was.
    func recordExit(containerID: String, code: Int, oomKilled: Bool, finishedAt: String?) {
        mutate { state in
            guard let name = state.tools.first(where: { $0.value.containerID == containerID })?.key else { return }
            state.tools[name]?.recordExit(code: code, oomKilled: oomKilled, finishedAt: finishedAt)
        }
    }

    /// The log lines of one crash (dropped if the container has crashed again since).
    func setCrashLogs(_ instanceName: String, containerID: String, finishedAt: String?, lines: [String]) {
        mutate { state in
            guard state.tools[instanceName]?.containerID == containerID, state.tools[instanceName]?.crash?.finishedAt == finishedAt else { return }
            state.tools[instanceName]?.crash?.lastLogLines = lines
        }
    }

    /// Writable-layer sizes by container ID, from a sized listing.
    func recordDiskUsage(_ bytesByContainer: [String: Int64]) {
        mutate { state in
            for (name, tool) in state.tools {
                guard let id = tool.containerID, let bytes = bytesByContainer[id] else { continue }
                state.tools[name]?.writableLayerBytes = bytes
            }
        }
    }

    func markStoppedByRequest(_ instanceName: String) {
        mutate { $0.tools[instanceName]?.stoppedByRequest = true }
    }

    /// Records what the engine says about a labelled container; ignores containers that are not dtma's.
    func apply(_ inspect: ContainerInspect) {
        guard let identity = ContainerLabels.identity(inspect.config.labels) else { return }
        mutate { state in
            var record = state.tools[identity.instanceName] ?? ToolRecord(identity: identity)
            if record.containerID != inspect.id {
                // A new container for the name (redeploy): its labels are the truth now.
                let kept = (record.operation, record.detail)
                record = ToolRecord(identity: identity)
                (record.operation, record.detail) = kept
            }
            record.update(from: inspect)
            state.tools[identity.instanceName] = record
        }
    }

    /// Forgets a tool whose container is gone, unless an operation is creating it.
    func containerGone(_ containerID: String) {
        mutate { state in
            guard let name = state.tools.first(where: { $0.value.containerID == containerID })?.key else { return }
            if state.tools[name]?.operation == nil || state.tools[name]?.operation == .removing {
                state.tools[name] = nil
            } else {
                state.tools[name]?.containerID = nil
                state.tools[name]?.containerState = nil
            }
        }
    }

    func forget(_ instanceName: String) {
        mutate { _ = $0.tools.removeValue(forKey: instanceName) }
    }

    /// After a full relist: drops tools whose containers vanished while nobody was watching.
    func retainOnly(containerIDs: Set<String>) {
        mutate { state in
            state.tools = state.tools.filter { _, record in
                record.operation != nil || record.containerID.map(containerIDs.contains) ?? false
            }
        }
    }
}
