import FoundationEssentials
import HTTP1Client

/// Judges an MCP server over Streamable HTTP by speaking MCP to it: `server/discover` in the
/// 2026-07-28 era, else `initialize` → `notifications/initialized` → `ping` → `tools/list` in the
/// legacy era, ending the session it opened. Never throws: every outcome is a result.
public struct StreamableHTTPProbe: Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var timeout: Duration
    /// The era that worked last time, tried first (mcp.md: cache the era, re-detect when it fails).
    public var knownEra: MCPProbeResult.Era?
    /// False skips `tools/list`: the names change rarely, and the list is a probe's biggest message.
    public var listsTools: Bool

    public init(
        host: String = "127.0.0.1", port: Int, path: String = "/mcp", timeout: Duration = .seconds(5),
        knownEra: MCPProbeResult.Era? = nil, listsTools: Bool = true
    ) {
        self.host = host
        self.port = port
        self.path = path
        self.timeout = timeout
        self.knownEra = knownEra
        self.listsTools = listsTools
    }

    /// Probes on a client of its own, closed at the end.
    public func run() async -> MCPProbeResult {
        let client = makeClient()
        defer { client.shutdown() }
        return await run(using: client)
    }

    /// A client for this probe's server, to keep between probes (`run(using:)`): a server that
    /// keeps connections alive is then not connected to afresh every time.
    public func makeClient() -> HTTP1Client {
        MCPHTTPExchange.client(host: host, port: port, timeout: timeout)
    }

    /// Probes on `client`, from `makeClient()` of a probe of the same server.
    public func run(using client: HTTP1Client) async -> MCPProbeResult {
        let started = ContinuousClock.now
        var result: MCPProbeResult
        do {
            result = try await LoopTimers.withDeadline(timeout) {
                if knownEra != .legacy, let modern = try await modern(client) { return modern }
                if let legacy = try await legacy(client) { return legacy }
                return await legacySSE()
            }
        } catch {
            result = .failure(error, timeout: timeout)
        }
        result.latencyMilliseconds = milliseconds(since: started)
        return result
    }

    // MARK: 2026-07-28

    /// Nil when the server does not speak the modern era (then the legacy handshake is tried).
    private func modern(_ client: HTTP1Client) async throws -> MCPProbeResult? {
        var exchange = MCPHTTPExchange(client: client, path: path)
        exchange.protocolVersion = MCPProtocol.modernVersion
        let reply = try await exchange.send(MCPProtocol.discover(id: 1))
        if [401, 403].contains(reply.status) { return Self.aliveBehindAuth(reply.status) }
        guard reply.status == 200, let result = reply.message?.result else { return nil }
        guard listsTools, result.hasTools else { return result.discovered }
        return try await MCPHandshake.withTools(result.discovered, firstID: 10, params: MCPProtocol.modernParams) { try await exchange.send($0).message }
    }

    // MARK: ≤ 2025-11-25

    /// Nil when the endpoint refuses the POST as a route it does not have (400/404/405): then the
    /// server may speak the older HTTP+SSE transport instead.
    private func legacy(_ client: HTTP1Client) async throws -> MCPProbeResult? {
        var exchange = MCPHTTPExchange(client: client, path: path)
        let initialize = try await exchange.send(MCPProtocol.initialize(id: 1))
        if [401, 403].contains(initialize.status) { return Self.aliveBehindAuth(initialize.status) }
        if [400, 404, 405].contains(initialize.status) { return nil }
        guard initialize.status == 200 else { throw MCPProbeFailure.server("initialize answered HTTP \(initialize.status)") }
        if let error = initialize.message?.error { throw MCPProbeFailure.server("initialize failed: \(error.message) (\(error.code))") }
        let session = try MCPHandshake.Session(initializeResult: initialize.message?.result)
        exchange.sessionID = initialize.headers["Mcp-Session-Id"]
        exchange.protocolVersion = session.protocolVersion
        var conversation = StreamableHTTPConversation(exchange: exchange)
        do {
            try await conversation.notify(JSONRPCRequest(method: "notifications/initialized"))
            let outcome = try await MCPHandshake.check(&conversation, session: session, firstID: 2, listingTools: listsTools)
            await exchange.endSession()
            return outcome
        } catch {
            await exchange.endSession()
            throw error
        }
    }

    /// The 2024-11-05 transport at its usual path, when the Streamable HTTP endpoint is not there.
    private func legacySSE() async -> MCPProbeResult {
        var result = await LegacySSEProbe(host: host, port: port, path: "/sse", timeout: timeout).run()
        if result.verdict != .healthy {
            result.error = "\(path) is not a Streamable HTTP endpoint, and the HTTP+SSE fallback failed: \(result.error ?? "")"
        }
        return result
    }

    /// mcp.md: a 401/403 from a server with its own auth means it is alive.
    static func aliveBehindAuth(_ status: Int) -> MCPProbeResult {
        MCPProbeResult(verdict: .healthy, latencyMilliseconds: 0, error: "alive, but requires authorization (HTTP \(status))")
    }
}
