import NIOConcurrencyHelpers
import NIOCore

/// Keep-alive connections for short requests, at most `maxConnections` open at once; callers beyond
/// that wait in line. Streams use connections of their own, so a never-ending response never holds
/// a pool slot.
final class HTTP1ConnectionPool: Sendable {
    private struct Waiter {
        let id: Int
        /// Resumed with an idle connection, or with nil: "a slot is free, open one".
        let continuation: CheckedContinuation<HTTP1Connection?, any Error>
    }

    private struct State {
        var idle: [HTTP1Connection] = []
        /// Open or opening connections, idle ones included.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var isShutDown = false
    }

    let endpoint: HTTP1Endpoint
    let maxConnections: Int
    let connectTimeout: TimeAmount
    private let state = NIOLockedValueBox(State())

    init(endpoint: HTTP1Endpoint, maxConnections: Int, connectTimeout: TimeAmount) {
        self.endpoint = endpoint
        self.maxConnections = max(1, maxConnections)
        self.connectTimeout = connectTimeout
    }

    /// Connections currently open, for tests and metrics.
    var openConnections: Int { state.withLockedValue { $0.open } }

    /// A connection for one exchange; `reused` when it carried one before (the peer may have
    /// closed it meanwhile without our having read the news yet). When every connection is busy the
    /// caller waits its turn, at most `waitingAtMost` (then `timedOut`): a stuck peer must not hold
    /// every later request without end.
    func lease(waitingAtMost limit: Duration) async throws -> (connection: HTTP1Connection, reused: Bool) {
        enum Decision { case reuse(HTTP1Connection), open, wait }
        let decision: Decision = try state.withLockedValue { state in
            guard !state.isShutDown else { throw HTTP1ClientError.shutDown }
            while let connection = state.idle.popLast() {
                if connection.isActive { return .reuse(connection) }
                state.open -= 1  // closed by the peer while idle
            }
            if state.open < maxConnections {
                state.open += 1
                return .open
            }
            return .wait
        }
        switch decision {
        case .reuse(let connection): return (connection, true)
        case .open: return (try await openReservedConnection(), false)
        case .wait:
            if let connection = try await waitForTurn(atMost: limit) { return (connection, true) }
            return (try await openReservedConnection(), false)
        }
    }

    /// Returns a connection after its exchange; one that cannot carry another request is closed.
    func release(_ connection: HTTP1Connection, reusable: Bool) {
        let reuse = reusable && connection.isActive
        if !reuse { connection.close() }
        let handOver: (Waiter, HTTP1Connection?)? = state.withLockedValue { state in
            if let waiter = state.waiters.popFirstWaiter() {
                return (waiter, reuse ? connection : nil)  // nil: the freed slot goes to the waiter
            }
            if reuse, !state.isShutDown {
                state.idle.append(connection)
            } else {
                state.open -= 1
                if reuse { connection.close() }
            }
            return nil
        }
        if let (waiter, connection) = handOver { waiter.continuation.resume(returning: connection) }
    }

    func shutdown() {
        let (idle, waiters) = state.withLockedValue { state in
            state.isShutDown = true
            defer {
                state.open -= state.idle.count
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        idle.forEach { $0.close() }
        waiters.forEach { $0.continuation.resume(throwing: HTTP1ClientError.shutDown) }
    }

    private func openReservedConnection() async throws -> HTTP1Connection {
        do {
            return try await HTTP1Connection.open(to: endpoint, connectTimeout: connectTimeout)
        } catch {
            giveUpSlot()
            throw error
        }
    }

    private func giveUpSlot() {
        let waiter: Waiter? = state.withLockedValue { state in
            if let waiter = state.waiters.popFirstWaiter() { return waiter }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: nil)
    }

    private func waitForTurn(atMost limit: Duration) async throws -> HTTP1Connection? {
        let id = state.withLockedValue { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let timeout = TimeAmount(limit)
        let expiry = LoopTimers.loop.scheduleTask(in: timeout) { [state] in
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: HTTP1ClientError.timedOut(seconds: Double(timeout.nanoseconds) / 1e9))
        }
        defer { expiry.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let enqueued = state.withLockedValue { state in
                    guard !state.isShutDown, !Task.isCancelled else { return false }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return true
                }
                if !enqueued { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}

extension Array {
    fileprivate mutating func popFirstWaiter() -> Element? {
        isEmpty ? nil : removeFirst()
    }
}
