import DTMACore
import Hummingbird

/// The API as data: one row a route. Everything but `/health` needs the bearer key.
///
/// The `/tools/start|stop|remove` forms name the instance in the JSON body or the query
/// (`instanceNameOnToolbox`), as the design card has them; the others follow contract.md.
enum APIRoutes {
    enum Endpoint {
        case health, status, deploy, start, stop, remove, logs, events, metrics, pullImage
        /// The MCP gateway's endpoint for one hosted server.
        case gateway
        /// The control plane's second generation (`MCPRoutesAPI`).
        case deployGroup, removeGroup, groupHealth, mcpStatus, restart, mcpLogs, mcpTools, validate, templates, refreshCredentials
    }

    struct Route {
        var method: HTTPRequest.Method
        var path: String
        var endpoint: Endpoint
        var needsKey = true
    }

    static let table: [Route] = [
        Route(method: .get, path: "/health", endpoint: .health, needsKey: false),  // liveness + engine reachability
        Route(method: .get, path: "/status", endpoint: .status),  // dtma, droplet, tools — from memory
        Route(method: .post, path: "/tools", endpoint: .deploy),  // contract body
        Route(method: .post, path: "/tools/deploy", endpoint: .deploy),
        Route(method: .post, path: "/tools/{instance}/start", endpoint: .start),
        Route(method: .post, path: "/tools/start", endpoint: .start),
        Route(method: .post, path: "/tools/{instance}/stop", endpoint: .stop),
        Route(method: .post, path: "/tools/stop", endpoint: .stop),
        Route(method: .delete, path: "/tools/{instance}", endpoint: .remove),
        Route(method: .delete, path: "/tools/remove", endpoint: .remove),
        Route(method: .get, path: "/tools/{instance}/logs", endpoint: .logs),  // JSON, or NDJSON with follow=true
        Route(method: .get, path: "/events", endpoint: .events),  // tool state changes as server-sent events
        Route(method: .get, path: "/metrics", endpoint: .metrics),  // Prometheus; the key is a setting
        Route(method: .post, path: "/images/pull", endpoint: .pullImage),  // NDJSON progress; joins a pull under way
        // The MCP gateway: Streamable HTTP to each hosted server, whatever its own transport.
        Route(method: .post, path: "/mcp/servers/{instance}", endpoint: .gateway),
        Route(method: .get, path: "/mcp/servers/{instance}", endpoint: .gateway),
        Route(method: .delete, path: "/mcp/servers/{instance}", endpoint: .gateway),
        // The control plane's second generation: groups of servers, and what it asks of one.
        Route(method: .post, path: "/mcp/groups", endpoint: .deployGroup),
        Route(method: .delete, path: "/mcp/groups/{groupId}", endpoint: .removeGroup),
        Route(method: .get, path: "/mcp/health/{groupId}", endpoint: .groupHealth),
        Route(method: .get, path: "/mcp/status", endpoint: .mcpStatus),
        Route(method: .post, path: "/mcp/servers/{instance}/restart", endpoint: .restart),  // 429 in the cool-down
        Route(method: .get, path: "/mcp/servers/{instance}/logs", endpoint: .mcpLogs),
        Route(method: .get, path: "/mcp/servers/{instance}/tools", endpoint: .mcpTools),  // the tool cache's rows
        Route(method: .post, path: "/mcp/validate", endpoint: .validate),  // a dry run of the deploy validator
        Route(method: .get, path: "/mcp/templates", endpoint: .templates),
        Route(method: .post, path: "/mcp/credentials/refresh/{instance}", endpoint: .refreshCredentials),  // recreates only on a changed value
    ]

    /// What an unknown `/mcp/…` path's 404 lists, as the original agent's did.
    static var mcpEndpoints: [String] {
        table.filter { $0.path.hasPrefix("/mcp/") }.map { "\($0.method) \($0.path)" }
    }

    static func register(
        on router: Router<DTMARequestContext>, api: ToolAPI, images: ImagesAPI, gateway: GatewayAPI, mcp: MCPRoutesAPI, config: DTMAConfig
    ) {
        func handler(_ endpoint: Endpoint) -> @Sendable (Request, DTMARequestContext) async throws -> Response {
            switch endpoint {
            case .health: api.health
            case .status: api.status
            case .deploy: api.deploy
            case .start: api.start
            case .stop: api.stop
            case .remove: api.remove
            case .logs: api.logs
            case .events: api.events
            case .metrics: api.metricsText
            case .pullImage: images.pull
            case .gateway: gateway.serve
            case .deployGroup: mcp.deployGroup
            case .removeGroup: mcp.removeGroup
            case .groupHealth: mcp.groupHealth
            case .mcpStatus: mcp.status
            case .restart: mcp.restart
            case .mcpLogs: mcp.logs
            case .mcpTools: mcp.tools
            case .validate: mcp.validate
            case .templates: mcp.templates
            case .refreshCredentials: mcp.refreshCredentials
            }
        }
        router.add(middleware: RequestMetricsMiddleware(metrics: api.metrics))
        router.add(middleware: APIErrorMiddleware())
        func needsKey(_ route: Route) -> Bool { route.endpoint == .metrics ? config.metricsRequireKey : route.needsKey }
        for route in table where !needsKey(route) {
            router.on(RouterPath(route.path), method: route.method, use: handler(route.endpoint))
        }
        // Added after the open routes, so it guards every route below and every unknown path.
        router.add(middleware: BearerAuthMiddleware(keys: config.inboundKeys))
        for route in table where needsKey(route) {
            router.on(RouterPath(route.path), method: route.method, use: handler(route.endpoint))
        }
    }
}
