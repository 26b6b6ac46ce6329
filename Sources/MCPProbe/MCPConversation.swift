import FoundationEssentials

/// JSON-RPC with one MCP server over one transport (legacy HTTP+SSE, stdio): a request and the
/// reply carrying its id, or a notification. What the handshakes below are written against.
protocol MCPConversation {
    mutating func call(_ request: JSONRPCRequest) async throws -> JSONRPCMessage
    mutating func notify(_ notification: JSONRPCRequest) async throws
}

/// The MCP exchanges a probe makes, the same over every transport.
enum MCPHandshake {
    /// `server/discover` (2026-07-28). Nil when the server answers anything but a result: then it
    /// speaks the legacy era (mcp.md: never key the fallback to one error code).
    static func discover(_ conversation: inout some MCPConversation, id: Int) async throws -> MCPProbeResult? {
        let reply = try await conversation.call(JSONRPCRequest(id: id, method: "server/discover", params: StreamableHTTPProbe.modernParams()))
        guard let result = reply.result else { return nil }
        let serverInfo = result["_meta"]?["io.modelcontextprotocol/serverInfo"] ?? result["serverInfo"]
        var outcome = MCPProbeResult(
            verdict: .healthy, latencyMilliseconds: 0, era: .modern,
            protocolVersion: result["supportedVersions"]?.array?.compactMap(\.string).max() ?? MCPProtocol.modernVersion,
            serverName: serverInfo?["name"]?.string, serverVersion: serverInfo?["version"]?.string)
        if result["capabilities"]?["tools"] != nil {
            outcome.toolNames = try await listTools(firstID: id + 1, params: StreamableHTTPProbe.modernParams()) {
                try await conversation.call($0)
            }
        }
        return outcome
    }

    /// What `initialize` taught about a server: kept for as long as its session (or process) lives.
    struct Session: Sendable {
        var protocolVersion: String
        var serverName: String?
        var serverVersion: String?
        var hasTools: Bool
    }

    /// `initialize` → `notifications/initialized`.
    static func initialize(_ conversation: inout some MCPConversation, id: Int) async throws -> Session {
        let reply = try await conversation.call(JSONRPCRequest(id: id, method: "initialize", params: .object([
            "protocolVersion": .string(MCPProtocol.legacyVersion), "capabilities": .object([:]), "clientInfo": MCPProtocol.clientInfo,
        ])))
        if let error = reply.error { throw MCPProbeFailure.server("initialize failed: \(error.message) (\(error.code))") }
        guard let result = reply.result, let version = result["protocolVersion"]?.string else {
            throw MCPProbeFailure.server("initialize answered without a protocol version")
        }
        try await conversation.notify(JSONRPCRequest(method: "notifications/initialized"))
        return Session(
            protocolVersion: version, serverName: result["serverInfo"]?["name"]?.string,
            serverVersion: result["serverInfo"]?["version"]?.string, hasTools: result["capabilities"]?["tools"] != nil)
    }

    /// `ping`, then `tools/list` if the server advertised tools: proof that an initialized session works.
    static func check(_ conversation: inout some MCPConversation, session: Session, firstID: Int) async throws -> MCPProbeResult {
        let ping = try await conversation.call(JSONRPCRequest(id: firstID, method: "ping", params: .object([:])))
        guard ping.result != nil else { throw MCPProbeFailure.server("ping failed: \(ping.error?.message ?? "no result")") }
        var outcome = MCPProbeResult(
            verdict: .healthy, latencyMilliseconds: 0, era: .legacy, protocolVersion: session.protocolVersion,
            serverName: session.serverName, serverVersion: session.serverVersion)
        if session.hasTools {
            outcome.toolNames = try await listTools(firstID: firstID + 1, params: .object([:])) { try await conversation.call($0) }
        }
        return outcome
    }

    /// `tools/list`, following `nextCursor` for at most 20 pages.
    static func listTools(
        firstID: Int, params: JSONValue, call: (JSONRPCRequest) async throws -> JSONRPCMessage?
    ) async throws -> [String] {
        var names: [String] = []
        var cursor: String?
        for page in 0..<20 {
            var pageParams = params
            if let cursor, case .object(var object) = pageParams {
                object["cursor"] = .string(cursor)
                pageParams = .object(object)
            }
            let reply = try await call(JSONRPCRequest(id: firstID + page, method: "tools/list", params: pageParams))
            guard let result = reply?.result else {
                throw MCPProbeFailure.server("tools/list failed: \(reply?.error?.message ?? "no result")")
            }
            names += result["tools"]?.array?.compactMap { $0["name"]?.string } ?? []
            cursor = result["nextCursor"]?.string
            if cursor == nil { break }
        }
        return names
    }

    /// One line of newline-delimited JSON-RPC.
    static func line(_ message: JSONRPCRequest) throws -> [UInt8] {
        [UInt8](try JSONEncoder().encode(message)) + [0x0A]
    }

    /// The message in `bytes` if it is the reply to `id`; nil for anything else (notifications,
    /// server requests, banners and other non-JSON lines).
    static func reply(to id: Int, in bytes: some Collection<UInt8>) -> JSONRPCMessage? {
        guard let message = try? JSONDecoder().decode(JSONRPCMessage.self, from: Data(bytes)), message.method == nil,
            message.id == .number(Double(id))
        else { return nil }
        return message
    }
}

/// Milliseconds since `start`, for a result's latency.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let duration = ContinuousClock.now - start
    return Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
