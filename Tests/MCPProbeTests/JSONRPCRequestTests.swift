import Foundation
import JSONScanning
import Testing

@testable import MCPProbe

@Suite("The probe's hand-written JSON: what it sends and what it reads")
struct JSONRPCRequestTests {
    @Test("a request with every kind of value and hostile strings decodes back to itself")
    func roundTrip() throws {
        let params: JSONValue = .object([
            "quote\"back\\slash": .string("line\nfeed\r\ttab \u{01}\u{1F} é ✓ 🙂"),
            "numbers": .array([.number(0), .number(-42), .number(1.5), .number(1e300), .number(123_456_789_012)]),
            "flags": .array([.bool(true), .bool(false), .null]),
            "nested": .object(["empty": .object([:]), "list": .array([])]),
        ])
        let request = JSONRPCRequest(id: 7, method: "tools/list", params: params)
        let decoded = try JSONSerialization.jsonObject(with: Data(request.serialized)) as? [String: Any]
        #expect(decoded?["jsonrpc"] as? String == "2.0")
        #expect(decoded?["id"] as? Int == 7)
        #expect(decoded?["method"] as? String == "tools/list")
        // And our own reader gives back what was written.
        let back = try JSONScanner.document(request.serialized) { scanner -> JSONValue? in
            var params: JSONValue?
            try scanner.members { key, scanner in
                if key == "params" { params = try scanner.value() } else { try scanner.skipValue() }
            }
            return params
        }
        #expect(back == params)
    }

    @Test("a notification has no id; integers print without a fraction; NaN is null")
    func exactBytes() {
        #expect(String(decoding: JSONRPCRequest(method: "notifications/initialized").serialized, as: UTF8.self)
            == #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        #expect(String(decoding: JSONRPCRequest(id: 1, method: "ping", params: .array([.number(3), .number(.nan)])).serialized, as: UTF8.self)
            == #"{"jsonrpc":"2.0","id":1,"method":"ping","params":[3,null]}"#)
    }

    @Test("a reply is read for the fields a probe wants; schemas, escapes and unknown fields are passed over")
    func readsReplies() throws {
        let initialize = #"""
            {"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"logging":{}},
             "serverInfo":{"name":"caf\u00e9 \ud83d\ude00 \"quoted\"","version":"1.2"},"instructions":"line\nfeed \\ \/"}}
            """#
        let message = try #require(JSONRPCMessage(json: Array(initialize.utf8)))
        #expect(message.id == .number(1))
        #expect(message.method == nil)
        #expect(message.error == nil)
        #expect(message.result?.protocolVersion == "2025-11-25")
        #expect(message.result?.hasTools == true)
        #expect(message.result?.serverInfo?.name == "café 😀 \"quoted\"")
        #expect(message.result?.serverInfo?.version == "1.2")

        let tools = #"""
            {"jsonrpc":"2.0","id":"7","result":{"tools":[{"name":"add","inputSchema":{"type":"object","properties":{"a":{"type":"number",
             "enum":[1,2.5,-3e2,true,false,null]}},"required":["a"]}},{"name":"echo","annotations":[[],{}]}],"nextCursor":"c2"}}
            """#
        let list = try #require(JSONRPCMessage(json: Array(tools.utf8)))
        #expect(list.id == .string("7"))
        #expect(list.result?.tools?.compactMap(\.name) == ["add", "echo"])
        #expect(list.result?.nextCursor == "c2")
        #expect(list.result?.hasTools == false)

        let discover = #"{"id":2,"result":{"supportedVersions":["2025-11-25","2026-07-28"],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s"}}}}"#
        let discovered = try #require(JSONRPCMessage(json: Array(discover.utf8))?.result?.discovered)
        #expect(discovered.protocolVersion == "2026-07-28")
        #expect(discovered.serverName == "s")
    }

    @Test("errors, notifications and fields of the wrong type read as what they are")
    func oddReplies() throws {
        let error = try #require(JSONRPCMessage(json: Array(#"{"id":3,"error":{"code":-32601,"message":"Method not found"}}"#.utf8)))
        #expect(error.error == JSONRPCMessage.RPCError(code: -32601, message: "Method not found"))
        #expect(error.result == nil)
        let nullError = try #require(JSONRPCMessage(json: Array(#"{"id":3,"result":{},"error":null}"#.utf8)))
        #expect(nullError.error == nil)
        #expect(nullError.result != nil, "an empty result (ping's) is a result")
        let notification = try #require(JSONRPCMessage(json: Array(#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#.utf8)))
        #expect(notification.method == "notifications/message")
        let wrongTypes = try #require(JSONRPCMessage(json: Array(#"{"id":4,"result":{"protocolVersion":5,"tools":"none","serverInfo":[1]}}"#.utf8)))
        #expect(wrongTypes.result?.protocolVersion == nil)
        #expect(wrongTypes.result?.tools?.isEmpty == true)
        #expect(wrongTypes.result?.serverInfo?.name == nil)
    }

    @Test("anything that is not one JSON object is no message", arguments: [
        "", "not json", "Listening on stdio", "{", #"{"id":1"#, #"{"id":1,}"#, #"{"id":1}{"id":2}"#, #"{"id":tru}"#,
        #"{"a":"unterminated}"#, "{\"a\":\"control\u{01}char\"}", #"{"method":"\x"}"#, #"{"method":"\u12"}"#, "[1,2]", "null",
    ])
    func notMessages(text: String) {
        #expect(JSONRPCMessage(json: Array(text.utf8)) == nil)
    }
}
