import DTMATestSupport
import HTTP1
import HTTP1Client
import Testing

/// `HTTP1Client.stream`: a streamed answer on a pooled, kept-alive connection (what the MCP probe
/// uses for replies that may come as server-sent events), against `ScriptedEngine`.
@Suite("HTTP client: pooled streams")
struct PooledStreamTests {
    static let post = HTTP1Request(method: "POST", target: "/mcp")

    /// A chunked event-stream answer: `events` as chunks, then the terminating chunk unless `ends` is false.
    static func eventStream(_ events: [String], ends: Bool = true) -> String {
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + events.map { "\(String($0.utf8.count, radix: 16))\r\n\($0)\r\n" }.joined() + (ends ? "0\r\n\r\n" : "")
    }

    static func readAll(_ stream: HTTP1Stream) async throws -> String {
        var text = ""
        for try await chunk in stream.body { text += String(decoding: chunk, as: UTF8.self) }
        stream.close()
        return text
    }

    @Test("a stream read to its end gives its connection back: the next request uses it again")
    func readToTheEnd() async throws {
        let engine = try await ScriptedEngine([.bytes(Self.eventStream(["data: 1\n\n"])), .bytes(Self.eventStream(["data: 2\n\n"]))])
        let client = engine.httpClient
        #expect(try await Self.readAll(client.stream(Self.post)) == "data: 1\n\n")
        #expect(try await Self.readAll(client.stream(Self.post)) == "data: 2\n\n")
        #expect(engine.connectionsAccepted == 1)
        #expect(client.openPooledConnections == 1)
        client.shutdown()
        try await engine.stop()
    }

    @Test("a stream left after its first event is drained when the end follows, and the connection reused")
    func leftEarlyThenDrained() async throws {
        let engine = try await ScriptedEngine([
            .bytes(Self.eventStream(["data: reply\n\n", "data: trailing notification\n\n"])),
            .bytes(Self.eventStream(["data: next\n\n"])),
        ])
        let client = engine.httpClient
        do {
            let stream = try await client.stream(Self.post)
            var body = stream.body.makeAsyncIterator()
            #expect(try await body.next().map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("data: reply") == true)
            stream.close()
        }
        #expect(try await Self.readAll(client.stream(Self.post)) == "data: next\n\n")
        #expect(engine.connectionsAccepted == 1, "the drained connection carried the second request")
        #expect(engine.connectionsClosed == 0)
        client.shutdown()
        try await engine.stop()
    }

    @Test("a stream left before an end that never comes closes its connection, and frees its pool slot")
    func leftEarlyNeverEnds() async throws {
        let engine = try await ScriptedEngine([
            .bytes(Self.eventStream(["data: reply\n\n"], ends: false)),
            .bytes(Self.eventStream(["data: next\n\n"])),
        ])
        var configuration = HTTP1Client.Configuration()
        configuration.maxConnections = 1
        let client = HTTP1Client(endpoint: .unixSocket(path: engine.socketPath), configuration: configuration)
        do {
            let stream = try await client.stream(Self.post)
            var body = stream.body.makeAsyncIterator()
            _ = try await body.next()
            stream.close()
            stream.close()  // twice is harmless
        }
        #expect(try await eventually(seconds: 5) { engine.connectionsClosed == 1 })
        // With one slot, this waits for the abandoned connection's slot: a leak would hang here.
        #expect(try await Self.readAll(client.stream(Self.post)) == "data: next\n\n")
        #expect(engine.connectionsAccepted == 2)
        #expect(client.openPooledConnections == 1)
        client.shutdown()
        try await engine.stop()
    }

    @Test("a request that meets a kept-alive connection the server just closed is sent again, if allowed")
    func staleConnection() async throws {
        let engine = try await ScriptedEngine([
            .bytes(Self.eventStream(["data: 1\n\n"])), .hangUp, .bytes(Self.eventStream(["data: 2\n\n"])),
            .bytes(Self.eventStream(["data: 3\n\n"])), .hangUp,
        ])
        let client = engine.httpClient
        #expect(try await Self.readAll(client.stream(Self.post)) == "data: 1\n\n")
        #expect(try await Self.readAll(client.stream(Self.post, retryIfStale: true)) == "data: 2\n\n")
        #expect(engine.connectionsAccepted == 2)
        #expect(try await Self.readAll(client.stream(Self.post)) == "data: 3\n\n")
        await #expect(throws: HTTP1ClientError.closedByPeer) { try await client.stream(Self.post) }
        #expect(client.openPooledConnections == 0)
        client.shutdown()
        try await engine.stop()
    }
}
