/// Any JSON value: request params and `_meta` as a probe sends them, and message ids.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// A JSON-RPC 2.0 message as it arrives: a response (`id` with `result` or `error`), or a request
/// or notification from the server (`method`), which a probe skips.
struct JSONRPCMessage: Decodable, Sendable {
    struct RPCError: Decodable, Sendable, Equatable {
        var code: Int
        var message: String
    }

    var id: JSONValue?
    var method: String?
    /// Present (maybe with every field nil, as `ping`'s `{}`) when the message is a result.
    var result: MCPResult?
    var error: RPCError?

    enum CodingKeys: String, CodingKey { case id, method, result, error }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(JSONValue.self, forKey: .id)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        error = try? container.decodeIfPresent(RPCError.self, forKey: .error)
        if container.contains(.result) { result = (try? container.decode(MCPResult.self, forKey: .result)) ?? MCPResult() }
    }
}

/// Every result field a probe reads, whatever the method. Decoding only these skips the rest
/// (tool schemas, mostly) instead of building it into a tree: half a probe's CPU otherwise.
struct MCPResult: Decodable, Sendable {
    struct Implementation: Decodable, Sendable {
        var name: String?
        var version: String?
    }

    struct Capabilities: Decodable, Sendable {
        /// Any object: present means the server has tools.
        struct Present: Decodable, Sendable {}
        var tools: Present?
    }

    struct Meta: Decodable, Sendable {
        var serverInfo: Implementation?
        enum CodingKeys: String, CodingKey { case serverInfo = "io.modelcontextprotocol/serverInfo" }
    }

    var protocolVersion: String?
    var supportedVersions: [String]?
    var capabilities: Capabilities?
    var serverInfo: Implementation?
    var meta: Meta?
    var tools: [Implementation]?
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case protocolVersion, supportedVersions, capabilities, serverInfo, meta = "_meta", tools, nextCursor
    }

    var hasTools: Bool { capabilities?.tools != nil }

    /// A `server/discover` result as a healthy verdict (tool names still to be listed).
    var discovered: MCPProbeResult {
        let server = meta?.serverInfo ?? serverInfo
        return MCPProbeResult(
            verdict: .healthy, latencyMilliseconds: 0, era: .modern,
            protocolVersion: supportedVersions?.max() ?? MCPProtocol.modernVersion, serverName: server?.name, serverVersion: server?.version)
    }
}

/// An outgoing request or notification.
struct JSONRPCRequest: Encodable {
    var jsonrpc = "2.0"
    var id: Int?
    var method: String
    var params: JSONValue?
}
