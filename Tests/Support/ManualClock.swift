import DTMACore
import NIOConcurrencyHelpers

/// A `LoopClock` that moves only when a test says so: sleepers wake when `advance` passes their
/// deadline, so back-off and timer logic is tested without waiting on the wall clock.
public final class ManualClock: LoopClock {
    private struct Sleeper {
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = ContinuousClock.now
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public var now: ContinuousClock.Instant { state.withLockedValue { $0.now } }

    /// How many tasks sleep on this clock now.
    public var sleeperCount: Int { state.withLockedValue { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let id = state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let due = state.withLockedValue { state -> Bool in
                    let deadline = state.now + duration
                    guard deadline > state.now, !Task.isCancelled else { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if due { Task.isCancelled ? continuation.resume(throwing: CancellationError()) : continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time on by `duration` and wakes every sleeper whose deadline it reaches.
    public func advance(by duration: Duration) {
        let woken = state.withLockedValue { state -> [Sleeper] in
            state.now += duration
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers[id] = nil }
            return Array(due.values)
        }
        woken.forEach { $0.continuation.resume() }
    }
}
