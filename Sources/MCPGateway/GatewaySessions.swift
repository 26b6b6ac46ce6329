import DTMACore
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The gateway's sessions. A client's `Mcp-Session-Id` is the gateway's own (random, never reused);
/// the upstream server's session stays inside. A session belongs to one server path and one
/// container: on another path it does not exist, and a replaced container ends it (the client then
/// gets 404 and initializes again). At most `limit` live at once, and one unused for `idleTimeout`
/// is ended (servers have run out of memory from sessions nobody closed).
public final class GatewaySessions: Sendable {
    public struct Session: Sendable, Equatable {
        public var id: String
        public var instance: String
        public var containerID: String
        /// The upstream's own session id; nil for a server that keeps none.
        public var upstreamID: String?
        public var lastUsed: ContinuousClock.Instant
    }

    public enum Lookup: Sendable, Equatable {
        case found(Session)
        /// Unknown, ended, expired, for another server, or for a container since replaced.
        case notFound
    }

    public let limit: Int
    public let idleTimeout: Duration
    private let clock: any LoopClock
    private let sessions = NIOLockedValueBox<[String: Session]>([:])

    public init(limit: Int = 1000, idleTimeout: Duration = .seconds(1800), clock: any LoopClock = SystemLoopClock()) {
        self.limit = limit
        self.idleTimeout = idleTimeout
        self.clock = clock
    }

    public var count: Int { sessions.withLockedValue { $0.count } }

    /// A new session; nil when `limit` are open.
    public func open(instance: String, containerID: String, upstreamID: String?) -> Session? {
        let session = Session(id: Self.newID(), instance: instance, containerID: containerID, upstreamID: upstreamID, lastUsed: clock.now)
        return sessions.withLockedValue { sessions in
            guard sessions.count < limit else { return nil }
            sessions[session.id] = session
            return session
        }
    }

    /// The session `id` on the path of `instance`, for its current container; marked as used.
    public func use(_ id: String, instance: String, containerID: String) -> Lookup {
        let now = clock.now
        return sessions.withLockedValue { sessions in
            guard var session = sessions[id], session.instance == instance else { return .notFound }
            guard session.containerID == containerID, now - session.lastUsed < idleTimeout else {
                sessions[id] = nil
                return .notFound
            }
            session.lastUsed = now
            sessions[id] = session
            return .found(session)
        }
    }

    /// Ends a session; returns it (its upstream session is the caller's to end) when it existed.
    @discardableResult
    public func end(_ id: String) -> Session? {
        sessions.withLockedValue { $0.removeValue(forKey: id) }
    }

    /// Ends and returns the sessions unused for `idleTimeout`.
    public func expire() -> [Session] {
        let now = clock.now
        return sessions.withLockedValue { sessions in
            let idle = sessions.values.filter { now - $0.lastUsed >= idleTimeout }
            for session in idle { sessions[session.id] = nil }
            return idle
        }
    }

    /// 128 random bits as hex: visible ASCII, as the transport spec asks of session ids.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

/// Ends idle gateway sessions (and their servers' sessions) every `interval`.
public struct GatewaySessionReaper: Service {
    let gateway: MCPGateway
    let interval: Duration
    let clock: any LoopClock

    public init(gateway: MCPGateway, interval: Duration = .seconds(60), clock: any LoopClock = SystemLoopClock()) {
        self.gateway = gateway
        self.interval = interval
        self.clock = clock
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await clock.sleep(for: interval)
                await gateway.expireIdleSessions()
            }
        }
        gateway.shutdown()
    }
}
