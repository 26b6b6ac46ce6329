/// An image reference in Docker's grammar (distribution/reference), the one grammar dtma's
/// validation and its engine calls share:
///
///     reference  := name [ ":" tag ] [ "@" digest ]  |  "sha256:" 64 hex (an image ID)
///     name       := [ domain "/" ] path-component ( "/" path-component )*
///     domain     := domain-component ( "." domain-component )* [ ":" port ]
///     domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
///     path-component   := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
///     tag        := [\w][\w.-]{0,127}
///     digest     := "sha256:" 64 lower-case hex
///
/// The engine resolves a name without a tag as an image ID prefix when it is not an image's
/// name (`1672ae7c9fdf` would run whatever image has that ID), so what is sent to the engine
/// always carries its tag (`latest` by default) and an ID is taken only whole.
public struct ImageReference: Sendable, Equatable, CustomStringConvertible {
    /// The repository (`ghcr.io/acme/tool`), or `sha256:<hex>` for an image ID.
    public var name: String
    /// A tag (`latest` when none is given) or a digest (`sha256:…`); empty for an image ID.
    public var tagOrDigest: String

    public static let maxLength = 255

    /// Nil when `reference` is not in the grammar.
    public init?(parsing reference: String) {
        guard (1...Self.maxLength).contains(reference.utf8.count) else { return nil }
        if reference.hasPrefix("sha256:") {
            guard Self.isDigest(Substring(reference)) else { return nil }
            name = reference
            tagOrDigest = ""
            return
        }
        var rest = Substring(reference)
        var tagOrDigest = "latest"
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard Self.isDigest(digest) else { return nil }
            tagOrDigest = String(digest)
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let tag = rest[rest.index(after: colon)...]
            guard Self.isTag(tag) else { return nil }
            if !tagOrDigest.hasPrefix("sha256:") { tagOrDigest = String(tag) }
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        // The first component is a registry when it looks like one (Docker's rule: a dot, a port, or localhost).
        if components.count > 1, let first = components.first, first.contains(".") || first.contains(":") || first == "localhost" {
            guard Self.isDomain(first) else { return nil }
            components.removeFirst()
        }
        guard !components.isEmpty, components.allSatisfy(Self.isPathComponent) else { return nil }
        // As the engine: a 64-hex name would read as an image ID.
        guard !(components.count == 1 && components[0].utf8.count == 64 && components[0].utf8.allSatisfy(Self.isLowerHex)) else { return nil }
        name = String(rest)
        self.tagOrDigest = tagOrDigest
    }

    public var isID: Bool { tagOrDigest.isEmpty }
    public var isDigest: Bool { tagOrDigest.hasPrefix("sha256:") }

    /// The form the engine is sent: always with a tag or digest, or a whole image ID.
    public var description: String {
        isID ? name : isDigest ? "\(name)@\(tagOrDigest)" : "\(name):\(tagOrDigest)"
    }

    private static func isDigest(_ text: Substring) -> Bool {
        text.hasPrefix("sha256:") && text.utf8.count == 71 && text.utf8.dropFirst(7).allSatisfy(isLowerHex)
    }

    private static func isTag(_ tag: Substring) -> Bool {
        guard (1...128).contains(tag.utf8.count), let first = tag.utf8.first, isAlphanumeric(first) || first == UInt8(ascii: "_")
        else { return false }
        return tag.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isDomain(_ domain: Substring) -> Bool {
        let parts = domain.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        let labels = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.allSatisfy(isDomainComponent) else { return false }
        guard parts.count == 2 else { return true }
        // Digits only: Int() would take "+5000".
        let port = parts[1]
        guard (1...5).contains(port.utf8.count), port.utf8.allSatisfy(isDigit), let number = Int(port) else { return false }
        return (1...65535).contains(number)
    }

    private static func isDomainComponent(_ label: Substring) -> Bool {
        guard let first = label.utf8.first, let last = label.utf8.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return label.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
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

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }
    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || isDigit(byte) }
    private static func isLowerHex(_ byte: UInt8) -> Bool { isDigit(byte) || (0x61...0x66).contains(byte) }
}
