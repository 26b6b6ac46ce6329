import HTTP1
import HTTP1Client
import NIOConcurrencyHelpers

/// Streamable HTTP servers on their containers' own addresses: one keep-alive pool per server
/// address, made on first use.
final class HTTPUpstreams: Sendable {
    /// How long an upstream may take to answer a POST's head (a tool call can be slow), and to connect.
    static let answerTimeout = Duration.seconds(300)
    static let connectTimeout = Duration.seconds(5)
    /// The largest whole body read here (an answer the gateway itself needs, a DELETE's).
    static let maxCollectedBytes = 1 << 20

    private let clients = NIOLockedValueBox<[String: HTTP1Client]>([:])

    func client(host: String, port: Int) -> HTTP1Client {
        let key = "\(host):\(port)"
        return clients.withLockedValue { clients in
            if let client = clients[key] { return client }
            var configuration = HTTP1Client.Configuration()
            configuration.maxConnections = 16
            configuration.connectTimeout = Self.connectTimeout
            configuration.requestTimeout = Self.answerTimeout
            configuration.maxResponseBytes = Self.maxCollectedBytes
            let client = HTTP1Client(endpoint: .tcp(host: host, port: port), configuration: configuration)
            clients[key] = client
            return client
        }
    }

    func shutdown() {
        clients.withLockedValue { clients in
            clients.values.forEach { $0.shutdown() }
            clients.removeAll()
        }
    }
}

/// The headers of a client's request the upstream sees: the MCP ones, never the client's
/// credentials (no token passthrough), cookies, `Origin` or `X-Forwarded-*`. `Host` is the
/// upstream's own (SDK servers answer 421 to a foreign one).
enum ForwardedHeaders {
    static let toUpstream = ["Accept", "Content-Type", "MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "Last-Event-ID"]

    static func upstream(_ client: HTTP1Headers, sessionID: String?) -> HTTP1Headers {
        var headers: HTTP1Headers = [:]
        for name in toUpstream {
            if let value = client[name] { headers.add(name: name, value: value) }
        }
        if client["Accept"] == nil { headers.add(name: "Accept", value: "application/json, text/event-stream") }
        if let sessionID { headers.add(name: "Mcp-Session-Id", value: sessionID) }
        return headers
    }

    /// The upstream's answer headers a client sees; its session id is replaced by the gateway's.
    static func client(_ upstream: HTTP1Headers, sessionID: String?) -> [(String, String)] {
        var headers: [(String, String)] = []
        for name in ["Content-Type", "MCP-Protocol-Version", "Retry-After", "Allow"] {
            if let value = upstream[name] { headers.append((name, value)) }
        }
        if let sessionID { headers.append(("Mcp-Session-Id", sessionID)) }
        if upstream["Content-Type"]?.lowercased().hasPrefix("text/event-stream") == true {
            // Events as they come: no proxy in between may buffer them.
            headers += [("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no")]
        }
        return headers
    }
}
