@testable import DTMACore
import Testing

@Suite("One operation at a time per instance")
struct InstanceLocksTests {
    @Test("a waiter whose task is cancelled leaves the queue at once; the next one still gets the lock")
    func cancelledWaiter() async throws {
        let locks = InstanceLocks()
        let (acquired, holding) = AsyncStream.makeStream(of: Void.self)
        let (release, releasing) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await locks.withLock("a") {
                holding.yield()
                for await _ in release { break }
            }
        }
        for await _ in acquired { break }
        let cancelled = Task { try await locks.withLock("a") { "ran" } }
        let next = Task { try await locks.withLock("a") { "next ran" } }
        while await locks.waiting(for: "a") < 2 { await Task.yield() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(await locks.waiting(for: "a") == 1, "only the next waiter is left")
        releasing.yield()
        try await holder.value
        #expect(try await next.value == "next ran")
        #expect(try await locks.withLock("b") { "other names are free" } == "other names are free")
    }
}
