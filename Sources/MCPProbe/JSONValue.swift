/// Any JSON value, for the open-ended parts of MCP messages (capabilities, `_meta`, results).
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

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
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
    var result: JSONValue?
    var error: RPCError?
}

/// An outgoing request or notification.
struct JSONRPCRequest: Encodable {
    var jsonrpc = "2.0"
    var id: Int?
    var method: String
    var params: JSONValue?
}
