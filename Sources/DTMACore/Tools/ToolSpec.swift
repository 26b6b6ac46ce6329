import FoundationEssentials

/// A deploy request that passed validation: everything dtma needs to create, label and probe one
/// tool. Built only by `DeployRequest.validated`, so holding one means every field is in bounds.
public struct ToolSpec: Sendable, Equatable, Codable {
    public var instanceName: String
    public var accountToolInstanceId: String
    public var image: String
    /// `KEY=value` entries, keys unique.
    public var env: [String]
    public var cmd: [String]?
    public var entrypoint: [String]?
    public var workingDir: String?
    public var user: String?
    public var ports: [PortPublication]
    public var resources: ResourceLimits
    public var restartPolicy: RestartPolicySpec
    public var security: SecuritySettings
    public var probe: ProbeSettings?
    /// The caller's own labels; the `dtma.` prefix is reserved.
    public var labels: [String: String]
    /// The names of the control plane's secrets added to the environment (their values are never
    /// part of a spec); nil without any, so a spec without secrets hashes as it always has.
    public var secretNames: [String]? = nil
    /// The `/mcp/groups` group the server belongs to (a label, so it outlives dtma); nil for `/tools` deploys.
    public var group: String? = nil
    /// True: the server runs on its group's own network, where the group's servers reach each other.
    public var sharesGroupNetwork: Bool? = nil
    /// The registry digest (`sha256:…`) of the image as pulled, found at deploy; nil for an image
    /// no registry served (built or imported here). Not part of the spec hash.
    public var imageDigest: String? = nil

    /// The network the container joins: the isolating tools' network unless its group shares one.
    public var networkName: String {
        guard sharesGroupNetwork == true, let group else { return ToolNetwork.name }
        return ToolNetwork.groupNetworkName(group)
    }

    /// Identifies the spec: equal hashes mean a repeated deploy may adopt the running container.
    /// Holds no secret value (only `secretNames`): it is a label, readable by anyone who can list containers.
    public var specHash: String {
        var hashed = self
        hashed.probe?.chosenBecause = nil  // words for people, not what runs
        hashed.imageDigest = nil  // what the registry served, not what was asked
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hexDigest([UInt8]((try? encoder.encode(hashed)) ?? Data()))
    }

    /// Host ports this tool occupies, for collision checks.
    public var hostPorts: Set<HostPortKey> {
        Set(ports.compactMap { port in port.hostPort.map { HostPortKey(port: $0, proto: port.proto) } })
    }
}

public struct HostPortKey: Hashable, Sendable, CustomStringConvertible {
    public var port: Int
    public var proto: String
    public var description: String { "\(port)/\(proto)" }
}

/// One container port published on the host.
public struct PortPublication: Sendable, Equatable, Hashable, Codable {
    public var containerPort: Int
    /// `tcp`, `udp` or `sctp`.
    public var proto: String
    /// `127.0.0.1` unless the request asked for a public address.
    public var hostIP: String
    /// Nil: the engine picks a free port.
    public var hostPort: Int?

    public var dockerKey: String { "\(containerPort)/\(proto)" }
    public var isPublic: Bool { hostIP != "127.0.0.1" && hostIP != "::1" }
}

public struct ResourceLimits: Sendable, Equatable, Codable {
    public var memoryBytes: Int64
    /// CPU quota in 10⁻⁹ CPUs.
    public var nanoCPUs: Int64
    public var pidsLimit: Int64
    /// The writable layer's cap (`resources.diskMB`); nil: none (the droplet's disk).
    public var diskBytes: Int64? = nil
    /// The CPU weight a `resourceTemplate` gave; nil: the engine's default (1024).
    public var cpuShares: Int64? = nil

    public static let defaults = ResourceLimits(memoryBytes: 512 << 20, nanoCPUs: 1_000_000_000, pidsLimit: 512)
}

public struct RestartPolicySpec: Sendable, Equatable, Codable {
    /// `no`, `always`, `unless-stopped` or `on-failure`.
    public var name: String
    public var maximumRetryCount: Int?

    public static let defaults = RestartPolicySpec(name: "unless-stopped", maximumRetryCount: nil)
}

/// What a request relaxed of the hardened defaults (every capability dropped, no new privileges).
public struct SecuritySettings: Sendable, Equatable, Codable {
    public var capAdd: [String]
    public var readOnlyRootFilesystem: Bool

    public static let defaults = SecuritySettings(capAdd: [], readOnlyRootFilesystem: false)
}

/// How the probe issue's workers check this tool; kept with the container in its labels.
public struct ProbeSettings: Sendable, Hashable, Codable {
    public enum Transport: String, Sendable, Codable, CaseIterable {
        case streamableHTTP = "streamable-http"
        case sse
        case stdio
        case none
        /// Nothing named one: decided from the image at deploy time (`resolved(imageExposes:)`); never on a container.
        case auto

        /// What a request may name.
        public static let named: [Transport] = [.streamableHTTP, .sse, .stdio, .none]
    }

    public enum Action: String, Sendable, Codable, CaseIterable {
        case report
        case restart
    }

    public var transport: Transport
    public var port: Int?
    public var path: String?
    public var periodSeconds: Int
    public var timeoutSeconds: Int
    public var initialDelaySeconds: Int
    public var failureThreshold: Int
    public var successThreshold: Int
    public var action: Action
    /// Why this transport, in words for `/status` ("the image exposes no port: stdio"); not part of the spec hash.
    public var chosenBecause: String? = nil
}
