import ControlPlane
import DockerEngine
import FoundationEssentials

/// The heartbeat body from a state snapshot: every tool with the contract's `status_on_toolbox`
/// and its container and probe details in `runtime_details`.
public enum HeartbeatReport {
    public typealias Payload = HeartbeatPayload<SystemSnapshot, RuntimeDetails>

    /// A tool's container and probe details, as heartbeats (`runtime_details`) and `/status` show them.
    public struct RuntimeDetails: Codable, Sendable {
        public var containerID: String?
        public var image: String
        /// The registry digest it was pulled as; nil for an image built or imported on the droplet.
        public var imageDigest: String?
        public var state: ContainerState?
        public var ports: [String: [PortBinding]?]
        public var uptimeSeconds: Int?
        public var restartCount: Int
        public var exitCode: Int?
        public var operation: String?
        /// Why it is in error, or what the current operation is doing.
        public var detail: String?
        public var health: HealthReport?
        public var disk: Disk?
        /// The gateway's path for the tool's server (`ToolRoute.gatewayPath`).
        public var mcpEndpointPath: String?
        /// The `/mcp/groups` group it was deployed in.
        public var groupID: String?

        /// The tool's own writable layer: what it wrote, and its cap when it has one.
        public struct Disk: Codable, Sendable {
            public var writableLayerBytes: Int64?
            public var limitBytes: Int64?
            enum CodingKeys: String, CodingKey { case writableLayerBytes = "writable_layer_bytes", limitBytes = "limit_bytes" }
        }

        enum CodingKeys: String, CodingKey {
            case containerID = "container_id", image, imageDigest = "image_digest", state, ports, uptimeSeconds = "uptime_seconds"
            case restartCount = "restart_count", exitCode = "exit_code", operation, detail, health, disk
            case mcpEndpointPath = "mcp_endpoint_path", groupID = "group_id"
        }

        public init(_ tool: ToolRecord, now: Date) {
            containerID = tool.containerID
            image = tool.image
            imageDigest = tool.imageDigest
            state = tool.containerState
            ports = tool.ports
            uptimeSeconds = tool.uptimeSeconds(now: now)
            restartCount = tool.restartCount
            exitCode = tool.containerState.flatMap { $0.running ? nil : $0.exitCode }
            operation = tool.operation?.rawValue
            detail = tool.detail
            health = HealthReport(tool)
            mcpEndpointPath = ToolRoute.gatewayPath(tool.instanceName, probe: tool.probe)
            groupID = tool.group
            if tool.writableLayerBytes != nil || tool.diskLimitBytes != nil {
                disk = Disk(writableLayerBytes: tool.writableLayerBytes, limitBytes: tool.diskLimitBytes)
            }
        }
    }

    public static func payload(
        _ snapshot: StateModel.Snapshot, sequence: UInt64, status: String, dtmaVersion: String, now: Date = Date()
    ) -> Payload {
        Payload(
            dtmaVersion: dtmaVersion, sequence: sequence, status: status, timestamp: now.formatted(.iso8601),
            systemStatus: snapshot.system,
            toolStatuses: snapshot.tools.map { tool in
                .init(
                    accountToolInstanceId: tool.accountToolInstanceId, instanceName: tool.instanceName,
                    statusOnToolbox: tool.statusOnToolbox.rawValue,
                    runtimeDetails: RuntimeDetails(tool, now: now))
            },
            engine: .init(reachable: snapshot.engineReachable, version: snapshot.engineVersion, error: snapshot.lastEngineError))
    }

    public static func body(
        _ snapshot: StateModel.Snapshot, sequence: UInt64, status: String, dtmaVersion: String
    ) throws -> [UInt8] {
        [UInt8](try JSONEncoder().encode(payload(snapshot, sequence: sequence, status: status, dtmaVersion: dtmaVersion)))
    }
}
