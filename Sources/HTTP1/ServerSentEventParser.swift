/// One event of a `text/event-stream` body.
public struct ServerSentEvent: Sendable, Equatable {
    /// `message` unless the stream named it (`endpoint`, …).
    public var type: String
    /// The `data:` lines joined with newlines.
    public var data: String
    public var id: String?

    public init(type: String = "message", data: String, id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }
}

public enum ServerSentEventError: Error, Equatable, Sendable {
    case eventTooLarge(limit: Int)
}

/// An incremental `text/event-stream` parser (WHATWG HTML §9.2.6): lines end in CRLF, LF or CR (a
/// CR at the end of one slice and an LF at the start of the next are one line end), `:` starts a
/// comment, a blank line dispatches the event. Bytes in, events out; no I/O.
public struct ServerSentEventParser: Sendable {
    public let maxEventBytes: Int
    private var buffer = ByteQueue()
    private var scanOffset = 0
    private var skipLeadingLF = false
    private var sawFirstLine = false
    private var eventType = ""
    private var data: [UInt8] = []
    private var hasData = false
    private var lastEventID: String?
    private var failure: ServerSentEventError?

    /// The stream's `retry:` advice in milliseconds, if it gave one.
    public private(set) var retryMilliseconds: Int?

    public init(maxEventBytes: Int = 1 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete event, or nil when more bytes are needed.
    public mutating func next() throws(ServerSentEventError) -> ServerSentEvent? {
        if let failure { throw failure }
        // A line longer than the limit fails whether or not its end has arrived yet, so that how
        // the stream was sliced never changes the outcome.
        while let line = nextLine() {
            guard line.count <= maxEventBytes else { return try fail() }
            if let event = try process(line) { return event }
        }
        if buffer.readableCount > maxEventBytes { return try fail() }
        return nil
    }

    private mutating func nextLine() -> [UInt8]? {
        if skipLeadingLF, !buffer.isEmpty {
            if buffer[0] == ASCII.lf { buffer.skip(1) }
            skipLeadingLF = false
        }
        var index = scanOffset
        while index < buffer.readableCount {
            let byte = buffer[index]
            if byte == ASCII.lf || byte == ASCII.cr {
                var line = buffer.read(index + 1)
                line.removeLast()
                scanOffset = 0
                if byte == ASCII.cr {
                    if !buffer.isEmpty {
                        if buffer[0] == ASCII.lf { buffer.skip(1) }
                    } else {
                        skipLeadingLF = true
                    }
                }
                return line
            }
            index += 1
        }
        scanOffset = index
        return nil
    }

    private mutating func process(_ line: [UInt8]) throws(ServerSentEventError) -> ServerSentEvent? {
        var line = line[...]
        if !sawFirstLine {
            sawFirstLine = true
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }  // a leading BOM is ignored
        }
        if line.isEmpty { return dispatch() }
        if line.first == ASCII.colon { return nil }
        let colon = line.firstIndex(of: ASCII.colon)
        let name = String(decoding: line[..<(colon ?? line.endIndex)], as: UTF8.self)
        var value = colon.map { line[($0 + 1)...] } ?? line[line.endIndex...]
        if value.first == ASCII.space { value = value.dropFirst() }
        switch name {
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "data":
            if hasData { data.append(ASCII.lf) }
            data.append(contentsOf: value)
            hasData = true
            guard data.count <= maxEventBytes else { _ = try fail(); return nil }
        case "id":
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }) { retryMilliseconds = Int(String(decoding: value, as: UTF8.self)) }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventType = ""
            data = []
            hasData = false
        }
        guard hasData else { return nil }
        return ServerSentEvent(type: eventType.isEmpty ? "message" : eventType, data: String(decoding: data, as: UTF8.self), id: lastEventID)
    }

    private mutating func fail() throws(ServerSentEventError) -> ServerSentEvent? {
        failure = .eventTooLarge(limit: maxEventBytes)
        throw failure!
    }
}
