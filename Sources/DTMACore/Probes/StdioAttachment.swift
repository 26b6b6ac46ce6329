import DockerEngine
import HTTP1
import MCPStdio
import NIOConcurrencyHelpers

/// dtma attached to a stdio MCP server's main process (`POST /containers/{id}/attach`): the one
/// attachment per container, which the prober and the gateway share through its multiplexer. A
/// reader task drains the stream all the time (an attached client that stops reading can stall the
/// container's output): stdout lines go to the multiplexer, stderr lines to a tail. Docker drops
/// attached clients when the container restarts or the engine goes away: then the multiplexer is
/// closed, and `StdioServers` attaches again.
final class StdioAttachment: StdioLink {
    static let stderrTailLimit = 20
    /// An answer may be large (a fetched page); a longer line is dropped, not the attachment.
    static let maxLineBytes = 8 << 20

    private let stream: DockerHijackedStream
    private let tail = NIOLockedValueBox<[String]>([])
    private let reader = NIOLockedValueBox<Task<Void, Never>?>(nil)

    private init(stream: DockerHijackedStream) {
        self.stream = stream
    }

    static func attach(engine: any ContainerEngine, containerID: String) async throws -> StdioMultiplexer {
        // What the server said on stderr before we attached (its start-up) opens the tail.
        var options = LogsOptions()
        options.stdout = false
        options.tail = stderrTailLimit
        var earlier: [DockerOutputFrame] = []
        for try await frame in try await engine.containerLogs(containerID, options: options) { earlier.append(frame) }
        let stream = try await engine.attachContainer(containerID, stdin: true, stdout: true, stderr: true)
        let attachment = StdioAttachment(stream: stream)
        var framer = LineFramer(maxLineBytes: 4096, dropsLongLines: true)
        for frame in earlier {
            framer.feed(frame.payload)
            while let line = try? framer.next() { attachment.keepStderr(line) }
        }
        let multiplexer = StdioMultiplexer(link: attachment)
        attachment.reader.withLockedValue { $0 = Task { await attachment.drain(into: multiplexer) } }
        return multiplexer
    }

    var stderrTail: [String] { tail.withLockedValue { $0 } }

    func send(_ line: [UInt8]) async throws {
        try await stream.write(line)
    }

    func close() {
        stream.close()
        reader.withLockedValue { $0?.cancel() }
    }

    private func drain(into multiplexer: StdioMultiplexer) async {
        var stdout = LineFramer(maxLineBytes: Self.maxLineBytes, dropsLongLines: true)
        var stderr = LineFramer(maxLineBytes: 4096, dropsLongLines: true)
        do {
            for try await frame in stream.output {
                switch frame.stream {
                case .stderr:
                    stderr.feed(frame.payload)
                    while let line = try stderr.next() { keepStderr(line) }
                default:
                    stdout.feed(frame.payload)
                    while let line = try stdout.next() { multiplexer.receive(line) }
                }
            }
        } catch {
            keepStderr(Array("(dtma: the attached stream failed: \(error))".utf8))
        }
        multiplexer.linkClosed()
    }

    private func keepStderr(_ line: [UInt8]) {
        let text = String(decoding: line.prefix(512), as: UTF8.self)
        tail.withLockedValue { tail in
            if tail.count >= Self.stderrTailLimit { tail.removeFirst() }
            tail.append(text)
        }
    }
}

/// The stdio servers dtma is attached to, one multiplexer per container, made on first use and
/// made again once the process's attachment has ended. The prober and the gateway share them.
public final class StdioServers: Sendable {
    private enum Entry {
        case attaching(Task<StdioMultiplexer, any Error>)
        case attached(StdioMultiplexer)
    }

    private let attach: @Sendable (_ containerID: String) async throws -> StdioMultiplexer
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    public init(engine: any ContainerEngine) {
        attach = { try await StdioAttachment.attach(engine: engine, containerID: $0) }
    }

    /// Processes reached some other way than the engine's attach (a test's scripted server).
    init(attach: @escaping @Sendable (_ containerID: String) async throws -> StdioMultiplexer) {
        self.attach = attach
    }

    /// The container's multiplexer, attaching when there is none (one attach, however many ask).
    public func multiplexer(for containerID: String) async throws -> StdioMultiplexer {
        let task = entries.withLockedValue { entries -> Task<StdioMultiplexer, any Error>? in
            // Ended attachments go as they are met: the table holds at most one per container.
            entries = entries.filter { if case .attached(let multiplexer) = $0.value { !multiplexer.isClosed } else { true } }
            if case .attaching(let task) = entries[containerID] { return task }
            if case .attached = entries[containerID] { return nil }
            let task = Task { [attach] in try await attach(containerID) }
            entries[containerID] = .attaching(task)
            return task
        }
        guard let task else {
            if case .attached(let multiplexer) = entries.withLockedValue({ $0[containerID] }) { return multiplexer }
            return try await self.multiplexer(for: containerID)
        }
        do {
            let multiplexer = try await task.value
            entries.withLockedValue { entries in
                if case .attaching = entries[containerID] { entries[containerID] = .attached(multiplexer) }
            }
            return multiplexer
        } catch {
            entries.withLockedValue { entries in
                if case .attaching = entries[containerID] { entries[containerID] = nil }
            }
            throw error
        }
    }

    /// Detaches from every process (dtma is stopping); the processes keep running.
    public func closeAll() {
        let all = entries.withLockedValue { entries in
            defer { entries = [:] }
            return Array(entries.values)
        }
        for entry in all {
            switch entry {
            case .attached(let multiplexer): multiplexer.link.close()
            case .attaching(let task): task.cancel()
            }
        }
    }
}
