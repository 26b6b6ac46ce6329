import FoundationEssentials
import HTTP1
import HTTP1Client

/// Judges an MCP server over the 2024-11-05 HTTP+SSE transport: `GET /sse` opens the session and
/// names, in an `endpoint` event, where to POST; answers come back on the event stream. Runs the
/// legacy handshake, then closes the stream, which ends the session. Never throws.
public struct LegacySSEProbe: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var timeout: Duration

    public init(host: String = "127.0.0.1", port: Int, path: String = "/sse", timeout: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.path = path
        self.timeout = timeout
    }

    public func run() async -> MCPProbeResult {
        let started = ContinuousClock.now
        let client = MCPHTTPExchange.client(host: host, port: port, timeout: timeout, connections: 1)
        defer { client.shutdown() }
        var result: MCPProbeResult
        do {
            result = try await LoopTimers.withDeadline(timeout) {
                var conversation = try await SSEConversation.open(client, path: path)
                defer { conversation.close() }
                let session = try await MCPHandshake.initialize(&conversation, id: 1)
                return try await MCPHandshake.check(&conversation, session: session, firstID: 2)
            }
        } catch {
            result = .failure(error, timeout: timeout)
        }
        result.latencyMilliseconds = milliseconds(since: started)
        return result
    }
}

/// One HTTP+SSE session: the open event stream, and the URL its `endpoint` event named.
struct SSEConversation: MCPConversation {
    let client: HTTP1Client
    let stream: HTTP1Stream
    var body: HTTP1ByteStream.AsyncIterator
    var events = ServerSentEventParser(maxEventBytes: MCPHTTPExchange.maxBodyBytes)
    var postTarget = ""

    static func open(_ client: HTTP1Client, path: String) async throws -> SSEConversation {
        let stream = try await client.openStream(HTTP1Request(method: "GET", target: path, headers: ["Accept": "text/event-stream"]))
        let contentType = stream.head.headers["Content-Type"]?.lowercased() ?? ""
        guard stream.head.status == 200, contentType.hasPrefix("text/event-stream") else {
            stream.close()
            throw MCPProbeFailure.server("GET \(path) answered HTTP \(stream.head.status) \(contentType), not an event stream")
        }
        var conversation = SSEConversation(client: client, stream: stream, body: stream.body.makeAsyncIterator())
        do {
            let endpoint = try await conversation.nextEvent { $0.type == "endpoint" }
            conversation.postTarget = try Self.target(of: endpoint.data)
        } catch {
            stream.close()
            throw error
        }
        return conversation
    }

    /// The endpoint event names a path (`/messages/?session_id=…`) or a full URL on the same server.
    static func target(of endpoint: String) throws -> String {
        let text = String(endpoint.filter { !$0.isWhitespace })
        if text.hasPrefix("/") { return text }
        if let scheme = text.firstRange(of: "://"), let slash = text[scheme.upperBound...].firstIndex(of: "/") {
            return String(text[slash...])
        }
        throw MCPProbeFailure.server("the endpoint event names no usable URL: \(text.prefix(200))")
    }

    mutating func call(_ request: JSONRPCRequest) async throws -> JSONRPCMessage {
        try await post(request)
        guard let id = request.id else { throw MCPProbeFailure.ours("a call needs an id") }
        var reply: JSONRPCMessage?
        _ = try await nextEvent { event in
            reply = event.type == "message" ? MCPHandshake.reply(to: id, in: Array(event.data.utf8)) : nil
            return reply != nil
        }
        return reply!
    }

    mutating func notify(_ notification: JSONRPCRequest) async throws {
        try await post(notification)
    }

    private func post(_ message: JSONRPCRequest) async throws {
        let response = try await client.execute(HTTP1Request(
            method: "POST", target: postTarget, headers: ["Content-Type": "application/json"],
            body: message.serialized))
        guard (200..<300).contains(response.status) else {
            throw MCPProbeFailure.server("POST of \(message.method) answered HTTP \(response.status)")
        }
    }

    /// Reads the stream until an event satisfies `wanted`.
    private mutating func nextEvent(_ wanted: (ServerSentEvent) -> Bool) async throws -> ServerSentEvent {
        while true {
            while let event = try events.next() {
                if wanted(event) { return event }
            }
            guard let chunk = try await body.next() else {
                throw MCPProbeFailure.server("the event stream ended")
            }
            events.feed(chunk)
        }
    }

    func close() {
        stream.close()
    }
}
