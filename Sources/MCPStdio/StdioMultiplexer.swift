import HTTP1Client
import NIOConcurrencyHelpers

/// The way to a stdio server's stdin. Its stdout comes back through `StdioMultiplexer.receive`,
/// and its end through `StdioMultiplexer.linkClosed`.
public protocol StdioLink: Sendable {
    /// Writes one line (newline included).
    func send(_ line: [UInt8]) async throws
    /// The last lines the server wrote on stderr.
    var stderrTail: [String] { get }
    func close()
}

public enum StdioCallError: Error, Equatable, CustomStringConvertible {
    /// The process ended (or dtma lost its attachment) before it answered.
    case closed
    /// No answer within the caller's time.
    case timedOut
    /// The caller went away.
    case cancelled
    /// As many requests as a process may have in flight are already waiting.
    case busy(limit: Int)
    /// The server refused the handshake dtma made for a caller that sent none (its words).
    case handshakeRefused(String)

    public var description: String {
        switch self {
        case .closed: "the server's process ended before it answered"
        case .timedOut: "the server did not answer in time"
        case .cancelled: "the request was cancelled"
        case .busy(let limit): "the server already has \(limit) requests in flight"
        case .handshakeRefused(let why): "the server refused the handshake dtma made for this call: \(why)"
        }
    }
}

/// Many clients (the prober, gateway sessions, bare calls) over one stdio process. Each request's
/// id is rewritten to one of the multiplexer's own (`"dtma-7"`) and the answer gets the client's id
/// back, byte for byte, so clients that all send `id: 1` never see each other's answers.
/// `initialize` reaches the server once per process: later clients are answered from the first
/// answer, and only the first `notifications/initialized` goes on (stdio servers often fail on a
/// second handshake). What the server asks of a client (`sampling/…`, `roots/list`) is refused with
/// -32601 for now; notifications from the server, which no single client owns, are dropped (a
/// tools `list_changed` is counted first: the prober lists the tools again).
public final class StdioMultiplexer: Sendable {
    public static let pendingLimit = 256
    static let answersInFlightLimit = 16

    public typealias Reply = @Sendable (Result<[UInt8], StdioCallError>) -> Void

    struct Pending {
        var originalID: [UInt8]
        var client: String
        var reply: Reply
    }

    enum Handshake {
        case none
        /// Sent as our request `ours`; the clients that asked meanwhile wait in `handshakeWaiters`.
        case inFlight(ours: String)
        /// The server's `result` for `initialize`, as it wrote it.
        case done(result: [UInt8])
    }

    struct State {
        var nextID = 1
        /// Requests written to the server, by the id we gave them.
        var pending: [String: Pending] = [:]
        var handshake = Handshake.none
        var handshakeWaiters: [String: Pending] = [:]
        var initializedSent = false
        var closed = false
        var droppedLines = 0
        var toolListChanges = 0
        /// dtma's own answers to server requests, being written.
        var answersInFlight = 0

        var waiting: Int { pending.count + handshakeWaiters.count }
    }

    public let link: any StdioLink
    private let state = NIOLockedValueBox(State())

    public init(link: any StdioLink) {
        self.link = link
    }

    public var isClosed: Bool { state.withLockedValue { $0.closed } }
    /// Lines from the server that were not JSON-RPC, or answered nobody waiting.
    public var droppedLines: Int { state.withLockedValue { $0.droppedLines } }
    /// How many times the server said its tools changed (`notifications/tools/list_changed`).
    public var toolListChanges: Int { state.withLockedValue { $0.toolListChanges } }
    public var pendingCount: Int { state.withLockedValue { $0.pending.count } }
    public var isInitialized: Bool {
        state.withLockedValue { if case .done = $0.handshake { true } else { false } }
    }

    // MARK: Clients

    /// Sends a client's request and waits for its answer (with the client's id), at most `timeout`.
    public func call(_ message: [UInt8], _ envelope: JSONRPCEnvelope, client: String, timeout: Duration) async throws(StdioCallError) -> [UInt8] {
        let slot = ReplySlot()
        let cancelTimer = LoopTimers.after(timeout) { slot.fill(.failure(.timedOut)) }
        defer { cancelTimer() }
        let key = await send(message, envelope, client: client, reply: slot.fill)
        let result = await withTaskCancellationHandler {
            await slot.value()
        } onCancel: {
            slot.fill(.failure(.cancelled))
        }
        if case .failure = result, let key { forget(key) }
        return try result.get()
    }

