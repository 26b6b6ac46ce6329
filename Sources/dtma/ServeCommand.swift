import ArgumentParser
import DTMACore
import DTMARuntime
import DTMAServer
import Dispatch
import FoundationEssentials
import HTTP1Client
import Logging
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle
import Systemd

/// `dtma serve`: the daemon. Serves the control plane's API, keeps the state model in step with
/// the engine, and samples the droplet's figures, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: the tool API on port 30000 (by default), backed by the local Docker engine.",
        discussion: """
            Settings come from the environment, then \(DTMAConfig.defaultEnvFile), then the original agent's \
            \(DTMAConfig.legacyConfigFile):
              BACKEND_TO_DTMA_API_KEY            the key the control plane presents (required)
              BACKEND_TO_DTMA_API_KEY_SECONDARY  a second accepted key while rotating
              DTMA_BEARER_TOKEN                  dtma's own token towards the control plane
              AGENTOPIA_API_BASE_URL             the control plane's functions URL
              DTMA_PORT (or PORT)                API port, default 30000
              DTMA_LISTEN_ADDRESS                API address, default 0.0.0.0
              DOCKER_HOST                        engine address, default unix:///var/run/docker.sock
              DTMA_HEARTBEAT_INTERVAL_SECONDS    heartbeat interval, default 60
              DTMA_HEARTBEAT_MAX_BACKOFF_SECONDS longest wait between failing heartbeats, default the interval
              DTMA_CONTROL_PLANE_CA_FILE         extra CA bundle for a private control plane
              DTMA_ALLOW_INSECURE_CONTROL_PLANE  1 allows an http:// control plane (development only)
              DTMA_REQUIRE_IMAGE_DIGEST          1 refuses images named without @sha256:<digest>
              DTMA_STOP_TIMEOUT_SECONDS          SIGTERM-to-SIGKILL grace when stopping a tool, default 10
              DTMA_RELIST_INTERVAL_SECONDS       full relist of the containers beside the events stream, default 30
              DTMA_METRICS_REQUIRE_KEY           0 serves GET /metrics without the key (default 1)
              DTMA_REQUEST_HEAD_TIMEOUT_SECONDS  a connection's next request head must arrive within, default 20
              DTMA_REQUEST_BODY_TIMEOUT_SECONDS  a request's body must arrive within, after its head, default 30
              DTMA_MAX_REQUEST_HEAD_BYTES        longest request head (431 past it), default 8192
              DTMA_MAX_CONNECTIONS               open API connections in all (503 past it), default 1024
              DTMA_MAX_CONNECTIONS_PER_PEER      open API connections from one address, default 128
              DTMA_MAX_LOG_STREAMS               log streams served at once (429 past it), default 8
              DTMA_MAX_EVENT_STREAMS             /events streams served at once, default 16
              DTMA_STREAM_BUFFER_BYTES           bytes queued for a slow streaming client, default 4194304
              DTMA_DISK_SAMPLE_INTERVAL_SECONDS  how often each tool's writable layer is measured, default 60
              DTMA_GATEWAY_MAX_SESSIONS          MCP gateway sessions open at once (503 past it), default 1000
              DTMA_GATEWAY_SESSION_IDLE_SECONDS  a gateway session unused this long is ended, default 1800
              DTMA_GATEWAY_MAX_STREAMS           gateway GET streams served at once (429 past it), default 64
              DTMA_LOG_LEVEL                     trace, debug, info (default), notice, warning, error
            """
    )

    @Option(name: .long, help: "Env file to read (KEY=value lines).")
    var envFile: String = DTMAConfig.defaultEnvFile

    func run() async throws {
        let tasksOnEventLoops = ConcurrencyOnNIO.install()
        let environment = ProcessInfo.processInfo.environment
        let level = environment["DTMA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let journal = JournaldLogHandler.stderrIsJournal
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = journal ? JournaldLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return ControlEscapingLogHandler(handler)
        }
        let logger = Logger(label: "dtma")
        if !tasksOnEventLoops { logger.notice("tasks run on Swift's default executor: its enqueue hook was already taken") }

        let config: DTMAConfig
        do {
            config = try DTMAConfig.load(environment: environment, envFile: envFile)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(78)  // EX_CONFIG: systemd will not restart in a loop on a config error
        }
        for warning in config.warnings { logger.warning("\(warning)") }

        let notifier = SystemdNotifier()
        let daemon = try DTMADaemon(config: config, version: DTMAVersion.current, logger: logger) { port in
            logger.info("API listening", metadata: ["address": "\(config.listenHost)", "port": "\(port)"])
            notifier.ready(status: "API on \(config.listenHost):\(port)")
            let releasedKB = StartupPages.release()
            logger.debug("start-up pages released", metadata: ["kB": "\(releasedKB)"])
        }
        // What libraries report through swift-metrics lands in the same /metrics registry.
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: daemon.metrics.registry))
        // Graceful shutdown runs last to first: the watchdog pings until the very end, and
        // STOPPING=1 goes out the moment SIGTERM arrives.
        var services: [any Service] = []
        if let interval = notifier.watchdogInterval() {
            services.append(WatchdogService(notifier: notifier, interval: interval, logger: logger))
        }
        services += daemon.services
        services.append(SystemdStatusService(notifier: notifier) { [state = daemon.state] in Self.statusLine(state.snapshot()) })
        let stallHook = environment["DTMA_DEBUG_STALL_ON_SIGUSR1"] == "1" ? Self.installStallHook(logger: logger) : nil
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Within the unit's TimeoutStopSec (30 s): a service that will not stop is cancelled after
        // 20 s, and one that ignores that too ends the process 5 s later, rather than systemd's SIGKILL.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(20)
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.info("dtma starting", metadata: ["version": "\(DTMAVersion.current)", "engine": "\(config.engine)"])
        try await group.run()
        daemon.engine.shutdown()
        stallHook?.cancel()
        logger.info("dtma stopped")
    }

    /// `engine reachable; 3 tools, 2 running; heartbeat ok`.
    static func statusLine(_ snapshot: StateModel.Snapshot) -> String {
        let running = snapshot.tools.filter { $0.statusOnToolbox == .running }.count
        var line = "engine \(snapshot.engineReachable ? "reachable" : "unreachable"); \(snapshot.tools.count) tools, \(running) running"
        if let heartbeat = snapshot.heartbeat {
            line += heartbeat.lastError == nil ? "; heartbeat ok" : "; heartbeat failing (\(heartbeat.consecutiveFailures))"
        }
        return line
    }

    /// For the watchdog test only: SIGUSR1 blocks one event loop for a minute, as a deadlock would.
    static func installStallHook(logger: Logger) -> any DispatchSourceSignal {
        signal(SIGUSR1, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        source.setEventHandler {
            logger.warning("debug hook: stalling an event loop for 60 s")
            MultiThreadedEventLoopGroup.singleton.next().execute { sleep(60) }
        }
        source.resume()
        return source
    }
}
