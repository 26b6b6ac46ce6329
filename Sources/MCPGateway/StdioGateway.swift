import DTMACore
import MCPStdio

/// The gateway in front of a stdio server: every client's messages go through the process's one
/// multiplexer. A client's session is the gateway's alone (the process has one session, its own);
/// a client that never initialized (a bare call), or whose session outlived the process, is served
/// after the gateway has made the handshake itself.
extension MCPGateway {
    /// The version of a handshake dtma makes itself when the caller names none.
    static let defaultHandshakeVersion = "2025-06-18"
    static let handshakeTimeout = Duration.seconds(30)

    func stdio(_ request: GatewayRequest, _ envelope: JSONRPCEnvelope?, _ route: ToolRoute) async -> GatewayResponse {
        let id = envelope?.rawID
        var session: GatewaySessions.Session?
        if let clientSession = request.headers["Mcp-Session-Id"] {
            guard case .found(let found) = sessions.use(clientSession, instance: request.instance, containerID: route.containerID) else {
                return .error(404, id: id, code: JSONRPCErrorBody.sessionNotFound, "no such session on this server: initialize again")
            }
            session = found
        }
        switch (request.method, envelope) {
        case ("POST", let envelope?):
            return await stdioPost(request, envelope, route, session: session)
        case ("DELETE", _):
            guard let session else {
                return .error(400, id: nil, code: JSONRPCErrorBody.invalidRequest, "DELETE ends a session: send its Mcp-Session-Id")
            }
            sessions.end(session.id)  // the session, never the shared process
            return GatewayResponse(status: 200, headers: [], body: .bytes([]))
        default:
            // No server-to-client stream from a shared stdio process (yet): the spec's answer is 405.
            return GatewayResponse(status: 405, headers: [("Allow", "POST, DELETE")], body: .bytes([]))
        }
    }

    private func stdioPost(
        _ request: GatewayRequest, _ envelope: JSONRPCEnvelope, _ route: ToolRoute, session: GatewaySessions.Session?
    ) async -> GatewayResponse {
        let multiplexer: StdioMultiplexer
        do {
            multiplexer = try await stdio.multiplexer(for: route.containerID)
        } catch {
            return .error(502, id: envelope.rawID, code: JSONRPCErrorBody.serverUnavailable, "cannot attach to \(route.instanceName): \(error)")
        }
        // A caller without a session is a client of its own for this one message: a cancellation it
        // sends can name nothing, and never another caller's request.
        let client = session?.id ?? "bare-\(UInt64.random(in: 0...UInt64.max))"
        switch envelope.kind {
        case .request: break
        case .batch:
            return .error(400, id: nil, code: JSONRPCErrorBody.invalidRequest, "the gateway does not pass JSON-RPC batches to stdio servers")
        case .notification, .response:
            await multiplexer.notify(request.body, envelope, client: client)
            return GatewayResponse(status: 202, headers: [], body: .bytes([]))
        }
        let version = request.headers["MCP-Protocol-Version"]
        do {
            if envelope.method == "initialize" {
                guard session != nil || sessions.count < sessions.limit else {
                    return .error(503, id: envelope.rawID, code: JSONRPCErrorBody.serverUnavailable, "the gateway holds \(sessions.limit) sessions: end one or try later")
                }
                let answer = try await multiplexer.call(request.body, envelope, client: client, timeout: Self.handshakeTimeout)
                guard session == nil, JSONRPCEnvelope(answer)?.isError == false else { return Self.reply(answer, request) }
                guard let opened = sessions.open(instance: request.instance, containerID: route.containerID, upstreamID: nil) else {
                    return .error(503, id: envelope.rawID, code: JSONRPCErrorBody.serverUnavailable, "the gateway holds \(sessions.limit) sessions: end one or try later")
                }
                return Self.reply(answer, request, sessionID: opened.id)
            }
            if (version ?? "") < Self.statelessEra {
                try await multiplexer.ensureInitialized(
                    protocolVersion: version ?? Self.defaultHandshakeVersion, clientName: "dtma-gateway", timeout: Self.handshakeTimeout)
            }
            let answer = try await multiplexer.call(request.body, envelope, client: client, timeout: HTTPUpstreams.answerTimeout)
            return Self.reply(answer, request, sessionID: session?.id)
        } catch {
            let status = switch error {
            case .busy: 503
            case .timedOut: 504
            case .closed, .cancelled, .handshakeRefused: 502
            }
            return .error(status, id: envelope.rawID, code: JSONRPCErrorBody.serverUnavailable, "\(route.instanceName): \(error)")
        }
    }

    /// The server's answer as the client accepts it: JSON, unless it takes only event streams.
    static func reply(_ answer: [UInt8], _ request: GatewayRequest, sessionID: String? = nil) -> GatewayResponse {
        let accept = request.headers["Accept"] ?? ""
        let eventsOnly = accept.contains("text/event-stream") && !accept.contains("application/json") && !accept.contains("*/*")
        var headers: [(String, String)] = [("Content-Type", eventsOnly ? "text/event-stream" : "application/json")]
        if let sessionID { headers.append(("Mcp-Session-Id", sessionID)) }
        var body = answer
        if body.last == UInt8(ascii: "\n") { body.removeLast() }
        if eventsOnly { body = Array("event: message\ndata: ".utf8) + body + Array("\n\n".utf8) }
        return GatewayResponse(status: 200, headers: headers, body: .bytes(body))
    }
}
