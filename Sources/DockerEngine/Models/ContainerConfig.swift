/// The body of `POST /containers/create`: the container's own settings plus `HostConfig`.
/// Fields left nil are omitted, so the engine's defaults apply.
public struct ContainerConfig: Codable, Sendable, Equatable {
    public var image: String
    public var cmd: [String]?
    public var entrypoint: [String]?
    public var env: [String]?
    public var labels: [String: String]?
    public var exposedPorts: [String: EmptyObject]?
    public var user: String?
    public var workingDir: String?
    public var tty: Bool?
    public var openStdin: Bool?
    /// Close the container's stdin when the first attached client disconnects.
    public var stdinOnce: Bool?
    public var attachStdin: Bool?
    public var attachStdout: Bool?
    public var attachStderr: Bool?
    public var stopSignal: String?
    public var stopTimeout: Int?
    public var hostConfig: HostConfig?

    public init(image: String) {
        self.image = image
    }

    enum CodingKeys: String, CodingKey {
        case image = "Image", cmd = "Cmd", entrypoint = "Entrypoint", env = "Env", labels = "Labels"
        case exposedPorts = "ExposedPorts", user = "User", workingDir = "WorkingDir", tty = "Tty"
        case openStdin = "OpenStdin", stdinOnce = "StdinOnce", attachStdin = "AttachStdin"
        case attachStdout = "AttachStdout", attachStderr = "AttachStderr", stopSignal = "StopSignal"
        case stopTimeout = "StopTimeout", hostConfig = "HostConfig"
    }
}

/// `{}` on the wire, as in `ExposedPorts: {"8080/tcp": {}}`.
public struct EmptyObject: Codable, Sendable, Equatable, Hashable {
    public init() {}
}

/// Resource limits, isolation and networking of a container.
public struct HostConfig: Codable, Sendable, Equatable {
    public var binds: [String]?
    public var portBindings: [String: [PortBinding]]?
    public var restartPolicy: RestartPolicy?
    public var networkMode: String?
    public var autoRemove: Bool?
    /// Bytes.
    public var memory: Int64?
    public var memorySwap: Int64?
    /// CPU quota in units of 10⁻⁹ CPUs.
    public var nanoCPUs: Int64?
    /// Relative CPU weight under contention (the engine's default is 1024).
    public var cpuShares: Int64?
    public var pidsLimit: Int64?
    public var capAdd: [String]?
    public var capDrop: [String]?
    public var securityOpt: [String]?
    public var readonlyRootfs: Bool?
    public var initProcess: Bool?
    public var privileged: Bool?
    public var tmpfs: [String: String]?
    public var logConfig: LogConfig?
    /// Storage driver options; `size` caps the writable layer where the driver can (overlay2 on xfs with pquota, btrfs, zfs).
    public var storageOpt: [String: String]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case binds = "Binds", portBindings = "PortBindings", restartPolicy = "RestartPolicy"
        case networkMode = "NetworkMode", autoRemove = "AutoRemove", memory = "Memory", memorySwap = "MemorySwap"
        case nanoCPUs = "NanoCpus", cpuShares = "CpuShares", pidsLimit = "PidsLimit", capAdd = "CapAdd", capDrop = "CapDrop"
        case securityOpt = "SecurityOpt", readonlyRootfs = "ReadonlyRootfs", initProcess = "Init"
        case privileged = "Privileged", tmpfs = "Tmpfs", logConfig = "LogConfig", storageOpt = "StorageOpt"
    }
}

public struct PortBinding: Codable, Sendable, Equatable, Hashable {
    public var hostIP: String?
    public var hostPort: String?

    public init(hostIP: String? = nil, hostPort: String? = nil) {
        self.hostIP = hostIP
        self.hostPort = hostPort
    }

    enum CodingKeys: String, CodingKey {
        case hostIP = "HostIp", hostPort = "HostPort"
    }
}

public struct RestartPolicy: Codable, Sendable, Equatable {
    /// `no`, `always`, `unless-stopped` or `on-failure`.
    public var name: String
    public var maximumRetryCount: Int?

    public init(name: String, maximumRetryCount: Int? = nil) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name", maximumRetryCount = "MaximumRetryCount"
    }
}

public struct LogConfig: Codable, Sendable, Equatable {
    public var type: String
    public var config: [String: String]?

    public init(type: String, config: [String: String]? = nil) {
        self.type = type
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type", config = "Config"
    }
}

/// `POST /containers/create` → `{"Id": …, "Warnings": […]}`.
public struct ContainerCreated: Codable, Sendable, Equatable {
    public var id: String
    public var warnings: [String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", warnings = "Warnings"
    }
}
