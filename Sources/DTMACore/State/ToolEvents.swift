import FoundationEssentials
import NIOConcurrencyHelpers

/// A change in how a tool is doing, as `GET /events` streams it.
public struct ToolEvent: Sendable, Encodable, Equatable {
    /// `deployed` (its container exists), `removed`, a verdict (`starting`, `healthy`, `unhealthy`, `crashed`, `stopped`),
    /// or, for a change of status alone, the new `status_on_toolbox`.
    public var event: String
    public var instanceName: String
    public var accountToolInstanceId: String
    public var statusOnToolbox: ToolboxStatus?
    public var health: String?
    public var time: String
    /// For `crashed`: the exit code; for `unhealthy`: the probe's error.
    public var detail: String?

    enum CodingKeys: String, CodingKey {
        case event, instanceName = "instance_name_on_toolbox", accountToolInstanceId = "account_tool_instance_id"
        case statusOnToolbox = "status_on_toolbox", health, time, detail
    }

    /// What an event is about: a tool's status and verdict. A change of either is an event.
    struct Signature: Equatable {
        var status: ToolboxStatus
        var health: ToolHealth.State?
        var hasContainer: Bool

        init(_ tool: ToolRecord) {
            status = tool.statusOnToolbox
            health = tool.healthState
            hasContainer = tool.containerID != nil
        }
    }

    /// The events between two states of the tools, by name.
    static func changes(from before: [String: Signature], to after: [String: ToolRecord], at date: Date) -> [ToolEvent] {
        let time = date.formatted(.iso8601)
        var events: [ToolEvent] = []
        for (name, tool) in after.sorted(by: { $0.key < $1.key }) {
            let now = Signature(tool)
            let was = before[name]
            guard now != was else { continue }
            if now.hasContainer, was?.hasContainer != true {
                events.append(ToolEvent(tool, event: "deployed", time: time))
            } else if now.health != was?.health, let health = now.health {
                events.append(ToolEvent(tool, event: health.rawValue, time: time))
            } else {
                events.append(ToolEvent(tool, event: now.status.rawValue, time: time))
            }
        }
        for name in before.keys.sorted() where after[name] == nil {
            events.append(ToolEvent(
                event: "removed", instanceName: name, accountToolInstanceId: "", statusOnToolbox: nil, health: nil, time: time))
        }
        return events
    }

    init(_ tool: ToolRecord, event: String, time: String) {
        self.event = event
        instanceName = tool.instanceName
        accountToolInstanceId = tool.accountToolInstanceId
        statusOnToolbox = tool.statusOnToolbox
        health = tool.healthState?.rawValue
        self.time = time
        switch tool.healthState {
        case .crashed: detail = tool.crash.map { "exit code \($0.exitCode)\($0.oomKilled ? ", killed for memory (OOM)" : "")" }
        case .unhealthy: detail = tool.health?.lastResult?.error.map { Self.bounded($0) }
        default: detail = nil
        }
    }

    /// A probe's error can quote what the server said; an event carries its first `maxDetailBytes`,
    /// so that the events a subscriber has waiting stay small (`/status` keeps the whole error).
    static let maxDetailBytes = 512

    static func bounded(_ text: String) -> String {
        guard text.utf8.count > maxDetailBytes else { return text }
        var kept = Substring("")
        for character in text {
            guard kept.utf8.count + character.utf8.count <= maxDetailBytes - 3 else { break }
            kept.append(character)
        }
        return kept + "…"
    }

    init(event: String, instanceName: String, accountToolInstanceId: String, statusOnToolbox: ToolboxStatus?, health: String?, time: String) {
        self.event = event
        self.instanceName = instanceName
        self.accountToolInstanceId = accountToolInstanceId
        self.statusOnToolbox = statusOnToolbox
        self.health = health
        self.time = time
    }
}

/// Hands tool events to every subscriber. A slow subscriber loses its oldest events, never
/// slows the state model down: at most 1,024 wait for one, each of a few hundred bytes (names are
/// at most 63 and 128 bytes, a detail at most `ToolEvent.maxDetailBytes`), so under 1 MiB.
final class ToolEventHub: Sendable {
    private let subscribers = NIOLockedValueBox<[Int: AsyncStream<ToolEvent>.Continuation]>([:])
    private let nextID = NIOLockedValueBox(0)

    var hasSubscribers: Bool { subscribers.withLockedValue { !$0.isEmpty } }

    func subscribe() -> AsyncStream<ToolEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ToolEvent.self, bufferingPolicy: .bufferingNewest(1024))
        let id = nextID.withLockedValue { id in
            id += 1
            return id
        }
        subscribers.withLockedValue { $0[id] = continuation }
        continuation.onTermination = { [subscribers] _ in subscribers.withLockedValue { _ = $0.removeValue(forKey: id) } }
        return stream
    }

    func publish(_ events: [ToolEvent]) {
        guard !events.isEmpty else { return }
        for continuation in subscribers.withLockedValue({ Array($0.values) }) {
            events.forEach { continuation.yield($0) }
        }
    }
}
