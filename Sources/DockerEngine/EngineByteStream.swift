import HTTP1Client

/// The bytes of an engine stream (logs, events, attach output): from the engine's connection, with
/// back-pressure, or from memory, for an engine that is not a real one (tests).
public struct EngineByteStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    enum Source: Sendable {
        case connection(HTTP1ByteStream)
        case memory(AsyncThrowingStream<[UInt8], any Error>)
    }

    let source: Source

    init(_ connection: HTTP1ByteStream) {
        source = .connection(connection)
    }

    /// Chunks handed over in memory, as an in-memory engine produces them.
    public init(chunks: AsyncThrowingStream<[UInt8], any Error>) {
        source = .memory(chunks)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        enum Base {
            case connection(HTTP1ByteStream.AsyncIterator)
            case memory(AsyncThrowingStream<[UInt8], any Error>.AsyncIterator)
        }

        var base: Base

        public mutating func next() async throws -> [UInt8]? {
            switch base {
            case .connection(var iterator):
                defer { base = .connection(iterator) }
                return try await iterator.next()
            case .memory(var iterator):
                defer { base = .memory(iterator) }
                return try await iterator.next()
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .connection(let stream): AsyncIterator(base: .connection(stream.makeAsyncIterator()))
        case .memory(let stream): AsyncIterator(base: .memory(stream.makeAsyncIterator()))
        }
    }
}
