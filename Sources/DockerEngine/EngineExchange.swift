import HTTP1
import NIOCore

/// What a caller hands the connection: one request and how it wants the answer.
struct EngineExchange: Sendable {
    enum Delivery: Sendable {
        /// The whole response, body limited to `maxBodyBytes`; for small JSON documents.
        case collected(maxBodyBytes: Int, EventLoopPromise<CollectedResponse>)
        /// The head as soon as it arrives, the body (or, after a 101, the raw stream) as it arrives.
        case streamed(EventLoopPromise<StreamedResponse>)
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
    var body: EngineByteStream
}

/// Messages written into an engine connection's pipeline.
enum EngineOutbound: Sendable {
    case exchange(EngineExchange)
    /// Bytes for a hijacked (upgraded) stream: a container's stdin.
    case raw(ByteBuffer)
}

/// Why an exchange ended without a response.
enum EngineConnectionFailure: Error, Sendable {
    case closedByEngine
    case timedOut(TimeAmount)
    case busy
    case unsolicitedResponse
    case malformedResponse(HTTP1ParseError)
}
