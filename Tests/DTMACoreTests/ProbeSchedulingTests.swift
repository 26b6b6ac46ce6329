@testable import DTMACore
import DTMATestSupport
import Foundation
import Logging
import Testing

/// Probe workers started and stopped by the state's changes, on an in-memory engine (which refuses
/// attach: each stdio probe is a probe error of dtma's own) and a clock moved by hand.
@Suite("Probe scheduling")
struct ProbeSchedulingTests {
    static var probe: [String: Any] { ["transport": "stdio", "periodSeconds": 10, "initialDelaySeconds": 0, "action": "report"] }

    @Test("a worker per running probed tool, probing once a period; none once it stops; a new one for a new container")
    func workers() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        let clock = ManualClock()
        let first = try await labelledContainer(engine, name: "probed", probe: Self.probe)
        state.apply(.inspected(first))
        let scheduler = Task { try await ProbeScheduler(stdio: StdioServers(engine: engine), state: state, clock: clock, logger: Logger(label: "test")).run() }
        defer { scheduler.cancel() }

        func probes() -> Date? { state.tool("probed")?.health?.lastProbeAt }
        #expect(try await eventually { clock.sleeperCount == 1 }, "the worker waits out its jitter")
        #expect(probes() == nil)
        clock.advance(by: .seconds(10))
        #expect(try await eventually { probes() != nil })
        #expect(state.tool("probed")?.health?.lastResult?.verdict == .probeError, "attach refused: dtma's own error")
        #expect(state.tool("probed")?.health?.state == .starting, "which counts for nothing")

        _ = try await engine.stopContainer(first.id, timeoutSeconds: 1)
        state.apply(.inspected(try await engine.inspectContainer(first.id)))
        #expect(try await eventually { clock.sleeperCount == 0 }, "the stopped tool's worker is gone")

        try await engine.removeContainer(first.id, force: true)
        state.apply(.containerGone(containerID: first.id))
        let second = try await labelledContainer(engine, name: "probed", probe: Self.probe)
        state.apply(.inspected(second))
        #expect(try await eventually { clock.sleeperCount == 1 }, "a worker for the new container")
        clock.advance(by: .seconds(10))
        #expect(try await eventually { state.tool("probed")?.health?.lastResult != nil })
        #expect(state.tool("probed")?.containerID == second.id)
    }
}
