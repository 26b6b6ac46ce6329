import ControlPlane
import DTMACore
import DTMAServer
import DockerEngine
import Logging
import MCPGateway
import ServiceLifecycle

/// The composition root: everything `dtma serve` runs, wired from a configuration — the API and
/// the gateway, the engine watcher, the samplers, probes and recovery and, when a control plane is
/// configured, the heartbeat loop and secret fetches. Its own module, so that the executable and
/// the tests that run a whole dtma share one wiring, and no library below knows of the others.
public struct DTMADaemon: Sendable {
    public let engine: any ContainerEngine
    public let state: StateModel
    public let manager: ToolManager
    public let metrics: DTMAMetrics
    public let services: [any Service]

    /// `engine` replaces the Docker engine at `config.engine` (tests give an in-memory one).
    public init(
        config: DTMAConfig, version: String, logger: Logger, engine injected: (any ContainerEngine)? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws {
        func child(_ label: String) -> Logger {
            var child = logger
            child[metadataKey: "component"] = "\(label)"
            return child
        }
        let metrics = DTMAMetrics()
        var engineSettings = DockerEngineClient.Configuration()
        engineSettings.observer = { metrics.recordEngineCall($0, duration: $1, failed: $2) }
        let engine = injected ?? DockerEngineClient(endpoint: config.engine, configuration: engineSettings, logger: child("engine"))
        let state = StateModel()
        var services: [any Service] = []
        var secrets: ToolManager.SecretsSource?
        if var settings = config.controlPlane {
            settings.userAgent = "dtma/\(version)"
            // Two clients, so that a slow heartbeat never holds up a deploy's secret fetch.
            let secretsClient = try ControlPlaneClient(configuration: settings)
            secrets = { try await secretsClient.fetchToolSecrets(toolInstanceID: $0) }
            services.append(HeartbeatLoop(
                client: try ControlPlaneClient(configuration: settings), interval: config.heartbeatInterval,
                firstBackoff: min(.seconds(5), config.heartbeatMaxBackoff), maxBackoff: config.heartbeatMaxBackoff,
                logger: child("heartbeat"),
                beforeFirstBeat: {
                    // Up to 5 s for the first look at the engine, so the first beat lists the tools.
                    for _ in 0..<50 where !state.engineReachable { try? await Task.sleep(for: .milliseconds(100)) }
                },
                makeBody: { sequence, status in
                    try HeartbeatReport.body(state.snapshot(), sequence: sequence, status: status, dtmaVersion: version)
                },
                record: {
                    state.apply(.heartbeat(sequence: $0.sequence, at: $0.at, error: $0.error, consecutiveFailures: $0.consecutiveFailures))
                    metrics.recordHeartbeat(failed: $0.error != nil)
                }))
        } else {
            logger.notice("heartbeats and secrets are off: AGENTOPIA_API_BASE_URL and DTMA_BEARER_TOKEN are not both set")
        }
        let manager = ToolManager(engine: engine, state: state, dtmaVersion: version, stopTimeoutSeconds: config.stopTimeoutSeconds, secrets: secrets, logger: child("tools"))
        services.append(EngineWatcher(engine: engine, state: state, manager: manager, relistInterval: config.relistInterval, logger: child("watcher")))
        services.append(SystemSampler(state: state))
        services.append(DiskUsageSampler(engine: engine, state: state, interval: config.diskSampleInterval))
        let stdio = StdioServers(engine: engine)
        services.append(ProbeScheduler(stdio: stdio, state: state, metrics: metrics, logger: child("probes")))
        services.append(ToolRecovery(manager: manager, state: state, logger: child("recovery")))
        let gateway = MCPGateway(
            state: state, stdio: stdio, sessions: GatewaySessions(limit: config.gatewayMaxSessions, idleTimeout: config.gatewaySessionIdle))
        services.append(GatewaySessionReaper(gateway: gateway))
        services.append(DTMAServer.makeApplication(
            config: config, manager: manager, state: state, metrics: metrics, gateway: gateway, version: version, logger: child("api"),
            onListening: onListening))
        self.engine = engine
        self.state = state
        self.manager = manager
        self.metrics = metrics
        self.services = services
    }
}
