import HTTP1
import NIOConcurrencyHelpers
import NIOCore

/// An HTTP/1.1 client on our own codec, for one endpoint: the Docker engine's socket, an MCP
/// server's port, dtma's own API in tests.
///
/// Short requests share a bounded pool of keep-alive connections; streams (never-ending bodies,
/// long polls, upgrades) get a connection of their own, which closes when the stream is dropped.
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
            let connection = try await pool.lease()
            let result: CollectedResponse
            do {
                result = try await connection.collect(
                    bytes, isHEAD: request.isHEAD, maxBodyBytes: configuration.maxResponseBytes, timeout: limit)
            } catch HTTP1ClientError.closedByPeer where attempt == 1 && (request.method == "GET" || request.isHEAD) {
                pool.release(connection, reusable: false)
                continue
            } catch {
                pool.release(connection, reusable: false)
                throw Self.normalize(error)
            }
            pool.release(connection, reusable: result.connectionReusable)
            return result.response
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

    public func close() {
        connection.close()
    }

    /// Reads the rest of the body, at most `limit` bytes, and closes the connection.
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

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
