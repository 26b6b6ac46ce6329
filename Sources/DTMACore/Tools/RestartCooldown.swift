import NIOConcurrencyHelpers

/// Restarts on request (`POST /mcp/servers/{name}/restart`) at most once per `period` for each
/// tool: a control plane in a retry loop must not keep a server from ever finishing its start.
public final class RestartCooldown: Sendable {
    public let period: Duration
    private let clock: any LoopClock
    private let lastRestart = NIOLockedValueBox([String: ContinuousClock.Instant]())

    public init(period: Duration = .seconds(30), clock: any LoopClock = SystemLoopClock()) {
        self.period = period
        self.clock = clock
    }

    /// Counts a restart of `instance` now, or throws `restartCoolingDown` with the seconds left.
    public func begin(_ instance: String) throws(ToolError) {
        let now = clock.now
        let wait: Duration? = lastRestart.withLockedValue { last in
            if let previous = last[instance], now - previous < period { return period - (now - previous) }
            // Old entries go, so the table holds only tools restarted within a period.
            last = last.filter { now - $0.value < period }
            last[instance] = now
            return nil
        }
        if let wait {
            let seconds = wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0)
            throw .restartCoolingDown(instance: instance, retryAfterSeconds: Int(max(1, seconds)))
        }
    }
}
