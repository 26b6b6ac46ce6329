import DockerEngine
import FoundationEssentials
import HTTP1Client
import Logging
import MCPProbe
import ServiceLifecycle

/// One worker per probed tool (kubelet's prober design): every `reconcileInterval` it starts a
/// worker for each running tool with a probe and stops the workers of tools that are gone or
/// stopped. Workers write their verdicts into the state model.
public struct ProbeScheduler: Service {
    let engine: any ContainerEngine
    let state: StateModel
    let metrics: DTMAMetrics?
    let reconcileInterval: Duration
    let logger: Logger

    public init(
        engine: any ContainerEngine, state: StateModel, metrics: DTMAMetrics? = nil, reconcileInterval: Duration = .seconds(1), logger: Logger
    ) {
        self.engine = engine
        self.state = state
        self.metrics = metrics
        self.reconcileInterval = reconcileInterval
        self.logger = logger
    }

    /// What a worker needs; a change (new container, new address) means a new worker.
    struct Target: Hashable, Sendable {
        enum Endpoint: Hashable, Sendable {
            case streamableHTTP(host: String, port: Int, path: String)
            case sse(host: String, port: Int, path: String)
            /// The container's main process, through attach.
            case stdio
        }

        var instanceName: String
        var containerID: String
        var endpoint: Endpoint
        var settings: ProbeSettings
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Workers are tasks of their own so that each can be cancelled alone; all end with the loop.
            var workers: [Target: Task<Void, Never>] = [:]
            while !Task.isCancelled {
                let wanted = Set(state.snapshot().tools.compactMap(Self.target))
                for (target, worker) in workers where !wanted.contains(target) {
                    worker.cancel()
                    workers[target] = nil
                }
                for target in wanted where workers[target] == nil {
                    workers[target] = Task { await probeLoop(target) }
                }
                try? await Task.sleep(for: reconcileInterval)
            }
            workers.values.forEach { $0.cancel() }
            for worker in workers.values { await worker.value }
        }
    }

    /// HTTP probes reach the tool through its published port on this host, or else on the
    /// container's own address; stdio probes through attach. Nil while there is nothing to probe.
    static func target(_ tool: ToolRecord) -> Target? {
        guard let settings = tool.probe, settings.transport != .none, let containerID = tool.containerID,
            tool.containerState?.running == true
        else { return nil }
        let endpoint: Target.Endpoint
        switch settings.transport {
        case .none, .auto: return nil  // auto never reaches a container
        case .stdio: endpoint = .stdio
        case .streamableHTTP, .sse:
            guard let containerPort = settings.port, let (host, port) = address(of: tool, containerPort: containerPort) else { return nil }
            let path = settings.path ?? (settings.transport == .sse ? "/sse" : "/mcp")
            endpoint = settings.transport == .sse ? .sse(host: host, port: port, path: path) : .streamableHTTP(host: host, port: port, path: path)
        }
        return Target(instanceName: tool.instanceName, containerID: containerID, endpoint: endpoint, settings: settings)
    }

    static func address(of tool: ToolRecord, containerPort: Int) -> (String, Int)? {
        if let binding = (tool.ports["\(containerPort)/tcp"] ?? nil)?.first, let hostPort = binding.hostPort.flatMap(Int.init) {
            let host = binding.hostIP.flatMap { ["", "0.0.0.0", "::"].contains($0) ? nil : $0 } ?? "127.0.0.1"
            return (host, hostPort)
        }
        return tool.ipAddress.map { ($0, containerPort) }
    }

    private func probeLoop(_ target: Target) async {
        let settings = target.settings
        let period = Duration.seconds(settings.periodSeconds)
        // Jitter spreads the first probes of many tools (and of a restarted dtma) over one period.
        let jitter = Duration.milliseconds(Int.random(in: 0..<max(1, settings.periodSeconds * 1000)))
        try? await LoopTimers.sleep(for: .seconds(settings.initialDelaySeconds) + jitter)
        var prober = Prober(target: target, engine: engine)
        defer { prober.close() }
        while !Task.isCancelled {
            let result = await prober.probe()
            guard !Task.isCancelled else { return }
            metrics?.recordProbe(
                tool: target.instanceName, transport: settings.transport.rawValue, verdict: result.verdict.rawValue,
                duration: .microseconds(Int64(result.latencyMilliseconds * 1000)))
            let before = state.tool(target.instanceName)?.health?.state
            state.recordProbe(target.instanceName, containerID: target.containerID, result: result)
            let after = state.tool(target.instanceName)?.health?.state
            if before != after, let after {
                logger.info("tool health changed", metadata: [
                    "instance": "\(target.instanceName)", "health": "\(after.rawValue)", "error": "\(result.error ?? "")",
                ])
            }
            try? await LoopTimers.sleep(for: period)
        }
    }
}

/// One tool's probe with what it remembers between runs: the era that worked, the tool names
/// (listed again every `toolListEvery` probes, not every time), and for stdio the attachment to
/// the process and its session.
struct Prober {
    static let toolListEvery = 10

    let target: ProbeScheduler.Target
    let engine: any ContainerEngine
    private var era: MCPProbeResult.Era?
    private var toolNames: [String]?
    private var probesSinceToolList = 0
    /// Kept between Streamable HTTP probes, for the server's kept-alive connection.
    private var httpClient: HTTP1Client?
    private var attachment: StdioAttachment?
    private var stdioMemory = StdioProbeMemory()

    init(target: ProbeScheduler.Target, engine: any ContainerEngine) {
        self.target = target
        self.engine = engine
    }

    mutating func probe() async -> MCPProbeResult {
        let listsTools = toolNames == nil || probesSinceToolList >= Self.toolListEvery
        var result = await run(listsTools: listsTools)
        guard result.verdict == .healthy else {
            era = nil  // re-detect after a failure
            toolNames = nil
            return result
        }
        era = result.era
        if listsTools {
            toolNames = result.toolNames ?? []
            probesSinceToolList = 0
        } else {
            result.toolNames = toolNames
            probesSinceToolList += 1
        }
        return result
    }

    private mutating func run(listsTools: Bool) async -> MCPProbeResult {
        let timeout = Duration.seconds(target.settings.timeoutSeconds)
        switch target.endpoint {
        case .streamableHTTP(let host, let port, let path):
            let probe = StreamableHTTPProbe(host: host, port: port, path: path, timeout: timeout, knownEra: era, listsTools: listsTools)
            let client = httpClient ?? probe.makeClient()
            httpClient = client
            return await probe.run(using: client)
        case .sse(let host, let port, let path):
            return await LegacySSEProbe(host: host, port: port, path: path, timeout: timeout).run()
        case .stdio:
            if attachment?.isClosed ?? true {
                attachment?.close()
                attachment = nil
                stdioMemory = StdioProbeMemory()  // a new attachment may be a new process
                do {
                    attachment = try await StdioAttachment.attach(engine: engine, containerID: target.containerID)
                } catch {
                    // The engine, not the server: not counted against the tool.
                    return MCPProbeResult(verdict: .probeError, latencyMilliseconds: 0, error: "cannot attach to the container: \(error)")
                }
            }
            return await StdioProbe(timeout: timeout, listsTools: listsTools).run(on: attachment!, memory: &stdioMemory)
        }
    }

    func close() {
        httpClient?.shutdown()
        attachment?.close()
    }
}
