import NIOConcurrencyHelpers

/// Counts the listener's open connections, in all and per peer address, and decides whether one
/// more may open: past either cap a connection is refused at once, so that a flood of connections
/// costs dtma a bounded amount of memory and one peer cannot take every slot.
public final class ConnectionAdmission: Sendable {
    public struct Limits: Sendable, Equatable {
        public var total: Int
        public var perPeer: Int

        public init(total: Int = 1024, perPeer: Int = 128) {
            self.total = total
            self.perPeer = perPeer
        }
    }

    public enum Decision: Equatable {
        case admitted
        case overTotal
        case overPeer
    }

    private struct Counts {
        var total = 0
        var byPeer: [String: Int] = [:]
        /// The most connections open at once since the count last came down to the quiet level.
        var peak = 0
    }

    public let limits: Limits
    private let counts = NIOLockedValueBox(Counts())
    /// After a burst of at least `burst` connections has come down to `quiet`, `onQuiet` runs once
    /// (dtma gives the burst's memory back to the system then).
    private let burst: Int
    private let quiet: Int
    private let onQuiet: @Sendable () -> Void

    public init(limits: Limits, burst: Int = 64, quiet: Int = 4, onQuiet: @escaping @Sendable () -> Void = {}) {
        self.limits = limits
        self.burst = burst
        self.quiet = quiet
        self.onQuiet = onQuiet
    }

    /// Counts the connection in when it may open; every admitted one must be `release`d.
    public func admit(peer: String) -> Decision {
        counts.withLockedValue { counts in
            guard counts.total < limits.total else { return .overTotal }
            guard counts.byPeer[peer, default: 0] < limits.perPeer else { return .overPeer }
            counts.total += 1
            counts.byPeer[peer, default: 0] += 1
            counts.peak = max(counts.peak, counts.total)
            return .admitted
        }
    }

    public func release(peer: String) {
        let burstEnded = counts.withLockedValue { counts in
            counts.total -= 1
            let left = counts.byPeer[peer, default: 1] - 1
            counts.byPeer[peer] = left > 0 ? left : nil
            guard counts.total <= quiet, counts.peak >= burst else { return false }
            counts.peak = counts.total
            return true
        }
        if burstEnded { onQuiet() }
    }

    public var open: (total: Int, peers: Int) {
        counts.withLockedValue { ($0.total, $0.byPeer.count) }
    }
}
