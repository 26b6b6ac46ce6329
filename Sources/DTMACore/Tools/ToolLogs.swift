import DockerEngine
import HTTP1

/// One line a tool wrote, as `GET /tools/{name}/logs` returns it.
public struct ToolLogLine: Encodable, Sendable, Equatable {
    /// `stdout` or `stderr`.
    public var stream: String
    /// RFC 3339 with nanoseconds, as the engine stamped it; nil when timestamps were not asked for.
    public var time: String?
    public var line: String
}

/// What to read of a tool's logs.
public struct ToolLogQuery: Sendable {
    public static let maxTail = 10_000

    /// The last N lines (at most `maxTail`).
    public var tail: Int
    /// Unix seconds.
    public var since: Int64?
    public var follow: Bool
    public var timestamps: Bool

    public init(tail: Int = 100, since: Int64? = nil, follow: Bool = false, timestamps: Bool = true) {
        self.tail = tail
        self.since = since
        self.follow = follow
        self.timestamps = timestamps
    }
}

/// A tool's log lines as they are read from the engine: frames split into lines per stream, each
/// with the engine's timestamp taken off the front. Dropping the iterator closes the engine stream.
public struct ToolLogStream: AsyncSequence, Sendable {
    public typealias Element = ToolLogLine
    let frames: DockerOutputFrameStream
    let timestamps: Bool

    public struct AsyncIterator: AsyncIteratorProtocol {
        var frames: DockerOutputFrameStream.AsyncIterator
        let timestamps: Bool
        var framers: [DockerOutputStream: LineFramer] = [:]
        var ready: [ToolLogLine] = []

        public mutating func next() async throws -> ToolLogLine? {
            while ready.isEmpty {
                guard let frame = try await frames.next() else {
                    // A last line without its newline.
                    for stream in framers.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                        if let rest = framers[stream]?.finish() { ready.append(line(rest, stream)) }
                    }
                    framers = [:]
                    return ready.isEmpty ? nil : ready.removeFirst()
                }
                var framer = framers[frame.stream] ?? LineFramer(maxLineBytes: 1 << 20)
                framer.feed(frame.payload)
                while let bytes = try framer.next() { ready.append(line(bytes, frame.stream)) }
                framers[frame.stream] = framer
            }
            return ready.removeFirst()
        }

        private func line(_ bytes: [UInt8], _ stream: DockerOutputStream) -> ToolLogLine {
            var text = Substring(String(decoding: bytes, as: UTF8.self))
            if text.last == "\r" { text = text.dropLast() }
            var time: String?
            // The engine puts `2026-11-25T16:00:10.104883955Z ` before each line when asked.
            if timestamps, let space = text.firstIndex(of: " ") {
                time = String(text[..<space])
                text = text[text.index(after: space)...]
            }
            return ToolLogLine(stream: stream == .stderr ? "stderr" : "stdout", time: time, line: String(text))
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(frames: frames.makeAsyncIterator(), timestamps: timestamps)
    }
}

/// The newest lines of a log that fit in a byte budget: `tail=10000` of a log of long lines is
/// answered from a few MiB, not from the whole log held at once.
public struct ToolLogTail: Sendable {
    public var lines: [ToolLogLine]
    /// Older lines that were asked for but left out.
    public var dropped: Int

    public static func collect<Lines: AsyncSequence>(_ source: Lines, budgetBytes: Int) async throws -> ToolLogTail
    where Lines.Element == ToolLogLine {
        var lines: [ToolLogLine] = []
        var first = 0
        var bytes = 0
        for try await line in source {
            lines.append(line)
            bytes += line.encodedSizeEstimate
            while bytes > budgetBytes, first < lines.count - 1 {  // the newest line stays, whatever its size
                bytes -= lines[first].encodedSizeEstimate
                lines[first] = ToolLogLine(stream: "", time: nil, line: "")  // its text freed now
                first += 1
            }
        }
        return ToolLogTail(lines: Array(lines[first...]), dropped: first)
    }
}

extension ToolLogLine {
    /// About the bytes of this line in a JSON answer (its text, and the field names around it).
    var encodedSizeEstimate: Int { line.utf8.count + (time?.utf8.count ?? 0) + 48 }
}

extension ToolManager {
    /// The logs of a managed tool's container; `notManaged` for any other name.
    public func logs(_ instance: String, query: ToolLogQuery) async throws -> ToolLogStream {
        let container = try await managedContainer(instance)
        var options = LogsOptions()
        options.tail = min(max(query.tail, 0), ToolLogQuery.maxTail)
        options.since = query.since
        options.follow = query.follow
        options.timestamps = query.timestamps
        options.containerHasTTY = container.config.tty ?? false
        let frames = try await engineCall { try await self.engine.containerLogs(container.id, options: options) }
        return ToolLogStream(frames: frames, timestamps: query.timestamps)
    }
}
