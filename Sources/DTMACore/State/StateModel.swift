import DockerEngine
import Foundation
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
    }

    private struct State {
        var tools: [String: ToolRecord] = [:]
        var engineReachable = false
        var engineVersion: String?
        var lastEngineError: String?
        var system: SystemSnapshot?
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public func snapshot() -> Snapshot {
        state.withLockedValue { state in
            Snapshot(
                tools: state.tools.values.sorted { $0.instanceName < $1.instanceName },
                engineReachable: state.engineReachable, engineVersion: state.engineVersion,
                lastEngineError: state.lastEngineError, system: state.system)
        }
    }

    public func tool(_ instanceName: String) -> ToolRecord? {
        state.withLockedValue { $0.tools[instanceName] }
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
        state.withLockedValue { state in
            state.engineReachable = reachable
            if let version { state.engineVersion = version }
            state.lastEngineError = reachable ? nil : error
        }
    }

    func setSystem(_ system: SystemSnapshot) {
        state.withLockedValue { $0.system = system }
    }

    /// A tool about to be deployed, before it has a container.
    func begin(_ spec: ToolSpec, operation: ToolOperation) {
        state.withLockedValue { state in
            var record = state.tools[spec.instanceName] ?? ToolRecord(spec: spec)
            record.operation = operation
            record.detail = nil
            state.tools[spec.instanceName] = record
        }
    }

    func setOperation(_ instanceName: String, _ operation: ToolOperation?, detail: String? = nil) {
        state.withLockedValue { state in
            state.tools[instanceName]?.operation = operation
            state.tools[instanceName]?.detail = detail
        }
    }

    func markStoppedByRequest(_ instanceName: String) {
        state.withLockedValue { $0.tools[instanceName]?.stoppedByRequest = true }
    }

    /// Records what the engine says about a labelled container; ignores containers that are not dtma's.
    func apply(_ inspect: ContainerInspect) {
        guard let identity = ContainerLabels.identity(inspect.config.labels) else { return }
        state.withLockedValue { state in
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
        state.withLockedValue { state in
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
        state.withLockedValue { _ = $0.tools.removeValue(forKey: instanceName) }
    }

    /// After a full relist: drops tools whose containers vanished while nobody was watching.
    func retainOnly(containerIDs: Set<String>) {
        state.withLockedValue { state in
            state.tools = state.tools.filter { _, record in
                record.operation != nil || record.containerID.map(containerIDs.contains) ?? false
            }
        }
    }
}
