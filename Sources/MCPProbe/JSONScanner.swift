/// Reads JSON from bytes, taking out only what the caller asks for and skipping the rest without
/// building it: a probe wants a dozen fields of replies whose bulk is tool schemas.
/// (`JSONDecoder` spent about a tenth of a probe's CPU on these replies.)
public struct JSONScanner {
    public struct Malformed: Error {}

    private let bytes: [UInt8]
    private var index = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The whole input as one value, with nothing but whitespace after it.
    public static func document<Value>(_ bytes: [UInt8], _ read: (inout JSONScanner) throws -> Value) throws -> Value {
        var scanner = JSONScanner(bytes)
        let value = try read(&scanner)
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw Malformed() }
        return value
    }

    // MARK: Structure

    /// Calls `member` with each key of an object; it must read or skip the value.
    /// Anything but an object is skipped, as an object with no members: then false.
    @discardableResult
    public mutating func members(_ member: (String, inout JSONScanner) throws -> Void) throws -> Bool {
        guard try peek() == UInt8(ascii: "{") else {
            try skipValue()
            return false
        }
        index += 1
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw Malformed() }
            let key = try string()
            guard try peek() == UInt8(ascii: ":") else { throw Malformed() }
            index += 1
            try member(key, &self)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return true
            default: throw Malformed()
            }
        }
    }

    /// Calls `element` for each element of an array; it must read or skip the value.
    /// Anything but an array is skipped, as an empty array.
    public mutating func elements(_ element: (inout JSONScanner) throws -> Void) throws {
        guard try peek() == UInt8(ascii: "[") else { return try skipValue() }
        index += 1
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw Malformed()
            }
        }
    }

    // MARK: Values

    /// A string value; nil (the value skipped) when it is of another type.
    mutating func stringIfPresent() throws -> String? {
        guard try peek() == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        return try string()
    }

    /// A number value; nil (the value skipped) when it is of another type.
    mutating func numberIfPresent() throws -> Double? {
        let first = try peek()
        guard first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            try skipValue()
            return nil
        }
        return try number()
    }

    /// Any value, as a tree: for small parts only (an id).
    mutating func value() throws -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"):
            var object: [String: JSONValue] = [:]
            try members { key, scanner in object[key] = try scanner.value() }
            return .object(object)
        case UInt8(ascii: "["):
            var array: [JSONValue] = []
            try elements { array.append(try $0.value()) }
            return .array(array)
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return .number(try number())
        }
    }

    /// Passes over one value of any type, checking only what it must to find its end (the escapes
    /// of a skipped string are not checked).
    public mutating func skipValue() throws {
        switch try peek() {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"): try members { _, scanner in try scanner.skipValue() }
        case UInt8(ascii: "["): try elements { try $0.skipValue() }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
    }

    // MARK: Tokens

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    /// The next significant byte, not consumed.
    private mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw Malformed() }
        return bytes[index]
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            word.withUTF8Buffer({ $0.elementsEqual(bytes[index..<(index + count)]) })
        else { throw Malformed() }
        index += count
    }

    private mutating func number() throws -> Double {
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        guard index > start, let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else { throw Malformed() }
        return value
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    private mutating func skipString() throws {
        index += 1  // the opening quote
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"): index += 2
            case 0..<0x20: throw Malformed()
            default: index += 1
            }
        }
        throw Malformed()
    }

    private mutating func string() throws -> String {
        let start = index + 1
        try skipString()
        let raw = bytes[start..<(index - 1)]
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        return try Self.unescape(raw)
    }

    private static func unescape(_ raw: ArraySlice<UInt8>) throws -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
            utf8.removeAll(keepingCapacity: true)
        }
        var index = raw.startIndex
        func hex4() throws -> UInt32 {
            guard index + 4 < raw.endIndex, let value = UInt32(String(decoding: raw[(index + 1)...(index + 4)], as: UTF8.self), radix: 16)
            else { throw Malformed() }
            index += 4
            return value
        }
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < raw.endIndex else { throw Malformed() }
            switch raw[index] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(raw[index])
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), index + 2 < raw.endIndex, raw[index + 1] == UInt8(ascii: "\\"),
                    raw[index + 2] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try hex4()
                    code = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                }
                flush()
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")  // a lone surrogate
            default: throw Malformed()
            }
            index += 1
        }
        flush()
        return String(scalars)
    }
}
