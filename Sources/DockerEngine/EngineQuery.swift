import FoundationEssentials

/// Query parameters, percent-encoded in the order given.
struct EngineQuery: Sendable, ExpressibleByArrayLiteral {
    private(set) var items: [(name: String, value: String)] = []

    init(arrayLiteral elements: (String, String?)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// Adds `name=value`, or nothing when `value` is nil.
    mutating func add(_ name: String, _ value: String?) {
        if let value { items.append((name, value)) }
    }

    mutating func add(_ name: String, _ flag: Bool?) {
        add(name, flag.map { $0 ? "1" : "0" })
    }

    mutating func add(_ name: String, filters: [String: [String]]) {
        guard !filters.isEmpty else { return }
        add(name, String(decoding: try! Self.filtersEncoder.encode(filters), as: UTF8.self))
    }

    var encoded: String {
        items.map { "\(Self.percentEncode($0.name))=\(Self.percentEncode($0.value))" }.joined(separator: "&")
    }

    private static let filtersEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// RFC 3986 unreserved characters stay; everything else becomes `%XX`.
    static func percentEncode(_ text: String, keeping extra: Set<UInt8> = []) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where extra.contains(byte):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

/// One path segment (a container ID or name): nothing in it can climb out of its place in the path.
func pathSegment(_ text: String) -> String {
    EngineQuery.percentEncode(text)
}

/// An image reference in a path: the engine routes `/images/{name:.*}/json`, so `/` and `:` stay.
/// Refuses empty and dot segments, so that a reference like `../containers/x` cannot reach another route.
func imagePath(_ reference: String) throws -> String {
    let segments = reference.split(separator: "/", omittingEmptySubsequences: false)
    guard segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
        throw DockerEngineError.invalidArgument("'\(reference)' is not an image reference")
    }
    return segments.map {
        EngineQuery.percentEncode(String($0), keeping: [UInt8(ascii: ":"), UInt8(ascii: "@")])
    }.joined(separator: "/")
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
