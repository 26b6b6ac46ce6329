/// One entry of `GET /containers/json`.
public struct ContainerSummary: Codable, Sendable, Equatable {
    public var id: String
    public var names: [String]
    public var image: String
    public var imageID: String?
    public var command: String?
    /// Unix seconds.
    public var created: Int64
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var state: String
    /// Human text such as `Up 3 minutes`.
    public var status: String
    public var labels: [String: String]?
    public var ports: [ContainerPort]?
    /// Bytes written to the container's own layer; only when listed with `size`.
    public var sizeRw: Int64?

    enum CodingKeys: String, CodingKey {
        case id = "Id", names = "Names", image = "Image", imageID = "ImageID", command = "Command"
        case created = "Created", state = "State", status = "Status", labels = "Labels", ports = "Ports", sizeRw = "SizeRw"
    }

    /// The name without the engine's leading slash.
    public var name: String? { names.first.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } }
}

public struct ContainerPort: Codable, Sendable, Equatable {
    public var ip: String?
    public var privatePort: Int
    public var publicPort: Int?
    public var type: String

    enum CodingKeys: String, CodingKey {
        case ip = "IP", privatePort = "PrivatePort", publicPort = "PublicPort", type = "Type"
    }
}

/// `POST /containers/{id}/wait`.
public struct ContainerWaitResult: Codable, Sendable, Equatable {
    public struct WaitError: Codable, Sendable, Equatable {
        public var message: String?
        enum CodingKeys: String, CodingKey { case message = "Message" }
    }

    public var statusCode: Int
    public var error: WaitError?

    enum CodingKeys: String, CodingKey {
        case statusCode = "StatusCode", error = "Error"
    }
}
