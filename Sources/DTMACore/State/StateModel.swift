import DockerEngine
import FoundationEssentials
import MCPProbe
import NIOConcurrencyHelpers

/// The single in-memory truth of what runs here and how it is doing. Components send it
/// `StateChange`s and subscribe to what changed; `/status` and heartbeats read snapshots, never the engine.
public final class StateModel: Sendable {
    public struct Snapshot: Sendable {
        public var tools: [ToolRecord]
        public var engineReachable: Bool
        public var engineVersion: String?
        public var lastEngineError: String?
        public var system: SystemSnapshot?
        public var heartbeat: HeartbeatStatus?
        /// Pulls under way, by image.
        public var imagePulls: [ImagePullProgress] = []
        /// Groups being deployed: each server's phase, by group.
        public var groupDeploys: [String: [String: String]] = [:]
    }

    /// How the last heartbeats went; nil while heartbeats are off.
    public struct HeartbeatStatus: Sendable, Equatable {
        public var sequence: UInt64
        public var lastAttemptAt: Date
        public var lastSuccessAt: Date?
        public var lastError: String?
        public var consecutiveFailures: Int
    }

    private struct Guarded {
        var revision: UInt64 = 0
        var state = DropletState()
    }

    private let guarded = NIOLockedValueBox(Guarded())
    private let events = ToolEventHub()
    private let changes = ToolChangeFeed()
    private let now: @Sendable () -> Date

    /// `now` dates probes, restarts and events (tests pass their own).
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Every change of a tool's status or verdict from now on, until the stream is dropped.
    public func toolEvents() -> AsyncStream<ToolEvent> {
        events.subscribe()
    }

    /// The names of the tools whose records changed, coalesced while the subscriber is busy; the
    /// first element names every tool known at subscription. Subscribers react to changes instead
    /// of polling snapshots.
    public func toolChanges() -> ToolChanges {
        let names = guarded.withLockedValue { Set($0.state.tools.keys) }
        return changes.subscribe(startingWith: names)
    }

    public func snapshot() -> Snapshot {
        guarded.withLockedValue { guarded in
            let state = guarded.state
            return Snapshot(
                tools: state.tools.values.sorted { $0.instanceName < $1.instanceName },
                engineReachable: state.engineReachable, engineVersion: state.engineVersion,
                lastEngineError: state.lastEngineError, system: state.system, heartbeat: state.heartbeat,
                imagePulls: state.imagePulls.values.sorted { $0.image < $1.image }, groupDeploys: state.groupDeploys)
        }
    }

    public func tool(_ instanceName: String) -> ToolRecord? {
        guarded.withLockedValue { $0.state.tools[instanceName] }
    }

    public var engineReachable: Bool { guarded.withLockedValue { $0.state.engineReachable } }

    /// Changes with every write, so that readers can keep what they derived from an unchanged state.
    public var revision: UInt64 { guarded.withLockedValue { $0.revision } }

    /// Applies one change; returns the tool events it made (also sent to `/events` subscribers),
    /// so that the sender learns what changed without reading the state back.
    @discardableResult
    public func apply(_ change: StateChange) -> [ToolEvent] {
        let date = now()
        return guarded.withLockedValue { guarded in
            let before = guarded.state.tools
            guarded.state.apply(change, at: date)
            guarded.revision &+= 1
            let after = guarded.state.tools
            let changed = Set(before.keys.filter { after[$0] != before[$0] } + after.keys.filter { before[$0] == nil })
            guard !changed.isEmpty else { return [] }
            let signatures = before.filter { changed.contains($0.key) }.mapValues(ToolEvent.Signature.init)
            let made = ToolEvent.changes(from: signatures, to: after.filter { changed.contains($0.key) }, at: date)
            // Published under the lock, so that every subscriber sees changes in the order they were made.
            changes.publish(changed)
            events.publish(made)
            return made
        }
    }

    /// Host ports held by every tool except `instanceName`.
    func hostPortsInUse(excluding instanceName: String) -> [HostPortKey: String] {
        guarded.withLockedValue { guarded in
            var used: [HostPortKey: String] = [:]
            for tool in guarded.state.tools.values where tool.instanceName != instanceName {
                for port in tool.hostPorts { used[port] = tool.instanceName }
            }
            return used
        }
    }
}
