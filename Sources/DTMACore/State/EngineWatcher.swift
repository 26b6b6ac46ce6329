import DockerEngine
import FoundationEssentials
import Logging
import ServiceLifecycle

/// Keeps the state model in step with the engine: a full relist at start and every
/// `relistInterval` (events can be missed), and the events stream of dtma's containers in between.
/// When the engine goes away it says so in the state and reconnects with backoff.
public struct EngineWatcher: Service {
    let engine: DockerEngineClient
    let state: StateModel
    let manager: ToolManager
    let relistInterval: Duration
    let logger: Logger

    public init(engine: DockerEngineClient, state: StateModel, manager: ToolManager, relistInterval: Duration = .seconds(30), logger: Logger) {
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
                try await manager.adoptExisting()
                state.setEngine(reachable: true, version: version.version)
                logger.info("engine reachable", metadata: ["version": "\(version.version)", "tools": "\(state.snapshot().tools.count)"])
                backoff = .seconds(1)
                try await followEvents()
            } catch is CancellationError {
                return
            } catch {
                state.setEngine(reachable: false, error: "\(error)")
                logger.warning("engine unreachable; retrying", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Applies container events until the stream ends, relisting on a timer alongside.
    private func followEvents() async throws {
        let since = Int64(Date().timeIntervalSince1970) - 1
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var filters = ContainerLabels.managedFilter
                filters["type"] = ["container"]
                let events = try await engine.events(since: since, filters: filters)
                for try await event in events {
                    await apply(event)
                }
                throw DockerEngineError.connectionLost(reason: "the events stream ended")
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: relistInterval)
                    try await manager.adoptExisting()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func apply(_ event: EngineEvent) async {
        if event.action == "destroy" {
            state.containerGone(event.actor.id)
            return
        }
        // Exec and health noise says nothing about the container's state.
        guard !event.action.hasPrefix("exec_"), !event.action.hasPrefix("health_status") else { return }
        do {
            state.apply(try await engine.inspectContainer(event.actor.id))
        } catch DockerEngineError.notFound {
            state.containerGone(event.actor.id)
        } catch {
            logger.debug("cannot inspect after event", metadata: ["action": "\(event.action)", "error": "\(error)"])
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
            state.setSystem(reader.read())  // memory and disk now; CPU load needs a second reading
            try await Task.sleep(for: .milliseconds(500))
            while !Task.isCancelled {
                state.setSystem(reader.read())
                try await Task.sleep(for: interval)
            }
        }
    }
}
