@testable import DTMAServer
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The listener's per-connection rules, fed events without a socket or a clock.
@Suite("Connection guard")
struct ConnectionGuardTests {
    static let limits = ConnectionLimits(maxHeadBytes: 64, headTimeout: .seconds(20), bodyTimeout: .seconds(30))

    static func feed(_ machine: inout ConnectionGuard, _ text: String) -> ConnectionGuard.Verdict {
        Array(text.utf8).withUnsafeBytes { machine.received($0) }
    }

    struct HeadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var chunks: [String]
        var refused: Bool
        var testDescription: String { name }
    }

    static let headCases: [HeadCase] = [
        .init(name: "a short head in one piece", chunks: ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"], refused: false),
        .init(name: "a short head a byte at a time", chunks: "GET / HTTP/1.1\r\nHost: a\r\n\r\n".map(String.init), refused: false),
        .init(name: "bare LF line ends", chunks: ["GET / HTTP/1.1\nHost: a\n\n"], refused: false),
        .init(name: "a request line that never ends", chunks: ["GET /" + String(repeating: "a", count: 70)], refused: true),
        .init(name: "a long request line in pieces", chunks: Array(repeating: "aaaaaaaaaa", count: 7), refused: true),
        .init(name: "a long header field", chunks: ["GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 60)], refused: true),
        .init(name: "many short header lines", chunks: ["GET / HTTP/1.1\r\n"] + Array(repeating: "A: b\r\n", count: 10), refused: true),
        .init(
            name: "empty lines before the request line do not end the count",
            chunks: ["\r\n\r\n\r\n", "GET /" + String(repeating: "a", count: 70)], refused: true),
        .init(name: "a long body after a short head is not head", chunks: ["POST / HTTP/1.1\r\nContent-Length: 200\r\n\r\n" + String(repeating: "c", count: 200)], refused: false),
    ]

    @Test("the head is measured as its bytes arrive", arguments: headCases)
    func headSize(_ testCase: HeadCase) {
        var machine = ConnectionGuard(limits: Self.limits)
        _ = machine.opened()
        let verdicts = testCase.chunks.map { Self.feed(&machine, $0) }
        if testCase.refused {
            #expect(verdicts.filter { $0 != .forward }.first == .refuseHead(answer: true))
            #expect(Self.feed(&machine, "more") == .drop, "nothing more reaches the decoder")
        } else {
            #expect(verdicts.allSatisfy { $0 == .forward })
        }
    }

    @Test("each request's head is counted afresh, after the request before it ended")
    func countResetsPerRequest() {
        var machine = ConnectionGuard(limits: Self.limits)
        _ = machine.opened()
        for _ in 0..<5 {
            #expect(Self.feed(&machine, "GET /status HTTP/1.1\r\nHost: a\r\n\r\n") == .forward)
            _ = machine.headParsed()
            _ = machine.requestEnded()
            _ = machine.responseEnded()
        }
    }

    @Test("a head too long while a response is still owed is closed without an answer (no interleaved bytes)")
    func pipelinedOverflow() {
        var machine = ConnectionGuard(limits: Self.limits)
        _ = machine.opened()
        #expect(Self.feed(&machine, "GET / HTTP/1.1\r\n\r\n") == .forward)
        _ = machine.headParsed()
        _ = machine.requestEnded()
        #expect(Self.feed(&machine, "GET /" + String(repeating: "a", count: 80)) == .refuseHead(answer: false))
    }

    @Test("deadlines: the head's from the start and after each response, the body's from the head to the request's end")
    func deadlines() {
        var machine = ConnectionGuard(limits: Self.limits)
        #expect(machine.opened() == .arm(.head, .seconds(20)))
        #expect(machine.headParsed() == .arm(.body, .seconds(30)))
        #expect(machine.requestEnded() == .disarm, "no deadline while dtma itself answers (a followed log may stream for hours)")
        #expect(machine.armed == nil)
        #expect(machine.responseEnded() == .arm(.head, .seconds(20)), "an idle keep-alive connection gets the head's time")
        #expect(machine.fired(.head) == .close)
        #expect(machine.fired(.head) == .none, "closed once")
    }

    @Test("a body still owed keeps its deadline when the answer goes out first (a 401 before the body)")
    func answerBeforeBody() {
        var machine = ConnectionGuard(limits: Self.limits)
        _ = machine.opened()
        _ = machine.headParsed()
        #expect(machine.responseEnded() == .none)
        #expect(machine.armed == .body)
        #expect(machine.fired(.body) == .close, "a slow body is cut off")
    }

    @Test("a body that does arrive after the answer leaves the next head its deadline")
    func bodyAfterAnswer() {
        var machine = ConnectionGuard(limits: Self.limits)
        _ = machine.opened()
        _ = machine.headParsed()
        _ = machine.responseEnded()
        #expect(machine.requestEnded() == .arm(.head, .seconds(20)))
    }

    @Test("a stale deadline does nothing")
    func staleDeadline() {
        var machine = ConnectionGuard(limits: Self.limits)
        _ = machine.opened()
        _ = machine.headParsed()
        #expect(machine.fired(.head) == .none)
    }
}

@Suite("Connection admission")
struct ConnectionAdmissionTests {
    @Test("past the cap for one address that address is refused; other addresses are not")
    func perPeer() {
        let admission = ConnectionAdmission(limits: .init(total: 10, perPeer: 3))
        #expect((0..<3).map { _ in admission.admit(peer: "10.0.0.1") } == Array(repeating: .admitted, count: 3))
        #expect(admission.admit(peer: "10.0.0.1") == .overPeer)
        #expect(admission.admit(peer: "10.0.0.2") == .admitted)
        admission.release(peer: "10.0.0.1")
        #expect(admission.admit(peer: "10.0.0.1") == .admitted, "a closed connection frees its slot")
    }

    @Test("past the total cap everyone is refused, until connections close")
    func total() {
        let admission = ConnectionAdmission(limits: .init(total: 4, perPeer: 4))
        for peer in 0..<4 { #expect(admission.admit(peer: "p\(peer)") == .admitted) }
        #expect(admission.admit(peer: "p9") == .overTotal)
        #expect(admission.open == (4, 4))
        for peer in 0..<4 { admission.release(peer: "p\(peer)") }
        #expect(admission.open == (0, 0), "no address is remembered once its connections are gone")
        #expect(admission.admit(peer: "p9") == .admitted)
    }

    @Test("once a burst has come down, the heap is trimmed once")
    func trimAfterBurst() {
        let trims = LockedCounter()
        let admission = ConnectionAdmission(limits: .init(total: 100, perPeer: 100), burst: 10, quiet: 2, onQuiet: { trims.increment() })
        for _ in 0..<12 { _ = admission.admit(peer: "a") }
        for _ in 0..<12 { admission.release(peer: "a") }
        #expect(trims.value == 1)
        for _ in 0..<5 { _ = admission.admit(peer: "a") }
        for _ in 0..<5 { admission.release(peer: "a") }
        #expect(trims.value == 1, "a few connections are no burst")
    }
}

final class LockedCounter: Sendable {
    private let count = NIOLockedValueBox(0)
    func increment() { count.withLockedValue { $0 += 1 } }
    var value: Int { count.withLockedValue { $0 } }
}
