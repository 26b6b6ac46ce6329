import Foundation
import HTTP1
import Testing

@Suite("HTTP/1.1 response parser")
struct ResponseParserTests {
    @Test("a Content-Length body is delivered whole for every slicing", arguments: sliceSizes)
    func contentLength(sliceSize: Int?) throws {
        let parts = try parseResponse(
            [UInt8]("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bcd\"}"),
            sliceSize: sliceSize)
        #expect(parts.count == 3)
        #expect(parts[0].head?.status == 200)
        #expect(parts[0].head?.reason == "OK")
        #expect(parts[0].head?.headers["content-type"] == "application/json")
        #expect(parts[1].bodyText == "{\"a\":\"bcd\"}")
        #expect(parts[2] == .end(trailers: [:]))
    }

    @Test("chunked bodies with extensions and trailers", arguments: sliceSizes)
    func chunked(sliceSize: Int?) throws {
        let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n" + "6 ; x\r\n world\r\n" + "A\r\n0123456789\r\n"
            + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        let parts = try parseResponse([UInt8](wire), sliceSize: sliceSize)
        #expect(parts.count == 3)
        #expect(parts[1].bodyText == "hello world0123456789")
        #expect(parts[2] == .end(trailers: ["X-Checksum": "abc", "X-Other": "1"]))
    }

    @Test("a body without length ends when the connection closes", arguments: sliceSizes)
    func closeDelimited(sliceSize: Int?) throws {
        let parts = try parseResponse([UInt8]("HTTP/1.0 200 OK\r\n\r\nuntil the end"), sliceSize: sliceSize)
        #expect(parts.map(\.bodyText) == [nil, "until the end", nil])
        #expect(parts.last == .end(trailers: [:]))
    }

    @Test("a close-delimited body has not ended while the connection is open")
    func closeDelimitedWithoutEOF() throws {
        let parts = try parseResponse([UInt8]("HTTP/1.1 200 OK\r\n\r\nmore to come"), sliceSize: nil, endStream: false)
        #expect(parts.count == 2)
        #expect(parts.last?.bodyText == "more to come")
    }

    @Test("204, 304 and HEAD responses have no body even with a Content-Length", arguments: sliceSizes)
    func noBody(sliceSize: Int?) throws {
        for (status, toHEAD) in [(204, false), (304, false), (200, true)] {
            let wire = "HTTP/1.1 \(status) X\r\nContent-Length: 42\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            var parser = HTTP1ResponseParser()
            parser.expectResponse(toHEAD: toHEAD)
            parser.feed([UInt8](wire))
            #expect(try parser.next()?.head?.status == status)
            #expect(try parser.next() == .end(trailers: [:]))
            #expect(try parser.next()?.head?.status == 200, "the next response must start right after")
            #expect(try parser.next()?.bodyText == "ok")
        }
    }

    @Test("interim 1xx responses are skipped", arguments: sliceSizes)
    func informational(sliceSize: Int?) throws {
        let wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            + "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
        let parts = try parseResponse([UInt8](wire), sliceSize: sliceSize)
        #expect(parts.count == 2)
        #expect(parts[0].head?.status == 201)
    }

    @Test("101 Switching Protocols hands every following byte over raw", arguments: sliceSizes)
    func upgrade(sliceSize: Int?) throws {
        let wire = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
            + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n\u{1}\0\0\0\0\0\0\u{2}hi HTTP/1.1 200 not a response"
        let parts = try parseResponse([UInt8](wire), sliceSize: sliceSize)
        #expect(parts.count == 2)
        #expect(parts[0].head?.status == 101)
        #expect(parts[1] == .upgradedBytes([1, 0, 0, 0, 0, 0, 0, 2] + [UInt8]("hi HTTP/1.1 200 not a response")))
    }

    @Test("keep-alive responses follow each other on one connection", arguments: sliceSizes)
    func pipelined(sliceSize: Int?) throws {
        let one = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
        let two = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
        let parts = try parseResponse([UInt8](one + two), sliceSize: sliceSize)
        #expect(parts.compactMap(\.head?.status) == [200, 404])
        #expect(parts.compactMap(\.bodyText) == ["one", "two"])
    }

    @Test("a never-ending chunked stream yields each chunk as it arrives")
    func streaming() throws {
        var parser = HTTP1ResponseParser()
        parser.feed([UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(try parser.next()?.head?.status == 200)
        #expect(try parser.next() == nil)
        for n in 0..<100 {
            let event = "{\"n\":\(n)}\n"
            parser.feed([UInt8](String(event.utf8.count, radix: 16) + "\r\n" + event + "\r\n"))
            #expect(try parser.next()?.bodyText == event)
            #expect(try parser.next() == nil)
        }
    }

    @Test("reuse is allowed only after a complete keep-alive response")
    func connectionReuse() throws {
        var parser = HTTP1ResponseParser()
        #expect(parser.canReuseConnection)
        parser.feed([UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no"))
        _ = try parser.next(); _ = try parser.next()
        #expect(!parser.canReuseConnection, "mid-body")
        parser.feed([UInt8]("k"))
        _ = try parser.next(); _ = try parser.next()
        #expect(parser.canReuseConnection)

        for wire in ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                     "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"] {
            var closing = HTTP1ResponseParser()
            closing.feed([UInt8](wire))
            _ = try closing.next(); _ = try closing.next()
            #expect(!closing.canReuseConnection, "\(wire)")
        }
    }

    @Test("recorded: the engine's chunked /info answer decodes to one JSON document", arguments: sliceSizes)
    func recordedInfo(sliceSize: Int?) throws {
        let parts = try parseResponse(try recorded("info-chunked"), sliceSize: sliceSize)
        #expect(parts.count == 3)
        #expect(parts[0].head?.headers["Transfer-Encoding"] == "chunked")
        guard case .body(let body) = parts[1] else { Issue.record("no body"); return }
        let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        #expect(json?["ServerVersion"] is String)
    }

    @Test("recorded: the engine's 404 carries its message")
    func recordedNotFound() throws {
        let parts = try parseResponse(try recorded("no-such-container-404"), sliceSize: 1)
        #expect(parts[0].head?.status == 404)
        #expect(parts[1].bodyText?.contains("No such container: nope") == true)
    }

    @Test("recorded: HEAD /_ping has headers and no body")
    func recordedHead() throws {
        let parts = try parseResponse(try recorded("head-ping"), sliceSize: 3, toHEAD: true)
        #expect(parts.count == 2)
        #expect(parts[0].head?.headers["API-Version"] == "1.41")
    }

    @Test("the collector refuses bodies over its limit")
    func collectorLimit() throws {
        var parser = HTTP1ResponseParser()
        parser.feed([UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"))
        var small = HTTP1ResponseCollector(maxBodyBytes: 9)
        var large = HTTP1ResponseCollector(maxBodyBytes: 10)
        var response: HTTP1Response?
        while let part = try parser.next() {
            if case .body = part { #expect(throws: HTTP1ParseError.bodyTooLarge(limit: 9)) { try small.collect(part) } }
            response = try large.collect(part) ?? response
        }
        #expect(response?.body == [UInt8]("0123456789"))
    }
}

func recorded(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "http", subdirectory: "Recorded"))
    return [UInt8](try Data(contentsOf: url))
}
