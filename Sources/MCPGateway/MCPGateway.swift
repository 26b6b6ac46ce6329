import DTMACore
import HTTP1
import HTTP1Client
import MCPStdio

/// A request to one hosted server's endpoint (`/mcp/servers/{instance}`), as the listener took it in.
public struct GatewayRequest: Sendable {
    public var method: String
    public var instance: String
    /// The client's headers; only the MCP ones go on (`ForwardedHeaders`).
    public var headers: HTTP1Headers
    public var body: [UInt8]

    public init(method: String, instance: String, headers: HTTP1Headers, body: [UInt8]) {
        self.method = method
        self.instance = instance
        self.headers = headers
        self.body = body
    }
}

/// What the client gets: a status, headers, and a body that is whole or streams from the upstream
/// (the caller pumps it with back-pressure, then closes it).
public struct GatewayResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(HTTP1Stream)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON-RPC error answer with an HTTP status.
    public static func error(_ status: Int, id: [UInt8]?, code: Int, _ message: String) -> GatewayResponse {
        GatewayResponse(
            status: status, headers: [("Content-Type", "application/json")],
            body: .bytes(JSONRPCErrorBody.make(id: id, code: code, message: message)))
    }
}

/// The MCP gateway: a Streamable HTTP endpoint for each hosted server, whatever the server's own
/// session rules. A client's session is the gateway's (`GatewaySessions`); a caller with no session
/// that sends no `initialize` (the control plane's `mcp-execute` posts a bare `tools/call`) is served
/// on a session the gateway keeps with the server itself (`BackendSessions`).
public final class MCPGateway: Sendable {
    /// The first protocol revision without sessions: its requests pass as they are.
    static let statelessEra = "2026-07-28"
    /// Batches were dropped from the protocol in this revision.
    static let batchesRemovedIn = "2025-06-18"

    let state: StateModel
    /// Shared with the prober: one attachment per stdio server.
    let stdio: StdioServers
    public let sessions: GatewaySessions
    let upstreams = HTTPUpstreams()
    let backend = BackendSessions()

    public init(state: StateModel, stdio: StdioServers, sessions: GatewaySessions) {
        self.state = state
        self.stdio = stdio
        self.sessions = sessions
    }

    public func shutdown() {
        upstreams.shutdown()
        stdio.closeAll()
    }

    public func handle(_ request: GatewayRequest) async -> GatewayResponse {
        var envelope: JSONRPCEnvelope?
        if request.method == "POST" {
            // What is wrong with the message is said first, whatever the server's state.
            guard let message = JSONRPCEnvelope(request.body) else {
                return .error(400, id: nil, code: JSONRPCErrorBody.parseError, "the body is not a JSON-RPC message")
            }
            if message.kind == .batch, (request.headers["MCP-Protocol-Version"] ?? Self.batchesRemovedIn) >= Self.batchesRemovedIn {
                return .error(400, id: nil, code: JSONRPCErrorBody.invalidRequest, "JSON-RPC batches are not part of MCP since \(Self.batchesRemovedIn)")
            }
            envelope = message
        }
        let id = envelope?.rawID
        guard let tool = state.tool(request.instance) else {
            return .error(404, id: id, code: JSONRPCErrorBody.serverUnavailable, "no MCP server named \(request.instance) runs here")
        }
        guard let route = ToolRoute(tool) else {
            let why = tool.containerState?.running == true
                ? "dtma does not know how \(request.instance) speaks MCP (probe.transport \(tool.probe?.transport.rawValue ?? "none")): deploy it with mcpTransportType"
                : "\(request.instance) is not running (\(tool.statusOnToolbox.rawValue))"
            return .error(503, id: id, code: JSONRPCErrorBody.serverUnavailable, why)
        }
        if case .stdio = route.endpoint { return await stdio(request, envelope, route) }
        guard case .streamableHTTP(let host, let port, let path) = route.endpoint else {
            return .error(501, id: id, code: JSONRPCErrorBody.serverUnavailable, "\(request.instance) speaks \(route.endpoint.transportName); the gateway bridges Streamable HTTP and stdio servers for now")
        }
        let upstream = Upstream(client: upstreams.client(host: host, port: port), path: path, route: route)
        switch (request.method, envelope) {
        case ("POST", let envelope?): return await post(request, envelope, upstream)
        case ("GET", _): return await get(request, upstream)
        case ("DELETE", _): return await delete(request, upstream)
        default:
            return GatewayResponse(status: 405, headers: [("Allow", "GET, POST, DELETE")], body: .bytes([]))
        }
    }

