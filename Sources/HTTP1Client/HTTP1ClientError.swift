import HTTP1

/// Why an exchange ended without a usable response.
public enum HTTP1ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing answered at the endpoint: missing socket, refused, unreachable, or too slow to accept.
    case unreachable(endpoint: String, reason: String)
    /// The peer closed the connection before the response was complete.
    case closedByPeer
    case timedOut(seconds: Double)
    case malformedResponse(HTTP1ParseError)
    /// The request itself could not be written (a header value with CR or LF, …).
    case invalidRequest(HTTP1RequestError)
    /// Bytes arrived when no request was waiting for them.
    case unsolicitedResponse
    /// A second request was written into a connection that was still busy (a bug of ours).
    case busy
    case shutDown

    /// The caller's side failed (a request it could not write, a client it shut down, its own
    /// bug), not the peer: a prober counts these against itself, not against the server.
    public var isLocal: Bool {
        switch self {
        case .invalidRequest, .shutDown, .busy: true
        case .unreachable, .closedByPeer, .timedOut, .malformedResponse, .unsolicitedResponse: false
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let reason): "cannot connect to \(endpoint): \(reason)"
        case .closedByPeer: "the peer closed the connection"
        case .timedOut(let seconds): "no answer within \(seconds) s"
        case .malformedResponse(let error): "malformed response: \(error)"
        case .invalidRequest(let error): "invalid request: \(error)"
        case .unsolicitedResponse: "a response nobody asked for"
        case .busy: "connection already in use"
        case .shutDown: "the client is shut down"
        }
    }
}
