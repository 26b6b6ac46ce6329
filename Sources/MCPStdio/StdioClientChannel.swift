import MCPProbe
import NIOConcurrencyHelpers

/// A client of a multiplexer that speaks in lines, as the prober does: the answers to its requests
/// queue here (bounded in bytes: the oldest go first when nobody reads) and `nextLine` takes them.
/// It asks one thing at a time, so a new request means the earlier ones are answered or given up:
/// they are forgotten, and a server that never answers cannot fill the multiplexer.
public final class StdioClientChannel: MCPLineChannel {
    static let inboxLimitBytes = 8 << 20

    private struct Inbox {
        var lines: [[UInt8]] = []
        var bytes = 0
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var closed = false
        var outstanding: [String] = []
    }

    public let multiplexer: StdioMultiplexer
    let client: String
    private let inbox = NIOLockedValueBox(Inbox())

    public init(_ multiplexer: StdioMultiplexer, client: String) {
        self.multiplexer = multiplexer
        self.client = client
    }

    /// The process behind it has ended: a new one needs a new channel (and a new handshake).
    public var isClosed: Bool { multiplexer.isClosed }

    public var stderrTail: [String] { multiplexer.link.stderrTail }

    public func send(_ line: [UInt8]) async throws {
        guard let envelope = JSONRPCEnvelope(line) else { return }
        switch envelope.kind {
        case .request:
            let earlier = inbox.withLockedValue { inbox in
                defer { inbox.outstanding = [] }
                return inbox.outstanding
            }
            earlier.forEach(multiplexer.forget)
            let key = await multiplexer.send(line, envelope, client: client) { [weak self] in self?.deliver($0) }
            if let key { inbox.withLockedValue { $0.outstanding.append(key) } }
        case .notification:
            await multiplexer.notify(line, envelope, client: client)
        case .response, .batch:
            break
        }
    }

    public func nextLine() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<[UInt8]?, any Error>? = inbox.withLockedValue { inbox in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if !inbox.lines.isEmpty {
                        let line = inbox.lines.removeFirst()
                        inbox.bytes -= line.count
                        return .success(line)
                    }
                    if inbox.closed || multiplexer.isClosed { return .success(nil) }
                    inbox.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            inbox.withLockedValue { inbox in
                defer { inbox.waiter = nil }
                return inbox.waiter
            }?.resume(throwing: CancellationError())
        }
    }

    private func deliver(_ result: Result<[UInt8], StdioCallError>) {
        let woken = inbox.withLockedValue { inbox -> (CheckedContinuation<[UInt8]?, any Error>, Result<[UInt8]?, any Error>)? in
            var answer: Result<[UInt8]?, any Error>
            switch result {
            case .success(var line):
                if line.last == UInt8(ascii: "\n") { line.removeLast() }
                answer = .success(line)
            case .failure(.closed):
                inbox.closed = true
                answer = .success(nil)
            case .failure(let why):
                answer = .failure(why)
            }
            if let waiter = inbox.waiter {
                inbox.waiter = nil
                return (waiter, answer)
            }
            guard case .success(let line?) = answer else { return nil }
            while !inbox.lines.isEmpty, inbox.bytes + line.count > Self.inboxLimitBytes {
                inbox.bytes -= inbox.lines.removeFirst().count
            }
            inbox.lines.append(line)
            inbox.bytes += line.count
            return nil
        }
        woken.map { $0.0.resume(with: $0.1) }
    }
}
