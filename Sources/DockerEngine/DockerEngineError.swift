/// What went wrong talking to the engine, in words an operator can act on.
public enum DockerEngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The engine could not be reached at all: the socket is missing, refused, or not ours to open.
    case unreachable(endpoint: String, reason: String)
    /// 404: `No such container: x`, `No such image: y`, …
    case notFound(message: String)
    /// 409 on create: the container name is taken.
    case nameConflict(message: String)
    /// Any other 409: the object is in the wrong state (removal of a running container, …).
    case conflict(message: String)
    /// 400: the engine refused the request's parameters.
    case badRequest(message: String)
    /// Any other error status, with the engine's own message.
    case engineError(status: Int, message: String)
    /// An error the engine reported inside a streamed answer (pull progress, …).
    case streamError(message: String)
    /// The engine's answer could not be understood.
    case invalidResponse(reason: String)
    /// The connection broke before the answer was complete.
    case connectionLost(reason: String)
    case timedOut(operation: String, seconds: Double)
    /// Refused before anything was sent: the argument cannot name an engine object.
    case invalidArgument(String)
    case clientShutDown

    /// The engine's HTTP status, when the engine answered with an error.
    public var httpStatus: Int? {
        switch self {
        case .notFound: 404
        case .nameConflict, .conflict: 409
        case .badRequest: 400
        case .engineError(let status, _): status
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let reason): "cannot reach the Docker engine at \(endpoint): \(reason)"
        case .notFound(let message): "not found: \(message)"
        case .nameConflict(let message): "name conflict: \(message)"
        case .conflict(let message): "conflict: \(message)"
        case .badRequest(let message): "the engine refused the request: \(message)"
        case .engineError(let status, let message): "engine error \(status): \(message)"
        case .streamError(let message): "the engine reported an error: \(message)"
        case .invalidResponse(let reason): "unexpected answer from the engine: \(reason)"
        case .connectionLost(let reason): "connection to the engine lost: \(reason)"
        case .timedOut(let operation, let seconds): "\(operation) timed out after \(seconds) s"
        case .invalidArgument(let reason): "invalid argument: \(reason)"
        case .clientShutDown: "the engine client is shut down"
        }
    }
}
