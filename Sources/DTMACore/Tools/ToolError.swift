import DockerEngine

/// Why a tool operation failed, in terms the API maps to a status and a clear message.
public enum ToolError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSpec(ToolSpecError)
    /// No container of this name carries dtma's labels.
    case notManaged(instance: String)
    /// The tool runs with a different spec; the contract answers 409.
    case specConflict(instance: String)
    /// A container of this name exists and is not dtma's: dtma leaves it alone.
    case nameTaken(instance: String)
    case portConflict(port: String, heldBy: String?)
    case imagePullFailed(image: String, reason: String)
    /// The registry has no such image (tag, digest or repository): the request's fault, not the engine's.
    case imageNotFound(image: String, reason: String)
    /// The image named by digest is not that digest once pulled.
    case imageDigestMismatch(image: String, found: String?)
    /// The control plane's secrets for the tool could not be fetched; nothing was created.
    case secretsUnavailable(instance: String, reason: String)
    /// `resources.diskMB` was asked for and this host's storage driver cannot enforce it.
    case diskLimitUnsupported(driver: String)
    /// dtma's tools network lets containers reach each other and tools are attached to it.
    case toolNetworkUnsafe(network: String)
    /// No container or network carries this `/mcp/groups` group's label.
    case groupNotFound(group: String)
    /// A restart asked for within the cool-down after the previous one.
    case restartCoolingDown(instance: String, retryAfterSeconds: Int)
    /// Secrets were asked for and dtma has no control plane to fetch them from.
    case noControlPlane
    case engine(DockerEngineError)

    public var description: String {
        switch self {
        case .invalidSpec(let error): error.message
        case .notManaged(let instance): "no tool named '\(instance)' is managed here"
        case .specConflict(let instance):
            "'\(instance)' is already deployed with a different configuration; remove it first to redeploy"
        case .nameTaken(let instance): "a container named '\(instance)' exists and is not managed by dtma"
        case .portConflict(let port, let heldBy):
            heldBy.map { "host port \(port) is already used by tool '\($0)'" } ?? "host port \(port) is already in use on this host"
        case .imagePullFailed(let image, let reason): "cannot pull \(image): \(reason)"
        case .imageNotFound(let image, let reason): "the registry has no image \(image): \(reason)"
        case .imageDigestMismatch(let image, let found):
            "\(image) was refused: the image the engine has is \(found ?? "not from any registry"), not the digest asked for"
        case .secretsUnavailable(let instance, let reason): "cannot fetch the secrets of '\(instance)' from the control plane: \(reason)"
        case .diskLimitUnsupported(let driver):
            "resources.diskMB: this host's storage (\(driver)) cannot cap a container's disk (that needs overlay2 on xfs with pquota, btrfs or zfs); deploy without diskMB"
        case .toolNetworkUnsafe(let network):
            "the network '\(network)' lets containers reach each other and has containers attached; remove them and the network (dtma recreates it)"
        case .groupNotFound(let group): "no group named '\(group)' is deployed here"
        case .restartCoolingDown(let instance, let seconds):
            "'\(instance)' was restarted moments ago; it may be restarted again in \(seconds) s"
        case .noControlPlane: "dtma has no control plane configured (AGENTOPIA_API_BASE_URL), so it has no secrets to fetch"
        case .engine(let error): "\(error)"
        }
    }
}
