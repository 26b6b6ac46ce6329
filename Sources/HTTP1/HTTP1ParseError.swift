/// Why a response could not be parsed. Each case is final: the connection cannot be reused.
public enum HTTP1ParseError: Error, Equatable, Sendable {
    case invalidStatusLine
    case invalidHeaderLine
    case headerTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    /// Not a decimal number, negative, overflowing, or several values that disagree.
    case invalidContentLength
    case invalidChunkSize
    /// The CRLF after a chunk's data is missing.
    case invalidChunkTerminator
    /// The stream ended inside a message.
    case truncatedMessage
    case bodyTooLarge(limit: Int)
}
