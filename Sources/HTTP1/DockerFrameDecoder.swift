/// Which stream a frame of a non-TTY container's output belongs to.
public enum DockerOutputStream: UInt8, Sendable, Codable {
    case stdin = 0
    case stdout = 1
    case stderr = 2
    /// The engine reports its own errors on the stream this way (moby `stdcopy.Systemerr`).
    case systemError = 3
}

public struct DockerOutputFrame: Sendable, Equatable {
    public var stream: DockerOutputStream
    public var payload: [UInt8]

    public init(stream: DockerOutputStream, payload: [UInt8]) {
        self.stream = stream
        self.payload = payload
    }
}

public enum DockerFrameError: Error, Equatable, Sendable {
    case invalidStreamType(UInt8)
    case frameTooLarge(size: Int, limit: Int)
    /// The stream ended inside a frame.
    case truncatedFrame
}

/// Splits the multiplexed stream of `logs`, `attach` and `exec` for containers without a TTY:
/// each frame is an 8-byte header `[stream, 0, 0, 0, size (u32 big-endian)]` followed by `size` bytes.
public struct DockerFrameDecoder: Sendable {
    public let maxFrameBytes: Int
    private var buffer = ByteQueue()
    private var failure: DockerFrameError?

    public init(maxFrameBytes: Int = 1 << 20) {
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or nil when more bytes are needed.
    public mutating func next() throws(DockerFrameError) -> DockerOutputFrame? {
        if let failure { throw failure }
        guard buffer.readableCount >= 8 else { return nil }
        guard let stream = DockerOutputStream(rawValue: buffer[0]) else { return try fail(.invalidStreamType(buffer[0])) }
        let size = (1...4).reduce(0) { $0 << 8 | Int(buffer[3 + $1]) }
        guard size <= maxFrameBytes else { return try fail(.frameTooLarge(size: size, limit: maxFrameBytes)) }
        guard buffer.readableCount >= 8 + size else { return nil }
        buffer.skip(8)
        return DockerOutputFrame(stream: stream, payload: buffer.read(size))
    }

    /// Call at the end of the stream: a partial frame left over is an error.
    public func finish() throws(DockerFrameError) {
        if let failure { throw failure }
        if !buffer.isEmpty { throw .truncatedFrame }
    }

    private mutating func fail(_ error: DockerFrameError) throws(DockerFrameError) -> DockerOutputFrame? {
        failure = error
        throw error
    }
}
