import HTTP1
import NIOConcurrencyHelpers
import NIOCore

/// An HTTP/1.1 client on our own codec, for one endpoint: the Docker engine's socket, an MCP
/// server's port, dtma's own API in tests.
///
/// Short requests, and streamed answers that end (`stream`), share a bounded pool of keep-alive
/// connections; open-ended streams (never-ending bodies, long polls, upgrades: `openStream`) get a
/// connection of their own, which closes when the stream is dropped.
public final class HTTP1Client: Sendable {
    public struct Configuration: Sendable {
        public var maxConnections = 8
        public var connectTimeout: Duration = .seconds(5)
        /// For a whole pooled request; a stream applies it until its response head arrives.
        public var requestTimeout: Duration = .seconds(60)
        /// Largest body a pooled request accepts.
        public var maxResponseBytes = 64 << 20
        /// Defaults to the endpoint's own.
        public var hostHeader: String?

        public init() {}
    }

    public let endpoint: HTTP1Endpoint
    public let configuration: Configuration
    let pool: HTTP1ConnectionPool
    private let streams = NIOLockedValueBox(0)

    public init(endpoint: HTTP1Endpoint, configuration: Configuration = .init()) {
        self.endpoint = endpoint
        self.configuration = configuration
        pool = HTTP1ConnectionPool(
            endpoint: endpoint, maxConnections: configuration.maxConnections,
            connectTimeout: TimeAmount(configuration.connectTimeout))
    }

    /// Closes idle connections and refuses further requests; open streams end on their own.
    public func shutdown() {
        pool.shutdown()
    }

    /// Pooled connections now open, idle or busy.
    public var openPooledConnections: Int { pool.openConnections }

    /// Streams (each on its own connection) not yet closed: what a leak would grow.
    public var openStreams: Int { streams.withLockedValue { $0 } }

    /// Sends `request` on a pooled connection and returns the whole response, whatever its status.
    /// A GET or HEAD that meets a kept-alive connection the peer had closed is retried once.
    public func execute(_ request: HTTP1Request, timeout: Duration? = nil) async throws -> HTTP1Response {
        let bytes = try serialize(request)
        let limit = TimeAmount(timeout ?? configuration.requestTimeout)
        var attempt = 0
        while true {
            attempt += 1
            let (connection, _) = try await pool.lease(waitingAtMost: timeout ?? configuration.requestTimeout)
            let result: CollectedResponse
            do {
                result = try await connection.collect(
                    bytes, isHEAD: request.isHEAD, maxBodyBytes: configuration.maxResponseBytes, timeout: limit)
            } catch {
                pool.release(connection, reusable: false)
                let error = Self.normalize(error)
                guard attempt == 1, request.method == "GET" || request.isHEAD, case HTTP1ClientError.closedByPeer = error else { throw error }
                continue
            }
            pool.release(connection, reusable: result.connectionReusable)
            return result.response
        }
    }

    /// Sends `request` on a pooled connection and returns once the response head arrives; the body
    /// streams. The connection goes back to the pool when the body was read to its end and closed
    /// with `HTTP1Stream.close()`; a stream closed before its end closes the connection. For
    /// answers that end but may take a while or come in parts (an MCP reply as server-sent events).
    /// With `retryIfStale`, a request that meets a kept-alive connection the peer had closed is sent
    /// again on a new one: only for requests that are safe to repeat.
    public func stream(_ request: HTTP1Request, timeout: Duration? = nil, retryIfStale: Bool = false) async throws -> HTTP1Stream {
        let bytes = try serialize(request)
        while true {
            let (connection, reused) = try await pool.lease(waitingAtMost: timeout ?? configuration.requestTimeout)
            let lease = StreamLease(pool: pool, connection: connection)
            do {
                let streamed = try await connection.stream(bytes, timeout: TimeAmount(timeout ?? configuration.requestTimeout), keepAlive: lease)
                return HTTP1Stream(head: streamed.head, body: streamed.body, connection: connection, lease: lease)
            } catch {
                lease.returnUnusable()
                let error = Self.normalize(error)
                guard reused, retryIfStale, case HTTP1ClientError.closedByPeer = error else { throw error }
            }
        }
    }

    /// Sends `request` on a connection of its own and returns once the response head arrives.
    public func openStream(_ request: HTTP1Request, timeout: Duration? = nil) async throws -> HTTP1Stream {
        let bytes = try serialize(request)
        let connection = try await HTTP1Connection.open(to: endpoint, connectTimeout: TimeAmount(configuration.connectTimeout))
        streams.withLockedValue { $0 += 1 }
        connection.channel.closeFuture.whenComplete { [streams] _ in streams.withLockedValue { $0 -= 1 } }
        do {
            let streamed = try await connection.stream(bytes, timeout: TimeAmount(timeout ?? configuration.requestTimeout))
            return HTTP1Stream(head: streamed.head, body: streamed.body, connection: connection)
        } catch {
            connection.close()
            throw Self.normalize(error)
        }
    }

