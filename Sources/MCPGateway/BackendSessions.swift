import DTMACore
import HTTP1
import HTTP1Client
import JSONScanning
import NIOConcurrencyHelpers

/// The sessions the gateway keeps with servers itself, for callers that send no `initialize`
/// (the control plane's `mcp-execute` posts a bare `tools/call`): one per server container, made
/// on first need with a handshake of the gateway's own, made again when the server ends it.
final class BackendSessions: Sendable {
    struct Session: Sendable, Equatable {
        var containerID: String
        /// Nil for a server that keeps no sessions.
        var upstreamID: String?
        var protocolVersion: String
    }

    /// What the gateway offers when the caller names no version.
    static let defaultVersion = "2025-06-18"

    private let sessions = NIOLockedValueBox<[String: Session]>([:])
    /// One handshake at a time per server: concurrent bare calls share the first one's session.
    private let handshakes = InstanceLocks()

    func session(for upstream: Upstream, version: String?) async throws -> Session {
        let instance = upstream.route.instanceName
        if let known = current(instance, upstream.route.containerID) { return known }
        return try await handshakes.withLock(instance) {
            if let known = self.current(instance, upstream.route.containerID) { return known }
            let made = try await Self.handshake(upstream, version: version ?? Self.defaultVersion)
            self.sessions.withLockedValue { $0[instance] = made }
            return made
        }
    }

    func forget(_ session: Session, of upstream: Upstream) {
        sessions.withLockedValue { sessions in
            if sessions[upstream.route.instanceName] == session { sessions[upstream.route.instanceName] = nil }
        }
    }

    private func current(_ instance: String, _ containerID: String) -> Session? {
        sessions.withLockedValue { $0[instance] }.flatMap { $0.containerID == containerID ? $0 : nil }
    }

    /// `initialize`, then `notifications/initialized`, as a client would.
    static func handshake(_ upstream: Upstream, version: String) async throws -> Session {
        let initialize = #"{"jsonrpc":"2.0","id":"dtma-gateway-1","method":"initialize","params":{"protocolVersion":"\#(version)","capabilities":{},"clientInfo":{"name":"dtma-gateway","version":"1"}}}"#
        let headers: HTTP1Headers = ["Accept": "application/json, text/event-stream", "MCP-Protocol-Version": version]
        let answer = try await upstream.send("POST", Array(initialize.utf8), headers: headers)
        let upstreamID = answer.head.headers["Mcp-Session-Id"]
        let status = answer.head.status
        let reply = try await Self.reply(answer)
        guard status == 200, let negotiated = reply.flatMap(Self.protocolVersion) else {
            throw BackendHandshakeError(instance: upstream.route.instanceName, status: status)
        }
        var notified = ForwardedHeaders.upstream(["MCP-Protocol-Version": negotiated], sessionID: upstreamID)
        notified.add(name: "Content-Type", value: "application/json")
        _ = try await upstream.client.execute(
            HTTP1Request(method: "POST", target: upstream.path, headers: notified, body: Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8)),
            timeout: HTTPUpstreams.connectTimeout)
        return Session(containerID: upstream.route.containerID, upstreamID: upstreamID, protocolVersion: negotiated)
    }

    /// The one JSON-RPC message of an answer, whether JSON or the first event of a stream.
    static func reply(_ answer: HTTP1Stream) async throws -> [UInt8]? {
        guard answer.head.headers["Content-Type"]?.lowercased().hasPrefix("text/event-stream") == true else {
            return try await answer.collectBody(limit: HTTPUpstreams.maxCollectedBytes)
        }
        defer { answer.close() }
        var events = ServerSentEventParser(maxEventBytes: HTTPUpstreams.maxCollectedBytes)
        for try await chunk in answer.body {
            events.feed(chunk)
            while let event = try events.next() {
                if event.type == "message" { return Array(event.data.utf8) }
            }
        }
        return nil
    }

    /// `result.protocolVersion` of an initialize reply.
    static func protocolVersion(_ reply: [UInt8]) -> String? {
        var version: String?
        _ = try? JSONScanner.document(reply) { scanner in
            try scanner.members { key, value in
                guard key == "result" else { return try value.skipValue() }
                try value.members { key, value in
                    if key == "protocolVersion" { version = try value.stringIfPresent() } else { try value.skipValue() }
                }
            }
        }
        return version
    }
}

struct BackendHandshakeError: Error, CustomStringConvertible {
    var instance: String
    var status: Int
    var description: String { "\(instance) refused the gateway's initialize (HTTP \(status))" }
}
