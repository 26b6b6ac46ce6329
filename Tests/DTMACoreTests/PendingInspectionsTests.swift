@testable import DTMACore
import Testing

@Suite("Inspections after engine events, coalesced per container")
struct PendingInspectionsTests {
    @Test("the first event starts an inspector; events meanwhile make one more inspect, not one each")
    func coalesced() {
        let pending = PendingInspections()
        #expect(pending.request("a", exitCode: nil), "nothing inspects a yet: start one")
        #expect(pending.take("a") == .inspect(exitCode: nil))
        // Three events while the inspect runs.
        #expect(!pending.request("a", exitCode: nil))
        #expect(!pending.request("a", exitCode: 137))
        #expect(!pending.request("a", exitCode: nil))
        #expect(pending.take("a") == .inspect(exitCode: 137), "one more inspect, and the exit a die event announced is kept")
        #expect(pending.take("a") == .none, "then the inspector's turn ends")
        #expect(pending.request("a", exitCode: nil), "and the next event starts another")
    }

    @Test("containers are inspected independently")
    func independent() {
        let pending = PendingInspections()
        #expect(pending.request("a", exitCode: nil))
        #expect(pending.request("b", exitCode: 1))
        #expect(pending.take("b") == .inspect(exitCode: 1))
        #expect(pending.take("b") == .none)
        #expect(pending.take("a") == .inspect(exitCode: nil))
    }
}
