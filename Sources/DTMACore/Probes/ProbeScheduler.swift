import DockerEngine
import FoundationEssentials
import Logging
import MCPProbe
import ServiceLifecycle

/// One worker per probed tool (kubelet's prober design): every `reconcileInterval` it starts a
/// worker for each running tool with an HTTP probe and stops the workers of tools that are gone or
/// stopped. Workers write their verdicts into the state model.
public struct ProbeScheduler: Service {
    let state: StateModel
    let reconcileInterval: Duration
    let logger: Logger

    public init(state: StateModel, reconcileInterval: Duration = .seconds(1), logger: Logger) {
        self.state = state
        self.reconcileInterval = reconcileInterval
        self.logger = logger
    }

    /// What a worker needs; a change (new container, new port) means a new worker.
    struct Target: Hashable, Sendable {
        var instanceName: String
        var containerID: String
        var host: String
        var port: Int
        var path: String
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

    /// Streamable HTTP probes reach the tool through its published port on this host.
    static func target(_ tool: ToolRecord) -> Target? {
        guard let settings = tool.probe, settings.transport == .streamableHTTP, let containerPort = settings.port,
            let containerID = tool.containerID, tool.containerState?.running == true,
            let binding = (tool.ports["\(containerPort)/tcp"] ?? nil)?.first,
            let hostPort = binding.hostPort.flatMap(Int.init)
        else { return nil }
        let address = binding.hostIP.flatMap { ["", "0.0.0.0", "::"].contains($0) ? nil : $0 } ?? "127.0.0.1"
        return Target(
            instanceName: tool.instanceName, containerID: containerID, host: address, port: hostPort,
            path: settings.path ?? "/mcp", settings: settings)
    }

    private func probeLoop(_ target: Target) async {
        let settings = target.settings
        let period = Duration.seconds(settings.periodSeconds)
        // Jitter spreads the first probes of many tools (and of a restarted dtma) over one period.
        let jitter = Duration.milliseconds(Int.random(in: 0..<max(1, settings.periodSeconds * 1000)))
        try? await Task.sleep(for: .seconds(settings.initialDelaySeconds) + jitter)
        var era: MCPProbeResult.Era?
        while !Task.isCancelled {
            let result = await StreamableHTTPProbe(
                host: target.host, port: target.port, path: target.path, timeout: .seconds(settings.timeoutSeconds), knownEra: era
            ).run()
            guard !Task.isCancelled else { return }
            era = result.verdict == .healthy ? result.era : nil  // re-detect after a failure
            let before = state.tool(target.instanceName)?.health?.state
            state.recordProbe(target.instanceName, containerID: target.containerID, result: result)
            let after = state.tool(target.instanceName)?.health?.state
            if before != after, let after {
                logger.info("tool health changed", metadata: [
                    "instance": "\(target.instanceName)", "health": "\(after.rawValue)", "error": "\(result.error ?? "")",
                ])
            }
            try? await Task.sleep(for: period)
        }
    }
}
