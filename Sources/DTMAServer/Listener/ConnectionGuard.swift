import NIOCore

/// What one connection of the public listener may make dtma hold, and for how long.
public struct ConnectionLimits: Sendable {
    /// Bytes of a request head (request line and header fields), counted as they arrive.
    public var maxHeadBytes: Int
    /// From the connection's start, or the end of the previous response, until the next head has
    /// fully arrived: bounds an idle keep-alive connection and a client dripping its head.
    public var headTimeout: TimeAmount
    /// From a request's head until its body has fully arrived.
    public var bodyTimeout: TimeAmount

    public init(maxHeadBytes: Int = 8192, headTimeout: TimeAmount = .seconds(20), bodyTimeout: TimeAmount = .seconds(30)) {
        self.maxHeadBytes = maxHeadBytes
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
    }
}

/// The rules of one connection as a state machine: the raw bytes that arrive, the HTTP parts the
/// decoder made of them and the responses written go in; what to do comes out. No I/O and no
/// clock, so every rule is tested by feeding it events (`ConnectionGuardHandler` carries them out).
///
/// The head is measured here, before NIO's decoder, because the decoder's own limits count header
/// fields only: a request line that never ends would grow its buffer without bound.
struct ConnectionGuard {
    enum Deadline: Equatable {
        /// Waiting for the next request head (idle keep-alive, slowloris).
        case head
        /// Waiting for the rest of a request body.
        case body
    }

    enum Action: Equatable {
        case none
        case arm(Deadline, TimeAmount)
        case disarm
        case close
    }

    enum Verdict: Equatable {
        /// Pass the bytes on to the decoder.
        case forward
        /// The head is too long: answer 431 when no response is under way (else just close), and close.
        case refuseHead(answer: Bool)
        /// The connection is being closed: drop the bytes.
        case drop
    }

    let limits: ConnectionLimits
    private(set) var armed: Deadline?
    /// True from the end of one request to the end of the next request's head.
    private var inHead = true
    private var headBytes = 0
    /// The head ends at an empty line; this tracks the line ends seen last (CRLF or bare LF).
    private var lineEnd = LineEnd.none
    /// Whether the head has any byte that is not a line end (empty lines before a request line are
    /// ignored, RFC 9112 §2.2, and must not end the count).
    private var headStarted = false
    private var responsesOwed = 0
    private var closing = false

    private enum LineEnd { case none, lf, lfCR }

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    mutating func opened() -> Action {
        arm(.head, limits.headTimeout)
    }

    mutating func received(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        guard !closing else { return .drop }
        guard inHead else { return .forward }
        for byte in bytes {
            headBytes += 1
            if headBytes > limits.maxHeadBytes {
                closing = true
                return .refuseHead(answer: responsesOwed == 0)
            }
            switch (byte, lineEnd) {
            case (0x0A, .none):
                lineEnd = .lf
            case (0x0A, .lf), (0x0A, .lfCR):
                if headStarted {
                    // The rest of these bytes are body, or a pipelined head counted after this request ends.
                    inHead = false
                    return .forward
                }
                lineEnd = .lf
            case (0x0D, .lf):
                lineEnd = .lfCR
            case (0x0D, .none):
                break
            default:
                headStarted = true
                lineEnd = .none
            }
        }
        return .forward
    }

    /// The decoder has a whole head.
    mutating func headParsed() -> Action {
        responsesOwed += 1
        return arm(.body, limits.bodyTimeout)
    }

    /// The decoder has the whole request, body included.
    mutating func requestEnded() -> Action {
        inHead = true
        headBytes = 0
        headStarted = false
        lineEnd = .none
        // A response written before its body was read (a 401, say) leaves the next head its time now.
        if responsesOwed == 0 { return arm(.head, limits.headTimeout) }
        return armed == .body ? disarm() : .none
    }

    /// A response's last part was written.
    mutating func responseEnded() -> Action {
        responsesOwed = max(0, responsesOwed - 1)
        // A deadline for the body still owed stays; otherwise the next head has this long.
        guard responsesOwed == 0, armed != .body else { return .none }
        return arm(.head, limits.headTimeout)
    }

    mutating func fired(_ deadline: Deadline) -> Action {
        guard armed == deadline, !closing else { return .none }
        armed = nil
        closing = true
        return .close
    }

    private mutating func arm(_ deadline: Deadline, _ after: TimeAmount) -> Action {
        armed = deadline
        return .arm(deadline, after)
    }

    private mutating func disarm() -> Action {
        armed = nil
        return .disarm
    }
}
