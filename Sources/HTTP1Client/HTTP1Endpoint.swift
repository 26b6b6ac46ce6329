/// Where a server listens: a unix socket or a TCP address.
public enum HTTP1Endpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    case unixSocket(path: String)
    case tcp(host: String, port: Int)

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix://\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }

    /// The `Host` header a request to this endpoint carries by default.
    public var defaultHostHeader: String {
        switch self {
        case .unixSocket: "localhost"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}
