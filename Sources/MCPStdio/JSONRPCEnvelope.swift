import JSONScanning

/// What the gateway must know of a client's message to route it, read without building it: its
/// kind, its method, and its id exactly as written (an error answer echoes it, type and all).
public struct JSONRPCEnvelope: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case request, notification, response, batch
    }

    public var kind: Kind
    public var method: String?
    /// Where the id's value is in the message, and its bytes as written (`7`, `"a"`, `null`); nil without one.
    public var idRange: Range<Int>?
    public var rawID: [UInt8]?
    /// Where `result` or `error` is in a response.
    public var outcomeRange: Range<Int>?
    public var isError = false

    /// Nil when the bytes are not one JSON object or array.
    public init?(_ bytes: [UInt8]) {
        do {
            var method: String?
            var idRange: Range<Int>?
            var outcomeRange: Range<Int>?
            var isError = false
            var isMessage = false
            let isBatch = try JSONScanner.document(bytes) { scanner -> Bool in
                if try scanner.nextIsArray() {
                    try scanner.skipValue()
                    return true
                }
                isMessage = try scanner.members { key, value in
                    switch key {
                    case "method": method = try value.stringIfPresent()
                    case "id": idRange = try value.rawValue()
                    case "result": outcomeRange = try value.rawValue()
                    case "error":
                        outcomeRange = try value.rawValue()
                        isError = true
                    default: try value.skipValue()
                    }
                }
                return false
            }
            guard isBatch || isMessage else { return nil }
            self.method = method
            self.idRange = idRange
            self.rawID = idRange.map { Array(bytes[$0]) }
            self.outcomeRange = outcomeRange
            self.isError = isError
            kind = isBatch ? .batch : method == nil ? .response : idRange == nil ? .notification : .request
        } catch {
            return nil
        }
    }
}

/// A JSON-RPC error answer, with the request's id as it came (or `null`).
public enum JSONRPCErrorBody {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let internalError = -32603
    /// The session the client named does not exist (any more): it should initialize again.
    public static let sessionNotFound = -32001
    /// The server behind the gateway cannot be reached or is not running.
    public static let serverUnavailable = -32002

    public static func make(id rawID: [UInt8]?, code: Int, message: String) -> [UInt8] {
        var body = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
        body += rawID ?? Array("null".utf8)
        body += Array(#","error":{"code":\#(code),"message":"#.utf8)
        body += quoted(message)
        body += Array("}}".utf8)
        return body
    }

    /// A JSON string literal of `text`.
    static func quoted(_ text: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20: out += Array("\\u00\(byte < 16 ? "0" : "")\(String(byte, radix: 16))".utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}

/// The request a `notifications/cancelled` names: where its `params.requestId` is, and its bytes.
struct CancelledRequest {
    var idRange: Range<Int>
    var id: [UInt8]

    init?(_ message: [UInt8]) {
        var found: Range<Int>?
        _ = try? JSONScanner.document(message) { scanner in
            try scanner.members { key, value in
                guard key == "params" else { return try value.skipValue() }
                try value.members { key, value in
                    if key == "requestId" { found = try value.rawValue() } else { try value.skipValue() }
                }
            }
        }
        guard let found else { return nil }
        idRange = found
        id = Array(message[found])
    }
}
