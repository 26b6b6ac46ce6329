/// One entry of `GET /images/json`.
public struct ImageSummary: Codable, Sendable, Equatable {
    public var id: String
    public var repoTags: [String]?
    public var repoDigests: [String]?
    /// Unix seconds.
    public var created: Int64
    public var size: Int64
    public var labels: [String: String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", created = "Created", size = "Size"
        case labels = "Labels"
    }
}

/// `GET /images/{name}/json`.
public struct ImageInspect: Codable, Sendable, Equatable {
    public var id: String
    public var repoTags: [String]?
    /// `name@sha256:…` for each registry the image was pulled from or pushed to; none for a built or imported image.
    public var repoDigests: [String]?
    public var created: String?
    public var size: Int64?
    public var architecture: String?
    public var os: String?
    public var config: Config?

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", created = "Created", size = "Size"
        case architecture = "Architecture", os = "Os", config = "Config"
    }

    public struct Config: Codable, Sendable, Equatable {
        public var env: [String]?
        public var cmd: [String]?
        public var entrypoint: [String]?
        public var exposedPorts: [String: EmptyObject]?
        public var labels: [String: String]?
        public var workingDir: String?
        public var user: String?

        enum CodingKeys: String, CodingKey {
            case env = "Env", cmd = "Cmd", entrypoint = "Entrypoint", exposedPorts = "ExposedPorts", labels = "Labels"
            case workingDir = "WorkingDir", user = "User"
        }
    }
}

/// One line of `POST /images/create` progress.
public struct PullProgress: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var current: Int64?
        public var total: Int64?
    }

    public struct ErrorDetail: Codable, Sendable, Equatable {
        public var message: String?
    }

    /// `Pulling fs layer`, `Downloading`, `Pull complete`, `Status: Downloaded newer image for …`.
    public var status: String?
    /// The layer this line is about.
    public var id: String?
    public var progressDetail: Detail?
    /// Set when the pull failed; the engine still answered 200.
    public var error: String?
    public var errorDetail: ErrorDetail?

    public init(status: String? = nil, id: String? = nil, error: String? = nil) {
        self.status = status
        self.id = id
        self.error = error
    }
}

/// Credentials for `X-Registry-Auth`.
public struct RegistryAuth: Codable, Sendable, Equatable {
    public var username: String?
    public var password: String?
    public var serverAddress: String?
    public var identityToken: String?

    public init(username: String? = nil, password: String? = nil, serverAddress: String? = nil, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.serverAddress = serverAddress
        self.identityToken = identityToken
    }

    enum CodingKeys: String, CodingKey {
        case username, password, serverAddress = "serveraddress", identityToken = "identitytoken"
    }
}
