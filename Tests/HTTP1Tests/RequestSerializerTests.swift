import HTTP1
import Testing

@Suite("HTTP/1.1 request serializer")
struct RequestSerializerTests {
    @Test("a request with a body gets Host and Content-Length")
    func withBody() throws {
        let request = HTTP1Request(
            method: "POST", target: "/v1.41/containers/create?name=a",
            headers: ["Content-Type": "application/json"], body: [UInt8]("{}"))
        let text = String(decoding: try request.serialized(host: "docker"), as: UTF8.self)
        #expect(text == "POST /v1.41/containers/create?name=a HTTP/1.1\r\nContent-Type: application/json\r\n"
            + "Host: docker\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test("a request without a body has no Content-Length and keeps a given Host")
    func withoutBody() throws {
        let request = HTTP1Request(method: "GET", target: "/_ping", headers: ["Host": "engine"])
        #expect(String(decoding: try request.serialized(host: "docker"), as: UTF8.self)
            == "GET /_ping HTTP/1.1\r\nHost: engine\r\n\r\n")
    }

    @Test("strings that would split the message are refused")
    func injection() {
        #expect(throws: HTTP1RequestError.invalidHeader(name: "X-Auth")) {
            try HTTP1Request(method: "GET", target: "/", headers: ["X-Auth": "a\r\nEvil: 1"]).serialized(host: "d")
        }
        #expect(throws: HTTP1RequestError.invalidHeader(name: "Bad Name")) {
            try HTTP1Request(method: "GET", target: "/", headers: ["Bad Name": "1"]).serialized(host: "d")
        }
        #expect(throws: HTTP1RequestError.invalidTarget("/a b")) {
            try HTTP1Request(method: "GET", target: "/a b").serialized(host: "d")
        }
        #expect(throws: HTTP1RequestError.invalidTarget("/a\r\nHost: x")) {
            try HTTP1Request(method: "GET", target: "/a\r\nHost: x").serialized(host: "d")
        }
        #expect(throws: HTTP1RequestError.invalidTarget("relative")) {
            try HTTP1Request(method: "GET", target: "relative").serialized(host: "d")
        }
        #expect(throws: HTTP1RequestError.invalidMethod("GE T")) {
            try HTTP1Request(method: "GE T", target: "/").serialized(host: "d")
        }
    }
}
