@testable import DTMACore
import Testing

@Suite("Start-up pages")
struct StartupPagesTests {
    /// Recorded from a running dtma (trimmed to the lines the decision reads, plus some it must skip).
    static let recorded = """
        55da067b6000-55da08112000 r-xp 00000000 fe:00 5334134                    /usr/local/bin/dtma
        Size:              22896 kB
        Rss:               11248 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me
        55da08112000-55da081b4000 r--p 0195c000 fe:00 5334134                    /usr/local/bin/dtma
        Rss:                 648 kB
        Anonymous:           648 kB
        55da081b4000-55da08427000 rw-p 019fe000 fe:00 5334134                    /usr/local/bin/dtma
        Rss:                1592 kB
        Anonymous:           220 kB
        55da09a1f000-55da09a44000 rw-p 00000000 00:00 0                          [heap]
        Rss:                 140 kB
        Anonymous:           140 kB
        7fd864000000-7fd864021000 rw-p 00000000 00:00 0
        Rss:                 132 kB
        Anonymous:           132 kB
        7fd866837000-7fd86696b000 r-xp 00037000 fe:00 333348                     /usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3
        Rss:                 552 kB
        Anonymous:             0 kB
        7fd866a07000-7fd866a18000 r--p 00207000 fe:00 333348                     /usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3
        Rss:                  68 kB
        Anonymous:            68 kB
        7fd867000000-7fd867028000 r--p 00000000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                   0 kB
        Anonymous:             0 kB
        7ffdceda6000-7ffdcedaa000 r--p 00000000 00:00 0                          [vvar]
        Rss:                   0 kB
        Anonymous:             0 kB
        7ffdcedaa000-7ffdcedac000 r-xp 00000000 00:00 0                          [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        """

    @Test("only clean, read-only, resident file mappings are released")
    func choice() {
        let mappings = StartupPages.parse(Self.recorded)
        #expect(mappings.count == 10)
        #expect(mappings[0] == .init(start: 0x55da067b6000, end: 0x55da08112000, writable: false,
                                     path: "/usr/local/bin/dtma", residentKB: 11248, anonymousKB: 0))
        #expect(mappings[4].path == "")
        #expect(mappings[9].path == "[vdso]")
        // The binary's code and a library's code; not relocated data (anonymous pages), writable
        // data, the heap, anonymous memory, a mapping with nothing resident, or the kernel's vDSO.
        #expect(mappings.filter(\.isReleasable).map(\.start) == [0x55da067b6000, 0x7fd866837000])
    }

    @Test("released in a running process: less resident, and the process goes on")
    func releaseHere() throws {
        let smaps = try #require(ProcFile.read("/proc/self/smaps"))
        let before = StartupPages.parse(smaps)
        // /proc files claim a size of 0 and give a page per read: the libraries come after the first page.
        #expect(before.contains { $0.path.contains("libc.so") })
        let releasable = before.filter(\.isReleasable).reduce(0) { $0 + $1.residentKB }
        #expect(releasable > 0)

        let released = StartupPages.release()
        #expect(released > 0)
        let after = try #require(ProcFile.read("/proc/self/smaps"))
        let stillResident = StartupPages.parse(after).filter { !$0.writable && $0.anonymousKB == 0 && $0.path.hasPrefix("/") }
            .reduce(0) { $0 + $1.residentKB }
        #expect(stillResident < releasable)
        // Code whose pages were just dropped runs again (faulted back in from the page cache).
        #expect(String(repeating: "ab", count: 3).uppercased() == "ABABAB")
    }
}
