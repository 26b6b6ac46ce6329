import DTMACore
import DockerEngine
import FoundationEssentials

/// `GET /status`: the contract's fields, from the state model's snapshot only.
struct StatusReport: Encodable {
    var status: String
    var timestamp: String
    var version: String
    var service = "DTMA"
    var environment: [String: Bool]
    var engine: EngineStatus
    var toolInstances: [ToolStatus]
    var systemMetrics: SystemSnapshot?
    var heartbeat: HeartbeatStatus?

    struct HeartbeatStatus: Encodable {
        var sequence: UInt64
        var lastAttemptAt: String
        var lastSuccessAt: String?
        var lastError: String?
        var consecutiveFailures: Int

        enum CodingKeys: String, CodingKey {
            case sequence, lastAttemptAt = "last_attempt_at", lastSuccessAt = "last_success_at", lastError = "last_error"
            case consecutiveFailures = "consecutive_failures"
        }
    }

    struct EngineStatus: Encodable {
        var reachable: Bool
        var version: String?
        var error: String?
    }

    /// A tool's identity and status, then the same details a heartbeat's `runtime_details` carries.
    struct ToolStatus: Encodable {
        var instanceName: String
        var accountToolInstanceId: String
        var statusOnToolbox: ToolboxStatus
        var probe: ProbeSettings?
        var details: HeartbeatReport.RuntimeDetails

        enum CodingKeys: String, CodingKey {
            case instanceName = "instance_name_on_toolbox", accountToolInstanceId = "account_tool_instance_id"
            case statusOnToolbox = "status_on_toolbox", probe
        }

        /// One flat object: the identity fields, then the details' own keys beside them.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(instanceName, forKey: .instanceName)
            try container.encode(accountToolInstanceId, forKey: .accountToolInstanceId)
            try container.encode(statusOnToolbox, forKey: .statusOnToolbox)
            try container.encodeIfPresent(probe, forKey: .probe)
            try details.encode(to: encoder)
        }
    }

    enum CodingKeys: String, CodingKey {
        case status, timestamp, version, service, environment, engine
        case toolInstances = "tool_instances", systemMetrics = "system_metrics", heartbeat
    }

    init(snapshot: StateModel.Snapshot, config: DTMAConfig, version: String, now: Date = Date()) {
        status = snapshot.engineReachable ? "healthy" : "degraded"
        timestamp = now.formatted(.iso8601)
        self.version = version
        environment = config.environmentSummary
        engine = EngineStatus(reachable: snapshot.engineReachable, version: snapshot.engineVersion, error: snapshot.lastEngineError)
        systemMetrics = snapshot.system
        heartbeat = snapshot.heartbeat.map {
            HeartbeatStatus(
                sequence: $0.sequence, lastAttemptAt: $0.lastAttemptAt.formatted(.iso8601),
                lastSuccessAt: $0.lastSuccessAt?.formatted(.iso8601), lastError: $0.lastError,
                consecutiveFailures: $0.consecutiveFailures)
        }
        toolInstances = snapshot.tools.map { tool in
            ToolStatus(
                instanceName: tool.instanceName, accountToolInstanceId: tool.accountToolInstanceId,
                statusOnToolbox: tool.statusOnToolbox, probe: tool.probe, details: .init(tool, now: now))
        }
    }
}
