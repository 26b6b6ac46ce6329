import HTTP1
import Testing

@Suite("Server-sent events")
struct ServerSentEventTests {
    static func parse(_ text: String, sliceSize: Int?) throws -> [ServerSentEvent] {
        let bytes = [UInt8](text)
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        let step = max(1, sliceSize ?? bytes.count)
        for start in stride(from: 0, to: bytes.count, by: step) {
            parser.feed(bytes[start..<min(start + step, bytes.count)])
            while let event = try parser.next() { events.append(event) }
        }
        return events
    }

    @Test("an MCP reply as the Python SDK sends it", arguments: sliceSizes)
    func mcpReply(sliceSize: Int?) throws {
        let wire = "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\r\n\r\n"
        #expect(try Self.parse(wire, sliceSize: sliceSize) == [ServerSentEvent(data: #"{"jsonrpc":"2.0","id":1,"result":{}}"#)])
    }

    @Test("the legacy transport's endpoint event, comments, multi-line data and ids", arguments: sliceSizes)
    func fields(sliceSize: Int?) throws {
        let wire = ": ping\n\nevent: endpoint\ndata: /messages/?session_id=abc\n\n"
            + "id: 7\ndata: line one\ndata:line two\n\n" + "data\n\n" + "event: ignored-without-data\n\n"
        #expect(try Self.parse(wire, sliceSize: sliceSize) == [
            ServerSentEvent(type: "endpoint", data: "/messages/?session_id=abc"),
            ServerSentEvent(data: "line one\nline two", id: "7"),
            ServerSentEvent(data: "", id: "7"),
        ])
    }

    @Test("CR, LF and CRLF line ends, even split across slices, and a leading BOM", arguments: sliceSizes)
    func lineEnds(sliceSize: Int?) throws {
        let wire = "\u{FEFF}data: a\r\rdata: b\n\ndata: c\r\n\r\n"
        #expect(try Self.parse(wire, sliceSize: sliceSize).map(\.data) == ["a", "b", "c"])
    }

    @Test("an overlong line fails the same way however the stream is sliced (fuzzer finding)", arguments: sliceSizes)
    func overlongLine(sliceSize: Int?) {
        let wire = [UInt8](String(repeating: "[", count: 300) + "=r\n")
        var parser = ServerSentEventParser(maxEventBytes: 256)
        #expect(throws: ServerSentEventError.eventTooLarge(limit: 256)) {
            for start in stride(from: 0, to: wire.count, by: sliceSize ?? wire.count) {
                parser.feed(wire[start..<min(start + (sliceSize ?? wire.count), wire.count)])
                while try parser.next() != nil {}
            }
        }
    }

    @Test("retry advice is kept; an oversized event is a typed error")
    func retryAndLimit() throws {
        var parser = ServerSentEventParser(maxEventBytes: 16)
        parser.feed([UInt8]("retry: 1500\n\ndata: " + String(repeating: "x", count: 40) + "\n\n"))
        #expect(throws: ServerSentEventError.eventTooLarge(limit: 16)) { try parser.next() }
        #expect(parser.retryMilliseconds == 1500)
    }
}
