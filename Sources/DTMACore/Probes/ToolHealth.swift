import FoundationEssentials
import MCPProbe

/// A tool's health as its MCP probe sees it, with kubelet semantics: the verdict changes only after
/// `failureThreshold` failures or `successThreshold` successes in a row, and a probe error of our
/// own (not the server's) counts as neither. Probes decide `starting`, `healthy` and `unhealthy`;
/// the container's exit decides `crashed` and `stopped` (`ToolRecord.healthState`).
public struct ToolHealth: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Not yet proven healthy: within the start-up grace, or never answered.
        case starting
        case healthy
        case unhealthy
        /// The container exited (or keeps restarting) without being asked to: see `ToolRecord.crash`.
        case crashed
        /// The container was stopped on request.
        case stopped
    }

    public var state: State = .starting
    public var lastResult: MCPProbeResult?
    public var lastProbeAt: Date?
    public var consecutiveFailures = 0
    public var consecutiveSuccesses = 0
    /// From the last healthy probe that listed the tools; kept through later failures.
    public var inventory: ToolInventory?

    public init() {}

    mutating func record(_ result: MCPProbeResult, at date: Date, failureThreshold: Int, successThreshold: Int) {
        lastResult = result
        lastProbeAt = date
        switch result.verdict {
        case .probeError:
            return
        case .healthy:
            if let tools = result.tools { inventory = ToolInventory(capabilities: result.capabilities, tools: tools, listedAt: date) }
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if state != .healthy, consecutiveSuccesses >= successThreshold { state = .healthy }
        case .unhealthy:
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if state != .unhealthy, consecutiveFailures >= failureThreshold { state = .unhealthy }
        }
    }
}
