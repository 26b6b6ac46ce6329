import DTMACore
import FoundationEssentials
import NIOConcurrencyHelpers
import NIOCore

/// The encoded `/status` answer, kept while the state model's revision and the clock's second are
/// unchanged: under load the JSON is built about once a second, not once a request.
final class StatusCache: Sendable {
    private struct Entry {
        var revision: UInt64
        var second: Int64
        var body: ByteBuffer
    }

    private let entry = NIOLockedValueBox<Entry?>(nil)

    func body(revision: UInt64, now: Date, build: () -> ByteBuffer) -> ByteBuffer {
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        if let cached = entry.withLockedValue({ $0 }), cached.revision == revision, cached.second == second {
            return cached.body
        }
        let body = build()
        entry.withLockedValue { $0 = Entry(revision: revision, second: second, body: body) }
        return body
    }
}
