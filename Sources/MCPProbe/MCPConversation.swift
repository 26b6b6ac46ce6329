import FoundationEssentials
import JSONScanning

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
    static func discover(_ conversation: inout some MCPConversation, id: Int, listingTools: Bool) async throws -> MCPProbeResult? {
        let reply = try await conversation.call(MCPProtocol.discover(id: id))
        guard let result = reply.result else { return nil }
        guard listingTools, result.hasTools else { return result.discovered }
        return try await withTools(result.discovered, firstID: id + 1, params: MCPProtocol.modernParams) { try await conversation.call($0) }
    }

    /// What `initialize` taught about a server: kept for as long as its session (or process) lives.
    struct Session: Sendable {
        var protocolVersion: String
        var serverName: String?
        var serverVersion: String?
        var capabilities: JSONValue?
        var hasTools: Bool

        init(initializeResult result: MCPResult?) throws {
            guard let result, let version = result.protocolVersion else {
                throw MCPProbeFailure.server("initialize answered without a protocol version")
            }
            protocolVersion = version
            serverName = result.serverInfo?.name
            serverVersion = result.serverInfo?.version
            capabilities = result.capabilities
            hasTools = result.hasTools
        }
    }

    /// `initialize` → `notifications/initialized`.
    static func initialize(_ conversation: inout some MCPConversation, id: Int) async throws -> Session {
        let reply = try await conversation.call(MCPProtocol.initialize(id: id))
        if let error = reply.error { throw MCPProbeFailure.server("initialize failed: \(error.message) (\(error.code))") }
        let session = try Session(initializeResult: reply.result)
        try await conversation.notify(JSONRPCRequest(method: "notifications/initialized"))
        return session
    }

    /// `ping`, then `tools/list` if the server advertised tools: proof that an initialized session works.
    static func check(
        _ conversation: inout some MCPConversation, session: Session, firstID: Int, listingTools: Bool = true
    ) async throws -> MCPProbeResult {
        let ping = try await conversation.call(JSONRPCRequest(id: firstID, method: "ping", params: .object([:])))
        guard ping.result != nil else { throw MCPProbeFailure.server("ping failed: \(ping.error?.message ?? "no result")") }
        let outcome = MCPProbeResult(
            verdict: .healthy, latencyMilliseconds: 0, era: .legacy, protocolVersion: session.protocolVersion,
            serverName: session.serverName, serverVersion: session.serverVersion, capabilities: session.capabilities)
        guard listingTools, session.hasTools else { return outcome }
        return try await withTools(outcome, firstID: firstID + 1, params: .object([:])) { try await conversation.call($0) }
    }

    /// `outcome` with the server's tools: `tools/list`, following `nextCursor` for at most 20 pages.
    static func withTools(
        _ outcome: MCPProbeResult, firstID: Int, params: JSONValue, call: (JSONRPCRequest) async throws -> JSONRPCMessage?
    ) async throws -> MCPProbeResult {
        var tools: [MCPToolDefinition] = []
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
            tools += result.tools ?? []
            cursor = result.nextCursor
            if cursor == nil { break }
        }
        var outcome = outcome
        outcome.tools = tools
        return outcome
    }

    /// One line of newline-delimited JSON-RPC.
    static func line(_ message: JSONRPCRequest) throws -> [UInt8] {
        message.serialized + [0x0A]
    }

    /// The message in `bytes` if it is the reply to `id`; nil for anything else (notifications,
    /// server requests, banners and other non-JSON lines).
    static func reply(to id: Int, in bytes: some Collection<UInt8>) -> JSONRPCMessage? {
        guard let message = JSONRPCMessage(json: Array(bytes)), message.method == nil,
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
