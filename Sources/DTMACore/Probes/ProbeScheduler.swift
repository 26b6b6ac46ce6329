import DockerEngine
import FoundationEssentials
import HTTP1Client
import Logging
import MCPProbe
import MCPStdio
import ServiceLifecycle

/// One worker per probed tool (kubelet's prober design), started and stopped as the state model
/// says tools change: a worker for each tool with a route (`ToolRoute`), replaced when the route
/// changes (a new container, a new address), stopped when it has none. Workers send their results
/// to the state model.
public struct ProbeScheduler: Service {
    let stdio: StdioServers
    let state: StateModel
    let metrics: DTMAMetrics?
    let clock: any LoopClock
    let logger: Logger

    /// `stdio` is shared with the gateway: one attachment per stdio server.
    public init(
        stdio: StdioServers, state: StateModel, metrics: DTMAMetrics? = nil, clock: any LoopClock = SystemLoopClock(), logger: Logger
    ) {
        self.stdio = stdio
        self.state = state
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
    }

    /// What a worker needs; a change of route means a new worker.
    struct Target: Hashable, Sendable {
        var route: ToolRoute
        var settings: ProbeSettings
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Workers are tasks of their own so that each can be cancelled alone; all end with the loop.
            var workers: [String: (target: Target, task: Task<Void, Never>)] = [:]
            for await names in state.toolChanges() {
                for name in names {
                    let wanted = state.tool(name).flatMap(Self.target)
                    guard workers[name]?.target != wanted else { continue }
                    workers.removeValue(forKey: name)?.task.cancel()
                    if let wanted { workers[name] = (wanted, Task { await probeLoop(wanted) }) }
                }
            }
            workers.values.forEach { $0.task.cancel() }
            for worker in workers.values { await worker.task.value }
        }
    }

    static func target(_ tool: ToolRecord) -> Target? {
        guard let settings = tool.probe, let route = ToolRoute(tool) else { return nil }
        return Target(route: route, settings: settings)
    }

    private func probeLoop(_ target: Target) async {
        let settings = target.settings
        let period = Duration.seconds(settings.periodSeconds)
        // Jitter spreads the first probes of many tools (and of a restarted dtma) over one period.
        let jitter = Duration.milliseconds(Int.random(in: 0..<max(1, settings.periodSeconds * 1000)))
        try? await clock.sleep(for: .seconds(settings.initialDelaySeconds) + jitter)
        var prober = Prober(target: target, stdio: stdio)
        defer { prober.close() }
        while !Task.isCancelled {
            let result = await prober.probe()
            guard !Task.isCancelled else { return }
            metrics?.recordProbe(
                tool: target.route.instanceName, transport: settings.transport.rawValue, verdict: result.verdict.rawValue,
                duration: .microseconds(Int64(result.latencyMilliseconds * 1000)))
            let changes = state.apply(.probed(instance: target.route.instanceName, containerID: target.route.containerID, result))
            for change in changes {
                logger.info("tool health changed", metadata: [
                    "instance": "\(change.instanceName)", "health": "\(change.health ?? "-")",
                    "status": "\(change.statusOnToolbox?.rawValue ?? "-")", "error": "\(result.error ?? "")",
                ])
            }
            try? await clock.sleep(for: period)
        }
    }
}

/// One tool's probe with what it remembers between runs: the era that worked, when the tools were
/// last listed (again every `toolListEvery` probes, or at the next probe after a stdio server said
/// `notifications/tools/list_changed`), and for stdio the attachment to the process (shared with
/// the gateway) and what its handshake taught. The state model keeps the inventory itself.
struct Prober {
    static let toolListEvery = 10

    let target: ProbeScheduler.Target
    let stdio: StdioServers
    private var era: MCPProbeResult.Era?
    /// Healthy probes since the tools were last listed; nil when they must be listed next.
    private var probesSinceToolList: Int?
    /// The stdio server's `list_changed` count when its tools were last listed.
    private var toolListChangesSeen = 0
    /// Kept between Streamable HTTP probes, for the server's kept-alive connection.
    private var httpClient: HTTP1Client?
    private var channel: StdioClientChannel?
    private var stdioMemory = Self.freshStdioMemory

    /// The handshake era first: the process is shared with the gateway's clients, which speak it
    /// today (the control plane's calls among them), and it keeps the era its first message chose.
    static let freshStdioMemory = StdioProbeMemory(era: .legacy)

    init(target: ProbeScheduler.Target, stdio: StdioServers) {
        self.target = target
        self.stdio = stdio
    }

    mutating func probe() async -> MCPProbeResult {
        let listChanges = channel?.multiplexer.toolListChanges ?? 0
        let listsTools = probesSinceToolList.map { $0 >= Self.toolListEvery } ?? true || listChanges != toolListChangesSeen
        let result = await run(listsTools: listsTools)
        guard result.verdict == .healthy else {
            era = nil  // re-detect after a failure
            probesSinceToolList = nil
            return result
        }
        era = result.era
        if listsTools {
            probesSinceToolList = 0
            toolListChangesSeen = listChanges
        } else {
            probesSinceToolList? += 1
        }
        return result
    }

    private mutating func run(listsTools: Bool) async -> MCPProbeResult {
        let timeout = Duration.seconds(target.settings.timeoutSeconds)
        switch target.route.endpoint {
        case .streamableHTTP(let host, let port, let path):
            let probe = StreamableHTTPProbe(host: host, port: port, path: path, timeout: timeout, knownEra: era, listsTools: listsTools)
            let client = httpClient ?? probe.makeClient()
            httpClient = client
            return await probe.run(using: client)
        case .sse(let host, let port, let path):
            return await LegacySSEProbe(host: host, port: port, path: path, timeout: timeout).run()
        case .stdio:
            if channel?.isClosed ?? true {
                channel = nil
                stdioMemory = Self.freshStdioMemory  // a new attachment may be a new process
                probesSinceToolList = nil
                toolListChangesSeen = 0
                do {
                    channel = StdioClientChannel(try await stdio.multiplexer(for: target.route.containerID), client: "dtma-probe")
                } catch {
                    // The engine, not the server: not counted against the tool.
                    return MCPProbeResult(verdict: .probeError, latencyMilliseconds: 0, error: "cannot attach to the container: \(error)")
                }
            }
            return await StdioProbe(timeout: timeout, listsTools: listsTools).run(on: channel!, memory: &stdioMemory)
        }
    }

    func close() {
        httpClient?.shutdown()
    }
}
