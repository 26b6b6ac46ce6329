import ControlPlane
import Foundation
import Logging
import ServiceLifecycle
import DTMATestSupport
import Testing

@Suite("Control plane client over real HTTPS", .serialPass, .serialized)
struct ControlPlaneClientTests {
    @Test("a POST carries the bearer token and JSON, and verifies the server with the given CA")
    func post() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        let response = try await fixture.client().post("/heartbeat", json: Array(#"{"hello":1}"#.utf8))
        #expect(response.status == 204)
        let recorded = try #require(fixture.requests(path: "/heartbeat").first)
        #expect(recorded.authorization == "Bearer \(ControlPlaneFixture.token)")
        #expect(recorded.contentType == "application/json")
        #expect(recorded.body == #"{"hello":1}"#)
    }

    @Test("transfers run side by side: a second one is sent while the first waits for a slow answer")
    func concurrentTransfers() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        let client = try fixture.client()
        try await fixture.setMode("slow")  // every answer after 3 s
        async let first = client.post("/heartbeat", json: Array(#"{"n":1}"#.utf8))
        async let second = client.post("/fetch-tool-secrets", json: Array(#"{"n":2}"#.utf8))
        _ = try await (first, second)
        let arrivals = fixture.requests().filter { $0.mode == "slow" }.map(\.time).sorted()
        #expect(arrivals.count == 2)
        // One at a time, the second would arrive only once the first was answered, 3 s later.
        #expect((arrivals.last ?? 0) - (arrivals.first ?? 0) < 2.5, "both reached the server while the first waited: \(arrivals)")
    }

    @Test("a server the CA does not vouch for is a transport error naming TLS, not a crash")
    func wrongCA() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        let error = await #expect(throws: ControlPlaneError.self) {
            try await fixture.client(caFile: .some(nil)).post("/heartbeat", json: Array("{}".utf8))
        }
        guard case .transport(let url, _, let reason) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(url == "\(fixture.baseURL)/heartbeat")
        #expect(reason.lowercased().contains("certificate") || reason.lowercased().contains("ssl"), "\(reason)")
        #expect(fixture.requests().isEmpty)
    }

    @Test("plain http:// is refused unless allowed for development")
    func insecure() throws {
        #expect(throws: ControlPlaneError.insecureURL("http://127.0.0.1:1/functions/v1")) {
            try ControlPlaneClient(configuration: .init(baseURL: "http://127.0.0.1:1/functions/v1", bearerToken: "t"))
        }
        var allowed = ControlPlaneClient.Configuration(baseURL: "http://127.0.0.1:1", bearerToken: "t")
        allowed.allowInsecureHTTP = true
        #expect(throws: Never.self) { try ControlPlaneClient(configuration: allowed) }
        #expect(throws: ControlPlaneError.invalidURL("not a url")) {
            try ControlPlaneClient(configuration: .init(baseURL: "not a url", bearerToken: "t"))
        }
    }

    @Test("refused connections and slow servers end in clear errors within the timeout")
    func refusedAndSlow() async throws {
        let refused = try ControlPlaneClient(configuration: .init(baseURL: "https://127.0.0.1:9?token=secret", bearerToken: "t"))
        let error = await #expect(throws: ControlPlaneError.self) { try await refused.post("/heartbeat", json: []) }
        #expect(!"\(error!)".contains("secret"), "the query never appears in errors")

        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        try await fixture.setMode("slow")
        let started = ContinuousClock.now
        await #expect(throws: ControlPlaneError.self) { try await fixture.client(timeout: .milliseconds(500)).post("/heartbeat", json: []) }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("secrets come back with nulls for unset ones")
    func secrets() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        try fixture.setSecrets(["API_KEY": "v1", "UNSET": nil])
        let secrets = try await fixture.client().fetchToolSecrets(toolInstanceID: "tool-42")
        let expected: [String: String?] = ["API_KEY": "v1", "UNSET": nil]
        #expect(secrets == expected)
        #expect(fixture.requests(path: "/fetch-tool-secrets").first?.json["tool_instance_db_id"] as? String == "tool-42")
        try await fixture.setMode("unauthorized")
        await #expect(throws: ControlPlaneError.httpStatus(url: "\(fixture.baseURL)/fetch-tool-secrets", status: 401)) {
            try await fixture.client().fetchToolSecrets(toolInstanceID: "tool-42")
        }
    }

    @Test("heartbeats: at once, then on the interval; back off on errors; recover; a last beat on shutdown")
    func heartbeatLoop() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        let outcomes = OutcomeLog()
        let loop = HeartbeatLoop(
            client: try fixture.client(), interval: .milliseconds(300), firstBackoff: .milliseconds(100), maxBackoff: .milliseconds(800),
            logger: Logger(label: "test"),
            makeBody: { sequence, status in Array(#"{"sequence":\#(sequence),"status":"\#(status)"}"#.utf8) },
            record: { outcomes.append($0) })
        let group = ServiceGroup(services: [loop], logger: Logger(label: "test"))
        let running = Task { try await group.run() }

        #expect(try await eventually { fixture.requests(path: "/heartbeat").count >= 3 })
        try await fixture.setMode("error")
        #expect(try await eventually { outcomes.consecutiveFailures >= 4 })
        try await fixture.setMode("ok")
        #expect(try await eventually { outcomes.last?.error == nil && outcomes.last?.consecutiveFailures == 0 })
        await group.triggerGracefulShutdown()
        try await running.value

        let beats = fixture.requests(path: "/heartbeat")
        let sequences = beats.compactMap { $0.json["sequence"] as? Int }
        #expect(sequences == Array(1...sequences.count), "one beat per sequence number, in order")
        #expect(beats.last?.json["status"] as? String == "stopping")
        #expect(beats.dropLast().allSatisfy { $0.json["status"] as? String == "running" })

        let okGaps = zip(beats, beats.dropFirst()).filter { $0.mode == "ok" && $1.mode == "ok" && $1.json["status"] as? String == "running" }
            .map { $1.time - $0.time }
        #expect(okGaps.allSatisfy { $0 > 0.25 && $0 < 0.6 }, "interval 300 ms ± 10 %, plus noise: \(okGaps)")
        let errorGaps = zip(beats, beats.dropFirst()).filter { $0.mode == "error" && $1.mode == "error" }.map { $1.time - $0.time }
        #expect(errorGaps.count >= 3)
        #expect(zip(errorGaps, errorGaps.dropFirst()).allSatisfy { $1 >= $0 * 1.5 || $1 >= 0.75 }, "backoff doubles up to its cap: \(errorGaps)")
    }
}

/// The loop's recorded outcomes, shared with the test.
final class OutcomeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [HeartbeatLoop.Outcome] = []
    func append(_ item: HeartbeatLoop.Outcome) { lock.withLock { items.append(item) } }
    var last: HeartbeatLoop.Outcome? { lock.withLock { items.last } }
    var consecutiveFailures: Int { last?.consecutiveFailures ?? 0 }
}

