import DTMACore
import Hummingbird
import Logging
import MCPGateway
import NIOCore
import NIOPosix

/// The control plane's API as a Hummingbird application.
public enum DTMAServer {
    /// `onListening` receives the bound port (useful when the configured port is 0).
    public static func makeApplication(
        config: DTMAConfig, manager: ToolManager, state: StateModel, metrics: DTMAMetrics, gateway: MCPGateway, version: String,
        logger: Logger, clock: any LoopClock = SystemLoopClock(), onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: DTMARequestContext.self)
        let api = ToolAPI(
            manager: manager, state: state, metrics: metrics, config: config, version: version,
            logStreams: BoundedCount(limit: config.maxLogStreams), eventStreams: BoundedCount(limit: config.maxEventStreams),
            streamBounds: StreamBounds(bufferBytes: config.streamBufferBytes))
        let mcp = MCPRoutesAPI(api: api, groups: GroupDeployer(manager: manager, state: state, clock: clock), restarts: RestartCooldown(clock: clock))
        APIRoutes.register(
            on: router, api: api, images: ImagesAPI(api: api, streams: BoundedCount(limit: ImagesAPI.maxStreams)),
            gateway: GatewayAPI(gateway: gateway, streams: BoundedCount(limit: config.gatewayMaxStreams), streamBounds: api.streamBounds),
            mcp: mcp, config: config)
        let admission = ConnectionAdmission(
            limits: .init(total: config.maxConnections, perPeer: config.maxConnectionsPerPeer), onQuiet: {
                // A burst (a flood) is over: its heap and the code pages only it touched go back. A
                // little later: what its streams queued (MiBs) is freed only as their tasks end,
                // after their connections have closed.
                MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .seconds(2)) {
                    HeapTrim.now()
                    StartupPages.release()
                }
            })
        let limits = ConnectionLimits(
            maxHeadBytes: config.maxRequestHeadBytes, headTimeout: .seconds(config.requestHeadTimeout.components.seconds),
            bodyTimeout: .seconds(config.requestBodyTimeout.components.seconds))
        return Application(
            router: router,
            server: GuardedHTTP1Channel.builder(limits: limits, admission: admission),
            // A deep accept queue (the kernel caps it at somaxconn): in a flood of connections a full
            // queue drops a SYN, and that client, /health's too, waits out TCP's 1 s retransmission.
            configuration: .init(address: .hostname(config.listenHost, port: config.listenPort), serverName: "dtma", backlog: 4096),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? config.listenPort) },
            logger: logger)
    }

    /// Every route as `METHOD path`, as registered.
    public static var routeTable: [String] { APIRoutes.table.map { "\($0.method) \($0.path)" } }
}
