import FoundationEssentials
import HTTP1

/// Newline-delimited JSON documents (events, pull progress) decoded as they arrive.
public struct JSONLineStream<Element: Decodable & Sendable>: AsyncSequence, Sendable {
    let bytes: EngineByteStream

    public init(bytes: EngineByteStream) {
        self.bytes = bytes
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: EngineByteStream.AsyncIterator
        var framer = LineFramer()
        let decoder = JSONDecoder()
        var finished = false

        public mutating func next() async throws -> Element? {
            while true {
                if let line = try framer.next() { return try decode(line) }
                guard !finished else { return nil }
                let chunk: [UInt8]?
                do {
                    chunk = try await bytes.next()
                } catch {
                    throw DockerEngineClient.translate(error, operation: "reading the stream")
                }
                guard let chunk else {
                    finished = true
                    guard let last = framer.finish() else { return nil }
                    return try decode(last)
                }
                framer.feed(chunk)
            }
        }

        private func decode(_ line: [UInt8]) throws -> Element {
            do {
                return try decoder.decode(Element.self, from: Data(line))
            } catch {
                throw DockerEngineError.invalidResponse(reason: "cannot read \(Element.self): \(error)")
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(bytes: bytes.makeAsyncIterator())
    }
}
