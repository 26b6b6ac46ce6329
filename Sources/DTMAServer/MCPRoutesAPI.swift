import DTMACore
import FoundationEssentials
import Hummingbird
import JSONScanning

/// The control plane's second generation (`mcp-server-manager`): groups of MCP servers, their
/// status and health, restarts, logs, a dry run and the resource templates, in the shapes of the
/// original agent's `/mcp` router (camelCase, `{"success", "message", "data"}`), built for real.
struct MCPRoutesAPI: Sendable {
    let api: ToolAPI
    let groups: GroupDeployer
    let restarts: RestartCooldown

    private var state: StateModel { api.state }
    private var manager: ToolManager { api.manager }

    // MARK: Groups

    /// 201 when every server is up; 200 with `success: false` and per-server errors when some are;
    /// 502 (`group_failed`: what it needed, images or the servers, failed it) when none is.
    /// Nothing is created when any server fails validation.
    @Sendable func deployGroup(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let plan = try GroupRequest.decode(Array(buffer: body)).validated(reservedHostPorts: [api.config.listenPort], requireImageDigest: api.config.requireImageDigest)
        let results = await groups.deploy(plan)
        var deployed: [ServerView] = []
        var errors: [String: String] = [:]
        for spec in plan.servers {
            switch results[spec.instanceName] {
            case .up: state.tool(spec.instanceName).map { deployed.append(ServerView($0)) }
            case .failed(let reason): errors[spec.instanceName] = reason
            case nil: errors[spec.instanceName] = "not deployed"
            }
        }
        struct Deployed: Encodable {
            var groupId: String
            var deployedServers: [ServerView]
            var errors: [String: String]
            var totalServers: Int
            var successfulDeployments: Int
        }
        let data = Deployed(
            groupId: plan.groupID, deployedServers: deployed, errors: errors, totalServers: plan.servers.count,
            successfulDeployments: deployed.count)
        let summary = "\(deployed.count) of \(plan.servers.count) servers of group \(plan.groupID) are up"
        if errors.isEmpty { return Response.json(.created, MCPEnvelope(message: summary, data: data)) }
        if deployed.isEmpty {
            return Response.json(
                .badGateway, MCPEnvelope(success: false, message: summary, data: data, error: "no server of the group came up", code: "group_failed"))
        }
        return Response.json(.ok, MCPEnvelope(success: false, message: summary, data: data, error: "some servers did not come up", code: "group_degraded"))
    }

    @Sendable func removeGroup(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let groupID = try groupID(context)
        let query = request.uri.queryParameters
        let force = try Self.flag(query.get("forceRemove"), "forceRemove")
        var graceMs = 30_000
        if let text = query.get("gracefulTimeoutMs") {
            guard let value = Int(text), (0...300_000).contains(value) else {
                throw APIError(status: .badRequest, code: "invalid_field", message: "gracefulTimeoutMs: must be a whole number from 0 to 300000", field: "gracefulTimeoutMs")
            }
            graceMs = value
        }
        let removal = try await manager.removeGroup(groupID, force: force, gracefulTimeoutSeconds: (graceMs + 999) / 1000)
        struct Removed: Encodable {
            var groupId: String
            var removedServers: [String]
            var errors: [String: String]
        }
        let message = "removed \(removal.removed.count) servers of group \(groupID)"
        return Response.json(
            removal.errors.isEmpty ? .ok : .internalServerError,
            MCPEnvelope(
                success: removal.errors.isEmpty, message: message,
                data: Removed(groupId: groupID, removedServers: removal.removed.sorted(), errors: removal.errors),
                error: removal.errors.isEmpty ? nil : "some servers could not be removed", code: removal.errors.isEmpty ? nil : "group_remove_failed"))
    }

    /// Each server's verdict, and the group's: healthy (all up), initializing (some still
    /// starting, none failed), degraded (some up, some failed) or failed (none up).
    @Sendable func groupHealth(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let groupID = try groupID(context)
        let snapshot = state.snapshot()
        let members = snapshot.tools.filter { $0.group == groupID }
        let deploying = snapshot.groupDeploys[groupID]
        guard !members.isEmpty || deploying != nil else { throw ToolError.groupNotFound(group: groupID) }
        return Response.json(.ok, MCPEnvelope(message: "group \(groupID)", data: GroupView(groupID, members: members, deploying: deploying)))
    }

    // MARK: Status

    @Sendable func status(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let snapshot = state.snapshot()
        let tools = snapshot.tools
        let grouped = Dictionary(grouping: tools.filter { $0.group != nil }, by: { $0.group! })
        let groupIDs = Set(grouped.keys).union(snapshot.groupDeploys.keys)
        struct Status: Encodable {
            var groups: [GroupView]
            var servers: [ServerView]
            var health: [String: Int]
            var endpoints: [String: String]
            var engine: String
        }
        let servers = tools.map(ServerView.init)
        let data = Status(
            groups: groupIDs.sorted().map { GroupView($0, members: grouped[$0] ?? [], deploying: snapshot.groupDeploys[$0]) }, servers: servers,
            health: Dictionary(grouping: servers, by: \.health).mapValues(\.count),
            endpoints: Dictionary(uniqueKeysWithValues: servers.compactMap { server in server.mcpEndpointPath.map { (server.instanceName, $0) } }),
            engine: state.engineReachable ? "reachable" : "unreachable")
        return Response.json(.ok, MCPEnvelope(message: "\(tools.count) servers in \(groupIDs.count) groups", data: data))
    }

