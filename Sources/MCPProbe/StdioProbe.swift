import HTTP1Client

/// Newline-delimited messages to and from a stdio MCP server, however it is reached (dtma attaches
/// to the container's main process). One probe uses it at a time.
public protocol MCPLineChannel: Sendable {
    /// Writes `line` (newline included) to the server's stdin.
    func send(_ line: [UInt8]) async throws
    /// The next line the server wrote on stdout, without its newline; nil once stdout has ended.
    func nextLine() async throws -> [UInt8]?
    /// The last lines the server wrote on stderr: logging, never a health signal, but what an
    /// operator needs next to "unhealthy".
    var stderrTail: [String] { get }
}

/// What a stdio server's process taught earlier probes: its era and, in the legacy era, its
/// initialized session. A stdio session lives as long as the process: keep this per attachment.
public struct StdioProbeMemory: Sendable {
    var era: MCPProbeResult.Era?
    var session: MCPHandshake.Session?
    /// Ids keep growing across probes, so that a late reply to a timed-out probe is never taken for a new one.
    var nextID = 1

    public init() {}

    /// Memory that tries `era` first. A shared process keeps the era its first message chose (the
    /// SDK's servers refuse the other one on that connection), so its first prober picks it.
    public init(era: MCPProbeResult.Era) {
        self.era = era
    }
}

/// Judges a stdio MCP server: `server/discover` (2026-07-28), else `initialize` once per process
/// and then `ping` → `tools/list` every probe. Never throws.
public struct StdioProbe: Sendable {
    public var timeout: Duration
    /// False skips `tools/list` (see `StreamableHTTPProbe.listsTools`).
    public var listsTools: Bool

    public init(timeout: Duration = .seconds(5), listsTools: Bool = true) {
        self.timeout = timeout
        self.listsTools = listsTools
    }

    public func run(on channel: some MCPLineChannel, memory: inout StdioProbeMemory) async -> MCPProbeResult {
        let started = ContinuousClock.now
        let before = memory
        var result: MCPProbeResult
        do {
            (result, memory) = try await LoopTimers.withDeadline(timeout) { [timeout, listsTools] in
                var memory = before
                var conversation = StdioConversation(channel: channel)
                if memory.era != .legacy {
                    // A legacy server may never answer an unknown method: give discovery half the time.
                    let id = memory.take(3)
                    let modern = try? await LoopTimers.withDeadline(memory.era == .modern ? timeout : timeout / 2) {
                        var discovering = StdioConversation(channel: channel)
                        return try await MCPHandshake.discover(&discovering, id: id, listingTools: listsTools)
                    }
                    if let modern = modern ?? nil {
                        memory.era = .modern
                        return (modern, memory)
                    }
                    memory.era = .legacy
                }
                if memory.session == nil { memory.session = try await MCPHandshake.initialize(&conversation, id: memory.take(1)) }
                let checked = try await MCPHandshake.check(
                    &conversation, session: memory.session!, firstID: memory.take(21), listingTools: listsTools)
                return (checked, memory)
            }
        } catch {
            result = .failure(error, timeout: timeout)
            if result.verdict == .unhealthy {
                // Start over next time: the process may have restarted, or never finished its handshake.
                memory = StdioProbeMemory()
                memory.nextID = before.nextID + 100
                result.error = Self.withStderr(result.error ?? "", channel.stderrTail)
            }
        }
        result.latencyMilliseconds = milliseconds(since: started)
        return result
    }

    static func withStderr(_ reason: String, _ tail: [String]) -> String {
        guard !tail.isEmpty else { return reason }
        return reason + "; stderr: " + tail.suffix(3).joined(separator: " | ")
    }
}

extension StdioProbeMemory {
    /// Reserves `count` ids and returns the first.
    mutating func take(_ count: Int) -> Int {
        defer { nextID += count }
        return nextID
    }
}

/// JSON-RPC over a line channel: write a line, read lines until the reply with our id.
struct StdioConversation: MCPConversation {
    let channel: any MCPLineChannel

    mutating func call(_ request: JSONRPCRequest) async throws -> JSONRPCMessage {
        guard let id = request.id else { throw MCPProbeFailure.ours("a call needs an id") }
        try await channel.send(try MCPHandshake.line(request))
        while let line = try await channel.nextLine() {
            if let reply = MCPHandshake.reply(to: id, in: line) { return reply }
        }
        throw MCPProbeFailure.server("the server's stdout ended (process exited?)")
    }

    mutating func notify(_ notification: JSONRPCRequest) async throws {
        try await channel.send(try MCPHandshake.line(notification))
    }
}
