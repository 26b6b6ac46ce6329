import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Waits timed on the event loops that carry the I/O. `Task.sleep` keeps its timers on
/// Dispatch's own thread, so every wait that ends there wakes a second thread; with NIO as the
/// global executor (`dtma serve`) a wait timed here resumes on the loop that fired it.
public enum LoopTimers {
    /// The caller's own loop when it runs on one, as `ConcurrencyOnNIO` arranges.
    static var loop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }

    /// `Task.sleep(for:)`, timed on an event loop. Throws `CancellationError` when cancelled.
    public static func sleep(for duration: Duration) async throws {
        let promise = loop.makePromise(of: Void.self)
        let timer = promise.futureResult.eventLoop.scheduleTask(in: TimeAmount(duration)) { promise.succeed() }
        try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            timer.cancel()
            promise.fail(CancellationError())
        }
    }

    /// Runs `work` after `duration`, unless the returned cancel is called first.
    public static func after(_ duration: Duration, _ work: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        let timer = loop.scheduleTask(in: TimeAmount(duration)) { work() }
        return { timer.cancel() }
    }

    public struct DeadlineExceeded: Error {}

    /// Runs `operation`, cancelling it when `limit` passes; then throws `DeadlineExceeded`.
    public static func withDeadline<Result: Sendable>(
        _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let work = Task { try await operation() }
        let expired = NIOLockedValueBox(false)
        let timer = loop.scheduleTask(in: TimeAmount(limit)) {
            expired.withLockedValue { $0 = true }
            work.cancel()
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            do {
                return try await work.value
            } catch {
                if expired.withLockedValue({ $0 }) { throw DeadlineExceeded() }
                throw error
            }
        } onCancel: {
            work.cancel()
        }
    }
}
