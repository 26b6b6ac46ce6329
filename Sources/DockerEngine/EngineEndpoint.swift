import HTTP1Client

/// Where the engine listens: its unix socket (the default) or a plain TCP address for a remote
/// engine. This module's own type: callers need not know the HTTP client underneath.
public enum EngineEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    case unixSocket(path: String)
    case tcp(host: String, port: Int)

    public static let defaultSocket = EngineEndpoint.unixSocket(path: "/var/run/docker.sock")

    public var description: String { http.description }

    var http: HTTP1Endpoint {
        switch self {
        case .unixSocket(let path): .unixSocket(path: path)
        case .tcp(let host, let port): .tcp(host: host, port: port)
        }
    }

    /// Parses `DOCKER_HOST`-style addresses: `unix:///path`, `tcp://host:port`, or a bare socket path.
    public init(parsing address: String) throws(EngineEndpointError) {
        if address.hasPrefix("unix://") {
            let path = String(address.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw .invalid(address) }
            self = .unixSocket(path: path)
        } else if address.hasPrefix("/") {
            self = .unixSocket(path: address)
        } else if address.hasPrefix("tcp://") || address.hasPrefix("http://") {
            let hostPort = address.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? ""
            guard let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]),
                (1...65535).contains(port)
            else { throw .invalid(address) }
            var host = String(hostPort[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw .invalid(address) }
            self = .tcp(host: host, port: port)
        } else {
            throw .invalid(address)
        }
    }

    /// `DOCKER_HOST` when set, else the default socket.
    public static func fromEnvironment(_ environment: [String: String]) throws(EngineEndpointError) -> EngineEndpoint {
        guard let value = environment["DOCKER_HOST"], !value.isEmpty else { return defaultSocket }
        return try EngineEndpoint(parsing: value)
    }
}

public enum EngineEndpointError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let address):
            "invalid engine address '\(address)': expected unix:///path/to/docker.sock or tcp://host:port"
        }
    }
}