    // MARK: One server

    /// 429 with `Retry-After` within `restarts.period` of the previous restart.
    @Sendable func restart(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await api.instanceName(request, context: context)
        guard state.tool(instance) != nil else { throw ToolError.notManaged(instance: instance) }
        try restarts.begin(instance)
        _ = try await manager.restart(instance)
        let view = state.tool(instance).map(ServerView.init)
        return Response.json(.ok, MCPEnvelope(message: "\(instance) restarted", data: view))
    }

    /// The tools with their schemas as the last listing found them (`mcp_tools_cache`: name,
    /// schema, schema hash); 409 until a probe has listed them.
    @Sendable func tools(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await api.instanceName(request, context: context)
        guard let tool = state.tool(instance) else { throw ToolError.notManaged(instance: instance) }
        guard let inventory = tool.health?.inventory else {
            let why = tool.probe.map { $0.transport == .none } ?? true ? "it is not probed" : "no probe has listed them yet (health: \(tool.healthState?.rawValue ?? "unknown"))"
            throw APIError(status: .conflict, code: "tools_not_listed", message: "the tools of \(instance) are not known: \(why)")
        }
        struct Tool: Encodable {
            var name: String
            var schema: JSONValue
            var schemaHash: String
        }
        struct Tools: Encodable {
            var instanceName: String
            var toolsHash: String
            var listedAt: String
            var capabilities: JSONValue?
            var tools: [Tool]
        }
        let data = Tools(
            instanceName: instance, toolsHash: inventory.toolsHash, listedAt: inventory.listedAt.formatted(.iso8601),
            capabilities: inventory.capabilities,
            tools: inventory.tools.map { Tool(name: $0.definition.name, schema: $0.definition.definition, schemaHash: $0.schemaHash) })
        return Response.json(.ok, MCPEnvelope(message: "\(inventory.tools.count) tools", data: data))
    }

    /// The real logs (both streams), the newest `tail` lines, as one text.
    @Sendable func logs(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await api.instanceName(request, context: context)
        var query = try ToolAPI.logQuery(request.uri.queryParameters)
        guard !query.follow else {
            throw APIError(status: .badRequest, code: "not_supported", message: "follow: use GET /tools/{instance}/logs?follow=true", field: "follow")
        }
        query.timestamps = false
        guard let slot = api.logStreams.slot() else { throw APIError.tooManyStreams("log", limit: api.logStreams.limit) }
        let collected = try await api.collectedLogs(try await manager.logs(instance, query: query), holding: slot)
        struct Logs: Encodable {
            var instanceName: String
            var logs: String
            var lines: Int
            var truncated: Bool
            var timestamp: String
        }
        let data = Logs(
            instanceName: instance, logs: collected.lines.map(\.line).joined(separator: "\n"), lines: collected.lines.count,
            truncated: collected.dropped > 0, timestamp: Date().formatted(.iso8601))
        return Response.json(.ok, MCPEnvelope(message: "\(collected.lines.count) lines", data: data))
    }

    /// Fetches the server's secrets again; recreates its container only when a value changed, and
    /// says which (by name, never by value).
    @Sendable func refreshCredentials(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await api.instanceName(request, context: context)
        let refresh = try await manager.refreshCredentials(instance)
        struct Refreshed: Encodable {
            var instanceName: String
            var status: String
            var recreated: Bool
            var changedSecrets: [String]
            /// The control plane has them and the container does not: a redeploy adds them.
            var newSecrets: [String]
        }
        let data = Refreshed(
            instanceName: instance, status: refresh.recreated ? "recreated" : "unchanged", recreated: refresh.recreated,
            changedSecrets: refresh.changed, newSecrets: refresh.added)
        let message = refresh.recreated
            ? "\(instance) recreated: \(refresh.changed.count) secrets changed"
            : "no secret of \(instance) changed; the container was kept"
        return Response.json(.ok, MCPEnvelope(message: message, data: data))
    }

    // MARK: Dry run and templates

