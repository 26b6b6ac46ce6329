import DockerEngine
import HTTP1
import MCPProbe
import NIOConcurrencyHelpers

/// dtma attached to a stdio MCP server's main process (`POST /containers/{id}/attach`): the
/// probe writes to its stdin and reads its stdout. A reader task drains the stream all the time
/// (an attached client that stops reading can stall the container's output); stdout lines wait
/// in a small inbox for the probe, stderr lines go to a tail. Docker drops attached clients when
/// the container restarts or the engine goes away: then `isClosed` says to attach again.
public final class StdioAttachment: MCPLineChannel {
    static let inboxLimit = 256
    static let stderrTailLimit = 20
    static let maxLineBytes = 1 << 20

    private struct Inbox {
        var lines: [[UInt8]] = []
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var closed = false
        var stderrTail: [String] = []
    }

    private let stream: DockerHijackedStream
    private let inbox = NIOLockedValueBox(Inbox())
    private let reader = NIOLockedValueBox<Task<Void, Never>?>(nil)

    private init(stream: DockerHijackedStream) {
        self.stream = stream
    }

    public static func attach(engine: any ContainerEngine, containerID: String) async throws -> StdioAttachment {
        // What the server said on stderr before we attached (its start-up) opens the tail.
        var options = LogsOptions()
        options.stdout = false
        options.tail = stderrTailLimit
        var earlier: [DockerOutputFrame] = []
        for try await frame in try await engine.containerLogs(containerID, options: options) { earlier.append(frame) }
        let stream = try await engine.attachContainer(containerID, stdin: true, stdout: true, stderr: true)
        let attachment = StdioAttachment(stream: stream)
        var framer = LineFramer(maxLineBytes: maxLineBytes)
        for frame in earlier {
            framer.feed(frame.payload)
            while let line = try? framer.next() { attachment.keepStderr(line) }
        }
        attachment.reader.withLockedValue { $0 = Task { await attachment.drain() } }
        return attachment
    }

    public var isClosed: Bool { inbox.withLockedValue { $0.closed } }

    public var stderrTail: [String] { inbox.withLockedValue { $0.stderrTail } }

    public func send(_ line: [UInt8]) async throws {
        try await stream.write(line)
    }

    public func nextLine() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<[UInt8]?, any Error>? = inbox.withLockedValue { inbox in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if !inbox.lines.isEmpty { return .success(inbox.lines.removeFirst()) }
                    if inbox.closed { return .success(nil) }
                    inbox.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            inbox.withLockedValue { inbox in
                let waiter = inbox.waiter
                inbox.waiter = nil
                return waiter
            }?.resume(throwing: CancellationError())
        }
    }

    public func close() {
        stream.close()
        reader.withLockedValue { $0?.cancel() }
    }

    private func drain() async {
        var stdout = LineFramer(maxLineBytes: Self.maxLineBytes)
        var stderr = LineFramer(maxLineBytes: Self.maxLineBytes)
        do {
            for try await frame in stream.output {
                switch frame.stream {
                case .stderr:
                    stderr.feed(frame.payload)
                    while let line = try stderr.next() { keepStderr(line) }
                default:
                    stdout.feed(frame.payload)
                    while let line = try stdout.next() { deliver(line) }
                }
            }
        } catch {
            keepStderr(Array("(dtma: the attached stream failed: \(error))".utf8))
        }
        let waiter = inbox.withLockedValue { inbox in
            inbox.closed = true
            let waiter = inbox.waiter
            inbox.waiter = nil
            return waiter
        }
        waiter?.resume(returning: nil)
    }

    private func deliver(_ line: [UInt8]) {
        let waiter = inbox.withLockedValue { inbox -> CheckedContinuation<[UInt8]?, any Error>? in
            if let waiter = inbox.waiter {
                inbox.waiter = nil
                return waiter
            }
            // Nobody is probing: old output is worth less than new.
            if inbox.lines.count >= Self.inboxLimit { inbox.lines.removeFirst() }
            inbox.lines.append(line)
            return nil
        }
        waiter?.resume(returning: line)
    }

    private func keepStderr(_ line: [UInt8]) {
        let text = String(decoding: line.prefix(512), as: UTF8.self)
        inbox.withLockedValue { inbox in
            if inbox.stderrTail.count >= Self.stderrTailLimit { inbox.stderrTail.removeFirst() }
            inbox.stderrTail.append(text)
        }
    }
}
