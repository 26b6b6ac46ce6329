import DTMATestSupport
import MCPGateway
import MCPStdio
import Testing

@Suite("Gateway sessions")
struct GatewaySessionsTests {
    @Test("a session exists only on its own server's path and for its own container")
    func bound() throws {
        let sessions = GatewaySessions(limit: 10, idleTimeout: .seconds(60), clock: ManualClock())
        let session = try #require(sessions.open(instance: "a", containerID: "c1", upstreamID: "u1"))
        #expect(sessions.use(session.id, instance: "b", containerID: "c1") == .notFound, "another server's path")
        guard case .found(let found) = sessions.use(session.id, instance: "a", containerID: "c1") else {
            Issue.record("the session is gone")
            return
        }
        #expect(found.upstreamID == "u1")
        #expect(sessions.use(session.id, instance: "a", containerID: "c2") == .notFound, "the container was replaced")
        #expect(sessions.use(session.id, instance: "a", containerID: "c1") == .notFound, "and the session ended with it")
        #expect(sessions.count == 0)
    }

    @Test("ids are random, 32 hex digits, never the same")
    func ids() throws {
        let sessions = GatewaySessions(limit: 1000, clock: ManualClock())
        let ids = try (0..<500).map { _ in try #require(sessions.open(instance: "a", containerID: "c", upstreamID: nil)).id }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
    }

    @Test("at most the limit are open; an ended one makes room")
    func limit() throws {
        let sessions = GatewaySessions(limit: 3, clock: ManualClock())
        let open = (0..<3).compactMap { _ in sessions.open(instance: "a", containerID: "c", upstreamID: nil) }
        #expect(open.count == 3)
        #expect(sessions.open(instance: "a", containerID: "c", upstreamID: nil) == nil)
        #expect(sessions.end(open[0].id) != nil)
        #expect(sessions.end(open[0].id) == nil, "ended once")
        #expect(sessions.open(instance: "a", containerID: "c", upstreamID: nil) != nil)
    }

    @Test("a session unused for the idle timeout is ended; one in use is kept")
    func idle() throws {
        let clock = ManualClock()
        let sessions = GatewaySessions(limit: 10, idleTimeout: .seconds(60), clock: clock)
        let idle = try #require(sessions.open(instance: "a", containerID: "c", upstreamID: "u-idle"))
        let busy = try #require(sessions.open(instance: "a", containerID: "c", upstreamID: "u-busy"))
        clock.advance(by: .seconds(40))
        _ = sessions.use(busy.id, instance: "a", containerID: "c")
        #expect(sessions.expire().isEmpty)
        clock.advance(by: .seconds(20))
        #expect(sessions.expire().map(\.upstreamID) == ["u-idle"])
        #expect(sessions.use(idle.id, instance: "a", containerID: "c") == .notFound)
        if case .found = sessions.use(busy.id, instance: "a", containerID: "c") {} else { Issue.record("the busy session was ended") }
    }
}

@Suite("JSON-RPC envelopes")
struct JSONRPCEnvelopeTests {
    @Test("ids of every JSON type come back exactly as written", arguments: [
        #"7"#, #""a""#, #"0"#, #""""#, #"1e3"#, #"null"#, #"12345678901234567890"#, #"-1.5"#, #""\u00e9\"""#,
    ])
    func idEcho(id: String) throws {
        let envelope = try #require(JSONRPCEnvelope(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{}}"#.utf8)))
        #expect(envelope.kind == .request)
        #expect(envelope.method == "tools/call")
        #expect(envelope.rawID == Array(id.utf8))
        let error = String(decoding: JSONRPCErrorBody.make(id: envelope.rawID, code: -32001, message: "gone \"away\"\n"), as: UTF8.self)
        #expect(error == #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32001,"message":"gone \"away\"\u000a"}}"#)
    }

    @Test("requests, notifications, responses and batches are told apart; anything else is not a message", arguments: [
        (#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, JSONRPCEnvelope.Kind?.some(.notification)),
        (#"{"jsonrpc":"2.0","id":1,"result":{}}"#, .some(.response)),
        (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, .some(.batch)),
        (#"{"method":"ping","id":1} trailing"#, nil),
        (#""just a string""#, nil),
        (#"{"id":1,"method":"#, nil),
        (String(repeating: "[", count: 10_000), nil),
    ])
    func kinds(json: String, kind: JSONRPCEnvelope.Kind?) {
        #expect(JSONRPCEnvelope(Array(json.utf8))?.kind == kind)
    }
}
