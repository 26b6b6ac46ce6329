import HTTP1Client

/// Time as dtma's own loops read it (probe periods, recovery back-off): injected, so that their
/// tests move it by hand instead of waiting on the wall clock.
public protocol LoopClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Throws `CancellationError` when the sleeping task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The machine's monotonic clock, its sleeps timed on the event loop the tasks run on.
public struct SystemLoopClock: LoopClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public func sleep(for duration: Duration) async throws { try await LoopTimers.sleep(for: duration) }
}
