import HTTP1
import HTTP1Client

/// What to read from a container's logs.
public struct LogsOptions: Sendable {
    public var stdout = true
    public var stderr = true
    /// Keep the stream open and deliver new lines as they are written.
    public var follow = false
    /// Prefix each line with its RFC 3339 timestamp and a space.
    public var timestamps = false
    /// The last N lines only.
    public var tail: Int?
    /// Unix seconds.
    public var since: Int64?
    /// A TTY container's output is one raw stream with no frames.
    public var containerHasTTY = false

    public init() {}
}

extension DockerEngineClient {
    /// `GET /containers/{id}/logs`, demultiplexed into stdout and stderr frames in the order written.
    public func containerLogs(_ id: String, options: LogsOptions = .init()) async throws -> DockerOutputFrameStream {
        var query = EngineQuery()
        query.add("stdout", options.stdout)
        query.add("stderr", options.stderr)
        query.add("follow", options.follow)
        query.add("timestamps", options.timestamps)
        query.add("tail", options.tail.map(String.init))
        query.add("since", options.since.map(String.init))
        let streamed = try await openStream("GET", "/containers/\(pathSegment(id))/logs", query: query)
        return DockerOutputFrameStream(bytes: EngineByteStream(streamed.body), raw: options.containerHasTTY)
    }

    /// `POST /containers/{id}/attach` upgraded to a raw stream: the main process's stdin, stdout and
    /// stderr, for stdio MCP servers. The container needs `OpenStdin` for stdin to reach it.
    public func attachContainer(
        _ id: String, stdin: Bool = true, stdout: Bool = true, stderr: Bool = true, logs: Bool = false,
        containerHasTTY: Bool = false
    ) async throws -> DockerHijackedStream {
        var query: EngineQuery = [("stream", "1")]
        query.add("stdin", stdin)
        query.add("stdout", stdout)
        query.add("stderr", stderr)
        query.add("logs", logs)
        let streamed = try await openStream(
            "POST", "/containers/\(pathSegment(id))/attach", query: query, upgrade: true)
        return DockerHijackedStream(stream: streamed, output: DockerOutputFrameStream(bytes: EngineByteStream(streamed.body), raw: containerHasTTY))
    }
}

/// A hijacked connection (attach, exec): write to the process's stdin, read its output frames.
public struct DockerHijackedStream: Sendable {
    let stream: HTTP1Stream
    public let output: DockerOutputFrameStream

    public func write(_ bytes: [UInt8]) async throws {
        do {
            try await stream.write(bytes)
        } catch {
            throw DockerEngineError.connectionLost(reason: "cannot write to the attached stream: \(error)")
        }
    }

    /// Half-closes the connection: the process reads end-of-file on stdin; its output keeps coming.
    public func closeInput() async throws {
        do {
            try await stream.closeOutput()
        } catch {
            throw DockerEngineError.connectionLost(reason: "cannot close the attached stream's input: \(error)")
        }
    }

    public func close() {
        stream.close()
    }
}

/// Output frames of `logs`, `attach` or `exec`, decoded from the byte stream as it arrives.
public struct DockerOutputFrameStream: AsyncSequence, Sendable {
    public typealias Element = DockerOutputFrame
    let bytes: EngineByteStream
    /// TTY output has no frames: every chunk is stdout.
    let raw: Bool

    /// `bytes` in Docker's stream format (8-byte frame headers), or raw TTY output.
    public init(bytes: EngineByteStream, raw: Bool) {
        self.bytes = bytes
        self.raw = raw
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: EngineByteStream.AsyncIterator
        let raw: Bool
        var decoder = DockerFrameDecoder()
        var finished = false

        public mutating func next() async throws -> DockerOutputFrame? {
            while true {
                if let frame = try decoder.next() { return frame }
                guard !finished else { return nil }
                guard let chunk = try await bytes.next() else {
                    finished = true
                    try decoder.finish()
                    return nil
                }
                if raw { return DockerOutputFrame(stream: .stdout, payload: chunk) }
                decoder.feed(chunk)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(bytes: bytes.makeAsyncIterator(), raw: raw)
    }
}
