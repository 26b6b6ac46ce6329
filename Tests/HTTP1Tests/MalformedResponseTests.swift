import HTTP1
import Testing

struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let wire: [UInt8]
    let expected: HTTP1ParseError
    var limits = HTTP1ResponseParser.Limits()
    var testDescription: String { name }
}

let malformedResponses: [MalformedCase] = [
    .init(name: "garbage status line", wire: [UInt8]("HTPT/1.1 200 OK\r\n\r\n"), expected: .invalidStatusLine),
    .init(name: "HTTP/2 status line", wire: [UInt8]("HTTP/2 200 OK\r\n\r\n"), expected: .invalidStatusLine),
    .init(name: "status code not three digits", wire: [UInt8]("HTTP/1.1 20 OK\r\n\r\n"), expected: .invalidStatusLine),
    .init(name: "status code 600", wire: [UInt8]("HTTP/1.1 600 OK\r\n\r\n"), expected: .invalidStatusLine),
    .init(name: "binary noise", wire: [0x00, 0xFF, 0x13, 0x0A], expected: .invalidStatusLine),
    .init(name: "header without colon", wire: [UInt8]("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"), expected: .invalidHeaderLine),
    .init(name: "space in header name", wire: [UInt8]("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"), expected: .invalidHeaderLine),
    .init(name: "obsolete line folding", wire: [UInt8]("HTTP/1.1 200 OK\r\nA: b\r\n  c\r\n\r\n"), expected: .invalidHeaderLine),
    .init(name: "NUL in a header value", wire: [UInt8]("HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n"), expected: .invalidHeaderLine),
    .init(name: "header section too large",
          wire: [UInt8]("HTTP/1.1 200 OK\r\nBig: " + String(repeating: "x", count: 2000) + "\r\n\r\n"),
          expected: .headerTooLarge(limit: 1024), limits: .init(maxHeaderBytes: 1024)),
    .init(name: "endless header line", wire: [UInt8]("HTTP/1.1 200 OK\r\nBig: " + String(repeating: "x", count: 2000)),
          expected: .headerTooLarge(limit: 1024), limits: .init(maxHeaderBytes: 1024)),
    .init(name: "too many headers",
          wire: [UInt8]("HTTP/1.1 200 OK\r\n" + String(repeating: "A: 1\r\n", count: 11) + "\r\n"),
          expected: .tooManyHeaders(limit: 10), limits: .init(maxHeaderCount: 10)),
    .init(name: "negative Content-Length", wire: [UInt8]("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
          expected: .invalidContentLength),
    .init(name: "overflowing Content-Length",
          wire: [UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"), expected: .invalidContentLength),
    .init(name: "disagreeing Content-Lengths", wire: [UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"),
          expected: .invalidContentLength),
    .init(name: "empty Content-Length", wire: [UInt8]("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"), expected: .invalidContentLength),
    .init(name: "hex Content-Length", wire: [UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n"), expected: .invalidContentLength),
    .init(name: "non-hex chunk size", wire: [UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
          expected: .invalidChunkSize),
    .init(name: "overflowing chunk size",
          wire: [UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n"), expected: .invalidChunkSize),
    .init(name: "negative chunk size", wire: [UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n"),
          expected: .invalidChunkSize),
    .init(name: "endless chunk size line",
          wire: [UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000)),
          expected: .invalidChunkSize),
    .init(name: "chunk data longer than its size",
          wire: [UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"),
          expected: .invalidChunkTerminator),
    .init(name: "body shorter than Content-Length", wire: [UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
          expected: .truncatedMessage),
    .init(name: "stream ends inside the head", wire: [UInt8]("HTTP/1.1 200 OK\r\nContent-Le"), expected: .truncatedMessage),
    .init(name: "stream ends inside a chunk",
          wire: [UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"), expected: .truncatedMessage),
    .init(name: "stream ends before the last chunk",
          wire: [UInt8]("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"), expected: .truncatedMessage),
]

@Suite("Malformed responses")
struct MalformedResponseTests {
    @Test("each malformed response fails with its typed error, for every slicing", arguments: malformedResponses)
    func malformed(testCase: MalformedCase) {
        for sliceSize in sliceSizes {
            #expect(throws: testCase.expected, "slice \(String(describing: sliceSize))") {
                try parseResponse(testCase.wire, sliceSize: sliceSize, limits: testCase.limits)
            }
        }
    }

    @Test("after an error the parser keeps failing with the same error")
    func stickyFailure() {
        var parser = HTTP1ResponseParser()
        parser.feed([UInt8]("garbage\r\n"))
        #expect(throws: HTTP1ParseError.invalidStatusLine) { try parser.next() }
        parser.feed([UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        #expect(throws: HTTP1ParseError.invalidStatusLine) { try parser.next() }
    }

    @Test("a clean close between responses is not an error")
    func cleanClose() throws {
        #expect(try parseResponse([], sliceSize: nil).isEmpty)
        let parts = try parseResponse([UInt8]("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), sliceSize: 1)
        #expect(parts.count == 2)
    }
}
