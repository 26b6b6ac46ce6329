import HTTP1

/// Feeds `bytes` in slices of `sliceSize` (nil: all at once), pulling parts after every slice, then
/// signals the end of the stream when `endStream` is set. Adjacent body parts are merged so that
/// results do not depend on the slicing.
func parseResponse(
    _ bytes: [UInt8], sliceSize: Int?, toHEAD: Bool = false, endStream: Bool = true,
    limits: HTTP1ResponseParser.Limits = .init()
) throws -> [HTTP1ResponsePart] {
    var parser = HTTP1ResponseParser(limits: limits)
    parser.expectResponse(toHEAD: toHEAD)
    var parts: [HTTP1ResponsePart] = []
    func drain() throws {
        while let part = try parser.next() {
            switch (parts.last, part) {
            case (.body(let previous), .body(let more)):
                parts[parts.count - 1] = .body(previous + more)
            case (.upgradedBytes(let previous), .upgradedBytes(let more)):
                parts[parts.count - 1] = .upgradedBytes(previous + more)
            default:
                parts.append(part)
            }
        }
    }
    var offset = 0
    let step = max(1, sliceSize ?? bytes.count)
    while offset < bytes.count {
        parser.feed(bytes[offset..<min(offset + step, bytes.count)])
        offset += step
        try drain()
    }
    if endStream {
        parser.feedEndOfStream()
        try drain()
    }
    return parts
}

/// Every slicing the tests try: one byte at a time, a few odd sizes, and all at once.
let sliceSizes: [Int?] = [1, 2, 7, 64, nil]

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
}

extension HTTP1ResponsePart {
    var head: HTTP1ResponseHead? {
        if case .head(let head) = self { return head }
        return nil
    }
    var bodyText: String? {
        if case .body(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }
}
