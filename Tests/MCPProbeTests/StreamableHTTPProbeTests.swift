import DTMATestSupport
import Foundation
import MCPProbe
import Testing

@Suite("MCP probe over Streamable HTTP, against the official Python SDK's server", .serialPass, .serialized,
       .enabled(if: MCPServerFixture.available || ProcessInfo.processInfo.environment["DTMA_REQUIRE_DOCKER"] == "1"))
struct StreamableHTTPProbeTests {
    @Test("a server answering in SSE is healthy in the 2026-07-28 era, with its name and tools")
    func modernSSE() async throws {
        let server = try await MCPServerFixture()
        defer { server.stop() }
        let result = await StreamableHTTPProbe(port: server.port).run()
        #expect(result.verdict == .healthy, "\(result.error ?? "")")
        #expect(result.era == .modern)
        #expect(result.protocolVersion == "2026-07-28")
        #expect(result.serverName == "dtma-fixture")
        #expect(result.toolNames?.sorted() == ["add", "echo"])
        #expect(result.latencyMilliseconds > 0)
    }

    @Test("the legacy handshake works on SSE and JSON replies, and never leaks a session", arguments: [[], ["--json"]])
    func legacy(arguments: [String]) async throws {
        let server = try await MCPServerFixture(arguments: arguments)
        defer { server.stop() }
        for _ in 0..<3 {
            let result = await StreamableHTTPProbe(port: server.port, knownEra: .legacy).run()
            #expect(result.verdict == .healthy, "\(result.error ?? "")")
            #expect(result.era == .legacy)
            #expect(result.protocolVersion == "2025-11-25")
            #expect(result.toolNames?.sorted() == ["add", "echo"])
        }
        try await Task.sleep(for: .milliseconds(200))
        let sessions = server.sessions
        #expect(sessions.created.count == 3)
        #expect(sessions.created == sessions.terminated, "every probe session ended with DELETE")
    }

    @Test("probes that share a client keep the server's connection alive between them, in both eras", arguments: [MCPProbeResult.Era.modern, .legacy])
    func keptAlive(era: MCPProbeResult.Era) async throws {
        let server = try await MCPServerFixture()
        defer { server.stop() }
        let probe = StreamableHTTPProbe(port: server.port, knownEra: era)
        let client = probe.makeClient()
        defer { client.shutdown() }
        for _ in 0..<5 {
            let result = await probe.run(using: client)
            #expect(result.verdict == .healthy, "\(result.error ?? "")")
            try await Task.sleep(for: .milliseconds(50))
        }
        // Closed after each probe, the pool would be empty now.
        #expect((1...2).contains(client.openPooledConnections), "\(client.openPooledConnections) connections open")
    }

    @Test("a plain HTTP server that is not MCP is unhealthy, with the reason")
    func notMCP() async throws {
        let server = try await MCPServerFixture(transport: "plain")
        defer { server.stop() }
        let result = await StreamableHTTPProbe(port: server.port).run()
        #expect(result.verdict == .unhealthy)
        #expect(result.error?.contains("/mcp is not a Streamable HTTP endpoint") == true, "\(result.error ?? "")")
        #expect(result.error?.contains("GET /sse answered HTTP 404") == true, "the HTTP+SSE fallback was tried: \(result.error ?? "")")
    }

    @Test("nothing listening is unhealthy; a server that never answers is cut off at the timeout")
    func silentAndClosed() async throws {
        let closed = await StreamableHTTPProbe(port: try MCPServerFixture.freePort(), timeout: .seconds(2)).run()
        #expect(closed.verdict == .unhealthy)
        #expect(closed.error?.contains("Connection refused") == true, "\(closed.error ?? "")")

        let listener = try LoopbackListener()
        defer { listener.close() }
        let started = ContinuousClock.now
        let silent = await StreamableHTTPProbe(port: listener.port, timeout: .seconds(1)).run()
        #expect(silent.verdict == .unhealthy)
        #expect(ContinuousClock.now - started < .seconds(5), "bounded by the timeout")
    }
}
