public enum LineFramerError: Error, Equatable, Sendable {
    case lineTooLong(limit: Int)
}

/// Splits newline-delimited JSON (the engine's events stream and pull progress) into lines.
/// A line ends at LF, with an optional CR before it; empty lines are skipped.
public struct LineFramer: Sendable {
    public let maxLineBytes: Int
    private var buffer = ByteQueue()
    private var scanOffset = 0
    private var failure: LineFramerError?
    /// Skip a line over the limit (and count it) instead of failing for good.
    private let dropsLongLines: Bool
    /// The rest of a line too long to keep is being skipped.
    private var discarding = false
    public private(set) var droppedLines = 0

    public init(maxLineBytes: Int = 1 << 20, dropsLongLines: Bool = false) {
        self.maxLineBytes = maxLineBytes
        self.dropsLongLines = dropsLongLines
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete, non-empty line without its terminator, or nil when more bytes are needed.
    public mutating func next() throws(LineFramerError) -> [UInt8]? {
        if let failure { throw failure }
        while let lf = buffer.firstOffset(of: ASCII.lf, from: scanOffset) {
            scanOffset = 0
            if discarding || lf > maxLineBytes {
                guard dropsLongLines else { return try fail() }
                if !discarding { droppedLines += 1 }
                discarding = false
                buffer.skip(lf + 1)
                continue
            }
            var line = buffer.read(lf + 1)
            line.removeLast()
            if line.last == ASCII.cr { line.removeLast() }
            if !line.isEmpty { return line }
        }
        scanOffset = buffer.readableCount
        if discarding || buffer.readableCount > maxLineBytes {
            guard dropsLongLines else { return try fail() }
            if !discarding { droppedLines += 1 }
            discarding = true
            buffer.skip(buffer.readableCount)
            scanOffset = 0
        }
        return nil
    }

    /// At the end of the stream: the last line if it had no terminator.
    public mutating func finish() -> [UInt8]? {
        guard failure == nil, !discarding, !buffer.isEmpty else { return nil }
        scanOffset = 0
        return buffer.readAll()
    }

    private mutating func fail() throws(LineFramerError) -> [UInt8]? {
        failure = .lineTooLong(limit: maxLineBytes)
        throw failure!
    }
}
