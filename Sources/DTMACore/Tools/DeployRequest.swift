import FoundationEssentials

/// The body of `POST /tools` as the control plane sends it (contract.md), plus dtma's optional
/// additions (`publicPorts`, `resources`, `probe`, `labels`). `validated()` turns it into a `ToolSpec`.
public struct DeployRequest: Decodable, Sendable {
    public var dockerImageUrl: String?
    public var instanceNameOnToolbox: String?
    public var accountToolInstanceId: String?
    /// Docker create fields the control plane overrides: `Env`, `Cmd`, `HostConfig.PortBindings`, …
    public var baseConfigOverrideJson: ContainerOverride?
    /// Publish ports on every address instead of 127.0.0.1.
    public var publicPorts: Bool?
    public var resources: ResourceRequest?
    public var probe: ProbeRequest?
    public var labels: [String: String]?
    /// The control plane's second generation names the transport (`stdio`, `sse`, `websocket`, and
    /// some of its code writes `http`) and the endpoint's path.
    public var mcpTransportType: String?
    public var mcpEndpointPath: String?
    /// A size from `ResourceTemplate.all` (`standard`, …); `resources` and `HostConfig` figures win over it.
    public var resourceTemplate: String?

    public struct ContainerOverride: Decodable, Sendable {
        public var env: [String]?
        public var cmd: [String]?
        public var entrypoint: [String]?
        public var workingDir: String?
        public var user: String?
        public var labels: [String: String]?
        public var hostConfig: HostOverride?

        enum CodingKeys: String, CodingKey {
            case env = "Env", cmd = "Cmd", entrypoint = "Entrypoint", workingDir = "WorkingDir", user = "User"
            case labels = "Labels", hostConfig = "HostConfig"
        }
    }

    public struct HostOverride: Decodable, Sendable {
        public var portBindings: [String: [PortBindingRequest]?]?
        public var memory: Int64?
        public var nanoCPUs: Int64?
        public var pidsLimit: Int64?
        public var restartPolicy: RestartPolicyRequest?
        public var capAdd: [String]?
        public var readonlyRootfs: Bool?
        // Read only to refuse them: each would hand the container the host.
        public var privileged: Bool?
        public var binds: [String]?
        public var mounts: [Mount]?
        public var devices: [Mount]?
        public var networkMode: String?
        public var pidMode: String?
        public var ipcMode: String?

        /// Any JSON object; only its presence matters.
        public struct Mount: Decodable, Sendable {}

        enum CodingKeys: String, CodingKey {
            case portBindings = "PortBindings", memory = "Memory", nanoCPUs = "NanoCpus", pidsLimit = "PidsLimit"
            case restartPolicy = "RestartPolicy", capAdd = "CapAdd", readonlyRootfs = "ReadonlyRootfs"
            case privileged = "Privileged", binds = "Binds", mounts = "Mounts", devices = "Devices"
            case networkMode = "NetworkMode", pidMode = "PidMode", ipcMode = "IpcMode"
        }
    }

    public struct PortBindingRequest: Decodable, Sendable {
        public var hostIP: String?
        public var hostPort: String?
        enum CodingKeys: String, CodingKey { case hostIP = "HostIp", hostPort = "HostPort" }
    }

    public struct RestartPolicyRequest: Decodable, Sendable {
        public var name: String?
        public var maximumRetryCount: Int?
        enum CodingKeys: String, CodingKey { case name = "Name", maximumRetryCount = "MaximumRetryCount" }
    }

    public struct ResourceRequest: Decodable, Sendable {
        public var memoryMB: Int64?
        public var cpus: Double?
        public var pids: Int64?
        /// A cap on the tool's writable layer, where the storage driver can enforce one.
        public var diskMB: Int64?
    }

    public struct ProbeRequest: Decodable, Sendable {
        public var transport: String?
        public var port: Int?
        public var path: String?
        public var periodSeconds: Int?
        public var timeoutSeconds: Int?
        public var initialDelaySeconds: Int?
        public var failureThreshold: Int?
        public var successThreshold: Int?
        public var action: String?
    }

    public static func decode(_ body: [UInt8]) throws(ToolSpecError) -> DeployRequest {
        try DeployKeys.deployBody.audit(body)
        return try decodeRequestBody(DeployRequest.self, from: body)
    }
}

/// Decodes a JSON request body; a type mismatch names the field in the error, and no message
/// repeats a value from the body.
public func decodeRequestBody<Value: Decodable>(_ type: Value.Type, from body: [UInt8]) throws(ToolSpecError) -> Value {
    do {
        return try JSONDecoder().decode(type, from: Data(body))
    } catch let error as DecodingError {
        throw ToolSpecError(decoding: error)
    } catch {
        throw ToolSpecError(.invalidJSON, field: nil, "the body is not valid JSON")
    }
}

extension ToolSpecError {
    init(decoding error: DecodingError) {
        func path(_ codingPath: [any CodingKey]) -> String? {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return joined.isEmpty ? nil : String(joined.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            self.init(.invalidField, field: field, "\(field ?? "the body"): expected \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            self.init(.invalidField, field: field, "\(field ?? "the body"): expected \(Self.describe(type)), found null")
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key]) ?? key.stringValue
            self.init(.missingField, field: field, "\(field) is required")
        case .dataCorrupted(let context):
            if let field = path(context.codingPath) {
                self.init(.invalidField, field: field, "\(field): invalid value")
            } else {
                self.init(.invalidJSON, field: nil, "the body is not valid JSON")
            }
        @unknown default:
            self.init(.invalidJSON, field: nil, "the body is not valid JSON")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is [String].Type: "an array of strings"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}
