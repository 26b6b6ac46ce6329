import DTMATestSupport
import Foundation
import HTTP1
import MCPStdio
import NIOConcurrencyHelpers
import Testing

/// A stdio server's stdin, in memory: what the multiplexer wrote, and a hand that answers.
final class RecordingLink: StdioLink {
    private let lines = NIOLockedValueBox<[[UInt8]]>([])
    /// Called with each line written, to answer it (or not).
    let answer: NIOLockedValueBox<(@Sendable ([UInt8]) -> [UInt8]?)?> = NIOLockedValueBox(nil)
    private struct Weak { weak var multiplexer: StdioMultiplexer? }
    private let owner = NIOLockedValueBox(Weak())
    var multiplexer: StdioMultiplexer? {
        get { owner.withLockedValue { $0.multiplexer } }
        set { owner.withLockedValue { $0.multiplexer = newValue } }
    }

    var stderrTail: [String] { [] }
    var written: [String] { lines.withLockedValue { $0.map { String(decoding: $0, as: UTF8.self) } } }

    func send(_ line: [UInt8]) async throws {
        lines.withLockedValue { $0.append(line) }
        if let reply = answer.withLockedValue({ $0 })?(line) { multiplexer?.receive(reply) }
    }

    func close() {}

    /// The id the multiplexer gave the written line, as JSON text.
    static func id(of line: [UInt8]) -> String {
        let envelope = JSONRPCEnvelope(line)!
        return String(decoding: line[envelope.idRange!], as: UTF8.self)
    }
}

/// A stdin nobody reads: every write waits until `release`.
final class StalledLink: StdioLink {
    private struct Inside {
        var waiters: [CheckedContinuation<Void, Never>] = []
        var released = false
    }
    private let inside = NIOLockedValueBox(Inside())

    var stderrTail: [String] { [] }
    var waiting: Int { inside.withLockedValue { $0.waiters.count } }

    func send(_ line: [UInt8]) async throws {
        await withCheckedContinuation { continuation in
            let now = inside.withLockedValue { inside in
                if inside.released { return true }
                inside.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        inside.withLockedValue { inside in
            inside.released = true
            defer { inside.waiters = [] }
            return inside.waiters
        }.forEach { $0.resume() }
    }

    func close() {}
}

func multiplexed(answering answer: (@Sendable ([UInt8]) -> [UInt8]?)? = nil) -> (StdioMultiplexer, RecordingLink) {
    let link = RecordingLink()
    link.answer.withLockedValue { $0 = answer }
    let multiplexer = StdioMultiplexer(link: link)
    link.multiplexer = multiplexer
    return (multiplexer, link)
}

/// An echoing server: answers every request with its own (rewritten) id in the result.
let echo: @Sendable ([UInt8]) -> [UInt8]? = { line in
    guard JSONRPCEnvelope(line)?.kind == .request else { return nil }
    let id = RecordingLink.id(of: line)
    return Array(#"{"jsonrpc":"2.0","id":\#(id),"result":{"seen":\#(id)}}"#.utf8)
}

func message(_ json: String) -> ([UInt8], JSONRPCEnvelope) {
    let bytes = Array(json.utf8)
    return (bytes, JSONRPCEnvelope(bytes)!)
}

func object(_ line: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]) ?? [:]
}

@Suite("stdio multiplexer: many clients, one process")
struct StdioMultiplexerTests {
    @Test("clients that all send id 1 get their own answers, whatever order the server answers in")
    func sameIDs() async throws {
        let (multiplexer, link) = multiplexed()
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#)
        let answers = NIOLockedValueBox<[String: [UInt8]]>([:])
        for client in ["a", "b", "c"] {
            await multiplexer.send(request, envelope, client: client) { result in
                answers.withLockedValue { $0[client] = try? result.get() }
            }
        }
        let sent = link.written.map { RecordingLink.id(of: Array($0.utf8)) }
        #expect(Set(sent).count == 3, "each request upstream has an id of its own: \(sent)")
        // The server answers the last first, each with a result naming whom it answered.
        for (client, id) in zip(["c", "b", "a"], sent.reversed()) {
            multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":\#(id),"result":{"for":"\#(client)"}}"#.utf8))
        }
        for client in ["a", "b", "c"] {
            let answer = try #require(answers.withLockedValue { $0[client] })
            #expect(object(answer)["id"] as? Int == 1)
            #expect((object(answer)["result"] as? [String: Any])?["for"] as? String == client)
        }
        #expect(multiplexer.pendingCount == 0)
    }

