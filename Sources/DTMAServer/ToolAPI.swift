import DTMACore
import DockerEngine
import FoundationEssentials
import Hummingbird

/// The handlers behind the routes: decode, validate, call the tool manager, answer in the
/// contract's shapes.
struct ToolAPI: Sendable {
    let manager: ToolManager
    let state: StateModel
    let metrics: DTMAMetrics
    let config: DTMAConfig
    let version: String
    let statusCache = StatusCache()
    /// Log and event streams served at once, and what each may queue for a slow client.
    let logStreams: BoundedCount
    let eventStreams: BoundedCount
    let streamBounds: StreamBounds

    // MARK: Tools

    @Sendable func deploy(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let spec = try DeployRequest.decode(Array(buffer: body)).validated(reservedHostPorts: [config.listenPort], requireImageDigest: config.requireImageDigest)
        let outcome = try await manager.deploy(spec)
        // The probe as the deploy resolved it (a transport nobody named is chosen from the image).
        let data = DeployedTool(spec: spec, container: outcome.container, probe: state.tool(spec.instanceName)?.probe ?? spec.probe)
        return Response.json(
            outcome.created ? .created : .ok,
            Envelope(message: outcome.created ? "Tool deployed" : "Tool already deployed with this configuration", data: data))
    }

    @Sendable func start(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await instanceName(request, context: context)
        let container = try await manager.start(instance)
        return Response.json(.ok, Envelope(message: "Tool \(instance) is running", data: ToolState(container)))
    }

    @Sendable func stop(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await instanceName(request, context: context)
        let container = try await manager.stop(instance)
        return Response.json(.ok, Envelope(message: "Tool \(instance) is stopped", data: ToolState(container)))
    }

    @Sendable func remove(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await instanceName(request, context: context)
        try await manager.remove(instance)
        return Response.json(.ok, Envelope<ToolState>(message: "Tool \(instance) removed", data: nil))
    }

    /// From the path (`/tools/{instance}/…`), else the query or the JSON body (`instanceNameOnToolbox`).
    func instanceName(_ request: Request, context: DTMARequestContext) async throws -> String {
        var name = context.parameters.get("instance")
        if name == nil { name = request.uri.queryParameters.get("instanceNameOnToolbox") }
        if name == nil {
            struct Named: Decodable { var instanceNameOnToolbox: String? }
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            if body.readableBytes > 0 {
                name = try decodeRequestBody(Named.self, from: Array(buffer: body)).instanceNameOnToolbox
            }
        }
        guard let name, !name.isEmpty else { throw APIError.missingInstance() }
        guard name.utf8.count <= 63, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw APIError(status: .badRequest, code: "invalid_field", message: "instanceNameOnToolbox: not a tool name", field: "instanceNameOnToolbox")
        }
        return name
    }

    // MARK: Health and status

    @Sendable func health(_ request: Request, context: DTMARequestContext) async throws -> Response {
        struct Health: Encodable {
            var status = "ok"
            var engine: String
        }
        return Response.json(.ok, Health(engine: state.engineReachable ? "reachable" : "unreachable"))
    }

    @Sendable func status(_ request: Request, context: DTMARequestContext) async throws -> Response {
        // Read the revision first: a write racing the build makes the next request rebuild.
        let revision = state.revision
        let now = Date()
        let body = statusCache.body(revision: revision, now: now) {
            Response.encodeJSON(StatusDocument(snapshot: state.snapshot(), config: config, version: version, now: now))
        }
        return Response.json(.ok, encoded: body)
    }

    /// Prometheus text format (version 0.0.4).
    @Sendable func metricsText(_ request: Request, context: DTMARequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition(state.snapshot()))))
    }
}

/// `{"success": true, "message": …, "data": …}`.
struct Envelope<Data: Encodable>: Encodable {
    var success = true
    var message: String
    var data: Data?
}

/// The deploy answer's `data`, as the control plane reads it.
struct DeployedTool: Encodable {
    var containerID: String
    var instanceName: String
    var accountToolInstanceId: String
    var image: String
    var ports: [String: [PortBinding]?]
    var state: ContainerState
    var mcpEndpointPath: String?

    init(spec: ToolSpec, container: ContainerInspect, probe: ProbeSettings?) {
        containerID = container.id
        instanceName = spec.instanceName
        accountToolInstanceId = spec.accountToolInstanceId
        image = spec.image
        ports = container.networkSettings?.ports ?? [:]
        state = container.state
        mcpEndpointPath = ToolRoute.gatewayPath(spec.instanceName, probe: probe)
    }

    enum CodingKeys: String, CodingKey {
        case containerID = "container_id", instanceName = "instance_name_on_toolbox"
        case accountToolInstanceId = "account_tool_instance_id", image, ports, state, mcpEndpointPath = "mcp_endpoint_path"
    }
}

/// Start and stop answer with the container's state now.
struct ToolState: Encodable {
    var containerID: String
    var state: ContainerState

    init(_ container: ContainerInspect) {
        containerID = container.id
        state = container.state
    }

    enum CodingKeys: String, CodingKey {
        case containerID = "container_id", state
    }
}
