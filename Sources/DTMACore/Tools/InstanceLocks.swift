/// One operation at a time per instance name, first come first served; different names run in
/// parallel. (An actor alone is not enough: it re-enters at every `await`.)
actor InstanceLocks {
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func withLock<Result: Sendable>(_ name: String, _ body: @Sendable () async throws -> Result) async throws -> Result {
        await acquire(name)
        do {
            let result = try await body()
            release(name)
            return result
        } catch {
            release(name)
            throw error
        }
    }

    private func acquire(_ name: String) async {
        if waiting[name] == nil {
            waiting[name] = []
            return
        }
        await withCheckedContinuation { waiting[name]!.append($0) }
    }

    private func release(_ name: String) {
        guard var queue = waiting[name], !queue.isEmpty else {
            waiting[name] = nil
            return
        }
        let next = queue.removeFirst()
        waiting[name] = queue
        next.resume()
    }
}
