import DockerEngine
import FoundationEssentials
import MCPProbe

/// Everything that changes what dtma knows, as a value. Components send these to the state model;
/// `DropletState.apply` is the one place that keeps the invariants between fields.
public enum StateChange: Sendable {
    case engine(reachable: Bool, version: String? = nil, error: String? = nil)
    case heartbeat(sequence: UInt64, at: Date, error: String?, consecutiveFailures: Int)
    case system(SystemSnapshot)
    /// A deploy begins, before the tool has a container: it is pulling its image.
    case deployBegan(ToolSpec)
    /// What dtma is doing to a tool now (nil: nothing), and why or how far.
    case operation(instance: String, ToolOperation?, detail: String? = nil)
    /// A stop on request: an exit from here on reads as "stopped", not as a crash.
    case stopRequested(instance: String)
    /// dtma restarts the tool on its probe's verdict: health starts over, the restart is counted.
    case recoveryRestartBegan(instance: String)
    /// A restart someone asked for: health starts over, nothing is counted against the tool.
    case restartRequested(instance: String)
    /// A probe's result for a container (a stale worker's result, for an older container, is dropped).
    case probed(instance: String, containerID: String, MCPProbeResult)
    /// A `die` event's exit code.
    case exited(containerID: String, code: Int, oomKilled: Bool, finishedAt: String?)
    /// The last log lines of one crash (dropped if the container has crashed again since).
    case crashLogs(instance: String, containerID: String, finishedAt: String?, lines: [String])
    /// Writable-layer sizes by container ID, from a sized listing.
    case diskUsage([String: Int64])
    /// What the engine says about a container now; containers without dtma's labels are ignored.
    case inspected(ContainerInspect)
    /// The engine destroyed a container.
    case containerGone(containerID: String)
    /// The tool was removed on request.
    case forgotten(instance: String)
    /// A full relist saw exactly these containers: tools whose containers vanished unseen go.
    case relisted(containerIDs: Set<String>)
    /// How far an image's pull has come; nil: it ended.
    case imagePull(image: String, ImagePullProgress?)
    /// How many wait on an image's pull now.
    case imagePullCallers(image: String, Int)
    /// Where each server of a group being deployed is (instance → phase); nil: the deploy ended.
    case groupDeploy(group: String, phases: [String: String]?)
}

/// What dtma knows, as a plain value: tools by name, the engine, the droplet, heartbeats.
struct DropletState: Sendable {
    var tools: [String: ToolRecord] = [:]
    var engineReachable = false
    var engineVersion: String?
    var lastEngineError: String?
    var system: SystemSnapshot?
    var heartbeat: StateModel.HeartbeatStatus?
    var imagePulls: [String: ImagePullProgress] = [:]
    var groupDeploys: [String: [String: String]] = [:]

    mutating func apply(_ change: StateChange, at now: Date) {
        switch change {
        case .engine(let reachable, let version, let error):
            engineReachable = reachable
            if let version { engineVersion = version }
            lastEngineError = reachable ? nil : error
        case .heartbeat(let sequence, let date, let error, let failures):
            heartbeat = StateModel.HeartbeatStatus(
                sequence: sequence, lastAttemptAt: date, lastSuccessAt: error == nil ? date : heartbeat?.lastSuccessAt,
                lastError: error, consecutiveFailures: failures)
        case .system(let snapshot):
            system = snapshot
        case .imagePull(let image, var progress):
            progress?.callers = imagePulls[image]?.callers ?? 1
            imagePulls[image] = progress
        case .imagePullCallers(let image, let count):
            imagePulls[image]?.callers = count
        case .groupDeploy(let group, let phases):
            groupDeploys[group] = phases
        case .deployBegan(let spec):
            var record = tools[spec.instanceName] ?? ToolRecord(spec: spec)
            record.operation = .pulling
            record.detail = nil
            tools[spec.instanceName] = record
        case .operation(let name, let operation, let detail):
            tools[name]?.operation = operation
            tools[name]?.detail = detail
        case .stopRequested(let name):
            tools[name]?.operation = .stopping
            tools[name]?.detail = nil
            tools[name]?.stoppedByRequest = true
        case .recoveryRestartBegan(let name):
            tools[name]?.operation = .starting
            tools[name]?.detail = "restarting: the MCP probe judged it unhealthy"
            tools[name]?.health = nil
            tools[name]?.recoveryRestarts += 1
            tools[name]?.lastRecoveryRestartAt = now
        case .restartRequested(let name):
            tools[name]?.operation = .starting
            tools[name]?.detail = "restarting on request"
            tools[name]?.health = nil
        case .probed(let name, let containerID, let result):
            guard var tool = tools[name], tool.containerID == containerID, let settings = tool.probe else { return }
            var health = tool.health ?? ToolHealth()
            health.record(result, at: now, failureThreshold: settings.failureThreshold, successThreshold: settings.successThreshold)
            tool.health = health
            tools[name] = tool
        case .exited(let containerID, let code, let oomKilled, let finishedAt):
            guard let name = name(ofContainer: containerID) else { return }
            tools[name]?.recordExit(code: code, oomKilled: oomKilled, finishedAt: finishedAt)
        case .crashLogs(let name, let containerID, let finishedAt, let lines):
            guard tools[name]?.containerID == containerID, tools[name]?.crash?.finishedAt == finishedAt else { return }
            tools[name]?.crash?.lastLogLines = lines
        case .diskUsage(let bytesByContainer):
            for (name, tool) in tools {
                guard let id = tool.containerID, let bytes = bytesByContainer[id], tool.writableLayerBytes != bytes else { continue }
                tools[name]?.writableLayerBytes = bytes
            }
        case .inspected(let inspect):
            guard let identity = ContainerLabels.identity(inspect.config.labels) else { return }
            var record = tools[identity.instanceName] ?? ToolRecord(identity: identity)
            if record.containerID != inspect.id {
                // A new container for the name (redeploy): its labels are the truth now.
                let kept = (record.operation, record.detail)
                record = ToolRecord(identity: identity)
                (record.operation, record.detail) = kept
            }
            record.update(from: inspect)
            tools[identity.instanceName] = record
        case .containerGone(let containerID):
            guard let name = name(ofContainer: containerID) else { return }
            // A tool an operation is creating stays, without its old container.
            if tools[name]?.operation == nil || tools[name]?.operation == .removing {
                tools[name] = nil
            } else {
                tools[name]?.containerID = nil
                tools[name]?.containerState = nil
            }
        case .forgotten(let name):
            tools[name] = nil
        case .relisted(let containerIDs):
            tools = tools.filter { _, record in record.operation != nil || record.containerID.map(containerIDs.contains) ?? false }
        }
    }

    func name(ofContainer containerID: String) -> String? {
        tools.first { $0.value.containerID == containerID }?.key
    }
}
