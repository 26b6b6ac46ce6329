import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// How a streaming answer (a followed log, `/events`) treats a client that reads slower than it is fed.
struct StreamBounds: Sendable {
    /// Encoded bytes waiting for the client, at most; past it the client is cut off.
    var bufferBytes: Int
    /// One write to the client may wait this long for it to read; then its connection is closed.
    var writeTimeout: TimeAmount = .seconds(30)

    /// The last thing a client that fell behind is told.
    var farewellJSON: String {
        #"{"success":false,"error":"the client read too slowly: more than \#(bufferBytes) bytes were waiting for it","code":"client_too_slow"}"#
    }
}

/// Counts what is in flight, and refuses past a cap: streams being served, bytes queued for a client.
final class BoundedCount: Sendable {
    let limit: Int
    private struct State {
        var count = 0
        /// The one task waiting for room (`waitToTake`), if any.
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = NIOLockedValueBox(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Adds `amount` when the total stays within the limit (or nothing is counted: one item larger
    /// than the limit still goes through alone).
    func take(_ amount: Int = 1) -> Bool {
        state.withLockedValue { state in
            guard state.count == 0 || state.count + amount <= limit else { return false }
            state.count += amount
            return true
        }
    }

    /// Waits until `amount` fits, then adds it; for one waiter at a time. Throws when cancelled.
    func waitToTake(_ amount: Int) async throws {
        while !take(amount) {
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let roomAlready = state.withLockedValue { state in
                        if state.count == 0 || state.count + amount <= limit || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if roomAlready { continuation.resume() }
                }
            } onCancel: {
                state.withLockedValue { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }?.resume()
            }
        }
    }

    func give(_ amount: Int = 1) {
        state.withLockedValue { state in
            state.count -= amount
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// One unit taken until the slot is gone: held by what serves a stream, so that it comes back
    /// however the stream ends (or if its body is never written).
    final class Slot: Sendable {
        private let owner: BoundedCount
        fileprivate init(_ owner: BoundedCount) { self.owner = owner }
        deinit { owner.give() }
    }

    func slot() -> Slot? {
        take() ? Slot(self) : nil
    }
}

extension ToolAPI {
    /// Writes each item of `source` as it comes, and `keepAlive.bytes` after each quiet
    /// `keepAlive.every`, until the source ends, the client leaves (its side of the connection
    /// closes, or a write fails: the source is cancelled, which closes what feeds it) or dtma shuts
    /// down gracefully.
    ///
    /// Items are encoded as they arrive and queued for the client up to `bounds.bufferBytes`. When
    /// that much waits, a source that can wait (`farewell` nil: a log read from the engine) is read
    /// no further until the client catches up; a source that cannot (dtma's own events) is stopped,
    /// `farewell` goes after what is queued, and the stream ends: the client may come back. A client
    /// that reads nothing at all is closed once a write has waited `bounds.writeTimeout`.
    static func pump<Source: AsyncSequence & Sendable>(
        _ source: Source, keepAlive: (every: Duration, bytes: String)?, bounds: StreamBounds, farewell: ByteBuffer?,
        channel: any Channel, logger: Logger, into writer: inout some ResponseBodyWriter,
        encoder: @escaping @Sendable () -> (Source.Element) throws -> ByteBuffer
    ) async throws where Source.Element: Sendable {
        let queued = BoundedCount(limit: bounds.bufferBytes)
        let (merged, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
        func enqueue(_ buffer: ByteBuffer) -> Bool {
            guard queued.take(buffer.readableBytes) else { return false }
            feed.yield(buffer)
            return true
        }
        // A closed connection ends the stream now rather than at the next keep-alive.
        channel.closeFuture.whenComplete { _ in feed.finish() }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { feed.finish() }
                    let encode = encoder()
                    for try await item in source {
                        let buffer = try encode(item)
                        if let farewell {
                            guard enqueue(buffer) else {
                                logger.notice("a streaming client fell behind by \(bounds.bufferBytes) bytes: its stream is ended")
                                feed.yield(farewell)
                                return
                            }
                        } else {
                            try await queued.waitToTake(buffer.readableBytes)
                            feed.yield(buffer)
                        }
                    }
                }
                if let keepAlive {
                    group.addTask {
                        while true {
                            try await Task.sleep(for: keepAlive.every)
                            _ = enqueue(ByteBuffer(string: keepAlive.bytes))
                        }
                    }
                }
                defer { group.cancelAll() }
                for await buffer in merged {
                    let stalled = channel.eventLoop.scheduleTask(in: bounds.writeTimeout) { channel.close(promise: nil) }
                    defer { stalled.cancel() }
                    try await writer.write(buffer)
                    queued.give(buffer.readableBytes)
                }
            }
        } onGracefulShutdown: {
            feed.finish()
        }
    }

    /// Runs a streaming answer until its client closes its side of the connection, and then closes
    /// the connection, which ends the stream (half-closed connections are allowed, so a client
    /// that left would otherwise hold its stream until the next write fails).
    static func untilClientLeaves(_ request: Request, channel: any Channel, _ stream: () async throws -> Void) async throws {
        try await request.body.consumeWithInboundCloseHandler { _ in try await stream() } onInboundClosed: { channel.close(promise: nil) }
    }
}
