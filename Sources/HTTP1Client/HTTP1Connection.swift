import FoundationEssentials
import HTTP1
import NIOCore
import NIOPosix

/// One connection. Plain value: the channel is the state, the handler the behaviour.
struct HTTP1Connection: Sendable {
    let channel: any Channel

    var isActive: Bool { channel.isActive }

    static func open(to endpoint: HTTP1Endpoint, connectTimeout: TimeAmount) async throws -> HTTP1Connection {
        // The caller's own loop when it runs on one (NIO as the global executor): no thread hop per event.
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton.any())
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTP1ConnectionHandler())
                }
            }
        do {
            let channel: any Channel
            switch endpoint {
            case .unixSocket(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .tcp(let host, let port):
                let tcp = bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1)
                // An address needs no resolver (NIO's runs getaddrinfo on another thread: a fifth of a probe's CPU).
                if let address = try? SocketAddress(ipAddress: host, port: port) {
                    channel = try await tcp.connect(to: address).get()
                } else {
                    channel = try await tcp.connect(host: host, port: port).get()
                }
            }
            return HTTP1Connection(channel: channel)
        } catch {
            throw HTTP1ClientError.unreachable(endpoint: endpoint.description, reason: Self.describe(error))
        }
    }

    /// Sends a request and waits for the whole response.
    func collect(_ request: ByteBuffer, isHEAD: Bool, maxBodyBytes: Int, timeout: TimeAmount?) async throws
        -> CollectedResponse
    {
        let promise = channel.eventLoop.makePromise(of: CollectedResponse.self)
        let exchange = HTTP1Exchange(
            request: request, isHEAD: isHEAD, delivery: .collected(maxBodyBytes: maxBodyBytes, promise), timeout: timeout)
        return try await send(exchange, result: promise.futureResult)
    }

    /// Sends a request and returns once the response head arrives; the body streams.
    func stream(_ request: ByteBuffer, timeout: TimeAmount?, keepAlive: StreamLease? = nil) async throws -> StreamedResponse {
        let promise = channel.eventLoop.makePromise(of: StreamedResponse.self)
        let exchange = HTTP1Exchange(request: request, isHEAD: false, delivery: .streamed(promise, keepAlive: keepAlive), timeout: timeout)
        return try await send(exchange, result: promise.futureResult)
    }

    /// Writes raw bytes into an upgraded connection.
    func writeRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(HTTP1Outbound.raw(channel.allocator.buffer(bytes: bytes)))
    }

    func close() {
        channel.close(promise: nil)
    }

    private func send<Result: Sendable>(_ exchange: HTTP1Exchange, result: EventLoopFuture<Result>) async throws
        -> Result
    {
        try await withTaskCancellationHandler {
            // A write that never reaches the handler (the channel closed meanwhile) must still end the wait.
            channel.writeAndFlush(HTTP1Outbound.exchange(exchange)).whenFailure { exchange.fail($0) }
            return try await result.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))" }
        if let connect = error as? NIOConnectionError {
            return connect.connectionErrors.map { "\($0.target): \(describe($0.error))" }.joined(separator: "; ")
        }
        if error is ChannelError, case ChannelError.connectTimeout(let limit) = error {
            return "connection timed out after \(limit.nanoseconds / 1_000_000) ms"
        }
        return String(describing: error)
    }
}
