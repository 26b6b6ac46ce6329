/// `GET /_ping`: the engine is up, and which API version it speaks.
public struct EnginePing: Sendable, Equatable {
    public var apiVersion: APIVersion?
    public var osType: String?
    public var experimental: Bool
}

/// `GET /version`.
public struct EngineVersion: Codable, Sendable, Equatable {
    public var version: String
    public var apiVersion: String
    public var minAPIVersion: String?
    public var os: String
    public var arch: String
    public var kernelVersion: String?
    public var gitCommit: String?
    public var goVersion: String?

    enum CodingKeys: String, CodingKey {
        case version = "Version", apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion", os = "Os"
        case arch = "Arch", kernelVersion = "KernelVersion", gitCommit = "GitCommit", goVersion = "GoVersion"
    }
}

/// `GET /info`: the parts of the host's state dtma reports.
public struct EngineInfo: Codable, Sendable, Equatable {
    public var id: String?
    public var containers: Int
    public var containersRunning: Int
    public var containersPaused: Int
    public var containersStopped: Int
    public var images: Int
    public var serverVersion: String
    public var operatingSystem: String?
    public var osType: String?
    public var architecture: String?
    public var cpuCount: Int?
    public var memoryTotalBytes: Int64?
    public var storageDriver: String?
    /// The driver's own facts as pairs, e.g. `["Backing Filesystem", "extfs"]`.
    public var driverStatus: [[String]]?
    public var loggingDriver: String?
    public var cgroupDriver: String?
    public var cgroupVersion: String?
    public var rootDirectory: String?
    public var liveRestoreEnabled: Bool?
    public var securityOptions: [String]?

    enum CodingKeys: String, CodingKey {
        case id = "ID", containers = "Containers", containersRunning = "ContainersRunning"
        case containersPaused = "ContainersPaused", containersStopped = "ContainersStopped", images = "Images"
        case serverVersion = "ServerVersion", operatingSystem = "OperatingSystem", osType = "OSType"
        case architecture = "Architecture", cpuCount = "NCPU", memoryTotalBytes = "MemTotal"
        case storageDriver = "Driver", driverStatus = "DriverStatus", loggingDriver = "LoggingDriver", cgroupDriver = "CgroupDriver"
        case cgroupVersion = "CgroupVersion", rootDirectory = "DockerRootDir"
        case liveRestoreEnabled = "LiveRestoreEnabled", securityOptions = "SecurityOptions"
    }
}
