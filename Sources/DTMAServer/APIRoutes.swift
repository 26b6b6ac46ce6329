import DTMACore
import Hummingbird

/// The API, one line a route. Everything but `/health` needs the bearer key.
///
/// | route | what |
/// |---|---|
/// | `GET /health` | liveness, and whether the engine answers (no auth) |
/// | `GET /status` | dtma, the droplet and every managed tool, from memory |
/// | `POST /tools`, `POST /tools/deploy` | deploy a tool (contract body) |
/// | `POST /tools/{instance}/start`, `POST /tools/start` | start it |
/// | `POST /tools/{instance}/stop`, `POST /tools/stop` | stop it |
/// | `DELETE /tools/{instance}`, `DELETE /tools/remove` | remove it |
///
/// The `/tools/start|stop|remove` forms name the instance in the JSON body or the query
/// (`instanceNameOnToolbox`), as the design card has them.
enum APIRoutes {
    static func register(on router: Router<DTMARequestContext>, api: ToolAPI, inboundKeys: [String]) {
        router.add(middleware: APIErrorMiddleware())
        router.get("/health", use: api.health)

        router.add(middleware: BearerAuthMiddleware(keys: inboundKeys))
        router.get("/status", use: api.status)
        router.post("/tools", use: api.deploy)
        router.post("/tools/deploy", use: api.deploy)
        router.post("/tools/{instance}/start", use: api.start)
        router.post("/tools/start", use: api.start)
        router.post("/tools/{instance}/stop", use: api.stop)
        router.post("/tools/stop", use: api.stop)
        router.delete("/tools/{instance}", use: api.remove)
        router.delete("/tools/remove", use: api.remove)
    }

    /// Every route as `METHOD path`, for the test that keeps openapi.yaml true.
    static let table: [String] = [
        "GET /health", "GET /status",
        "POST /tools", "POST /tools/deploy",
        "POST /tools/{instance}/start", "POST /tools/start",
        "POST /tools/{instance}/stop", "POST /tools/stop",
        "DELETE /tools/{instance}", "DELETE /tools/remove",
    ]
}
