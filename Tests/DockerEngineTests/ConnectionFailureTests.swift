import DTMATestSupport
import DockerEngine
import HTTP1
import HTTP1Client
import Testing

/// Failure modes of the connection layer, against `ScriptedEngine`.
@Suite("Engine client: connection failures")
struct ConnectionFailureTests {
    static let versionJSON = #"{"Version":"1","ApiVersion":"1.41","Os":"linux","Arch":"amd64"}"#

    @Test("an engine that never answers is a timeout, not a hang")
    func silence() async throws {
        let engine = try await ScriptedEngine([.silence])
        let client = engine.client
        await #expect(throws: DockerEngineError.timedOut(operation: "GET /version", seconds: 0.3)) {
            try await client.version()
        }
        client.shutdown()
        try await engine.stop()
    }

    @Test("with every pooled connection stuck on a silent peer, the next request waits at most its own timeout")
    func poolWaitDeadline() async throws {
        let engine = try await ScriptedEngine([.silence])
        var configuration = HTTP1Client.Configuration()
        configuration.maxConnections = 1
        let client = HTTP1Client(endpoint: .unixSocket(path: engine.socketPath), configuration: configuration)
        // The one connection waits 30 s for an answer that never comes.
        let stuck = Task { try await client.execute(HTTP1Request(method: "GET", target: "/stuck"), timeout: .seconds(30)) }
        while engine.connectionsAccepted == 0 { try await Task.sleep(for: .milliseconds(10)) }
        await #expect(throws: HTTP1ClientError.timedOut(seconds: 0.2)) {
            _ = try await client.execute(HTTP1Request(method: "GET", target: "/next"), timeout: .milliseconds(200))
        }
        #expect(engine.connectionsAccepted == 1, "it waited for the pool's one connection, and gave up")
        stuck.cancel()
        _ = try? await stuck.value
        client.shutdown()
        try await engine.stop()
    }

    @Test("a kept-alive connection the engine dropped is replaced and the read retried")
    func staleKeepAlive() async throws {
        let engine = try await ScriptedEngine([
            .bytes(jsonReply(Self.versionJSON), close: true),
            .bytes(jsonReply(Self.versionJSON)),
        ])
        let client = engine.client
        #expect(try await client.version().version == "1")
        try await Task.sleep(for: .milliseconds(50))  // let the close arrive, as it would while idle
        #expect(try await client.version().version == "1")
        #expect(engine.connectionsAccepted == 2)
        client.shutdown()
        try await engine.stop()
    }

    @Test("garbage, a cut body and an oversized body are invalid or lost responses, never a crash")
    func badAnswers() async throws {
        let engine = try await ScriptedEngine([
            .bytes("SSH-2.0-OpenSSH_9.2\r\n\r\n"),
            .bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Version\"", close: true),
            .bytes(jsonReply(String(repeating: " ", count: 2000) + Self.versionJSON)),
        ])
        let client = engine.client
        await #expect(throws: DockerEngineError.invalidResponse(reason: "invalidStatusLine")) { try await client.version() }
        await #expect(throws: DockerEngineError.connectionLost(reason: "the engine closed the connection mid-response")) { try await client.version() }
        await #expect(throws: DockerEngineError.invalidResponse(reason: "bodyTooLarge(limit: 1024)")) {
            try await client.version()
        }
        client.shutdown()
        try await engine.stop()
    }

    @Test("an error answer that is not JSON still carries the engine's words")
    func plainTextError() async throws {
        let body = "page not found"
        let engine = try await ScriptedEngine([
            .bytes("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: \(body.count)\r\n\r\n\(body)")
        ])
        let client = engine.client
        await #expect(throws: DockerEngineError.notFound(message: "page not found")) { try await client.version() }
        client.shutdown()
        try await engine.stop()
    }

    @Test("dropping a stream closes its connection")
    func droppedStreamCloses() async throws {
        let engine = try await ScriptedEngine([
            .bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "48\r\n{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\"},\"time\":1}\n\r\n")
        ])
        let client = engine.client
        do {
            var events = try await client.events().makeAsyncIterator()
            #expect(try await events.next()?.action == "start")
        }
        #expect(try await eventually(seconds: 5) { engine.connectionsClosed == 1 })
        client.shutdown()
        try await engine.stop()
    }
}
