import FoundationEssentials
import HTTP1
import HTTP1Client
import JSONScanning

/// One JSON-RPC message POSTed to a Streamable HTTP endpoint, and the reply picked out of whatever
/// comes back: a JSON body, or an SSE stream in which other messages may come first.
struct MCPHTTPExchange: Sendable {
    let client: HTTP1Client
    let path: String
    var sessionID: String?
    /// Sent as `MCP-Protocol-Version` once negotiated.
    var protocolVersion: String?

    struct Reply: Sendable {
        var status: Int
        var headers: HTTP1Headers
        /// The response to our request id, or the JSON-RPC error body of a refused request.
        var message: JSONRPCMessage?
    }

    static let maxBodyBytes = 1 << 20

    /// A client for one server: every wait bounded by the probe's timeout.
    static func client(host: String, port: Int, timeout: Duration, connections: Int = 2) -> HTTP1Client {
        var configuration = HTTP1Client.Configuration()
        configuration.maxConnections = connections
        configuration.connectTimeout = timeout
        configuration.requestTimeout = timeout
        configuration.maxResponseBytes = maxBodyBytes
        return HTTP1Client(endpoint: .tcp(host: host, port: port), configuration: configuration)
    }

    func send(_ message: JSONRPCRequest) async throws -> Reply {
        var headers: HTTP1Headers = [
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        ]
        if let sessionID { headers.add(name: "Mcp-Session-Id", value: sessionID) }
        if let protocolVersion {
            headers.add(name: "MCP-Protocol-Version", value: protocolVersion)
            if protocolVersion >= MCPProtocol.modernVersion { headers.add(name: "Mcp-Method", value: message.method) }
        }
        let body = message.serialized
        // Every message a probe sends is safe to send twice.
        let stream = try await client.stream(HTTP1Request(method: "POST", target: path, headers: headers, body: body), retryIfStale: true)
        defer { stream.close() }
        let contentType = stream.head.headers["Content-Type"]?.lowercased() ?? ""
        guard stream.head.status == 200, contentType.hasPrefix("text/event-stream"), let id = message.id else {
            let bytes = try await stream.collectBody(limit: Self.maxBodyBytes)
            let decoded = bytes.isEmpty ? nil : JSONRPCMessage(json: bytes)
            return Reply(status: stream.head.status, headers: stream.head.headers, message: decoded)
        }
        var events = ServerSentEventParser(maxEventBytes: Self.maxBodyBytes)
        for try await chunk in stream.body {
            events.feed(chunk)
            while let event = try events.next() {
                guard event.type == "message", let decoded = JSONRPCMessage(json: Array(event.data.utf8)),
                    decoded.id == .number(Double(id))
                else { continue }  // notifications and server requests may come before the reply
                return Reply(status: 200, headers: stream.head.headers, message: decoded)
            }
        }
        throw MCPProbeFailure.server("the event stream ended without the reply to \(message.method)")
    }

    /// Ends the probe's session so that the server can free it; 405 (sessions cannot be ended) is fine.
    func endSession() async {
        guard let sessionID else { return }
        var headers: HTTP1Headers = ["Mcp-Session-Id": sessionID]
        if let protocolVersion { headers.add(name: "MCP-Protocol-Version", value: protocolVersion) }
        _ = try? await client.execute(HTTP1Request(method: "DELETE", target: path, headers: headers))
    }
}

/// JSON-RPC over an initialized Streamable HTTP session: any HTTP failure is the server's.
struct StreamableHTTPConversation: MCPConversation {
    let exchange: MCPHTTPExchange

    mutating func call(_ request: JSONRPCRequest) async throws -> JSONRPCMessage {
        let reply = try await exchange.send(request)
        guard let message = reply.message else { throw MCPProbeFailure.server("\(request.method) answered HTTP \(reply.status)") }
        return message
    }

    mutating func notify(_ notification: JSONRPCRequest) async throws {
        let reply = try await exchange.send(notification)
        guard (200..<300).contains(reply.status) else {
            throw MCPProbeFailure.server("\(notification.method) answered HTTP \(reply.status)")
        }
    }
}

/// Why a probe failed: the server's fault (a verdict) or ours (not counted against the server).
enum MCPProbeFailure: Error {
    case server(String)
    case ours(String)
}

enum MCPProtocol {
    static let modernVersion = "2026-07-28"
    static let legacyVersion = "2025-11-25"
    static let clientInfo: JSONValue = .object(["name": .string("dtma-probe"), "version": .string("1")])

    /// What every 2026-07-28 request carries in `_meta`.
    static let modernParams: JSONValue = .object([
        "_meta": .object([
            "io.modelcontextprotocol/protocolVersion": .string(modernVersion),
            "io.modelcontextprotocol/clientCapabilities": .object([:]),
            "io.modelcontextprotocol/clientInfo": clientInfo,
        ]),
    ])

    static func discover(id: Int) -> JSONRPCRequest {
        JSONRPCRequest(id: id, method: "server/discover", params: modernParams)
    }

    static func initialize(id: Int) -> JSONRPCRequest {
        JSONRPCRequest(id: id, method: "initialize", params: .object([
            "protocolVersion": .string(legacyVersion), "capabilities": .object([:]), "clientInfo": clientInfo,
        ]))
    }
}