    private func post(_ request: GatewayRequest, _ envelope: JSONRPCEnvelope, _ upstream: Upstream) async -> GatewayResponse {
        let version = request.headers["MCP-Protocol-Version"]
        if let clientSession = request.headers["Mcp-Session-Id"] {
            guard case .found(let session) = sessions.use(clientSession, instance: request.instance, containerID: upstream.route.containerID) else {
                return .error(404, id: envelope.rawID, code: JSONRPCErrorBody.sessionNotFound, "no such session on this server: initialize again")
            }
            return await forward(request, envelope, upstream, session: session)
        }
        if envelope.method == "initialize" { return await initialize(request, envelope, upstream) }
        if let version, version >= Self.statelessEra { return await forward(request, envelope, upstream, session: nil) }
        return await bare(request, envelope, upstream)
    }

    /// A client's `initialize`: the upstream's session, if it keeps one, becomes a gateway session.
    private func initialize(_ request: GatewayRequest, _ envelope: JSONRPCEnvelope, _ upstream: Upstream) async -> GatewayResponse {
        guard sessions.count < sessions.limit else {
            return .error(503, id: envelope.rawID, code: JSONRPCErrorBody.serverUnavailable, "the gateway holds \(sessions.limit) sessions: end one or try later")
        }
        let answer: HTTP1Stream
        do {
            answer = try await upstream.send("POST", request.body, headers: ForwardedHeaders.upstream(request.headers, sessionID: nil))
        } catch {
            return upstream.unreachable(error, id: envelope.rawID)
        }
        guard let upstreamSession = answer.head.headers["Mcp-Session-Id"], answer.head.status == 200 else {
            return GatewayResponse(status: answer.head.status, headers: ForwardedHeaders.client(answer.head.headers, sessionID: nil), body: .stream(answer))
        }
        guard let session = sessions.open(instance: request.instance, containerID: upstream.route.containerID, upstreamID: upstreamSession) else {
            answer.close()
            await upstream.end(upstreamSession, version: request.headers["MCP-Protocol-Version"])
            return .error(503, id: envelope.rawID, code: JSONRPCErrorBody.serverUnavailable, "the gateway holds \(sessions.limit) sessions: end one or try later")
        }
        return GatewayResponse(status: 200, headers: ForwardedHeaders.client(answer.head.headers, sessionID: session.id), body: .stream(answer))
    }

    /// A message on a gateway session (or a stateless one): the upstream's session in its place.
    private func forward(
        _ request: GatewayRequest, _ envelope: JSONRPCEnvelope, _ upstream: Upstream, session: GatewaySessions.Session?
    ) async -> GatewayResponse {
        let answer: HTTP1Stream
        do {
            answer = try await upstream.send("POST", request.body, headers: ForwardedHeaders.upstream(request.headers, sessionID: session?.upstreamID))
        } catch {
            return upstream.unreachable(error, id: envelope.rawID)
        }
        if let session, answer.head.status == 404 {
            // The server ended its session (it restarted, or expired it): so does the gateway.
            answer.close()
            sessions.end(session.id)
            return .error(404, id: envelope.rawID, code: JSONRPCErrorBody.sessionNotFound, "the server ended this session: initialize again")
        }
        return GatewayResponse(status: answer.head.status, headers: ForwardedHeaders.client(answer.head.headers, sessionID: session?.id), body: .stream(answer))
    }

    /// A handshake-era message from a caller without a session: sent on the gateway's own session
    /// with the server, made (and made again once, if the server has ended it) as needed.
    private func bare(_ request: GatewayRequest, _ envelope: JSONRPCEnvelope, _ upstream: Upstream) async -> GatewayResponse {
        for attempt in 1...2 {
            let session: BackendSessions.Session
            do {
                session = try await backend.session(for: upstream, version: request.headers["MCP-Protocol-Version"])
            } catch {
                return upstream.unreachable(error, id: envelope.rawID)
            }
            var headers = ForwardedHeaders.upstream(request.headers, sessionID: session.upstreamID)
            headers.replaceOrAdd(name: "MCP-Protocol-Version", value: session.protocolVersion)
            let answer: HTTP1Stream
            do {
                answer = try await upstream.send("POST", request.body, headers: headers)
            } catch {
                return upstream.unreachable(error, id: envelope.rawID)
            }
            if answer.head.status == 404, session.upstreamID != nil, attempt == 1 {
                answer.close()
                backend.forget(session, of: upstream)
                continue
            }
            return GatewayResponse(status: answer.head.status, headers: ForwardedHeaders.client(answer.head.headers, sessionID: nil), body: .stream(answer))
        }
        return .error(502, id: envelope.rawID, code: JSONRPCErrorBody.serverUnavailable, "\(upstream.route.instanceName) keeps ending its sessions")
    }

