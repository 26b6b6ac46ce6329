import Foundation
import Testing

@testable import MCPProbe

@Suite("The probe's hand-written JSON: what it sends is the JSON it means")
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
        let back = try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: decoded?["params"] as Any))
        #expect(back == params)
    }

    @Test("a notification has no id; integers print without a fraction; NaN is null")
    func exactBytes() {
        #expect(String(decoding: JSONRPCRequest(method: "notifications/initialized").serialized, as: UTF8.self)
            == #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        #expect(String(decoding: JSONRPCRequest(id: 1, method: "ping", params: .array([.number(3), .number(.nan)])).serialized, as: UTF8.self)
            == #"{"jsonrpc":"2.0","id":1,"method":"ping","params":[3,null]}"#)
    }
}
