/// What the parser produces, in order: one `head`, any number of `body` pieces, one `end`.
/// After a `101 Switching Protocols` head, `upgradedBytes` carries everything that follows.
public enum HTTP1ResponsePart: Sendable, Equatable {
    case head(HTTP1ResponseHead)
    case body([UInt8])
    case end(trailers: HTTP1Headers)
    case upgradedBytes([UInt8])
}

/// An incremental HTTP/1.1 response parser (RFC 9112): feed it bytes as they arrive, in slices of
/// any size, and pull parts with `next()` until it returns nil ("need more bytes").
///
/// Bodies stream: a never-ending chunked or close-delimited response (the engine's events and
/// followed logs) yields body parts as soon as their bytes arrive and never buffers the whole body.
public struct HTTP1ResponseParser: Sendable {
    public struct Limits: Sendable {
        /// Status line plus header fields, and separately the trailer section.
        public var maxHeaderBytes: Int
        public var maxHeaderCount: Int

        public init(maxHeaderBytes: Int = 64 * 1024, maxHeaderCount: Int = 100) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
        }
    }

    private struct FieldSection: Sendable {
        var statusLine: (status: Int, reason: String, minorVersion: Int)?
        var fields = HTTP1Headers()
        var byteCount = 0
    }

    private enum State: Sendable {
        case head(FieldSection)
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(FieldSection)
        case closeDelimitedBody
        case endPending
        case upgraded
    }

    /// A chunk-size line is hex digits and extensions nobody here uses; this is generous.
    static let maxChunkSizeLineBytes = 4096

    public let limits: Limits
    private var buffer = ByteQueue()
    private var state = State.head(FieldSection())
    private var lineScanOffset = 0
    private var expectingHEADResponse = false
    private var currentMessageKeepsConnection = true
    private var receivedEndOfStream = false
    private var failure: HTTP1ParseError?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Tells the parser the next response answers a HEAD request, which has headers but no body.
    public mutating func expectResponse(toHEAD: Bool) {
        expectingHEADResponse = toHEAD
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The peer closed the connection: ends a close-delimited body, or makes a partial message an error.
    public mutating func feedEndOfStream() {
        receivedEndOfStream = true
    }

    /// True between messages, after an `end` whose response allows another request on this connection.
    public var canReuseConnection: Bool {
        guard case .head(let section) = state, section.statusLine == nil, section.byteCount == 0 else { return false }
        return currentMessageKeepsConnection && buffer.isEmpty && failure == nil && !receivedEndOfStream
    }

    /// After a `101 Switching Protocols`: what follows is raw bytes, never another response.
    public var isUpgraded: Bool {
        if case .upgraded = state { return true }
        return false
    }

    /// The next part, or nil when more bytes (or the end of the stream) are needed.
    /// Once it throws, it throws the same error for ever.
    public mutating func next() throws(HTTP1ParseError) -> HTTP1ResponsePart? {
        if let failure { throw failure }
        do {
            return try step()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func step() throws(HTTP1ParseError) -> HTTP1ResponsePart? {
        while true {
            switch state {
            case .head(var section):
                guard let line = try readFieldLine(in: &section) else {
                    state = .head(section)
                    if receivedEndOfStream, section.statusLine != nil || !buffer.isEmpty { throw .truncatedMessage }
                    return nil
                }
                state = .head(section)
                if section.statusLine == nil {
                    if line.isEmpty { continue }  // RFC 9112 §2.2: ignore empty lines before the status line
                    section.statusLine = try Self.parseStatusLine(line)
                    state = .head(section)
                } else if line.isEmpty {
                    if let head = try finishHead(section) { return .head(head) }
                } else {
                    try Self.appendField(line, to: &section, limits: limits)
                    state = .head(section)
                }

            case .fixedBody(let remaining):
                guard !buffer.isEmpty else { return try needMoreBytes() }
                let bytes = buffer.read(min(remaining, buffer.readableCount))
                state = bytes.count == remaining ? .endPending : .fixedBody(remaining: remaining - bytes.count)
                return .body(bytes)

            case .closeDelimitedBody:
                if !buffer.isEmpty { return .body(buffer.readAll()) }
                guard receivedEndOfStream else { return nil }
                state = .head(FieldSection())
                return .end(trailers: [:])

            case .endPending:
                state = .head(FieldSection())
                expectingHEADResponse = false
                return .end(trailers: [:])

            case .chunkSize:
                guard let line = try readLine(maxLength: Self.maxChunkSizeLineBytes, tooLong: .invalidChunkSize) else {
                    return try needMoreBytes()
                }
                let size = try Self.parseChunkSize(line.bytes)
                state = size == 0 ? .trailers(FieldSection()) : .chunkData(remaining: size)

            case .chunkData(let remaining):
                guard !buffer.isEmpty else { return try needMoreBytes() }
                let bytes = buffer.read(min(remaining, buffer.readableCount))
                state = bytes.count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - bytes.count)
                return .body(bytes)

            case .chunkDataEnd:
                guard !buffer.isEmpty else { return try needMoreBytes() }
                if buffer[0] == ASCII.lf {
                    buffer.skip(1)
                } else if buffer[0] == ASCII.cr {
                    guard buffer.readableCount >= 2 else { return try needMoreBytes() }
                    guard buffer[1] == ASCII.lf else { throw .invalidChunkTerminator }
                    buffer.skip(2)
                } else {
                    throw .invalidChunkTerminator
                }
                state = .chunkSize

            case .trailers(var section):
                guard let line = try readFieldLine(in: &section) else {
                    state = .trailers(section)
                    return try needMoreBytes()
                }
                if line.isEmpty {
                    state = .head(FieldSection())
                    expectingHEADResponse = false
                    return .end(trailers: section.fields)
                }
                try Self.appendField(line, to: &section, limits: limits)
                state = .trailers(section)

            case .upgraded:
                return buffer.isEmpty ? nil : .upgradedBytes(buffer.readAll())
            }
        }
    }

    private func needMoreBytes() throws(HTTP1ParseError) -> HTTP1ResponsePart? {
        if receivedEndOfStream { throw .truncatedMessage }
        return nil
    }

    /// Chooses how the body is delimited (RFC 9112 §6.3) and returns the head to emit, or nil for an
    /// interim 1xx response, which is skipped.
    private mutating func finishHead(_ section: FieldSection) throws(HTTP1ParseError) -> HTTP1ResponseHead? {
        let statusLine = section.statusLine!
        let head = HTTP1ResponseHead(
            status: statusLine.status, reason: statusLine.reason,
            minorVersion: statusLine.minorVersion, headers: section.fields)
        currentMessageKeepsConnection = head.allowsKeepAlive

        switch head.status {
        case 101:
            state = .upgraded
            currentMessageKeepsConnection = false
            return head
        case 100..<200:
            state = .head(FieldSection())
            return nil
        case 204, 304:
            state = .endPending
            return head
        default:
            if expectingHEADResponse {
                state = .endPending
                return head
            }
        }

        let codings = head.headers.listValues("Transfer-Encoding")
        if let last = codings.last {
            // A Content-Length beside Transfer-Encoding may be a smuggling attempt: never reuse.
            if head.headers.contains("Content-Length") { currentMessageKeepsConnection = false }
            if last.equalsIgnoringASCIICase("chunked") {
                state = .chunkSize
            } else {
                state = .closeDelimitedBody
                currentMessageKeepsConnection = false
            }
        } else if let length = try Self.contentLength(head.headers) {
            state = length == 0 ? .endPending : .fixedBody(remaining: length)
        } else {
            state = .closeDelimitedBody
            currentMessageKeepsConnection = false
        }
        return head
    }

    // MARK: Lines

    private mutating func readLine(
        maxLength: Int, tooLong: HTTP1ParseError
    ) throws(HTTP1ParseError) -> (bytes: [UInt8], consumed: Int)? {
        guard let lf = buffer.firstOffset(of: ASCII.lf, from: lineScanOffset) else {
            lineScanOffset = buffer.readableCount
            if buffer.readableCount > maxLength { throw tooLong }
            return nil
        }
        lineScanOffset = 0
        guard lf < maxLength else { throw tooLong }
        var line = buffer.read(lf + 1)
        line.removeLast()
        if line.last == ASCII.cr { line.removeLast() }
        return (line, lf + 1)
    }

    private mutating func readFieldLine(in section: inout FieldSection) throws(HTTP1ParseError) -> [UInt8]? {
        let remaining = limits.maxHeaderBytes - section.byteCount
        guard let line = try readLine(maxLength: remaining, tooLong: .headerTooLarge(limit: limits.maxHeaderBytes))
        else { return nil }
        section.byteCount += line.consumed
        return line.bytes
    }

    // MARK: Grammar

    /// `HTTP/1.x SSS reason` (RFC 9112 §4); the reason phrase may be absent.
    static func parseStatusLine(_ line: [UInt8]) throws(HTTP1ParseError) -> (Int, String, Int) {
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8),
            let minor = decimalDigit(line[7]), line[8] == ASCII.space,
            let s0 = decimalDigit(line[9]), let s1 = decimalDigit(line[10]), let s2 = decimalDigit(line[11]),
            (1...5).contains(s0)
        else { throw .invalidStatusLine }
        var reason = ""
        if line.count > 12 {
            let phrase = line[13...]
            guard line[12] == ASCII.space, phrase.allSatisfy(ASCII.isFieldValueByte) else { throw .invalidStatusLine }
            reason = String(decoding: phrase, as: UTF8.self)
        }
        return (s0 * 100 + s1 * 10 + s2, reason, minor)
    }

    private static func appendField(
        _ line: [UInt8], to section: inout FieldSection, limits: Limits
    ) throws(HTTP1ParseError) {
        guard section.fields.count < limits.maxHeaderCount else { throw .tooManyHeaders(limit: limits.maxHeaderCount) }
        guard let colon = line.firstIndex(of: ASCII.colon), colon > 0,
            line[..<colon].allSatisfy(ASCII.isTokenCharacter)
        else { throw .invalidHeaderLine }
        var value = line[(colon + 1)...]
        while let first = value.first, first == ASCII.space || first == ASCII.tab { value.removeFirst() }
        while let last = value.last, last == ASCII.space || last == ASCII.tab { value.removeLast() }
        guard value.allSatisfy(ASCII.isFieldValueByte) else { throw .invalidHeaderLine }
        section.fields.add(
            name: String(decoding: line[..<colon], as: UTF8.self),
            value: String(decoding: value, as: UTF8.self))
    }

    /// The agreed Content-Length, nil when absent; repeated values must agree (RFC 9112 §6.3 ¶5).
    static func contentLength(_ headers: HTTP1Headers) throws(HTTP1ParseError) -> Int? {
        var agreed: Int?
        for value in headers.listValues("Content-Length") {
            guard let length = parseDecimal(value.utf8) else { throw .invalidContentLength }
            if let agreed, agreed != length { throw .invalidContentLength }
            agreed = length
        }
        if agreed == nil, headers.contains("Content-Length") { throw .invalidContentLength }
        return agreed
    }

    /// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1): hex digits, then optional whitespace and `;ext`.
    static func parseChunkSize(_ line: [UInt8]) throws(HTTP1ParseError) -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = ASCII.hexValue(line[index]) {
            guard size <= (Int.max - digit) / 16 else { throw .invalidChunkSize }
            size = size * 16 + digit
            index += 1
        }
        guard index > 0 else { throw .invalidChunkSize }
        let rest = line[index...].drop { $0 == ASCII.space || $0 == ASCII.tab }
        guard rest.isEmpty || rest.first == ASCII.semicolon else { throw .invalidChunkSize }
        return size
    }

    static func parseDecimal(_ digits: some Collection<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard let digit = decimalDigit(byte) else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = shifted.addingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    static func decimalDigit(_ byte: UInt8) -> Int? {
        (0x30...0x39).contains(byte) ? Int(byte - 0x30) : nil
    }
}
