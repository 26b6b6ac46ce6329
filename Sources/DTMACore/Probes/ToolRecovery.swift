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

    /// When another restart may come; nil before the first.
    var nextRestartAllowed: ContinuousClock.Instant? {
        lastRestart.map { $0 + Self.delay(after: restarts) }
    }

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

/// Carries out the probe action `restart`: it follows the state model's changes and restarts,
/// through the tool manager (one operation per instance at a time), the tools whose verdict is
/// unhealthy or crashed, with `RestartBackoff` between restarts (a tool still failing when its wait
/// ends is looked at again then). Tools with `report` are left alone. Each restart runs on its own:
/// one tool slow to stop never holds up another's.
public struct ToolRecovery: Service {
    let manager: ToolManager
    let state: StateModel
    let clock: any LoopClock
    let logger: Logger

    public init(manager: ToolManager, state: StateModel, clock: any LoopClock = SystemLoopClock(), logger: Logger) {
        self.manager = manager
        self.state = state
        self.clock = clock
        self.logger = logger
    }

    /// One tool's restarts so far, for its current container: a redeployed tool starts with a clean slate.
    private struct Record {
        var containerID: String
        var backoff = RestartBackoff()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var records: [String: Record] = [:]
            let restarting = NIOLockedValueBox<Set<String>>([])
            let waiting = NIOLockedValueBox<Set<String>>([])  // a timer will look at them again
            let changes = state.toolChanges()
            await withDiscardingTaskGroup { group in
                for await names in changes {
                    for name in names {
                        guard let tool = state.tool(name), tool.probe?.action == .restart, let id = tool.containerID else {
                            records[name] = nil
                            continue
                        }
                        if records[name]?.containerID != id { records[name] = Record(containerID: id) }
                        guard tool.operation == nil, !restarting.withLockedValue({ $0.contains(name) }) else { continue }
                        // A container in Docker's own restart loop is already being restarted.
                        let verdict = tool.containerState?.status == .restarting ? nil : tool.healthState
                        let now = clock.now
                        if records[name]!.backoff.shouldRestart(verdict, now: now) {
                            restarting.withLockedValue { _ = $0.insert(name) }
                            let attempt = records[name]!.backoff.restarts
                            log(tool, attempt: attempt)
                            group.addTask {
                                defer { restarting.withLockedValue { _ = $0.remove(name) } }
                                do {
                                    try await manager.restart(name, expectedContainerID: id)
                                } catch {
                                    logger.error("restart failed", metadata: ["instance": "\(name)", "error": "\(error)"])
                                }
                                changes.recheck([name])
                            }
                        } else if verdict == .unhealthy || verdict == .crashed, let allowed = records[name]!.backoff.nextRestartAllowed,
                            waiting.withLockedValue({ $0.insert(name).inserted })
                        {
                            // Nothing may change while it waits (a crashed container stays exited): a timer looks again.
                            group.addTask {
                                try? await clock.sleep(for: allowed - now)
                                waiting.withLockedValue { _ = $0.remove(name) }
                                changes.recheck([name])
                            }
                        }
                    }
                }
            }
        }
    }

    private func log(_ tool: ToolRecord, attempt: Int) {
        logger.warning("restarting a tool that is \(tool.healthState?.rawValue ?? "?")", metadata: [
            "instance": "\(tool.instanceName)", "restart": "\(attempt)",
            "next_restart_no_sooner_than": "\(RestartBackoff.delay(after: attempt))",
            "error": "\(tool.health?.lastResult?.error ?? tool.crash.map { "exit code \($0.exitCode)" } ?? "")",
        ])
    }
}