    /// Sends a client's request; `reply` is called once, with the answer or why there is none.
    /// Returns the key under which it waits (for `forget`), nil when it was answered at once.
    @discardableResult
    public func send(_ message: [UInt8], _ envelope: JSONRPCEnvelope, client: String, reply: @escaping Reply) async -> String? {
        guard let idRange = envelope.idRange, let method = envelope.method else {
            reply(.failure(.closed))
            return nil
        }
        let pending = Pending(originalID: Array(message[idRange]), client: client, reply: reply)
        enum Step { case refuse(StdioCallError), answer([UInt8]), wait(String), write([UInt8], String) }
        let step = state.withLockedValue { state -> Step in
            if state.closed { return .refuse(.closed) }
            if state.waiting >= Self.pendingLimit { return .refuse(.busy(limit: Self.pendingLimit)) }
            let ours = state.take()
            guard method == "initialize" else {
                state.pending[ours] = pending
                return .write(Self.line(message, id: idRange, replacedBy: Self.quoted(ours)), ours)
            }
            switch state.handshake {
            case .done(let result):
                return .answer(Self.answer(id: pending.originalID, result: result))
            case .inFlight:
                state.handshakeWaiters[ours] = pending
                return .wait(ours)
            case .none:
                // The first client's request is the handshake; its key stands for it.
                state.handshake = .inFlight(ours: ours)
                state.handshakeWaiters[ours] = pending
                state.pending[ours] = Pending(originalID: Self.quoted(ours), client: "", reply: { [weak self] in self?.handshakeEnded($0) })
                return .write(Self.line(message, id: idRange, replacedBy: Self.quoted(ours)), ours)
            }
        }
        switch step {
        case .refuse(let why):
            reply(.failure(why))
            return nil
        case .answer(let line):
            reply(.success(line))
            return nil
        case .wait(let key):
            return key
        case .write(let line, let key):
            do {
                try await link.send(line)
            } catch {
                linkClosed()
            }
            return key
        }
    }

    /// A request whose client gave up: its answer, if it comes, is dropped. A handshake given up
    /// is forgotten for everyone waiting on it, so that the next client tries again.
    public func forget(_ key: String) {
        let isHandshake = state.withLockedValue { state -> Bool in
            state.handshakeWaiters.removeValue(forKey: key)
            guard case .inFlight(let ours) = state.handshake, ours == key else {
                state.pending.removeValue(forKey: key)
                return false
            }
            return true
        }
        if isHandshake { handshakeEnded(.failure(.timedOut)) }
    }

    /// A client's notification. `initialized` goes on once per process; a cancellation names the
    /// client's id, which becomes ours; answers to server requests have nobody to reach (dtma
    /// already answered the server).
    public func notify(_ message: [UInt8], _ envelope: JSONRPCEnvelope, client: String) async {
        let line: [UInt8]? = state.withLockedValue { state in
            switch envelope.method {
            case "notifications/initialized":
                guard case .done = state.handshake, !state.initializedSent else { return nil }
                state.initializedSent = true
                return Self.line(message, id: nil, replacedBy: [])
            case "notifications/cancelled":
                guard let target = CancelledRequest(message),
                    let ours = state.pending.first(where: { $0.value.client == client && $0.value.originalID == target.id })?.key
                else { return nil }
                return Self.line(message, id: target.idRange, replacedBy: Self.quoted(ours))
            case nil:
                return nil
            default:
                return Self.line(message, id: nil, replacedBy: [])
            }
        }
        if let line { try? await link.send(line) }
    }

    /// Makes sure the process has been through `initialize` (for callers that never sent one:
    /// bare calls, and sessions that outlived a restart of the process).
    public func ensureInitialized(protocolVersion: String, clientName: String, timeout: Duration) async throws(StdioCallError) {
        if isInitialized { return }
        let request = Array(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"\#(protocolVersion)","capabilities":{},"clientInfo":{"name":"\#(clientName)","version":"1"}}}"#.utf8)
        let answer = try await call(request, JSONRPCEnvelope(request)!, client: "", timeout: timeout)
        if JSONRPCEnvelope(answer)?.isError != false {
            throw .handshakeRefused(String(decoding: answer.prefix(512).filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
        }
        let initialized = Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8)
        await notify(initialized, JSONRPCEnvelope(initialized)!, client: "")
    }

    // MARK: The server

