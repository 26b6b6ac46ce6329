import DTMATestSupport
import Foundation
import Testing

/// `/metrics` read by Prometheus' own parser (the Python `prometheus_client` from PyPI).
@Suite("Prometheus metrics", .requiresEngine)
struct MetricsAPITests {
    /// Every sample as `name{label="value",…}` → value, as prometheus_client parses the text.
    static func parse(_ text: [UInt8]) throws -> [String: Double] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            samples = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                    samples[s.name + ("{" + labels + "}" if labels else "")] = s.value
            print(json.dumps(samples))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MCPServerFixture.python)
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text))
        try input.fileHandleForWriting.close()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
        guard process.terminationStatus == 0, let samples = try JSONSerialization.jsonObject(with: json) as? [String: Double] else {
            Issue.record("prometheus_client could not parse /metrics: \(complaint)")
            return [:]
        }
        return samples
    }

    @Test("the text parses, counters move with requests, probes and engine calls are counted; the key is required by default")
    func exposition() async throws {
        try await withLiveDTMA { dtma, tag in
            #expect(try await eventually(seconds: 20) { dtma.state.engineReachable })
            let first = try await dtma.call("GET", "/metrics")
            #expect(first.status == 200)
            #expect(first.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let before = try Self.parse(first.body)
            let statusKey = #"dtma_http_requests_total{method="GET",route="/status",status="200"}"#
            for _ in 0..<3 { _ = try await dtma.call("GET", "/status") }
            #expect(try await dtma.call("GET", "/tools/nobody-\(tag)/logs").status == 404)

            let after = try Self.parse(try await dtma.call("GET", "/metrics").body)
            #expect(after[statusKey] == (before[statusKey] ?? 0) + 3, "three more /status requests")
            #expect(after[#"dtma_http_requests_total{method="GET",route="/tools/{instance}/logs",status="404"}"#] == 1, "by route template, not by name")
            #expect((after["process_resident_memory_bytes"] ?? 0) > 1_000_000)
            #expect((after["process_open_fds"] ?? 0) > 3)
            #expect(after["dtma_engine_reachable"] == 1)
            #expect(after.keys.contains { $0.hasPrefix("dtma_engine_requests_total{call=\"GET /containers\"") }, "engine calls are counted")
            #expect(after.keys.contains { $0.hasPrefix("dtma_http_request_duration_seconds_bucket{le=") }, "latency histograms")
            #expect(try await dtma.call("GET", "/metrics", authorization: "").status == 401, "the key is required by default")
        }
    }

    @Test("probe results by tool and transport; DTMA_METRICS_REQUIRE_KEY=0 opens /metrics")
    func probesAndOpenMetrics() async throws {
        try await withLiveDTMA(environment: ["DTMA_METRICS_REQUIRE_KEY": "0"]) { dtma, tag in
            let name = "metrics-\(tag)"
            let body = ProbeContainerTests.deployBody(
                name: name, tag: tag, command: ProbeContainerTests.server("streamable-http", "8000"), probe: ["port": 8000])
            #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
            let healthyKey = #"dtma_probes_total{tool="\#(name)",transport="streamable-http",verdict="healthy"}"#
            let counted = try await eventually(seconds: 30) {
                let open = try await dtma.call("GET", "/metrics", authorization: "")
                return try open.status == 200 && (Self.parse(open.body)[healthyKey] ?? 0) >= 1
            }
            #expect(counted, "healthy probes are counted")
            let samples = try Self.parse(try await dtma.call("GET", "/metrics").body)
            // Other suites' tools share the engine: at least this one.
            #expect((samples[#"dtma_tools{status="running"}"#] ?? 0) >= 1)
            #expect((samples[#"dtma_tools_by_health{health="healthy"}"#] ?? 0) >= 1)

            // A removed tool's probe series go with it.
            #expect(try await dtma.call("DELETE", "/tools/\(name)").status == 200)
            let text = String(decoding: try await dtma.call("GET", "/metrics").body, as: UTF8.self)
            #expect(!text.contains(#"tool="\#(name)""#), "no series names the removed tool")
        }
    }
}
