/// One operation at a time per instance name, first come first served; different names run in
/// parallel. (An actor alone is not enough: it re-enters at every `await`.) A waiter whose task
/// is cancelled (its client left) leaves the queue at once with `CancellationError`.
public actor InstanceLocks {
    public init() {}
    private typealias Waiter = (id: UInt64, continuation: CheckedContinuation<Void, any Error>)
    /// A name is held while it has an entry; the entry holds those waiting for it.
    private var queues: [String: [Waiter]] = [:]
    private var nextWaiterID: UInt64 = 0

    public func withLock<Result: Sendable>(_ name: String, _ body: @Sendable () async throws -> Result) async throws -> Result {
        try await acquire(name)
        do {
            let result = try await body()
            release(name)
            return result
        } catch {
            release(name)
            throw error
        }
    }

    /// How many wait for `name` (for tests).
    func waiting(for name: String) -> Int { queues[name]?.count ?? 0 }

    private func acquire(_ name: String) async throws {
        guard queues[name] != nil else {
            queues[name] = []
            return
        }
        nextWaiterID += 1
        let id = nextWaiterID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard !Task.isCancelled else { return continuation.resume(throwing: CancellationError()) }
                queues[name]!.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id, for: name) }
        }
    }

    private func cancelWaiter(_ id: UInt64, for name: String) {
        guard let index = queues[name]?.firstIndex(where: { $0.id == id }) else { return }
        queues[name]!.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func release(_ name: String) {
        guard var queue = queues[name], !queue.isEmpty else {
            queues[name] = nil
            return
        }
        let next = queue.removeFirst()
        queues[name] = queue
        next.continuation.resume()
    }
}