    /// One line the server wrote on stdout.
    public func receive(_ line: [UInt8]) {
        guard let envelope = JSONRPCEnvelope(line) else { return dropped() }
        if envelope.kind == .notification, envelope.method == "notifications/tools/list_changed" {
            return state.withLockedValue { $0.toolListChanges += 1 }
        }
        guard let idRange = envelope.idRange else { return dropped() }
        switch envelope.kind {
        case .response:
            let ours = String(decoding: line[idRange].dropFirst().dropLast(), as: UTF8.self)
            guard let pending = state.withLockedValue({ $0.pending.removeValue(forKey: ours) }) else { return dropped() }
            pending.reply(.success(Self.line(line, id: idRange, replacedBy: pending.originalID)))
        case .request:
            // Nobody here can answer for a client yet (sampling, elicitation, roots): say so at once
            // rather than leave the server waiting.
            let refusal = envelope.method == "ping"
                ? Array(#"{"jsonrpc":"2.0","id":"#.utf8) + line[idRange] + Array(#","result":{}}"#.utf8)
                : JSONRPCErrorBody.make(id: Array(line[idRange]), code: JSONRPCErrorBody.methodNotFound, message: "no client of dtma's gateway can answer \(envelope.method ?? "this")")
            // A server that asks faster than it reads its stdin cannot make dtma hold more than a few.
            guard state.withLockedValue({ state in
                guard state.answersInFlight < Self.answersInFlightLimit else { return false }
                state.answersInFlight += 1
                return true
            }) else { return dropped() }
            Task {
                try? await link.send(refusal + [UInt8(ascii: "\n")])
                state.withLockedValue { $0.answersInFlight -= 1 }
            }
        default:
            dropped()
        }
    }

    /// The process's stdout ended: whoever waits learns it now.
    public func linkClosed() {
        let waiting = state.withLockedValue { state -> [Pending] in
            state.closed = true
            let waiting = Array(state.pending.values) + Array(state.handshakeWaiters.values)
            state.pending = [:]
            state.handshakeWaiters = [:]
            state.handshake = .none
            return waiting
        }
        for pending in waiting { pending.reply(.failure(.closed)) }
    }

    // MARK: Inside

    private func handshakeEnded(_ result: Result<[UInt8], StdioCallError>) {
        let waiters = state.withLockedValue { state -> [Pending] in
            guard case .inFlight(let ours) = state.handshake else { return [] }
            state.pending.removeValue(forKey: ours)
            if case .success(let answer) = result, let envelope = JSONRPCEnvelope(answer), !envelope.isError, let outcome = envelope.outcomeRange {
                state.handshake = .done(result: Array(answer[outcome]))
            } else {
                state.handshake = .none  // a failed handshake is not kept: the next client tries again
            }
            defer { state.handshakeWaiters = [:] }
            return Array(state.handshakeWaiters.values)
        }
        for waiter in waiters {
            waiter.reply(result.map { answer in
                guard let idRange = JSONRPCEnvelope(answer)?.idRange else { return answer }
                return Self.line(answer, id: idRange, replacedBy: waiter.originalID)
            })
        }
    }

    private func dropped() {
        state.withLockedValue { $0.droppedLines += 1 }
    }

    /// `message` on one line, its id (if any) replaced: newlines between JSON tokens become spaces
    /// (a JSON string cannot hold a raw one).
    static func line(_ message: [UInt8], id: Range<Int>?, replacedBy replacement: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + replacement.count + 1)
        func append(_ part: ArraySlice<UInt8>) {
            for byte in part { out.append(byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") ? UInt8(ascii: " ") : byte) }
        }
        if let id {
            append(message[..<id.lowerBound])
            out += replacement
            append(message[id.upperBound...])
        } else {
            append(message[...])
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    static func answer(id: [UInt8], result: [UInt8]) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":"#.utf8) + id + Array(#","result":"#.utf8) + result + Array("}\n".utf8)
    }

    static func quoted(_ id: String) -> [UInt8] {
        [UInt8(ascii: "\"")] + Array(id.utf8) + [UInt8(ascii: "\"")]
    }
}

extension StdioMultiplexer.State {
    mutating func take() -> String {
        defer { nextID += 1 }
        return "dtma-\(nextID)"
    }
}

/// One answer, filled once, by whichever comes first: the server, a timeout, a cancellation.
final class ReplySlot: Sendable {
    private struct Inside {
        var result: Result<[UInt8], StdioCallError>?
        var waiter: CheckedContinuation<Result<[UInt8], StdioCallError>, Never>?
    }

    private let inside = NIOLockedValueBox(Inside())

    func fill(_ result: Result<[UInt8], StdioCallError>) {
        let waiter = inside.withLockedValue { inside -> CheckedContinuation<Result<[UInt8], StdioCallError>, Never>? in
            guard inside.result == nil else { return nil }
            inside.result = result
            defer { inside.waiter = nil }
            return inside.waiter
        }
        waiter?.resume(returning: result)
    }

    func value() async -> Result<[UInt8], StdioCallError> {
        await withCheckedContinuation { continuation in
            let ready = inside.withLockedValue { inside -> Result<[UInt8], StdioCallError>? in
                if let result = inside.result { return result }
                inside.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
