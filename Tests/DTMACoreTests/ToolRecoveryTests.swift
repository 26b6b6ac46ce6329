@testable import DTMACore
import DTMATestSupport
import Foundation
import Logging
import MCPProbe
import Testing

/// The probe action `restart` against an in-memory engine and a clock moved by hand.
@Suite("Tool recovery")
struct ToolRecoveryTests {
    static let unhealthy = MCPProbeResult(verdict: .unhealthy, latencyMilliseconds: 1, error: "no answer")

    static func probe(action: String) -> [String: Any] {
        ["transport": "stdio", "failureThreshold": 1, "successThreshold": 1, "action": action]
    }

    @Test("restarts an unhealthy tool at once, then no sooner than its back-off; leaves a tool with action report alone")
    func backoff() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        let clock = ManualClock()
        let manager = ToolManager(engine: engine, state: state, dtmaVersion: "test", logger: Logger(label: "test"))
        let restarted = try await labelledContainer(engine, name: "restarted", probe: Self.probe(action: "restart"))
        let reported = try await labelledContainer(engine, name: "reported", probe: Self.probe(action: "report"))
        state.apply(.inspected(restarted))
        state.apply(.inspected(reported))
        let recovery = Task { try await ToolRecovery(manager: manager, state: state, clock: clock, logger: Logger(label: "test")).run() }
        defer { recovery.cancel() }

        state.apply(.probed(instance: "reported", containerID: reported.id, Self.unhealthy))
        state.apply(.probed(instance: "restarted", containerID: restarted.id, Self.unhealthy))
        #expect(try await eventually { engine.restartRequests(restarted.id) == 1 })
        #expect(try await eventually { state.tool("restarted")?.operation == nil })
        #expect(state.tool("restarted")?.recoveryRestarts == 1)
        #expect(state.tool("restarted")?.health == nil, "its health starts over")
        #expect(engine.restartRequests(reported.id) == 0, "its change came first, and was passed over")

        // Unhealthy again at once: the first back-off (10 s) holds the next restart, a timer waits it out.
        state.apply(.probed(instance: "restarted", containerID: restarted.id, Self.unhealthy))
        #expect(try await eventually { clock.sleeperCount == 1 })
        clock.advance(by: .seconds(9))
        #expect(clock.sleeperCount == 1)
        #expect(engine.restartRequests(restarted.id) == 1)
        clock.advance(by: .seconds(1))
        #expect(try await eventually { engine.restartRequests(restarted.id) == 2 })
        #expect(try await eventually { state.tool("restarted")?.recoveryRestarts == 2 })

        // A healthy verdict in between does not reset the count: only ten healthy minutes do.
        state.apply(.probed(instance: "restarted", containerID: restarted.id, MCPProbeResult(verdict: .healthy, latencyMilliseconds: 1)))
        state.apply(.probed(instance: "restarted", containerID: restarted.id, Self.unhealthy))
        #expect(try await eventually { clock.sleeperCount == 1 }, "the second back-off is 20 s")
        clock.advance(by: .seconds(19))
        #expect(engine.restartRequests(restarted.id) == 2)
        clock.advance(by: .seconds(1))
        #expect(try await eventually { engine.restartRequests(restarted.id) == 3 })
        #expect(engine.restartRequests(reported.id) == 0)
    }
}