    @Test("an id comes back exactly as it was sent", arguments: ["0", #""""#, #""a b""#, "-7", "12345678901234567890", "1.5e3", #""\u00e9""#])
    func idsKeepTheirBytes(id: String) async throws {
        let (multiplexer, _) = multiplexed(answering: echo)
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#)
        let answer = try await multiplexer.call(request, envelope, client: "x", timeout: .seconds(30))
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasPrefix(#"{"jsonrpc":"2.0","id":\#(id),"result":"#), "\(text)")
    }

    @Test("initialize reaches the server once; every client gets the answer with its own id; initialized goes on once")
    func oneHandshake() async throws {
        let (multiplexer, link) = multiplexed()
        let initialize = { (id: Int) in
            message(#"{"jsonrpc":"2.0","id":\#(id),"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#)
        }
        let answers = NIOLockedValueBox<[Int: [UInt8]]>([:])
        for id in 1...3 {
            let (request, envelope) = initialize(id)
            await multiplexer.send(request, envelope, client: "c\(id)") { result in answers.withLockedValue { $0[id] = try? result.get() } }
        }
        #expect(link.written.count == 1, "one handshake upstream while it is in flight")
        let upstreamID = RecordingLink.id(of: Array(link.written[0].utf8))
        multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":\#(upstreamID),"result":{"protocolVersion":"2025-06-18","serverInfo":{"name":"s","version":"1"},"capabilities":{}}}"#.utf8))
        let (late, lateEnvelope) = initialize(4)
        let fourth = try await multiplexer.call(late, lateEnvelope, client: "c4", timeout: .seconds(30))
        answers.withLockedValue { $0[4] = fourth }
        #expect(link.written.count == 1, "a later client is answered from the first handshake")
        for id in 1...4 {
            let answer = object(try #require(answers.withLockedValue { $0[id] }))
            #expect(answer["id"] as? Int == id)
            #expect(((answer["result"] as? [String: Any])?["serverInfo"] as? [String: Any])?["name"] as? String == "s")
        }
        let (initialized, initializedEnvelope) = message(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        for client in ["c1", "c2", "c3"] { await multiplexer.notify(initialized, initializedEnvelope, client: client) }
        #expect(link.written.filter { $0.contains("notifications/initialized") }.count == 1)
        #expect(multiplexer.isInitialized)
    }

    @Test("a failed handshake is not kept: the next client's initialize goes to the server again")
    func failedHandshake() async throws {
        let attempts = NIOLockedValueBox(0)
        let (multiplexer, link) = multiplexed { line in
            let id = RecordingLink.id(of: line)
            let first = attempts.withLockedValue { $0 += 1; return $0 == 1 }
            return Array((first
                ? #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32603,"message":"not yet"}}"#
                : #"{"jsonrpc":"2.0","id":\#(id),"result":{"protocolVersion":"2025-06-18"}}"#).utf8)
        }
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":"i","method":"initialize","params":{}}"#)
        let refused = try await multiplexer.call(request, envelope, client: "a", timeout: .seconds(30))
        #expect(object(refused)["error"] != nil)
        #expect(!multiplexer.isInitialized)
        let accepted = try await multiplexer.call(request, envelope, client: "b", timeout: .seconds(30))
        #expect(object(accepted)["result"] != nil)
        #expect(link.written.count == 2)
    }

    @Test("a bare caller gets a handshake made for it, once")
    func ensureInitialized() async throws {
        let (multiplexer, link) = multiplexed(answering: echo)
        try await multiplexer.ensureInitialized(protocolVersion: "2024-11-05", clientName: "dtma-gateway", timeout: .seconds(30))
        try await multiplexer.ensureInitialized(protocolVersion: "2024-11-05", clientName: "dtma-gateway", timeout: .seconds(30))
        #expect(link.written.count == 2)
        #expect(link.written[0].contains(#""method":"initialize""#) && link.written[0].contains("2024-11-05"))
        #expect(link.written[1].contains("notifications/initialized"))
    }

    @Test("at most 256 requests wait on one process; the next is refused at once, and room comes back as answers come")
    func pendingBound() async throws {
        let (multiplexer, link) = multiplexed()
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#)
        for index in 0..<StdioMultiplexer.pendingLimit {
            await multiplexer.send(request, envelope, client: "c\(index)") { _ in }
        }
        #expect(multiplexer.pendingCount == StdioMultiplexer.pendingLimit)
        await #expect(throws: StdioCallError.busy(limit: StdioMultiplexer.pendingLimit)) {
            _ = try await multiplexer.call(request, envelope, client: "late", timeout: .seconds(30))
        }
        multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":\#(RecordingLink.id(of: Array(link.written[0].utf8))),"result":{}}"#.utf8))
        #expect(multiplexer.pendingCount == StdioMultiplexer.pendingLimit - 1)
    }

    @Test("a request given up is forgotten: its late answer is dropped and counted, and takes no room")
    func forgotten() async throws {
        let (multiplexer, link) = multiplexed()
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#)
        let key = try #require(await multiplexer.send(request, envelope, client: "a") { _ in Issue.record("a forgotten request was answered") })
        multiplexer.forget(key)
        #expect(multiplexer.pendingCount == 0)
        multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":\#(RecordingLink.id(of: Array(link.written[0].utf8))),"result":{}}"#.utf8))
        multiplexer.receive(Array("Starting server… (not JSON)".utf8))
        #expect(multiplexer.droppedLines == 2)
    }

    @Test("a call that gets no answer times out, and its entry goes")
    func timeout() async throws {
        let (multiplexer, _) = multiplexed()
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#)
        await #expect(throws: StdioCallError.timedOut) {
            _ = try await multiplexer.call(request, envelope, client: "a", timeout: .milliseconds(1))
        }
        #expect(multiplexer.pendingCount == 0)
    }

    @Test("when the process ends, every waiting client hears it at once, and later ones are refused")
    func processEnds() async throws {
        let (multiplexer, _) = multiplexed()
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#)
        let results = NIOLockedValueBox<[Result<[UInt8], StdioCallError>]>([])
        for client in ["a", "b"] { await multiplexer.send(request, envelope, client: client) { r in results.withLockedValue { $0.append(r) } } }
        let (call, callEnvelope) = message(#"{"jsonrpc":"2.0","id":2,"method":"tools/call"}"#)
        await multiplexer.send(call, callEnvelope, client: "c") { r in results.withLockedValue { $0.append(r) } }
        multiplexer.linkClosed()
        #expect(results.withLockedValue { $0.count } == 3)
        #expect(results.withLockedValue { $0.allSatisfy { $0 == .failure(.closed) } })
        await #expect(throws: StdioCallError.closed) { _ = try await multiplexer.call(call, callEnvelope, client: "d", timeout: .seconds(30)) }
    }

    @Test("what the server asks of a client is refused with -32601 (ping is answered); its notifications reach no client")
    func serverRequests() async throws {
        let (multiplexer, link) = multiplexed()
        multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{}}"#.utf8))
        multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":9,"method":"ping"}"#.utf8))
        multiplexer.receive(Array(#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info"}}"#.utf8))
        let answered = try await eventually { link.written.count == 2 }
        #expect(answered)
        let replies = link.written.map { object(Array($0.utf8)) }
        let refusal = try #require(replies.first { $0["id"] as? String == "s1" })
        #expect((refusal["error"] as? [String: Any])?["code"] as? Int == -32601)
        #expect(replies.first { $0["id"] as? Int == 9 }?["result"] != nil)
        #expect(multiplexer.droppedLines == 1)
    }

    @Test("a server that asks faster than it reads its stdin gets at most 16 answers in flight; the rest are dropped and counted")
    func answersBounded() async throws {
        let link = StalledLink()
        let multiplexer = StdioMultiplexer(link: link)
        for index in 0..<20 {
            multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"roots/list"}"#.utf8))
        }
        #expect(multiplexer.droppedLines == 4)
        let stalled = try await eventually { link.waiting == 16 }
        #expect(stalled, "\(link.waiting) writes waiting")
        link.release()
        let drained = try await eventually {
            let dropped = multiplexer.droppedLines
            multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":"again","method":"roots/list"}"#.utf8))
            return multiplexer.droppedLines == dropped
        }
        #expect(drained, "room comes back as the writes finish")
    }

    @Test("a cancellation names the client's own request, never another client's with the same id")
    func cancellation() async throws {
        let (multiplexer, link) = multiplexed()
        let (request, envelope) = message(#"{"jsonrpc":"2.0","id":5,"method":"tools/call"}"#)
        await multiplexer.send(request, envelope, client: "a") { _ in }
        await multiplexer.send(request, envelope, client: "b") { _ in }
        let ofB = RecordingLink.id(of: Array(link.written[1].utf8))
        let (cancel, cancelEnvelope) = message(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5,"reason":"user"}}"#)
        await multiplexer.notify(cancel, cancelEnvelope, client: "b")
        let sent = try #require(link.written.last)
        #expect(sent.contains(#""requestId":\#(ofB)"#), "\(sent)")
        await multiplexer.notify(cancel, cancelEnvelope, client: "nobody")
        #expect(link.written.count == 3, "a cancellation of nothing this client asked goes nowhere")
    }

    @Test("a pretty-printed message goes to the server on one line")
    func oneLine() async throws {
        let (multiplexer, link) = multiplexed()
        let (request, envelope) = message("{\n  \"jsonrpc\": \"2.0\",\r\n  \"id\": 3,\n  \"method\": \"tools/list\"\n}")
        await multiplexer.send(request, envelope, client: "a") { _ in }
        let line = try #require(link.written.first)
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n") && !line.contains("\r"))
    }
}

@Suite("stdio client channel (the prober's view of a shared process)")
struct StdioClientChannelTests {
    @Test("the prober's requests and answers pass as lines; a new request forgets the earlier unanswered one")
    func lines() async throws {
        let (multiplexer, link) = multiplexed()
        let channel = StdioClientChannel(multiplexer, client: "probe")
        try await channel.send(Array(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8) + [10])
        #expect(multiplexer.pendingCount == 1)
        try await channel.send(Array(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#.utf8) + [10])
        #expect(multiplexer.pendingCount == 1, "the first was given up when the second was sent")
        multiplexer.receive(Array(#"{"jsonrpc":"2.0","id":\#(RecordingLink.id(of: Array(link.written[1].utf8))),"result":{}}"#.utf8))
        let line = try #require(try await channel.nextLine())
        #expect(String(decoding: line, as: UTF8.self) == #"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        multiplexer.linkClosed()
        #expect(try await channel.nextLine() == nil)
        #expect(channel.isClosed)
    }
}

@Suite("line framer: dropping lines over the limit")
struct LineFramerDropTests {
    @Test("a line over the limit is skipped and counted, in one piece or many; the lines around it survive")
    func drops() throws {
        var framer = LineFramer(maxLineBytes: 8, dropsLongLines: true)
        framer.feed(Array("short\n0123456789abc".utf8))
        #expect(try framer.next() == Array("short".utf8))
        #expect(try framer.next() == nil)
        framer.feed(Array("defghij".utf8))
        #expect(try framer.next() == nil)
        framer.feed(Array("klm\nafter\n".utf8))
        #expect(try framer.next() == Array("after".utf8))
        #expect(framer.droppedLines == 1)
        framer.feed(Array("0123456789\nok\n".utf8))
        #expect(try framer.next() == Array("ok".utf8))
        #expect(framer.droppedLines == 2)
    }
}
