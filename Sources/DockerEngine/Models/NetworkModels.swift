/// `POST /networks/create`.
public struct NetworkConfig: Codable, Sendable, Equatable {
    public var name: String
    public var driver: String?
    /// No route out of the network: containers on it reach only each other.
    public var internalOnly: Bool?
    public var labels: [String: String]?
    /// Driver options, e.g. `com.docker.network.bridge.enable_icc`.
    public var options: [String: String]?
    /// Refuse a second network of this name (engines before API 1.44 create duplicates otherwise).
    public var checkDuplicate: Bool? = true

    public init(
        name: String, driver: String? = "bridge", internalOnly: Bool? = nil, labels: [String: String]? = nil, options: [String: String]? = nil
    ) {
        self.name = name
        self.driver = driver
        self.internalOnly = internalOnly
        self.labels = labels
        self.options = options
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", internalOnly = "Internal", labels = "Labels", options = "Options"
        case checkDuplicate = "CheckDuplicate"
    }
}

/// `GET /networks/{id}`.
public struct NetworkInspect: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var name: String?
        public var ipv4Address: String?
        enum CodingKeys: String, CodingKey { case name = "Name", ipv4Address = "IPv4Address" }
    }

    public var id: String
    public var name: String
    public var driver: String?
    public var internalOnly: Bool?
    public var labels: [String: String]?
    public var options: [String: String]?
    /// Keyed by container ID.
    public var containers: [String: Member]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", driver = "Driver", internalOnly = "Internal", labels = "Labels"
        case options = "Options", containers = "Containers"
    }
}
