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

    /// `[registry[:port]/]path[:tag][@sha256:hex]` (the distribution reference grammar, simplified:
    /// path components lower-case, separated by `.`, `_`, `__` or dashes).
    static func isImageReference(_ reference: String) -> Bool {
        guard (1...255).contains(reference.utf8.count) else { return false }
        var rest = Substring(reference)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard digest.hasPrefix("sha256:"), digest.utf8.count == 71,
                digest.dropFirst(7).utf8.allSatisfy({ isLowerHex($0) })
            else { return false }
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            guard isTag(rest[rest.index(after: colon)...]) else { return false }
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 1, let first = components.first,
            first.contains(".") || first.contains(":") || first == "localhost"
        {
            guard isRegistryHost(first) else { return false }
            components.removeFirst()
        }
        return !components.isEmpty && components.allSatisfy(isPathComponent)
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

    private static func isTag(_ tag: Substring) -> Bool {
        guard (1...128).contains(tag.utf8.count), let first = tag.utf8.first, isAlphanumeric(first) || first == UInt8(ascii: "_")
        else { return false }
        return tag.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isRegistryHost(_ host: Substring) -> Bool {
        let parts = host.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
            parts[0].utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { return false }
        if parts.count == 2 { return Int(parts[1]).map { (1...65535).contains($0) } ?? false }
        return true
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    private static func isPathComponent(_ component: Substring) -> Bool {
        var separator: [UInt8] = []
        var sawAlphanumeric = false
        for byte in component.utf8 {
            if isLowerAlphanumeric(byte) {
                guard separator.isEmpty || isSeparator(separator) else { return false }
                separator = []
                sawAlphanumeric = true
            } else {
                guard sawAlphanumeric else { return false }
                separator.append(byte)
            }
        }
        return sawAlphanumeric && separator.isEmpty
    }

    private static func isSeparator(_ run: [UInt8]) -> Bool {
        let dot = UInt8(ascii: "."), underscore = UInt8(ascii: "_"), dash = UInt8(ascii: "-")
        return run == [dot] || run == [underscore] || run == [underscore, underscore] || run.allSatisfy { $0 == dash }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || (0x30...0x39).contains(byte) }
    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
    private static func isLowerHex(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
}