    private func serialize(_ request: HTTP1Request) throws -> ByteBuffer {
        do {
            return ByteBuffer(bytes: try request.serialized(host: configuration.hostHeader ?? endpoint.defaultHostHeader))
        } catch {
            throw HTTP1ClientError.invalidRequest(error)
        }
    }

    /// Channel errors (a write into a connection that just closed) read as the peer closing it.
    static func normalize(_ error: any Error) -> any Error {
        switch error {
        case is HTTP1ClientError, is CancellationError: return error
        case let parseError as HTTP1ParseError: return HTTP1ClientError.malformedResponse(parseError)
        case is ChannelError: return HTTP1ClientError.closedByPeer
        default: return error
        }
    }
}

/// A response whose body arrives as it comes, on a connection of its own. After a
/// `101 Switching Protocols` the body is the raw stream and `write` talks to the other side.
public struct HTTP1Stream: Sendable {
    public let head: HTTP1ResponseHead
    public let body: HTTP1ByteStream
    let connection: HTTP1Connection
    /// Set when the connection came from the pool (`HTTP1Client.stream`).
    var lease: StreamLease?

    public func write(_ bytes: [UInt8]) async throws {
        do {
            try await connection.writeRaw(bytes)
        } catch {
            throw HTTP1Client.normalize(error)
        }
    }

    /// Half-closes the connection: the peer reads end-of-file; what it sends keeps coming.
    public func closeOutput() async throws {
        do {
            try await connection.channel.close(mode: .output)
        } catch {
            throw HTTP1Client.normalize(error)
        }
    }

    /// Ends the stream: a pooled connection whose body was read to the end goes back to the pool,
    /// any other closes. Safe to call more than once.
    public func close() {
        if let lease { lease.release() } else { connection.close() }
    }

    /// Reads the rest of the body, at most `limit` bytes, and closes the stream.
    public func collectBody(limit: Int) async throws -> [UInt8] {
        defer { close() }
        var body: [UInt8] = []
        for try await chunk in self.body {
            body += chunk
            guard body.count <= limit else { throw HTTP1ClientError.malformedResponse(.bodyTooLarge(limit: limit)) }
        }
        return body
    }
}

/// A pooled connection lent to one stream. It goes back to the pool once both sides are done:
/// the consumer has closed the stream, and the handler has seen the body end (reusable) or given
/// up on it (closed). Whichever comes second returns it, exactly once.
final class StreamLease: Sendable {
    private enum State {
        case streaming(HTTP1StreamDelegate?)
        case bodyEnded, abandoned
        /// Closed by the consumer before the handler was done with the body.
        case closedEarly
        case returned
    }

    private let pool: HTTP1ConnectionPool
    private let connection: HTTP1Connection
    private let state = NIOLockedValueBox(State.streaming(nil))

    init(pool: HTTP1ConnectionPool, connection: HTTP1Connection) {
        self.pool = pool
        self.connection = connection
    }

    /// The handler, on the event loop: the head arrived; `delegate` reaches it.
    func streamStarted(_ delegate: HTTP1StreamDelegate) {
        state.withLockedValue { if case .streaming = $0 { $0 = .streaming(delegate) } }
    }

    /// The handler: the body ended and the connection may carry another request.
    func bodyEnded() { handlerDone(reusable: true) }

    /// The handler: the connection is closed (or closing) and must not be reused.
    func abandoned() { handlerDone(reusable: false) }

    /// The consumer is done with the stream.
    func release() {
        enum Next { case nothing, returnToPool(reusable: Bool), stopStreaming(HTTP1StreamDelegate?) }
        let next: Next = state.withLockedValue { state in
            switch state {
            case .streaming(let delegate):
                state = .closedEarly
                return .stopStreaming(delegate)
            case .bodyEnded:
                state = .returned
                return .returnToPool(reusable: true)
            case .abandoned:
                state = .returned
                return .returnToPool(reusable: false)
            case .closedEarly, .returned:
                return .nothing
            }
        }
        switch next {
        case .nothing: break
        case .returnToPool(let reusable): pool.release(connection, reusable: reusable)
        case .stopStreaming(let delegate):
            // No head yet means the exchange failed or is being cancelled: the connection closes.
            if let delegate { delegate.didTerminate() } else { connection.close() }
        }
    }

    /// The client: the exchange failed before a stream existed; the connection is closed.
    func returnUnusable() {
        let returnNow: Bool = state.withLockedValue { state in
            if case .returned = state { return false }
            state = .returned
            return true
        }
        if returnNow { pool.release(connection, reusable: false) }
    }

    private func handlerDone(reusable: Bool) {
        let returnNow: Bool = state.withLockedValue { state in
            switch state {
            case .streaming:
                state = reusable ? .bodyEnded : .abandoned
                return false
            case .closedEarly:
                state = .returned
                return true
            case .bodyEnded, .abandoned, .returned:
                return false
            }
        }
        if returnNow { pool.release(connection, reusable: reusable) }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