    /// The server-to-client stream of a session (or the server's 405).
    private func get(_ request: GatewayRequest, _ upstream: Upstream) async -> GatewayResponse {
        var upstreamSession: String?
        var session: GatewaySessions.Session?
        if let clientSession = request.headers["Mcp-Session-Id"] {
            guard case .found(let found) = sessions.use(clientSession, instance: request.instance, containerID: upstream.route.containerID) else {
                return .error(404, id: nil, code: JSONRPCErrorBody.sessionNotFound, "no such session on this server: initialize again")
            }
            (session, upstreamSession) = (found, found.upstreamID)
        }
        do {
            let answer = try await upstream.openStream(headers: ForwardedHeaders.upstream(request.headers, sessionID: upstreamSession))
            return GatewayResponse(status: answer.head.status, headers: ForwardedHeaders.client(answer.head.headers, sessionID: session?.id), body: .stream(answer))
        } catch {
            return upstream.unreachable(error, id: nil)
        }
    }

    /// Ends a session: the gateway's, then the server's (never the server itself).
    private func delete(_ request: GatewayRequest, _ upstream: Upstream) async -> GatewayResponse {
        guard let clientSession = request.headers["Mcp-Session-Id"] else {
            return .error(400, id: nil, code: JSONRPCErrorBody.invalidRequest, "DELETE ends a session: send its Mcp-Session-Id")
        }
        guard case .found(let session) = sessions.use(clientSession, instance: request.instance, containerID: upstream.route.containerID) else {
            return .error(404, id: nil, code: JSONRPCErrorBody.sessionNotFound, "no such session on this server")
        }
        sessions.end(session.id)
        if let upstreamID = session.upstreamID { await upstream.end(upstreamID, version: request.headers["MCP-Protocol-Version"]) }
        return GatewayResponse(status: 200, headers: [], body: .bytes([]))
    }

    /// Ends the sessions nobody used for the idle timeout, and their upstream sessions.
    public func expireIdleSessions() async {
        for session in sessions.expire() {
            guard let upstreamID = session.upstreamID, let tool = state.tool(session.instance), let route = ToolRoute(tool),
                route.containerID == session.containerID, case .streamableHTTP(let host, let port, let path) = route.endpoint
            else { continue }
            await Upstream(client: upstreams.client(host: host, port: port), path: path, route: route).end(upstreamID, version: nil)
        }
    }
}

/// One server's endpoint, for one request.
struct Upstream: Sendable {
    let client: HTTP1Client
    let path: String
    let route: ToolRoute

    func send(_ method: String, _ body: [UInt8], headers: HTTP1Headers) async throws -> HTTP1Stream {
        var headers = headers
        if headers["Content-Type"] == nil { headers.add(name: "Content-Type", value: "application/json") }
        return try await client.stream(HTTP1Request(method: method, target: path, headers: headers, body: body), timeout: HTTPUpstreams.answerTimeout)
    }

    /// A GET stream on a connection of its own: it may stay open for hours.
    func openStream(headers: HTTP1Headers) async throws -> HTTP1Stream {
        try await client.openStream(HTTP1Request(method: "GET", target: path, headers: headers), timeout: HTTPUpstreams.connectTimeout)
    }

    /// DELETE of an upstream session; the server's 405 (it cannot end sessions) is fine.
    func end(_ sessionID: String, version: String?) async {
        var headers: HTTP1Headers = ["Mcp-Session-Id": sessionID]
        if let version { headers.add(name: "MCP-Protocol-Version", value: version) }
        _ = try? await client.execute(HTTP1Request(method: "DELETE", target: path, headers: headers), timeout: HTTPUpstreams.connectTimeout)
    }

    func unreachable(_ error: any Error, id: [UInt8]?) -> GatewayResponse {
        .error(502, id: id, code: JSONRPCErrorBody.serverUnavailable, "\(route.instanceName) did not answer: \(error)")
    }
}

extension ToolRoute.Endpoint {
    var transportName: String {
        switch self {
        case .streamableHTTP: "Streamable HTTP"
        case .sse: "legacy HTTP+SSE"
        case .stdio: "stdio"
        }
    }
}
