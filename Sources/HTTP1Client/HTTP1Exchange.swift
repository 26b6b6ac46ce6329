import HTTP1
import NIOCore

/// What a caller hands the connection: one request and how it wants the answer.
struct HTTP1Exchange: Sendable {
    enum Delivery: Sendable {
        /// The whole response, body limited to `maxBodyBytes`; for small JSON documents.
        case collected(maxBodyBytes: Int, EventLoopPromise<CollectedResponse>)
        /// The head as soon as it arrives, the body (or, after a 101, the raw stream) as it arrives.
        /// With `keepAlive`, a body that ends cleanly leaves the connection open and says so there;
        /// without it, the connection closes when the stream ends.
        case streamed(EventLoopPromise<StreamedResponse>, keepAlive: StreamLease?)
    }

    var request: ByteBuffer
    var isHEAD: Bool
    var delivery: Delivery
    /// Time allowed until the whole collected response, or until a streamed response's head.
    var timeout: TimeAmount?
}

struct CollectedResponse: Sendable {
    var response: HTTP1Response
    /// The connection may carry another request.
    var connectionReusable: Bool
}

struct StreamedResponse: Sendable {
    var head: HTTP1ResponseHead
    var body: HTTP1ByteStream
}

/// Messages written into a connection's pipeline.
enum HTTP1Outbound: Sendable {
    case exchange(HTTP1Exchange)
    /// Bytes for a hijacked (upgraded) stream: a container's stdin.
    case raw(ByteBuffer)
}

