import FoundationEssentials
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// When to restart a tool whose probe action is `restart` (kubelet's crash-loop back-off): at once
/// on the first unhealthy or crashed verdict, then no sooner than 10 s after that restart, doubling
/// to 300 s; ten minutes healthy forgive every earlier restart.
struct RestartBackoff: Sendable, Equatable {
    static let initialDelay = Duration.seconds(10)
    static let maximumDelay = Duration.seconds(300)
    static let forgivenAfter = Duration.seconds(600)

    private(set) var restarts = 0
    private(set) var lastRestart: ContinuousClock.Instant?
    private var healthySince: ContinuousClock.Instant?

    /// The wait after the `restarts`-th restart before another one.
    static func delay(after restarts: Int) -> Duration {
        guard restarts > 0 else { return .zero }
        let doublings = min(restarts - 1, 10)
        return min(initialDelay * (1 << doublings), maximumDelay)
    }

    /// Takes in the tool's verdict now; true when it should be restarted now (then counted as done).
    mutating func shouldRestart(_ verdict: ToolHealth.State?, now: ContinuousClock.Instant) -> Bool {
        switch verdict {
        case .healthy:
            let since = healthySince ?? now
            healthySince = since
            if now - since >= Self.forgivenAfter { restarts = 0 }
            return false
        case .unhealthy, .crashed:
            healthySince = nil
            if let lastRestart, now - lastRestart < Self.delay(after: restarts) { return false }
            restarts += 1
            lastRestart = now
            return true
        case .starting, .stopped, nil:
            healthySince = nil
            return false
        }
    }
}

/// Carries out the probe action `restart`: once a second it looks at every such tool's verdict
/// and restarts, through the tool manager (one operation per instance at a time), those that are
/// unhealthy or crashed, with `RestartBackoff` between restarts. Tools with `report` are left alone.
/// Each restart runs on its own: one tool slow to stop never holds up another's.
public struct ToolRecovery: Service {
    let manager: ToolManager
    let state: StateModel
    let interval: Duration
    let logger: Logger

    public init(manager: ToolManager, state: StateModel, interval: Duration = .seconds(1), logger: Logger) {
        self.manager = manager
        self.state = state
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Keyed by container: a redeployed tool starts with a clean slate.
            var backoffs: [String: RestartBackoff] = [:]
            let restarting = NIOLockedValueBox<Set<String>>([])
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    let tools = state.snapshot().tools.filter { $0.probe?.action == .restart && $0.operation == nil }
                    backoffs = backoffs.filter { id, _ in tools.contains { $0.containerID == id } }
                    for tool in tools {
                        guard let id = tool.containerID, !restarting.withLockedValue({ $0.contains(id) }) else { continue }
                        // A container in Docker's own restart loop is already being restarted.
                        let verdict = tool.containerState?.status == "restarting" ? nil : tool.healthState
                        guard backoffs[id, default: RestartBackoff()].shouldRestart(verdict, now: .now) else { continue }
                        let attempt = backoffs[id]!.restarts
                        logger.warning("restarting a tool that is \(tool.healthState?.rawValue ?? "?")", metadata: [
                            "instance": "\(tool.instanceName)", "restart": "\(attempt)",
                            "next_restart_no_sooner_than": "\(RestartBackoff.delay(after: attempt))",
                            "error": "\(tool.health?.lastResult?.error ?? tool.crash.map { "exit code \($0.exitCode)" } ?? "")",
                        ])
                        restarting.withLockedValue { _ = $0.insert(id) }
                        group.addTask {
                            defer { restarting.withLockedValue { _ = $0.remove(id) } }
                            do {
                                try await manager.restart(tool.instanceName, expectedContainerID: id)
                            } catch {
                                logger.error("restart failed", metadata: ["instance": "\(tool.instanceName)", "error": "\(error)"])
                            }
                        }
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }
}
