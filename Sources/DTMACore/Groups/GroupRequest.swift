import FoundationEssentials

/// A server as `/mcp/groups` and `/mcp/validate` carry it: a deploy body (`DeployRequest`) with the
/// second generation's additions. `portBindings` is `HostConfig.PortBindings` by another name;
/// `environmentVariables` (name → value) joins `Env`.
public struct ServerItem: Decodable, Sendable {
    public var deploy: DeployRequest
    public var portBindings: [String: [DeployRequest.PortBindingRequest]?]?
    public var environmentVariables: [String: String]?

    enum CodingKeys: String, CodingKey { case portBindings, environmentVariables }

    public init(from decoder: any Decoder) throws {
        deploy = try DeployRequest(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        portBindings = try container.decodeIfPresent([String: [DeployRequest.PortBindingRequest]?].self, forKey: .portBindings)
        environmentVariables = try container.decodeIfPresent([String: String].self, forKey: .environmentVariables)
    }

    /// The deploy request this item stands for.
    func deployRequest() throws(ToolSpecError) -> DeployRequest {
        var request = deploy
        if let portBindings {
            guard request.baseConfigOverrideJson?.hostConfig?.portBindings == nil else {
                throw .invalid("portBindings", "give either portBindings or baseConfigOverrideJson.HostConfig.PortBindings, not both")
            }
            var override = request.baseConfigOverrideJson ?? DeployRequest.ContainerOverride()
            var host = override.hostConfig ?? DeployRequest.HostOverride()
            host.portBindings = portBindings
            override.hostConfig = host
            request.baseConfigOverrideJson = override
        }
        if let environmentVariables, !environmentVariables.isEmpty {
            var override = request.baseConfigOverrideJson ?? DeployRequest.ContainerOverride()
            override.env = (override.env ?? []) + environmentVariables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            request.baseConfigOverrideJson = override
        }
        return request
    }

    /// Validated as `POST /tools` validates; errors name the server (`servers[1].dockerImageUrl`).
    public func validated(index: Int, reservedHostPorts: Set<Int>, requireImageDigest: Bool = false) throws(ToolSpecError) -> ToolSpec {
        do {
            return try deployRequest().validated(reservedHostPorts: reservedHostPorts, requireImageDigest: requireImageDigest)
        } catch {
            let at = "servers[\(index)]"
            let name = deploy.instanceNameOnToolbox.map { " (\($0.prefix(63)))" } ?? ""
            throw ToolSpecError(error.code, field: error.field.map { "\(at).\($0)" } ?? at, "\(at)\(name): \(error.message)")
        }
    }
}

/// The body of `POST /mcp/groups`, as `mcp-server-manager` sends it.
public struct GroupRequest: Decodable, Sendable {
    public var groupId: String?
    public var servers: [ServerItem]?
    public var options: Options?

    public struct Options: Decodable, Sendable {
        public var sharedNetworking: Bool?
        /// Instances in the order they start: each waits for the one before it to be healthy.
        public var dependencyOrder: [String]?
        public var maxConcurrentDeployments: Int?
        /// dtma's: how long a server may take to become healthy before it counts as failed.
        public var healthTimeoutMs: Int?
    }

    public static let maxServers = 32
    public static let concurrency: ClosedRange<Int> = 1...16
    public static let healthTimeoutMs: ClosedRange<Int> = 1000...600_000

    public static func isGroupID(_ id: String) -> Bool { NameRules.isGroupID(id) }

    public static func decode(_ body: [UInt8]) throws(ToolSpecError) -> GroupRequest {
        try DeployKeys.groupBody.audit(body)
        return try decodeRequestBody(GroupRequest.self, from: body)
    }

    /// Every server validated before anything is created: one bad server refuses the whole group.
    public func validated(reservedHostPorts: Set<Int> = [], requireImageDigest: Bool = false) throws(ToolSpecError) -> GroupPlan {
        guard let groupID = groupId, !groupID.isEmpty else { throw .missing("groupId") }
        guard NameRules.isGroupID(groupID) else {
            throw .invalid("groupId", "must be 2–128 letters, digits, '_', '.' or '-', starting with a letter or digit")
        }
        guard let servers, !servers.isEmpty else { throw .missing("servers") }
        guard servers.count <= Self.maxServers else {
            throw .init(.tooLarge, field: "servers", "servers: at most \(Self.maxServers) in one group")
        }
        var specs: [ToolSpec] = []
        for (index, server) in servers.enumerated() {
            var spec = try server.validated(index: index, reservedHostPorts: reservedHostPorts, requireImageDigest: requireImageDigest)
            guard !specs.contains(where: { $0.instanceName == spec.instanceName }) else {
                throw .invalid("servers[\(index)].instanceNameOnToolbox", "\(spec.instanceName) is in the group twice")
            }
            spec.group = groupID
            spec.sharesGroupNetwork = options?.sharedNetworking == true ? true : nil
            specs.append(spec)
        }
        let order = options?.dependencyOrder ?? []
        for (index, name) in order.enumerated() {
            guard specs.contains(where: { $0.instanceName == name }) else {
                throw .invalid("options.dependencyOrder[\(index)]", "\(name.prefix(63)) is not a server of this group")
            }
            guard order.firstIndex(of: name) == index else { throw .invalid("options.dependencyOrder[\(index)]", "\(name) is named twice") }
        }
        let concurrency = options?.maxConcurrentDeployments ?? 3
        guard Self.concurrency.contains(concurrency) else {
            throw .invalid("options.maxConcurrentDeployments", "must be between \(Self.concurrency.lowerBound) and \(Self.concurrency.upperBound)")
        }
        let timeout = options?.healthTimeoutMs ?? 120_000
        guard Self.healthTimeoutMs.contains(timeout) else { throw .invalid("options.healthTimeoutMs", "must be between 1000 and 600000") }
        return GroupPlan(
            groupID: groupID, servers: specs, waitsFor: Dictionary(uniqueKeysWithValues: zip(order.dropFirst(), order)),
            maxConcurrent: concurrency, healthTimeout: .milliseconds(timeout))
    }
}

/// The body of `POST /mcp/validate`: servers to check as a deploy would, one by one.
public enum ValidateRequest {
    public static func decode(_ body: [UInt8]) throws(ToolSpecError) -> [ServerItem] {
        struct Body: Decodable { var servers: [ServerItem]? }
        try DeployKeys.validateBody.audit(body)
        guard let servers = try decodeRequestBody(Body.self, from: body).servers, !servers.isEmpty else { throw .missing("servers") }
        guard servers.count <= GroupRequest.maxServers else {
            throw .init(.tooLarge, field: "servers", "servers: at most \(GroupRequest.maxServers)")
        }
        return servers
    }
}

/// A group to deploy, validated.
public struct GroupPlan: Sendable {
    public var groupID: String
    /// In the request's order.
    public var servers: [ToolSpec]
    /// A server → the server that must be healthy before it starts (`dependencyOrder`'s chain).
    public var waitsFor: [String: String]
    public var maxConcurrent: Int
    public var healthTimeout: Duration
}
