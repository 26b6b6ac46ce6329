import DockerEngine
import FoundationEssentials

/// `GET /status`: the contract's fields, from the state model's snapshot only. One shape for the
/// server that encodes it and the CLI (`dtma status`) that reads it.
public struct StatusDocument: Codable, Sendable {
    /// `healthy`, or `degraded` while the engine is unreachable.
    public var status: String
    public var timestamp: String
    public var version: String
    public var service = "DTMA"
    public var environment: [String: Bool]
    public var engine: EngineStatus
    public var toolInstances: [ToolStatus]
    public var systemMetrics: SystemSnapshot?
    public var heartbeat: HeartbeatStatus?
    /// Image pulls under way (deploys' and `POST /images/pull`'s): each layer's status and bytes.
    public var imagePulls: [ImagePullProgress]?

    public struct HeartbeatStatus: Codable, Sendable {
        public var sequence: UInt64
        public var lastAttemptAt: String
        public var lastSuccessAt: String?
        public var lastError: String?
        public var consecutiveFailures: Int

        enum CodingKeys: String, CodingKey {
            case sequence, lastAttemptAt = "last_attempt_at", lastSuccessAt = "last_success_at", lastError = "last_error"
            case consecutiveFailures = "consecutive_failures"
        }
    }

    public struct EngineStatus: Codable, Sendable {
        public var reachable: Bool
        public var version: String?
        public var error: String?
    }

    /// A tool's identity and status, then the same details a heartbeat's `runtime_details` carries,
    /// in one flat object.
    public struct ToolStatus: Codable, Sendable {
        public var instanceName: String
        public var accountToolInstanceId: String
        public var statusOnToolbox: ToolboxStatus
        public var probe: ProbeSettings?
        public var details: HeartbeatReport.RuntimeDetails

        enum CodingKeys: String, CodingKey {
            case instanceName = "instance_name_on_toolbox", accountToolInstanceId = "account_tool_instance_id"
            case statusOnToolbox = "status_on_toolbox", probe
        }

        init(_ tool: ToolRecord, now: Date) {
            instanceName = tool.instanceName
            accountToolInstanceId = tool.accountToolInstanceId
            statusOnToolbox = tool.statusOnToolbox
            probe = tool.probe
            details = .init(tool, now: now)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            instanceName = try container.decode(String.self, forKey: .instanceName)
            accountToolInstanceId = try container.decode(String.self, forKey: .accountToolInstanceId)
            statusOnToolbox = try container.decode(ToolboxStatus.self, forKey: .statusOnToolbox)
            probe = try container.decodeIfPresent(ProbeSettings.self, forKey: .probe)
            details = try HeartbeatReport.RuntimeDetails(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
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
        case toolInstances = "tool_instances", systemMetrics = "system_metrics", heartbeat, imagePulls = "image_pulls"
    }

    public init(snapshot: StateModel.Snapshot, config: DTMAConfig, version: String, now: Date = Date()) {
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
        toolInstances = snapshot.tools.map { ToolStatus($0, now: now) }
        imagePulls = snapshot.imagePulls
    }
}
