@testable import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import Logging
import MCPProbe
import ServiceLifecycle
import Testing

@Suite("Tool health")
struct ToolHealthTests {
    static func result(_ verdict: MCPProbeResult.Verdict) -> MCPProbeResult {
        MCPProbeResult(verdict: verdict, latencyMilliseconds: 1)
    }

    @Test("verdicts change only after the thresholds; our own probe errors count for nothing")
    func thresholds() {
        var health = ToolHealth()
        let sequence: [(MCPProbeResult.Verdict, ToolHealth.State)] = [
            (.unhealthy, .starting), (.probeError, .starting), (.unhealthy, .starting), (.unhealthy, .unhealthy),
            (.healthy, .unhealthy), (.healthy, .healthy), (.unhealthy, .healthy), (.probeError, .healthy),
            (.unhealthy, .healthy), (.healthy, .healthy), (.unhealthy, .healthy), (.unhealthy, .healthy), (.unhealthy, .unhealthy),
        ]
        for (step, (verdict, expected)) in sequence.enumerated() {
            health.record(Self.result(verdict), at: Date(), failureThreshold: 3, successThreshold: 2)
            #expect(health.state == expected, "step \(step)")
        }
    }
}

@Suite("Probe scheduler against a real MCP server", .serialPass, .serialized,
       .enabled(if: MCPServerFixture.available || ProcessInfo.processInfo.environment["DTMA_REQUIRE_DOCKER"] == "1"))
struct ProbeSchedulerTests {
    /// A running tool as the engine would describe it, published on `port` of this host.
    static func runningTool(port: Int) throws -> ContainerInspect {
        let probe = #"{"transport":"streamable-http","port":8080,"path":"/mcp","periodSeconds":1,"timeoutSeconds":1,"initialDelaySeconds":0,"failureThreshold":2,"successThreshold":1,"action":"report"}"#
        let labels: [String: String] = [
            "dtma.managed": "true", "dtma.instance": "probed", "dtma.tool-id": "id-probed", "dtma.spec-hash": "h",
            "dtma.image": "fixture", "dtma.probe": probe,
        ]
        let json: [String: Any] = [
            "Id": "container-probed", "Name": "/probed", "Created": "2026-11-25T00:00:00Z", "Image": "sha256:x",
            "State": ["Status": "running", "Running": true, "Paused": false, "Restarting": false, "OOMKilled": false, "Dead": false,
                      "Pid": 1, "ExitCode": 0],
            "Config": ["Labels": labels],
            "NetworkSettings": ["Ports": ["8080/tcp": [["HostIp": "127.0.0.1", "HostPort": String(port)]]]],
        ]
        return try JSONDecoder().decode(ContainerInspect.self, from: JSONSerialization.data(withJSONObject: json))
    }

    @Test("healthy once the server answers MCP; unhealthy after the threshold when it dies; healthy again when it returns")
    func lifecycle() async throws {
        var server = try await MCPServerFixture()
        let state = StateModel()
        state.apply(.inspected(try Self.runningTool(port: server.port)))
        #expect(state.tool("probed")?.statusOnToolbox == .starting, "no verdict yet")
        let group = ServiceGroup(services: [ProbeScheduler(stdio: StdioServers(engine: DockerEngineClient()), state: state, logger: Logger(label: "test"))], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        defer { Task { await group.triggerGracefulShutdown() } }

        #expect(try await eventually(seconds: 15) { state.tool("probed")?.health?.state == .healthy })
        let health = try #require(state.tool("probed")?.health)
        #expect(health.lastResult?.serverName == "dtma-fixture")
        #expect(health.inventory?.toolNames.sorted() == ["add", "echo"])
        #expect(state.tool("probed")?.statusOnToolbox == .running)

        let port = server.port
        server.stop()
        #expect(try await eventually(seconds: 15) { state.tool("probed")?.health?.state == .unhealthy })
        #expect((state.tool("probed")?.health?.consecutiveFailures ?? 0) >= 2)
        #expect(state.tool("probed")?.statusOnToolbox == .errorRuntime)
        #expect(state.tool("probed")?.health?.lastResult?.error?.contains("Connection refused") == true)

        server = try await MCPServerFixture(port: port)
        #expect(try await eventually(seconds: 15) { state.tool("probed")?.health?.state == .healthy })
        server.stop()
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

@Suite("Restart back-off")
struct RestartBackoffTests {
    @Test("10 s doubling to 300 s between restarts")
    func delays() {
        let delays = (0...8).map { RestartBackoff.delay(after: $0) }
        #expect(delays == [.zero, .seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(300), .seconds(300), .seconds(300)])
    }

    @Test("restart at once, then only after the delay; ten healthy minutes forgive the count")
    func sequence() {
        let start = ContinuousClock.now
        var backoff = RestartBackoff()
        func at(_ seconds: Int, _ verdict: ToolHealth.State?) -> Bool {
            backoff.shouldRestart(verdict, now: start + .seconds(seconds))
        }
        #expect(at(0, .starting) == false)
        #expect(at(1, .unhealthy) == true, "the first restart is immediate")
        #expect(at(5, .unhealthy) == false)
        #expect(at(10, .crashed) == false)
        #expect(at(11, .crashed) == true, "10 s after the first restart")
        #expect(at(20, .unhealthy) == false)
        #expect(at(31, .unhealthy) == true, "20 s after the second")
        #expect(backoff.restarts == 3)
        #expect(at(40, .healthy) == false)
        #expect(at(500, .healthy) == false)
        #expect(backoff.restarts == 3, "not yet forgiven")
        #expect(at(640, .healthy) == false)
        #expect(backoff.restarts == 0, "forgiven after 10 minutes healthy")
        #expect(at(641, .unhealthy) == true)
        #expect(at(645, .stopped) == false, "a stopped tool is never restarted")
    }
}
