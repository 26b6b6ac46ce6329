@testable import DTMACore
import Testing

@Suite("Log tails within a byte budget")
struct ToolLogTailTests {
    @Test("the newest lines of a log are kept within the byte budget")
    func logTail() async throws {
        let lines = (0..<1000).map { ToolLogLine(stream: "stdout", time: nil, line: "line \($0) " + String(repeating: "y", count: 1000)) }
        let source = AsyncStream<ToolLogLine> { continuation in
            for line in lines { continuation.yield(line) }
            continuation.finish()
        }
        let tail = try await ToolLogTail.collect(source, budgetBytes: 100 * 1024)
        #expect(tail.lines.count == 96)
        #expect(tail.dropped == 904)
        #expect(tail.lines.last == lines.last, "the newest line is the last one kept")
        #expect(tail.lines.first == lines[904])
    }

    @Test("one line longer than the budget is still answered")
    func oneLongLine() async throws {
        let long = ToolLogLine(stream: "stderr", time: nil, line: String(repeating: "z", count: 5000))
        let tail = try await ToolLogTail.collect(AsyncStream { $0.yield(long); $0.finish() }, budgetBytes: 1000)
        #expect(tail.lines == [long])
    }
}

@Suite("Tool events stay small")
struct ToolEventSizeTests {
    @Test("an event's detail is cut to its byte bound at a character boundary; short ones are kept whole")
    func boundedDetail() {
        let long = String(repeating: "é", count: 2000)  // 2 bytes each
        let cut = ToolEvent.bounded(long)
        #expect(cut.utf8.count <= ToolEvent.maxDetailBytes)
        #expect(cut.hasSuffix("…"))
        #expect(cut.dropLast().allSatisfy { $0 == "é" }, "no character split")
        #expect(ToolEvent.bounded("connection refused") == "connection refused")
    }
}
