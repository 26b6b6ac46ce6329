/// `POST {AGENTOPIA_API_BASE_URL}/heartbeat` as the control plane's receiving function reads it
/// (contract.md): `dtma_version`, `system_status`, `tool_statuses`; dtma adds `sequence`, `status`,
/// `timestamp` and `engine`.
public struct HeartbeatPayload<System: Encodable & Sendable, Details: Encodable & Sendable>: Encodable, Sendable {
    public struct ToolStatus: Encodable, Sendable {
        public var accountToolInstanceId: String
        public var instanceName: String
        /// One of the database's `status_on_toolbox` values.
        public var statusOnToolbox: String
        public var runtimeDetails: Details

        public init(accountToolInstanceId: String, instanceName: String, statusOnToolbox: String, runtimeDetails: Details) {
            self.accountToolInstanceId = accountToolInstanceId
            self.instanceName = instanceName
            self.statusOnToolbox = statusOnToolbox
            self.runtimeDetails = runtimeDetails
        }

        enum CodingKeys: String, CodingKey {
            case accountToolInstanceId = "account_tool_instance_id", instanceName = "instance_name_on_toolbox"
            case statusOnToolbox = "status_on_toolbox", runtimeDetails = "runtime_details"
        }
    }

    public struct Engine: Encodable, Sendable {
        public var reachable: Bool
        public var version: String?
        public var error: String?

        public init(reachable: Bool, version: String?, error: String?) {
            self.reachable = reachable
            self.version = version
            self.error = error
        }
    }

    public var dtmaVersion: String
    /// Grows by one with every beat since dtma started.
    public var sequence: UInt64
    /// `running`, or `stopping` for the last beat before a graceful exit.
    public var status: String
    public var timestamp: String
    public var systemStatus: System?
    public var toolStatuses: [ToolStatus]
    public var engine: Engine

    public init(
        dtmaVersion: String, sequence: UInt64, status: String, timestamp: String, systemStatus: System?,
        toolStatuses: [ToolStatus], engine: Engine
    ) {
        self.dtmaVersion = dtmaVersion
        self.sequence = sequence
        self.status = status
        self.timestamp = timestamp
        self.systemStatus = systemStatus
        self.toolStatuses = toolStatuses
        self.engine = engine
    }

    enum CodingKeys: String, CodingKey {
        case dtmaVersion = "dtma_version", sequence, status, timestamp, systemStatus = "system_status"
        case toolStatuses = "tool_statuses", engine
    }
}
