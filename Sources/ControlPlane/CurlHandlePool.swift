import NIOConcurrencyHelpers

/// A few curl handles for one control plane, so that transfers run side by side (a deploy's secret
/// fetch need not wait behind a slow heartbeat) while each handle keeps its TLS connection warm
/// between uses. At most `limit` handles; a caller finding none free waits its turn (first come,
/// first served) and stops waiting when its task is cancelled.
final class CurlHandlePool: Sendable {
    let limit: Int
    private struct State {
        var idle: [CurlHandle] = []
        var created = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<CurlHandle, any Error>)] = []
        var nextWaiter: UInt64 = 0
    }
    private let state = NIOLockedValueBox(State())

    init(limit: Int) {
        self.limit = limit
    }

    func acquire() async throws -> CurlHandle {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let handle: CurlHandle? = state.withLockedValue { state in
                    // The most recently used handle first: its connection is the likeliest to be alive.
                    if let handle = state.idle.popLast() { return handle }
                    if state.created < limit {
                        state.created += 1
                        return CurlHandle()
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let handle { continuation.resume(returning: handle) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    func release(_ handle: CurlHandle) {
        let waiter = state.withLockedValue { state in
            guard !state.waiters.isEmpty else {
                state.idle.append(handle)
                return nil as CheckedContinuation<CurlHandle, any Error>?
            }
            return state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: handle)
    }
}
