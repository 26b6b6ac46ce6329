import DockerEngine

/// The grammars of names a request carries, as plain functions so that tables can test them.
enum NameRules {
    static let maxInstanceNameLength = 63

    /// Docker's container-name grammar (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`: two characters at least),
    /// bounded, and without `..`.
    static func isInstanceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (2...maxInstanceNameLength).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
            && !name.contains("..")
    }

    /// A `/mcp/groups` group: the instance grammar, longer (the control plane's `agent-{uuid}-mcp`).
    static func isGroupID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (2...128).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
            && !id.contains("..")
    }

    /// Docker's reference grammar (`ImageReference`, shared with the engine client).
    static func isImageReference(_ reference: String) -> Bool {
        ImageReference(parsing: reference) != nil
    }

    /// `KEY` of a `KEY=value` environment entry.
    static func isEnvironmentName(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Label keys: reverse-DNS style, no control characters or spaces.
    static func isLabelKey(_ key: String) -> Bool {
        (1...128).contains(key.utf8.count)
            && key.utf8.allSatisfy { isAlphanumeric($0) || [UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "/")].contains($0) }
    }

    /// Printable text without control characters (tabs allowed), for ids, paths and label values.
    static func isPlainText(_ text: String, maxBytes: Int) -> Bool {
        text.utf8.count <= maxBytes && text.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || (0x30...0x39).contains(byte) }
}
