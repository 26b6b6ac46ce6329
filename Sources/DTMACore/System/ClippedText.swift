extension String {
    /// At most `bytes` bytes of UTF-8, whole scalars only, control characters left out: for text
    /// from elsewhere (an engine's status line) shown in a bounded place. `prefix` counts
    /// characters, and one character can be any number of combining scalars.
    public func clipped(toUTF8Bytes bytes: Int) -> String {
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in unicodeScalars where !scalar.properties.generalCategory.isControl {
            let size = String(scalar).utf8.count
            guard used + size <= bytes else { break }
            used += size
            kept.append(scalar)
        }
        return String(kept)
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isControl: Bool { self == .control || self == .format }
}
