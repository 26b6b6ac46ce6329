import ArgumentParser
import DTMACore
import DTMAServer
import Foundation
import Logging
import ServiceLifecycle

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
              DTMA_CONTROL_PLANE_CA_FILE         extra CA bundle for a private control plane
              DTMA_ALLOW_INSECURE_CONTROL_PLANE  1 allows an http:// control plane (development only)
              DTMA_STOP_TIMEOUT_SECONDS          SIGTERM-to-SIGKILL grace when stopping a tool, default 10
              DTMA_LOG_LEVEL                     trace, debug, info (default), notice, warning, error
            """
    )

    @Option(name: .long, help: "Env file to read (KEY=value lines).")
    var envFile: String = DTMAConfig.defaultEnvFile

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = environment["DTMA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "dtma")

        let config: DTMAConfig
        do {
            config = try DTMAConfig.load(environment: environment, envFile: envFile)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(78)  // EX_CONFIG: systemd will not restart in a loop on a config error
        }
        for warning in config.warnings { logger.warning("\(warning)") }

        let daemon = try DTMADaemon(config: config, version: DTMAVersion.current, logger: logger) { port in
            logger.info("API listening", metadata: ["address": "\(config.listenHost)", "port": "\(port)"])
        }
        let group = ServiceGroup(
            configuration: .init(services: daemon.services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info("dtma starting", metadata: ["version": "\(DTMAVersion.current)", "engine": "\(config.engine)"])
        try await group.run()
        daemon.engine.shutdown()
        logger.info("dtma stopped")
    }
}
