/// `POST /networks/create`.
public struct NetworkConfig: Codable, Sendable, Equatable {
    public var name: String
    public var driver: String?
    /// No route out of the network: containers on it reach only each other.
    public var internalOnly: Bool?
    public var labels: [String: String]?

    public init(name: String, driver: String? = "bridge", internalOnly: Bool? = nil, labels: [String: String]? = nil) {
        self.name = name
        self.driver = driver
        self.internalOnly = internalOnly
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", internalOnly = "Internal", labels = "Labels"
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
    /// Keyed by container ID.
    public var containers: [String: Member]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", driver = "Driver", internalOnly = "Internal", labels = "Labels"
        case containers = "Containers"
    }
}
