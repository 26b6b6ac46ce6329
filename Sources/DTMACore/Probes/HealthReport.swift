import FoundationEssentials
import JSONScanning
import MCPProbe

/// A tool's health as `/status` and heartbeats show it.
public struct HealthReport: Codable, Sendable {
    public var state: ToolHealth.State
    public var lastProbeAt: String?
    public var latencyMilliseconds: Double?
    public var era: String?
    public var protocolVersion: String?
    public var serverName: String?
    public var serverVersion: String?
    public var capabilities: JSONValue?
    /// The tools as last listed (the full definitions: `GET /mcp/servers/{name}/tools`).
    public var toolCount: Int?
    public var toolNames: [String]?
    public var toolsHash: String?
    public var toolsListedAt: String?
    public var consecutiveFailures: Int
    public var lastError: String?
    /// How the container last ended on its own, with its last log lines.
    public var crash: CrashReport?
    /// Restarts dtma made because of this verdict (probe action `restart`).
    public var restartsByDTMA: Int
    public var lastRestartByDTMAAt: String?

    /// Nil while there is no verdict: an unprobed tool that runs, or one without a container yet.
    public init?(_ tool: ToolRecord) {
        guard let verdict = tool.healthState else { return nil }
        let health = tool.health ?? ToolHealth()
        let result = health.lastResult
        state = verdict
        crash = tool.crash
        restartsByDTMA = tool.recoveryRestarts
        lastRestartByDTMAAt = tool.lastRecoveryRestartAt?.formatted(.iso8601)
        lastProbeAt = health.lastProbeAt?.formatted(.iso8601)
        latencyMilliseconds = result.map { ($0.latencyMilliseconds * 10).rounded() / 10 }
        era = result?.era?.rawValue
        protocolVersion = result?.protocolVersion
        serverName = result?.serverName
        serverVersion = result?.serverVersion
        let inventory = health.inventory
        capabilities = inventory?.capabilities
        toolCount = inventory?.tools.count
        toolNames = inventory?.toolNames
        toolsHash = inventory?.toolsHash
        toolsListedAt = inventory?.listedAt.formatted(.iso8601)
        consecutiveFailures = health.consecutiveFailures
        lastError = result?.error
    }

    enum CodingKeys: String, CodingKey {
        case state, lastProbeAt = "last_probe_at", latencyMilliseconds = "latency_ms", era, protocolVersion = "protocol_version"
        case serverName = "server_name", serverVersion = "server_version", toolCount = "tool_count", toolNames = "tool_names"
        case capabilities, toolsHash = "tools_hash", toolsListedAt = "tools_listed_at"
        case consecutiveFailures = "consecutive_failures", lastError = "last_error", crash
        case restartsByDTMA = "restarts_by_dtma", lastRestartByDTMAAt = "last_restart_by_dtma_at"
    }
}
