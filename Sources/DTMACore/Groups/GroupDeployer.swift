import DockerEngine
import NIOConcurrencyHelpers

/// Deploys a `GroupPlan`: every server at once up to `maxConcurrent`, except that a server named
/// in `dependencyOrder` starts only once the one before it is healthy (its image is pulled
/// meanwhile). A server whose dependency failed is not created. The answer says, per server,
/// what happened; it is the truth, not the request's hopes.
public struct GroupDeployer: Sendable {
    public enum ServerResult: Sendable {
        /// Deployed (or adopted) and healthy, or running when it has no probe.
        case up(ToolManager.DeployOutcome)
        case failed(String)
    }

    let manager: ToolManager
    let state: StateModel
    let clock: any LoopClock

    public init(manager: ToolManager, state: StateModel, clock: any LoopClock = SystemLoopClock()) {
        self.manager = manager
        self.state = state
        self.clock = clock
    }

    /// Instance → what became of it, for every server of the plan.
    public func deploy(_ plan: GroupPlan) async -> [String: ServerResult] {
        let slots = Slots(plan.maxConcurrent)
        let verdicts = Verdicts()
        let phases = Phases(group: plan.groupID, state: state)
        defer { state.apply(.groupDeploy(group: plan.groupID, phases: nil)) }
        return await withTaskGroup(of: (String, ServerResult).self) { group in
            for spec in plan.servers {
                phases.set(spec.instanceName, "queued")
                group.addTask {
                    let result = await deployOne(
                        spec, after: plan.waitsFor[spec.instanceName], plan: plan, slots: slots, verdicts: verdicts, phases: phases)
                    phases.set(spec.instanceName, result.isUp ? "up" : "failed")
                    await verdicts.settle(spec.instanceName, up: result.isUp)
                    return (spec.instanceName, result)
                }
            }
            var results: [String: ServerResult] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
    }

    private func deployOne(
        _ spec: ToolSpec, after dependency: String?, plan: GroupPlan, slots: Slots, verdicts: Verdicts, phases: Phases
    ) async -> ServerResult {
        let name = spec.instanceName
        if let dependency {
            // Its image is fetched while it waits, so that its own start is quick once it may.
            phases.set(name, "waiting for \(dependency)")
            await slots.run { try? await manager.ensureImagePresent(spec) }
            guard await verdicts.wait(dependency) else { return .failed("not deployed: \(dependency), which it depends on, did not come up") }
        }
        return await slots.run {
            let outcome: ToolManager.DeployOutcome
            phases.set(name, "deploying")
            do {
                outcome = try await manager.deploy(spec)
            } catch {
                return .failed("\(error)")
            }
            phases.set(name, "waiting until healthy")
            if let failure = await waitUntilUp(name, timeout: plan.healthTimeout) { return .failed(failure) }
            return .up(outcome)
        }
    }

    /// Nil once the tool is up; otherwise why it is not (it exited, or it was not healthy when
    /// `timeout` ran out: still starting, or judged unhealthy by its probe).
    func waitUntilUp(_ instance: String, timeout: Duration) async -> String? {
        let changes = state.toolChanges()
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await names in changes where names.contains(instance) {
                    guard let record = state.tool(instance) else { return "it was removed while starting" }
                    switch record.statusOnToolbox {
                    case .running: return nil
                    // Judged unhealthy while it runs: a slow start may still come up before the timeout.
                    case .errorRuntime where record.containerState?.running == true && record.crash == nil: continue
                    // Stopped: it exited by itself, with code 0 (a stdio server whose stdin closed).
                    case .errorRuntime, .stopped: return Self.failure(record)
                    default: continue
                    }
                }
                return "cancelled"
            }
            group.addTask {
                try? await clock.sleep(for: timeout)
                let detail = state.tool(instance).map { "; \(Self.failure($0))" } ?? ""
                return "not healthy within \(timeout.components.seconds) s\(detail)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private static func failure(_ record: ToolRecord) -> String {
        if let crash = record.crash { return "it exited with code \(crash.exitCode)\(crash.oomKilled ? " (out of memory)" : "")" }
        if let error = record.health?.lastResult?.error { return "its MCP probe judged it unhealthy: \(error)" }
        if let state = record.containerState, !state.running { return "it exited with code \(state.exitCode)" }
        return "it is \(record.statusOnToolbox.rawValue)"
    }
}

extension GroupDeployer.ServerResult {
    var isUp: Bool {
        if case .up = self { return true }
        return false
    }
}

/// Each server's phase while its group deploys, in the state model for `/mcp/status` and
/// `/mcp/health/{group}` (a server waiting for another has no container to show yet).
private final class Phases: Sendable {
    let group: String
    let state: StateModel
    private let phases = NIOLockedValueBox<[String: String]>([:])

    init(group: String, state: StateModel) {
        self.group = group
        self.state = state
    }

    func set(_ instance: String, _ phase: String) {
        // Under the lock, so that the state model receives the phases in the order they were set.
        phases.withLockedValue { phases in
            phases[instance] = phase
            state.apply(.groupDeploy(group: group, phases: phases))
        }
    }
}

/// At most `count` bodies run at once; the others wait their turn in order.
private actor Slots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func run<Result: Sendable>(_ body: @Sendable () async -> Result) async -> Result {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
        defer {
            if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
        }
        return await body()
    }
}

/// Whether each server came up, for those that wait on it.
private actor Verdicts {
    private var settled: [String: Bool] = [:]
    private var waiters: [String: [CheckedContinuation<Bool, Never>]] = [:]

    func settle(_ name: String, up: Bool) {
        settled[name] = up
        waiters.removeValue(forKey: name)?.forEach { $0.resume(returning: up) }
    }

    func wait(_ name: String) async -> Bool {
        if let up = settled[name] { return up }
        return await withCheckedContinuation { waiters[name, default: []].append($0) }
    }
}
