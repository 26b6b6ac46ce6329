import DockerEngine
import FoundationEssentials
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Keeps the state model in step with the engine: a full relist at start and every
/// `relistInterval` (events can be missed), and the events stream of dtma's containers in between.
/// When the engine goes away it says so in the state and reconnects with backoff.
public struct EngineWatcher: Service {
    let engine: any ContainerEngine
    let state: StateModel
    let manager: ToolManager
    let relistInterval: Duration
    let logger: Logger

    public init(engine: any ContainerEngine, state: StateModel, manager: ToolManager, relistInterval: Duration = .seconds(30), logger: Logger) {
        self.engine = engine
        self.state = state
        self.manager = manager
        self.relistInterval = relistInterval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await watch() }
    }

    private func watch() async {
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let version = try await engine.version()
                // Taken before the relist: what happens while it runs comes as events afterwards.
                let since = Int64(Date().timeIntervalSince1970) - 1
                try await manager.adoptExisting()
                state.apply(.engine(reachable: true, version: version.version))
                logger.info("engine reachable", metadata: ["version": "\(version.version)", "tools": "\(state.snapshot().tools.count)"])
                backoff = .seconds(1)
                try await followEvents(since: since)
            } catch is CancellationError {
                return
            } catch {
                state.apply(.engine(reachable: false, error: "\(error)"))
                logger.warning("engine unreachable; retrying", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Applies container events until the stream ends, relisting on a timer alongside. The stream
    /// is read as fast as the engine writes it: the inspect an event calls for runs beside it,
    /// one at a time per container, a burst of events for one container costing one more inspect.
    private func followEvents(since: Int64) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var filters = ContainerLabels.managedFilter
                filters["type"] = ["container"]
                let events = try await engine.events(since: since, filters: filters)
                let pending = PendingInspections()
                try await withThrowingDiscardingTaskGroup { inspections in
                    for try await event in events {
                        if event.action == "destroy" {
                            state.apply(.containerGone(containerID: event.actor.id))
                            continue
                        }
                        // Exec and health noise says nothing about the container's state.
                        guard !event.action.hasPrefix("exec_"), !event.action.hasPrefix("health_status") else { continue }
                        let exit = event.action == "die" ? event.actor.attributes?["exitCode"].flatMap(Int.init) : nil
                        guard pending.request(event.actor.id, exitCode: exit) else { continue }
                        inspections.addTask { await refresh(event.actor.id, pending) }
                    }
                    throw DockerEngineError.connectionLost(reason: "the events stream ended")
                }
            }
            group.addTask {
                await readCrashLogs()
                while true {
                    try await Task.sleep(for: relistInterval)
                    try await manager.adoptExisting()
                    await readCrashLogs()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Inspects the container until no event for it is pending, and records an exit it announced.
    private func refresh(_ id: String, _ pending: PendingInspections) async {
        while case .inspect(let exitCode) = pending.take(id) {
            do {
                let inspect = try await engine.inspectContainer(id)
                state.apply(.inspected(inspect))
                if let code = exitCode {
                    state.apply(.exited(containerID: inspect.id, code: code, oomKilled: inspect.state.oomKilled, finishedAt: inspect.state.finishedAt))
                    await readCrashLogs()
                }
            } catch DockerEngineError.notFound {
                state.apply(.containerGone(containerID: id))
            } catch {
                logger.debug("cannot inspect after an event", metadata: ["container": "\(id.prefix(12))", "error": "\(error)"])
            }
        }
    }
}

extension EngineWatcher {
    static let crashLogLines = 20

    /// Reads the last log lines of every crashed container that has none yet: the first thing an
    /// operator asks after "it crashed" is "what did it say".
    func readCrashLogs() async {
        for tool in state.snapshot().tools {
            guard let crash = tool.crash, crash.lastLogLines == nil, let id = tool.containerID else { continue }
            var options = LogsOptions()
            options.tail = Self.crashLogLines
            do {
                var lines: [String] = []
                for try await line in ToolLogStream(frames: try await engine.containerLogs(id, options: options), timestamps: false) {
                    lines.append(String(line.line.prefix(512)))
                }
                state.apply(.crashLogs(
                    instance: tool.instanceName, containerID: id, finishedAt: crash.finishedAt, lines: Array(lines.suffix(Self.crashLogLines))))
            } catch {
                logger.debug("cannot read a crashed tool's logs", metadata: ["instance": "\(tool.instanceName)", "error": "\(error)"])
            }
        }
    }
}

/// Samples the droplet's CPU, memory and disk every `interval` into the state model.
public struct SystemSampler: Service {
    let state: StateModel
    let interval: Duration

    public init(state: StateModel, interval: Duration = .seconds(5)) {
        self.state = state
        self.interval = interval
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var reader = SystemReader()
            state.apply(.system(reader.read()))  // memory and disk now; CPU load needs a second reading
            try await Task.sleep(for: .milliseconds(500))
            while !Task.isCancelled {
                state.apply(.system(reader.read()))
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// Measures every tool's writable layer now and then (`GET /containers/json?size=true` makes the
/// engine walk each layer, so not at every relist), for `/status` and heartbeats: a tool that
/// writes gigabytes to its own filesystem shows before the droplet's disk is full.
public struct DiskUsageSampler: Service {
    let engine: any ContainerEngine
    let state: StateModel
    let interval: Duration

    public init(engine: any ContainerEngine, state: StateModel, interval: Duration = .seconds(60)) {
        self.engine = engine
        self.state = state
        self.interval = interval
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let sized = try? await engine.listContainers(all: true, filters: ContainerLabels.managedFilter, size: true) {
                    // The engine leaves `SizeRw` out when it is 0 (omitempty).
                    state.apply(.diskUsage(Dictionary(sized.map { ($0.id, $0.sizeRw ?? 0) }) { first, _ in first }))
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// The containers whose events call for an inspect, coalesced: while one is being inspected,
/// further events for it make one more inspect afterwards (it reads the newest state), not one each.
final class PendingInspections: Sendable {
    enum Due: Equatable {
        case none
        /// Inspect now; `exitCode` when a `die` event announced one.
        case inspect(exitCode: Int?)
    }

    private struct Entry {
        var due = true
        var exitCode: Int?
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    /// Notes an event for `id`; true when nothing is inspecting it yet (the caller starts that).
    func request(_ id: String, exitCode: Int?) -> Bool {
        entries.withLockedValue { entries in
            let running = entries[id] != nil
            var entry = entries[id] ?? Entry()
            entry.due = true
            entry.exitCode = exitCode ?? entry.exitCode
            entries[id] = entry
            return !running
        }
    }

    /// What the inspector of `id` does next; `.none` also ends its turn (the next event starts one).
    func take(_ id: String) -> Due {
        entries.withLockedValue { entries in
            guard let entry = entries[id], entry.due else {
                entries[id] = nil
                return .none
            }
            entries[id] = Entry(due: false, exitCode: nil)
            return .inspect(exitCode: entry.exitCode)
        }
    }
}
