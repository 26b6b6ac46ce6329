import NIOCore

/// The body of a streamed response (or the raw stream after an upgrade), as it arrives from the
/// engine, with back-pressure: when the consumer falls behind, the connection stops reading.
/// Dropping the iterator or cancelling its task closes the connection.
public struct EngineByteStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        [UInt8], any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, EngineStreamDelegate
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
struct EngineStreamDelegate: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<EngineConnectionHandler>

    func produceMore() {
        handler.eventLoop.execute { handler.value.resumeReading() }
    }

    func didTerminate() {
        handler.eventLoop.execute { handler.value.consumerTerminated() }
    }
}
