// libFuzzer entry for the HTTP1 decoders, compiled together with Sources/HTTP1 by scripts/fuzz.sh.
//
// Every input goes through the response parser, the Docker frame decoder, the line framer and the
// server-sent event parser twice:
// all at once, and in slices whose size the first byte picks. Besides crashes and sanitizer
// reports, the oracle is that slicing never changes the outcome: same parts, or the same error.

enum Outcome<Value: Equatable, Failure: Error & Equatable>: Equatable {
    case values([Value])
    case failure([Value], Failure)
}

func slices(_ bytes: ArraySlice<UInt8>, size: Int) -> [ArraySlice<UInt8>] {
    stride(from: bytes.startIndex, to: bytes.endIndex, by: size).map { bytes[$0..<min($0 + size, bytes.endIndex)] }
}

func parseResponse(_ input: ArraySlice<UInt8>, sliceSize: Int, toHEAD: Bool) -> Outcome<HTTP1ResponsePart, HTTP1ParseError> {
    var parser = HTTP1ResponseParser(limits: .init(maxHeaderBytes: 512, maxHeaderCount: 8))
    parser.expectResponse(toHEAD: toHEAD)
    var parts: [HTTP1ResponsePart] = []
    func append(_ part: HTTP1ResponsePart) {
        switch (parts.last, part) {
        case (.body(let a), .body(let b)): parts[parts.count - 1] = .body(a + b)
        case (.upgradedBytes(let a), .upgradedBytes(let b)): parts[parts.count - 1] = .upgradedBytes(a + b)
        default: parts.append(part)
        }
    }
    do {
        for slice in slices(input, size: sliceSize) {
            parser.feed(slice)
            while let part = try parser.next() { append(part) }
        }
        parser.feedEndOfStream()
        while let part = try parser.next() { append(part) }
        return .values(parts)
    } catch {
        return .failure(parts, error)
    }
}

func decodeFrames(_ input: ArraySlice<UInt8>, sliceSize: Int) -> Outcome<DockerOutputFrame, DockerFrameError> {
    var decoder = DockerFrameDecoder(maxFrameBytes: 4096)
    var frames: [DockerOutputFrame] = []
    do {
        for slice in slices(input, size: sliceSize) {
            decoder.feed(slice)
            while let frame = try decoder.next() { frames.append(frame) }
        }
        try decoder.finish()
        return .values(frames)
    } catch {
        return .failure(frames, error)
    }
}

func splitLines(_ input: ArraySlice<UInt8>, sliceSize: Int) -> Outcome<[UInt8], LineFramerError> {
    var framer = LineFramer(maxLineBytes: 256)
    var lines: [[UInt8]] = []
    do {
        for slice in slices(input, size: sliceSize) {
            framer.feed(slice)
            while let line = try framer.next() { lines.append(line) }
        }
        if let last = framer.finish() { lines.append(last) }
        return .values(lines)
    } catch {
        return .failure(lines, error)
    }
}

func parseEvents(_ input: ArraySlice<UInt8>, sliceSize: Int) -> Outcome<ServerSentEvent, ServerSentEventError> {
    var parser = ServerSentEventParser(maxEventBytes: 256)
    var events: [ServerSentEvent] = []
    do {
        for slice in slices(input, size: sliceSize) {
            parser.feed(slice)
            while let event = try parser.next() { events.append(event) }
        }
        return .values(events)
    } catch {
        return .failure(events, error)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let all = Array(UnsafeBufferPointer(start: data, count: size))
    let control = all[0]
    let input = all[1...]
    let sliceSize = Int(control & 0x0F) + 1
    let toHEAD = control & 0x80 != 0
    let whole = max(1, input.count)

    // Parts emitted before an error may differ with slicing only in how bodies were cut, which the
    // merge removes; the error itself must not change.
    let response = parseResponse(input, sliceSize: whole, toHEAD: toHEAD)
    precondition(response == parseResponse(input, sliceSize: sliceSize, toHEAD: toHEAD), "parser depends on slicing")
    precondition(decodeFrames(input, sliceSize: whole) == decodeFrames(input, sliceSize: sliceSize), "frames depend on slicing")
    precondition(splitLines(input, sliceSize: whole) == splitLines(input, sliceSize: sliceSize), "lines depend on slicing")
    precondition(parseEvents(input, sliceSize: whole) == parseEvents(input, sliceSize: sliceSize), "events depend on slicing")
    return 0
}
