/// `GET /containers/{id}/json`: what dtma needs to adopt, report and probe a container.
public struct ContainerInspect: Codable, Sendable, Equatable {
    public var id: String
    /// With the engine's leading slash.
    public var name: String
    public var created: String
    /// The image's ID.
    public var image: String
    public var restartCount: Int?
    public var state: ContainerState
    public var config: Config
    public var hostConfig: HostConfig?
    public var networkSettings: NetworkSettings?
    /// Execs started in the container and not yet cleaned up by the engine.
    public var execIDs: [String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", created = "Created", image = "Image", restartCount = "RestartCount"
        case state = "State", config = "Config", hostConfig = "HostConfig", networkSettings = "NetworkSettings", execIDs = "ExecIDs"
    }

    /// The parts of `Config` read back after creation.
    public struct Config: Codable, Sendable, Equatable {
        public var image: String?
        public var labels: [String: String]?
        public var env: [String]?
        public var cmd: [String]?
        public var tty: Bool?
        public var openStdin: Bool?
        public var stdinOnce: Bool?
        public var attachStdin: Bool?
        public var entrypoint: [String]?
        public var workingDir: String?
        public var user: String?
        public var exposedPorts: [String: EmptyObject]?

        enum CodingKeys: String, CodingKey {
            case image = "Image", labels = "Labels", env = "Env", cmd = "Cmd", tty = "Tty", openStdin = "OpenStdin"
            case stdinOnce = "StdinOnce", attachStdin = "AttachStdin", entrypoint = "Entrypoint", workingDir = "WorkingDir"
            case user = "User", exposedPorts = "ExposedPorts"
        }
    }

    public struct NetworkSettings: Codable, Sendable, Equatable {
        /// `"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "30001"}]`, null for unpublished ports.
        public var ports: [String: [PortBinding]?]?
        public var networks: [String: EndpointSettings]?

        enum CodingKeys: String, CodingKey {
            case ports = "Ports", networks = "Networks"
        }
    }

    public struct EndpointSettings: Codable, Sendable, Equatable {
        public var networkID: String?
        public var ipAddress: String?

        enum CodingKeys: String, CodingKey {
            case networkID = "NetworkID", ipAddress = "IPAddress"
        }
    }
}

/// Docker's `State` object, as the control plane receives it.
public struct ContainerState: Codable, Sendable, Equatable {
    public var status: ContainerStatus
    public var running: Bool
    public var paused: Bool
    public var restarting: Bool
    public var oomKilled: Bool
    public var dead: Bool
    public var pid: Int
    public var exitCode: Int
    public var error: String?
    public var startedAt: String?
    public var finishedAt: String?

    public init(
        status: ContainerStatus, running: Bool, paused: Bool = false, restarting: Bool = false, oomKilled: Bool = false,
        dead: Bool = false, pid: Int = 0, exitCode: Int = 0, error: String? = nil, startedAt: String? = nil,
        finishedAt: String? = nil
    ) {
        self.status = status
        self.running = running
        self.paused = paused
        self.restarting = restarting
        self.oomKilled = oomKilled
        self.dead = dead
        self.pid = pid
        self.exitCode = exitCode
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case status = "Status", running = "Running", paused = "Paused", restarting = "Restarting"
        case oomKilled = "OOMKilled", dead = "Dead", pid = "Pid", exitCode = "ExitCode", error = "Error"
        case startedAt = "StartedAt", finishedAt = "FinishedAt"
    }
}

/// Docker's `State.Status`, compared as a type. A struct, not an enum: a status a newer engine
/// adds is kept as it came (and shown as is), not refused.
public struct ContainerStatus: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let created: Self = "created"
    public static let running: Self = "running"
    public static let paused: Self = "paused"
    public static let restarting: Self = "restarting"
    public static let removing: Self = "removing"
    public static let exited: Self = "exited"
    public static let dead: Self = "dead"
}
