/// Any JSON value: request params and `_meta` as a probe sends them, and message ids.
public enum JSONValue: Sendable, Equatable, Decodable {
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
struct JSONRPCRequest: Sendable {
    var id: Int?
    var method: String
    var params: JSONValue?

    /// The message as compact JSON. Written by hand: `JSONEncoder` spent a tenth of a probe's CPU
    /// on these few fields.
    var serialized: [UInt8] {
        var fields: [(String, JSONValue)] = [("jsonrpc", .string("2.0"))]
        if let id { fields.append(("id", .number(Double(id)))) }
        fields.append(("method", .string(method)))
        if let params { fields.append(("params", params)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        JSONValue.writeObject(fields, into: &bytes)
        return bytes
    }
}

extension JSONValue {
    func write(into bytes: inout [UInt8]) {
        switch self {
        case .null: bytes += "null".utf8
        case .bool(let value): bytes += (value ? "true" : "false").utf8
        case .number(let value):
            if !value.isFinite {
                bytes += "null".utf8  // JSON has no NaN or infinity
            } else if value == value.rounded(), abs(value) < 1e15 {
                bytes += String(Int64(value)).utf8
            } else {
                bytes += value.description.utf8
            }
        case .string(let value): Self.writeString(value, into: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members): Self.writeObject(members.map { ($0.key, $0.value) }, into: &bytes)
        }
    }

    static func writeObject(_ members: [(String, JSONValue)], into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            value.write(into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
