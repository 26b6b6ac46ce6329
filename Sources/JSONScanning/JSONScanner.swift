/// Reads JSON from bytes, taking out only what the caller asks for and skipping the rest without
/// building it: a probe wants a dozen fields of replies whose bulk is tool schemas.
/// (`JSONDecoder` spent about a tenth of a probe's CPU on these replies.) `ScanningDecoder` reads
/// `Decodable` types with it.
public struct JSONScanner {
    public struct Malformed: Error {
        public init() {}
    }

    let bytes: [UInt8]
    /// Where the next token starts (after whitespace, once `peek` has run).
    var index: Int
    /// Objects and arrays open around the index. Past `maximumDepth` the input is refused: each
    /// level is a stack frame, and `[[[[…` from a hostile server must not exhaust the stack.
    private var depth = 0
    public static let maximumDepth = 512

    public init(_ bytes: [UInt8], at index: Int = 0) {
        self.bytes = bytes
        self.index = index
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
        try rawMembers { key, scanner in
            let raw = scanner.bytes[key]
            try member(raw.contains(UInt8(ascii: "\\")) ? try Self.unescape(raw) : String(decoding: raw, as: UTF8.self), &scanner)
        }
    }

    /// `members`, with each key as where its bytes are (between its quotes, escapes left in):
    /// no String made for keys nobody asks about.
    @discardableResult
    mutating func rawMembers(_ member: (Range<Int>, inout JSONScanner) throws -> Void) throws -> Bool {
        guard try peek() == UInt8(ascii: "{") else {
            try skipValue()
            return false
        }
        try enter()
        defer { depth -= 1 }
        index += 1
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw Malformed() }
            let keyStart = index + 1
            try skipString()
            let key = keyStart..<(index - 1)
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
        try enter()
        defer { depth -= 1 }
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
    public mutating func stringIfPresent() throws -> String? {
        guard try peek() == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        return try string()
    }

    /// A number value; nil (the value skipped) when it is of another type.
    public mutating func numberIfPresent() throws -> Double? {
        let first = try peek()
        guard first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            try skipValue()
            return nil
        }
        return try number()
    }

    /// Passes over the next value and says where its bytes are: to echo a value exactly as it was
    /// written (a JSON-RPC id keeps its type and spelling).
    public mutating func rawValue() throws -> Range<Int> {
        _ = try peek()
        let start = index
        try skipValue()
        return start..<index
    }

    /// Whether the next value is an array (not consumed).
    public mutating func nextIsArray() throws -> Bool {
        try peek() == UInt8(ascii: "[")
    }

    /// A string, and nothing else: for members a model cannot do without.
    public mutating func requiredString() throws -> String {
        guard try peek() == UInt8(ascii: "\"") else { throw Malformed() }
        return try string()
    }

    /// `true` or `false`; nil (the value skipped) when it is of another type.
    public mutating func boolIfPresent() throws -> Bool? {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default:
            try skipValue()
            return nil
        }
    }

    /// A whole number that fits `Integer` (`1e3` is one); nil (the value skipped) when it is of
    /// another type. A number that is not whole or does not fit is malformed, as for JSONDecoder.
    public mutating func integerIfPresent<Integer: FixedWidthInteger>(_ type: Integer.Type = Int.self) throws -> Integer? {
        let first = try peek()
        guard first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            try skipValue()
            return nil
        }
        let text = String(decoding: bytes[try numberToken()], as: UTF8.self)
        if let exact = Integer(text) { return exact }
        guard let double = Double(text), let whole = Integer(exactly: double) else { throw Malformed() }
        return whole
    }

    /// An object read by `read`; nil for `null` (the value skipped when it is of another type).
    public mutating func objectIfPresent<Value>(_ read: (inout JSONScanner) throws -> Value) throws -> Value? {
        guard try peek() == UInt8(ascii: "{") else {
            try skipValue()
            return nil
        }
        return try read(&self)
    }

    /// An array, each element read by `element`; nil for `null` or another type (skipped).
    public mutating func arrayIfPresent<Element>(_ element: (inout JSONScanner) throws -> Element) throws -> [Element]? {
        guard try peek() == UInt8(ascii: "[") else {
            try skipValue()
            return nil
        }
        var array: [Element] = []
        try elements { array.append(try element(&$0)) }
        return array
    }

    /// An object as a dictionary, each value read by `value`; nil for `null` or another type (skipped).
    public mutating func mapIfPresent<Value>(_ value: (inout JSONScanner) throws -> Value) throws -> [String: Value]? {
        guard try peek() == UInt8(ascii: "{") else {
            try skipValue()
            return nil
        }
        var map: [String: Value] = [:]
        try members { key, scanner in map[key] = try value(&scanner) }
        return map
    }

    /// Strings, for the arrays of them the engine sends (`Cmd`, `Env`, `CapDrop`).
    public mutating func stringsIfPresent() throws -> [String]? {
        try arrayIfPresent { try $0.requiredString() }
    }

    /// String to string, for the maps the engine sends (`Labels`, `StorageOpt`).
    public mutating func stringMapIfPresent() throws -> [String: String]? {
        try mapIfPresent { try $0.requiredString() }
    }

    /// Any value, as a tree: for small parts only (an id).
    public mutating func value() throws -> JSONValue {
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
        case UInt8(ascii: "{"): try rawMembers { _, scanner in try scanner.skipValue() }
        case UInt8(ascii: "["): try elements { try $0.skipValue() }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
    }

    // MARK: Tokens

    private mutating func enter() throws {
        guard depth < Self.maximumDepth else { throw Malformed() }
        depth += 1
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next significant byte, not consumed.
    mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw Malformed() }
        return bytes[index]
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            word.withUTF8Buffer({ $0.elementsEqual(bytes[index..<(index + count)]) })
        else { throw Malformed() }
        index += count
    }

    mutating func number() throws -> Double {
        let token = try numberToken()
        guard let value = Double(String(decoding: bytes[token], as: UTF8.self)) else { throw Malformed() }
        return value
    }

    /// Where the number at the index is, consumed but not converted.
    mutating func numberToken() throws -> Range<Int> {
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        guard index > start else { throw Malformed() }
        return start..<index
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    mutating func skipString() throws {
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

    mutating func string() throws -> String {
        let start = index + 1
        try skipString()
        let raw = bytes[start..<(index - 1)]
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        return try Self.unescape(raw)
    }

    static func unescape(_ raw: ArraySlice<UInt8>) throws -> String {
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
