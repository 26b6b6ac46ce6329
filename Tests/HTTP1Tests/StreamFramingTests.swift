import HTTP1
import Testing

@Suite("Engine stream framings")
struct StreamFramingTests {
    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = [UInt8](text)
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
    }

    @Test("stdout and stderr frames are separated in order, for every slicing", arguments: sliceSizes)
    func demultiplex(sliceSize: Int?) throws {
        let wire = Self.frame(1, "out 1\n") + Self.frame(2, "err 1\n") + Self.frame(1, "") + Self.frame(1, "out 2\n")
        var decoder = DockerFrameDecoder()
        var frames: [DockerOutputFrame] = []
        for start in stride(from: 0, to: wire.count, by: sliceSize ?? wire.count) {
            decoder.feed(wire[start..<min(start + (sliceSize ?? wire.count), wire.count)])
            while let frame = try decoder.next() { frames.append(frame) }
        }
        try decoder.finish()
        #expect(frames.map(\.stream) == [.stdout, .stderr, .stdout, .stdout])
        #expect(frames.map { String(decoding: $0.payload, as: UTF8.self) } == ["out 1\n", "err 1\n", "", "out 2\n"])
    }

    @Test("a frame of 70 000 bytes arrives whole")
    func largeFrame() throws {
        var decoder = DockerFrameDecoder()
        decoder.feed(Self.frame(2, String(repeating: "x", count: 70_000)))
        #expect(try decoder.next()?.payload.count == 70_000)
    }

    @Test("an unknown stream type, an oversized frame and a cut frame are typed errors")
    func errors() throws {
        var unknown = DockerFrameDecoder()
        unknown.feed(Self.frame(7, "x"))
        #expect(throws: DockerFrameError.invalidStreamType(7)) { try unknown.next() }

        var oversized = DockerFrameDecoder(maxFrameBytes: 4)
        oversized.feed(Self.frame(1, "hello"))
        #expect(throws: DockerFrameError.frameTooLarge(size: 5, limit: 4)) { try oversized.next() }

        var cut = DockerFrameDecoder()
        cut.feed(Self.frame(1, "hello").dropLast())
        #expect(try cut.next() == nil)
        #expect(throws: DockerFrameError.truncatedFrame) { try cut.finish() }
    }

    @Test("newline-delimited JSON splits on LF and CRLF and skips blank lines", arguments: sliceSizes)
    func lines(sliceSize: Int?) throws {
        let wire = [UInt8]("{\"status\":\"a\"}\r\n\n{\"status\":\"b\"}\n{\"partial\"")
        var framer = LineFramer()
        var lines: [String] = []
        for start in stride(from: 0, to: wire.count, by: sliceSize ?? wire.count) {
            framer.feed(wire[start..<min(start + (sliceSize ?? wire.count), wire.count)])
            while let line = try framer.next() { lines.append(String(decoding: line, as: UTF8.self)) }
        }
        #expect(lines == ["{\"status\":\"a\"}", "{\"status\":\"b\"}"])
        #expect(framer.finish().map { String(decoding: $0, as: UTF8.self) } == "{\"partial\"")
    }

    @Test("a line longer than the limit is a typed error, with or without its newline")
    func lineTooLong() {
        for wire in ["0123456789\n", "0123456789"] {
            var framer = LineFramer(maxLineBytes: 8)
            framer.feed([UInt8](wire))
            #expect(throws: LineFramerError.lineTooLong(limit: 8)) { try framer.next() }
        }
    }
}