    /// Each server through the deploy validator, and whether the engine has its image; nothing is created.
    @Sendable func validate(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let servers = try ValidateRequest.decode(Array(buffer: try await request.body.collect(upTo: context.maxUploadSize)))
        struct Problem: Encodable {
            var field: String?
            var message: String
        }
        struct Result: Encodable {
            var instanceName: String?
            var valid: Bool
            var errors: [Problem]
            /// Nil when the engine could not be asked.
            var imagePresent: Bool?
        }
        var results: [Result] = []
        for (index, server) in servers.enumerated() {
            do {
                let spec = try server.validated(index: index, reservedHostPorts: [api.config.listenPort], requireImageDigest: api.config.requireImageDigest)
                results.append(Result(instanceName: spec.instanceName, valid: true, errors: [], imagePresent: await manager.imagePresent(spec.image)))
            } catch {
                results.append(Result(instanceName: server.deploy.instanceNameOnToolbox, valid: false, errors: [Problem(field: error.field, message: error.message)]))
            }
        }
        struct Validation: Encodable {
            var valid: Bool
            var results: [Result]
            var summary: [String: Int]
        }
        let valid = results.filter(\.valid).count
        let data = Validation(valid: valid == results.count, results: results, summary: ["total": results.count, "valid": valid, "invalid": results.count - valid])
        return Response.json(.ok, MCPEnvelope(message: "\(valid) of \(results.count) servers are valid", data: data))
    }

    @Sendable func templates(_ request: Request, context: DTMARequestContext) async throws -> Response {
        struct Templates: Encodable { var templates: [ResourceTemplate] }
        return Response.json(.ok, MCPEnvelope(message: "apply one with resourceTemplate", data: Templates(templates: ResourceTemplate.all)))
    }

    // MARK: Helpers

    private func groupID(_ context: DTMARequestContext) throws -> String {
        guard let id = context.parameters.get("groupId"), GroupRequest.isGroupID(id) else {
            throw APIError(status: .badRequest, code: "invalid_field", message: "groupId: not a group name", field: "groupId")
        }
        return id
    }

    private static func flag(_ text: String?, _ name: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "false", "0", "no": return false
        case "true", "1", "yes": return true
        default: throw APIError(status: .badRequest, code: "invalid_field", message: "\(name): must be true or false", field: name)
        }
    }
}

/// `{"success", "message", "data"}`, with `error` and `code` when it did not (all) go well.
struct MCPEnvelope<Data: Encodable>: Encodable {
    var success = true
    var message: String
    var data: Data?
    var error: String? = nil
    var code: String? = nil
}

/// One server as the `/mcp` routes show it.
struct ServerView: Encodable {
    var instanceName: String
    var accountToolInstanceId: String
    var groupId: String?
    var containerId: String?
    var image: String
    var imageDigest: String?
    /// The contract's `status_on_toolbox`.
    var status: String
    /// healthy, unhealthy, starting, crashed, stopped, or unknown (not probed).
    var health: String
    var transport: String?
    var transportChosenBecause: String?
    var mcpEndpointPath: String?
    var restartCount: Int
    var detail: String?
    /// What the probes learned: era, protocol version, server, capabilities, tools (names and hash).
    var era: String?
    var protocolVersion: String?
    var serverName: String?
    var serverVersion: String?
    var capabilities: JSONValue?
    var toolCount: Int?
    var toolNames: [String]?
    var toolsHash: String?

    init(_ record: ToolRecord) {
        instanceName = record.instanceName
        accountToolInstanceId = record.accountToolInstanceId
        groupId = record.group
        containerId = record.containerID
        image = record.image
        imageDigest = record.imageDigest
        status = record.statusOnToolbox.rawValue
        health = record.healthState?.rawValue ?? "unknown"
        transport = record.probe?.transport.rawValue
        transportChosenBecause = record.probe?.chosenBecause
        mcpEndpointPath = ToolRoute.gatewayPath(record.instanceName, probe: record.probe)
        restartCount = record.restartCount
        detail = record.detail
        let result = record.health?.lastResult
        era = result?.era?.rawValue
        protocolVersion = result?.protocolVersion
        serverName = result?.serverName
        serverVersion = result?.serverVersion
        let inventory = record.health?.inventory
        capabilities = inventory?.capabilities
        toolCount = inventory?.tools.count
        toolNames = inventory?.toolNames
        toolsHash = inventory?.toolsHash
    }
}

/// A group and its servers' verdicts.
struct GroupView: Encodable {
    var groupId: String
    /// healthy, initializing (being deployed, or some still starting and none failed), degraded or failed.
    var state: String
    var servers: [ServerView]
    /// While `POST /mcp/groups` runs: each server's phase (queued, waiting for …, deploying,
    /// waiting until healthy, up, failed), those without a container yet included.
    var deploying: [String: String]?

    init(_ groupID: String, members: [ToolRecord], deploying: [String: String]? = nil) {
        groupId = groupID
        servers = members.map(ServerView.init)
        self.deploying = deploying
        let up = members.filter { $0.statusOnToolbox == .running }.count
        let failed = members.filter { $0.statusOnToolbox == .errorRuntime || $0.statusOnToolbox == .stopped }.count
        state = deploying != nil ? "initializing"
            : up == members.count ? "healthy" : failed == 0 ? "initializing" : up == 0 ? "failed" : "degraded"
    }
}
