import NIOCore

/// The body of a streamed response (or the raw stream after an upgrade), as it arrives, with
/// back-pressure: when the consumer falls behind, the connection stops reading.
/// Dropping the iterator or cancelling its task closes the connection.
public struct HTTP1ByteStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        [UInt8], any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, HTTP1StreamDelegate
    >

    let producer: Producer

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator
        public mutating func next() async throws -> [UInt8]? { try await base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: producer.makeAsyncIterator())
    }
}

/// Relays the consumer's demand to the connection handler on its event loop.
/// Tagged with its exchange: on a kept-alive connection, a late call about a finished stream must
/// not touch the next one.
struct HTTP1StreamDelegate: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<HTTP1ConnectionHandler>
    let exchange: Int

    func produceMore() {
        handler.eventLoop.execute { handler.value.resumeReading(exchange: exchange) }
    }

    func didTerminate() {
        handler.eventLoop.execute { handler.value.consumerTerminated(exchange: exchange) }
    }
}
