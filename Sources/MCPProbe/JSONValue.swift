import JSONScanning

/// A JSON-RPC 2.0 message as it arrives: a response (`id` with `result` or `error`), or a request
/// or notification from the server (`method`), which a probe skips.
struct JSONRPCMessage: Sendable {
    struct RPCError: Sendable, Equatable {
        var code = 0
        var message = ""
    }

    var id: JSONValue?
    var method: String?
    /// Present (maybe with every field nil, as `ping`'s `{}`) when the message is a result.
    var result: MCPResult?
    var error: RPCError?

    /// Nil when `bytes` is not one JSON object. A field of the wrong type reads as absent.
    init?(json bytes: [UInt8]) {
        do {
            self = try JSONScanner.document(bytes) { scanner in
                var message = JSONRPCMessage()
                let isObject = try scanner.members { key, scanner in
                    switch key {
                    case "id": message.id = try scanner.value()
                    case "method": message.method = try scanner.stringIfPresent()
                    case "result": message.result = try MCPResult(&scanner)
                    case "error": message.error = try RPCError.parse(&scanner)
                    default: try scanner.skipValue()
                    }
                }
                guard isObject else { throw JSONScanner.Malformed() }
                return message
            }
        } catch {
            return nil
        }
    }

    private init() {}
}

extension JSONRPCMessage.RPCError {
    /// Nil unless an object (`"error": null` is no error).
    static func parse(_ scanner: inout JSONScanner) throws -> Self? {
        var error = Self()
        let isObject = try scanner.members { key, scanner in
            switch key {
            case "code": error.code = try scanner.numberIfPresent().flatMap { Int(exactly: $0) } ?? 0
            case "message": error.message = try scanner.stringIfPresent() ?? ""
            default: try scanner.skipValue()
            }
        }
        return isObject ? error : nil
    }
}

/// Every result field a probe reads, whatever the method; the rest is skipped, never built. Tool
/// definitions are built only when the tools are listed (every few probes).
struct MCPResult: Sendable {
    struct Implementation: Sendable {
        var name: String?
        var version: String?
    }

    var protocolVersion: String?
    var supportedVersions: [String]?
    var capabilities: JSONValue?
    /// `capabilities.tools` is there (any object): the server has tools.
    var hasTools: Bool {
        if case .object(let members) = capabilities { members["tools"] != nil } else { false }
    }
    var serverInfo: Implementation?
    /// `_meta["io.modelcontextprotocol/serverInfo"]`, where the 2026-07-28 era puts it.
    var metaServerInfo: Implementation?
    var tools: [MCPToolDefinition]?
    var nextCursor: String?

    init() {}

    init(_ scanner: inout JSONScanner) throws {
        try scanner.members { key, scanner in
            switch key {
            case "protocolVersion": protocolVersion = try scanner.stringIfPresent()
            case "supportedVersions":
                var versions: [String] = []
                try scanner.elements { if let version = try $0.stringIfPresent() { versions.append(version) } }
                supportedVersions = versions
            case "capabilities": capabilities = try scanner.value()
            case "serverInfo": serverInfo = try Implementation(&scanner)
            case "_meta":
                try scanner.members { key, scanner in
                    if key == "io.modelcontextprotocol/serverInfo" { metaServerInfo = try Implementation(&scanner) } else { try scanner.skipValue() }
                }
            case "tools":
                var tools: [MCPToolDefinition] = []
                try scanner.elements { if let tool = MCPToolDefinition(try $0.value()) { tools.append(tool) } }
                self.tools = tools
            case "nextCursor": nextCursor = try scanner.stringIfPresent()
            default: try scanner.skipValue()
            }
        }
    }

    /// A `server/discover` result as a healthy verdict (tool names still to be listed).
    var discovered: MCPProbeResult {
        let server = metaServerInfo ?? serverInfo
        return MCPProbeResult(
            verdict: .healthy, latencyMilliseconds: 0, era: .modern,
            protocolVersion: supportedVersions?.max() ?? MCPProtocol.modernVersion, serverName: server?.name, serverVersion: server?.version,
            capabilities: capabilities)
    }
}

extension MCPResult.Implementation {
    init(_ scanner: inout JSONScanner) throws {
        try scanner.members { key, scanner in
            switch key {
            case "name": name = try scanner.stringIfPresent()
            case "version": version = try scanner.stringIfPresent()
            default: try scanner.skipValue()
            }
        }
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
        // Keys in order: the same value is always the same bytes (a tool's schema hash depends on it).
        case .object(let members): Self.writeObject(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, into: &bytes)
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
