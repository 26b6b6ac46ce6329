import DTMATestSupport
@testable import DTMAServer
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

/// The streaming answers' bounds, without a socket: a counting source, a writer that records or
/// blocks, and NIO's test channel, whose clock only moves when told.
@Suite("Streaming answers are bounded in bytes")
struct StreamPumpTests {
    /// Items of `size` bytes, as many as asked; counts how many were taken.
    struct CountingSource: AsyncSequence, Sendable {
        let count: Int
        let size: Int
        let taken: LockedCounter
        /// Counts iterators gone: the pump has stopped reading the source.
        let released = LockedCounter()

        /// Counts its own end into `released`.
        final class Release: Sendable {
            let released: LockedCounter
            init(_ released: LockedCounter) { self.released = released }
            deinit { released.increment() }
        }

        struct AsyncIterator: AsyncIteratorProtocol {
            let source: CountingSource
            let release: Release
            var index = 0
            mutating func next() async -> [UInt8]? {
                guard index < source.count else { return nil }
                index += 1
                source.taken.increment()
                return Array(repeating: UInt8(ascii: "x"), count: source.size)
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self, release: Release(released)) }
    }

    /// Records what is written; with `blockUntilClosed`, the first write waits for the channel to close and then fails.
    struct TestWriter: ResponseBodyWriter {
        let written: NIOLockedValueBox<[ByteBuffer]>
        var blockUntilClosed: (any Channel)?

        mutating func write(_ buffer: ByteBuffer) async throws {
            if let channel = blockUntilClosed {
                try? await channel.closeFuture.get()
                throw ChannelError.ioOnClosedChannel
            }
            written.withLockedValue { $0.append(buffer) }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static let bounds = StreamBounds(bufferBytes: 64 * 1024, writeTimeout: .seconds(30))
    static let farewell = ByteBuffer(string: "farewell")

    /// `cutOff`: the source cannot wait (dtma's events), so a client that falls behind gets the farewell.
    static func run(
        _ source: CountingSource, cutOff: Bool = false, writer: inout TestWriter, channel: any Channel
    ) async throws {
        try await ToolAPI.pump(
            source, keepAlive: (.seconds(3600), "\n"), bounds: bounds, farewell: cutOff ? farewell : nil, channel: channel,
            logger: Logger(label: "test"), into: &writer
        ) { { ByteBuffer(bytes: $0) } }
    }

    @Test("a source that can wait is read at the client's pace: every item arrives, and the stream ends with its source")
    func keepsUp() async throws {
        let channel = NIOAsyncTestingChannel()
        let written = NIOLockedValueBox<[ByteBuffer]>([])
        var writer = TestWriter(written: written)
        try await Self.run(CountingSource(count: 200, size: 10 * 1024, taken: LockedCounter()), writer: &writer, channel: channel)
        #expect(written.withLockedValue { $0.count } == 200, "2 MB in all, more than the budget, none lost")
        #expect(written.withLockedValue { $0.contains(Self.farewell) } == false)
    }

    @Test("a client that reads nothing holds at most the budget: the source stops, and its connection is closed after the write timeout",
          arguments: [false, true])
    func readsNothing(cutOff: Bool) async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        let taken = LockedCounter()
        let written = NIOLockedValueBox<[ByteBuffer]>([])
        let pumping = Task {
            var writer = TestWriter(written: written, blockUntilClosed: channel)
            try await Self.run(CountingSource(count: 10_000, size: 10 * 1024, taken: taken), cutOff: cutOff, writer: &writer, channel: channel)
        }
        // The budget is 6 items of 10 KiB (one more is taken, then waits or is refused), whatever the source has.
        let stopped = try await eventually { taken.value == 7 }
        #expect(stopped)
        await Task.yield()
        #expect(taken.value == 7, "the source is not read past the budget")
        await channel.testingEventLoop.advanceTime(by: .seconds(31))
        await #expect(throws: (any Error).self) { try await pumping.value }
        #expect(!channel.isActive, "closed by the write timeout")
    }

    @Test("a source that cannot wait is cut off once the budget is queued: the farewell follows what is queued")
    func cutOff() async throws {
        let channel = NIOAsyncTestingChannel()
        let written = NIOLockedValueBox<[ByteBuffer]>([])
        let taken = LockedCounter()
        let source = CountingSource(count: 1000, size: 10 * 1024, taken: taken)
        // A writer that lets the first write wait until the pump has let go of the source (cut off):
        // an earlier write would make room for the item that must not fit.
        struct SlowFirstWrite: ResponseBodyWriter {
            let written: NIOLockedValueBox<[ByteBuffer]>
            let released: LockedCounter
            mutating func write(_ buffer: ByteBuffer) async throws {
                while released.value < 1 { await Task.yield() }
                written.withLockedValue { $0.append(buffer) }
            }
            consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
        }
        var writer = SlowFirstWrite(written: written, released: source.released)
        try await ToolAPI.pump(
            source, keepAlive: (.seconds(3600), "\n"), bounds: Self.bounds,
            farewell: Self.farewell, channel: channel, logger: Logger(label: "test"), into: &writer
        ) { { ByteBuffer(bytes: $0) } }
        #expect(written.withLockedValue { $0.count } == 7, "the 6 items that fit, then the farewell")
        #expect(written.withLockedValue { $0.last } == Self.farewell)
        #expect(taken.value == 7, "the source was left after the item that did not fit")
    }

    @Test("stream slots come back when the stream that held one is gone")
    func slots() {
        let streams = BoundedCount(limit: 2)
        var held = [streams.slot(), streams.slot()]
        #expect(streams.slot() == nil)
        held.removeLast()
        #expect(streams.slot() != nil)
        _ = held
    }
}
