import DTMATestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

/// A raw TCP connection to dtma, from a chosen loopback address, for what an HTTP client will not send.
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func open(port: Int, from source: String = "127.0.0.1") async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return RawConnection(channel: channel)
    }

    /// A kept-alive connection that has been served once (so dtma has surely counted it) and then
    /// only holds its slot; close it when done.
    static func idle(port: Int, from source: String) async throws -> any Channel {
        let (channel, answer) = try await held(port: port, from: source, request: "GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200 "), "the idle connection was served")
        return channel
    }

    /// Sends `request` and returns the first bytes of the answer, the connection left open.
    static func held(port: Int, from source: String = "127.0.0.1", request: String) async throws -> (any Channel, String) {
        let answered = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { $0.pipeline.addHandler(FirstAnswer(promise: answered)) }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return (channel, try await answered.futureResult.get())
    }

    private final class FirstAnswer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<String>
        init(promise: EventLoopPromise<String>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { promise.succeed(String(buffer: unwrapInboundIn(data))) }
        func channelInactive(context: ChannelHandlerContext) { promise.fail(ChannelError.eof) }
    }

    /// Writes `bytes`, then reads until the server closes (or `within` passes: nil then).
    func send(_ bytes: String, thenReadFor within: Duration = .seconds(10)) async throws -> String? {
        try await channel.executeThenClose { inbound, outbound in
            if !bytes.isEmpty { try await outbound.write(ByteBuffer(string: bytes)) }
            return try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    var text = ""
                    do {
                        for try await chunk in inbound { text += String(buffer: chunk) }
                    } catch {}  // a reset after the answer is still a close
                    return text
                }
                group.addTask {
                    try await Task.sleep(for: within)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        }
    }
}

/// Against an in-memory engine: nothing here needs dockerd.
@Suite("API listener and stream limits")
struct ListenerLimitsTests {
    @Test("a request head over the limit gets 431 and the connection is closed")
    func longHead() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let connection = try await RawConnection.open(port: dtma.port)
            let answer = try await connection.send("GET /health?" + String(repeating: "a", count: 20_000))
            let text = try #require(answer, "closed, not left open")
            #expect(text.hasPrefix("HTTP/1.1 431 "))
            #expect(text.contains(#""code":"head_too_large""#))
            #expect(try await dtma.call("GET", "/health").status == 200)
        }
    }

    @Test("a long header field is refused the same way, before the key is checked")
    func longHeaderField() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let connection = try await RawConnection.open(port: dtma.port)
            let answer = try await connection.send("GET /status HTTP/1.1\r\nHost: a\r\nX-Filler: \(String(repeating: "b", count: 9000))\r\n\r\n")
            #expect(answer?.hasPrefix("HTTP/1.1 431 ") == true)
        }
    }

    @Test("a head just under the limit is served")
    func headUnderLimit() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let filler = String(repeating: "b", count: 7000)
            let answer = try await dtma.call("GET", "/health", extraHeaders: [("X-Filler", filler)])
            #expect(answer.status == 200)
        }
    }

    @Test("one address past its connection cap gets 503 at once; another address and a freed slot are served")
    func perPeerCap() async throws {
        try await withLiveDTMA(environment: ["DTMA_MAX_CONNECTIONS_PER_PEER": "4"], engine: InMemoryEngine()) { dtma, _ in
            var idle: [any Channel] = []
            for _ in 0..<4 { idle.append(try await RawConnection.idle(port: dtma.port, from: "127.0.0.2")) }
            let extra = try await RawConnection.open(port: dtma.port, from: "127.0.0.2")
            let refused = try #require(try await extra.send("", thenReadFor: .seconds(5)), "the extra connection is closed at once")
            #expect(refused.hasPrefix("HTTP/1.1 503 "))
            #expect(refused.contains(#""code":"too_many_connections""#))
            #expect(try await dtma.call("GET", "/health").status == 200, "127.0.0.1 has its own slots")
            try await idle.removeFirst().close()
            // The close reaches the server a moment later: until then a new connection is refused,
            // and closed before (or while) the request is written.
            let slotFreed = try await eventually {
                let again = try await RawConnection.open(port: dtma.port, from: "127.0.0.2")
                let answer = try? await again.send("GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                return answer?.hasPrefix("HTTP/1.1 200 ") == true
            }
            #expect(slotFreed)
            for connection in idle { try? await connection.close() }
        }
    }

    @Test("past the total cap every address is refused")
    func totalCap() async throws {
        try await withLiveDTMA(environment: ["DTMA_MAX_CONNECTIONS": "3"], engine: InMemoryEngine()) { dtma, _ in
            var idle: [any Channel] = []
            for source in ["127.0.0.3", "127.0.0.4", "127.0.0.5"] { idle.append(try await RawConnection.idle(port: dtma.port, from: source)) }
            let probe = try await RawConnection.open(port: dtma.port, from: "127.0.0.6")
            #expect(try await probe.send("", thenReadFor: .seconds(5))?.hasPrefix("HTTP/1.1 503 ") == true)
            for connection in idle { try? await connection.close() }
            let servedAgain = try await eventually { (try? await dtma.call("GET", "/health"))?.status == 200 }
            #expect(servedAgain)
        }
    }

    @Test("an authenticated request whose body stalls is closed after the body deadline")
    func slowBody() async throws {
        try await withLiveDTMA(environment: ["DTMA_REQUEST_BODY_TIMEOUT_SECONDS": "1"], engine: InMemoryEngine()) { dtma, _ in
            let connection = try await RawConnection.open(port: dtma.port)
            let started = ContinuousClock.now
            let answer = try await connection.send(
                "POST /tools HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(LiveDTMA.key)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"dockerImageUrl\":", thenReadFor: .seconds(15))
            #expect(answer != nil, "closed by dtma")
            #expect(answer?.hasPrefix("HTTP/1.1 2") != true, "never served")
            #expect(ContinuousClock.now - started < .seconds(10), "closed after about 1 s, not held")
        }
    }

    @Test("past the cap of event streams a client gets 429 with Retry-After; a stream that ends frees its slot")
    func eventStreamCap() async throws {
        try await withLiveDTMA(environment: ["DTMA_MAX_EVENT_STREAMS": "1"], engine: InMemoryEngine()) { dtma, _ in
            let request = "GET /events HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(LiveDTMA.key)\r\n\r\n"
            let (first, answer) = try await RawConnection.held(port: dtma.port, request: request)
            #expect(answer.hasPrefix("HTTP/1.1 200 "))
            let refused = try await dtma.call("GET", "/events")
            #expect(refused.status == 429)
            #expect(refused.code == "too_many_streams")
            #expect(refused.headers["Retry-After"] == "5")
            try await first.close()
            let slotBack = try await eventually {
                let (again, answer) = try await RawConnection.held(port: dtma.port, request: request)
                try? await again.close()
                return answer.hasPrefix("HTTP/1.1 200 ")
            }
            #expect(slotBack)
        }
    }

    @Test("a chunk size that overflows is a 400, not a 500")
    func chunkSizeOverflow() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let connection = try await RawConnection.open(port: dtma.port)
            let answer = try await connection.send(
                "POST /tools HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(LiveDTMA.key)\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n")
            let text = try #require(answer)
            #expect(text.hasPrefix("HTTP/1.1 400 "))
            #expect(text.contains(#""code":"malformed_request""#))
        }
    }
}
