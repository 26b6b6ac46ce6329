#if canImport(Glibc)
import Glibc
#endif

/// Hands back the pages that only start-up touched: argument parsing, configuration, the dynamic
/// loader's relocation tables, route set-up. The kernel maps a file's pages 64 KiB around each one
/// touched, and leaves them mapped, so a daemon that has started carries them for good. (Called
/// again after a burst of connections, for the code only the burst ran: refusals, error answers.)
///
/// Only clean, read-only file mappings are released (`MADV_DONTNEED`): their pages are the file's
/// own, so dropping them changes nothing but residency, and whatever the running daemon needs comes
/// back on first touch from the page cache. A mapping with any anonymous page (relocated data, copy-on-write)
/// is left alone: dropping those pages would lose what was written.
public enum StartupPages {
    /// One mapping of `/proc/self/smaps`, as far as the decision needs it.
    struct Mapping: Equatable {
        var start: UInt
        var end: UInt
        var writable: Bool
        var path: String
        var residentKB = 0
        var anonymousKB = 0

        var isReleasable: Bool { !writable && path.hasPrefix("/") && residentKB > 0 && anonymousKB == 0 }
    }

    /// Releases the start-up pages of this process; returns the kilobytes no longer resident.
    @discardableResult
    public static func release() -> Int {
        guard let text = ProcFile.read("/proc/self/smaps") else { return 0 }
        var released = 0
        for mapping in parse(text) where mapping.isReleasable {
            #if canImport(Glibc)
            if madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 {
                released += mapping.residentKB
            }
            #endif
        }
        return released
    }

    /// `/proc/PID/smaps`: a header line per mapping (`start-end perms offset dev inode [path]`), then `Key: value kB` lines.
    static func parse(_ text: String) -> [Mapping] {
        var mappings: [Mapping] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":"), fields.count >= 5 {
                let bounds = first.split(separator: "-")
                guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16) else { continue }
                let path = fields.count == 6 ? String(fields[5]).trimmingLeadingSpaces : ""
                mappings.append(Mapping(start: start, end: end, writable: fields[1].dropFirst().first != "-", path: path))
            } else if fields.count >= 2, !mappings.isEmpty, let kilobytes = Int(fields[1]) {
                switch fields[0] {
                case "Rss:": mappings[mappings.count - 1].residentKB = kilobytes
                case "Anonymous:": mappings[mappings.count - 1].anonymousKB = kilobytes
                default: break
                }
            }
        }
        return mappings
    }
}

extension String {
    fileprivate var trimmingLeadingSpaces: String { String(drop(while: { $0 == " " })) }
}
