import HTTP1Client
import JSONScanning

/// What one probe learned about an MCP server: the verdict and what backs it up.
public struct MCPProbeResult: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        /// The server answered MCP correctly.
        case healthy
        /// The server answered, but not (correct) MCP, or not in time.
        case unhealthy
        /// The probe itself could not run (our side): not the server's failure.
        case probeError = "probe_error"
    }

    public enum Era: String, Sendable, Codable {
        /// 2026-07-28: `server/discover`, no handshake, no session.
        case modern
        /// ≤ 2025-11-25: `initialize` → `notifications/initialized` → `ping`.
        case legacy
    }

    public var verdict: Verdict
    public var latencyMilliseconds: Double
    public var era: Era?
    public var protocolVersion: String?
    public var serverName: String?
    public var serverVersion: String?
    /// What the server declared it can do (`capabilities`), as it wrote it.
    public var capabilities: JSONValue?
    /// The tools, when this probe listed them (nil when it did not: see `listsTools`).
    public var tools: [MCPToolDefinition]?
    /// In words, for an operator: what failed and where.
    public var error: String?

    public var toolNames: [String]? { tools?.map(\.name) }

    public init(
        verdict: Verdict, latencyMilliseconds: Double, era: Era? = nil, protocolVersion: String? = nil, serverName: String? = nil,
        serverVersion: String? = nil, capabilities: JSONValue? = nil, tools: [MCPToolDefinition]? = nil, error: String? = nil
    ) {
        self.verdict = verdict
        self.latencyMilliseconds = latencyMilliseconds
        self.era = era
        self.protocolVersion = protocolVersion
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.capabilities = capabilities
        self.tools = tools
        self.error = error
    }

    static func failed(_ verdict: Verdict, _ error: String, after latency: Double = 0, era: Era? = nil) -> MCPProbeResult {
        MCPProbeResult(verdict: verdict, latencyMilliseconds: latency, era: era, error: error)
    }

    /// What a probe that threw says: the server's fault (unhealthy), or ours (a probe error,
    /// which counts for nothing). The caller fills in the latency.
    static func failure(_ error: any Error, timeout: Duration) -> MCPProbeResult {
        switch error {
        case MCPProbeFailure.server(let reason): return .failed(.unhealthy, reason)
        case MCPProbeFailure.ours(let reason): return .failed(.probeError, reason)
        case let error as HTTP1ClientError: return .failed(error.isLocal ? .probeError : .unhealthy, "\(error)")
        case is LoopTimers.DeadlineExceeded: return .failed(.unhealthy, "no MCP answer within \(timeout)")
        default: return .failed(.unhealthy, "\(error)")
        }
    }
}
