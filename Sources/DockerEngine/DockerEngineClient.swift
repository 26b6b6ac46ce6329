import FoundationEssentials
import HTTP1
import HTTP1Client
import JSONScanning
import Logging
import NIOConcurrencyHelpers

/// A client for the Docker Engine API over its unix socket (or TCP), on our own HTTP/1.1 client.
///
/// Short requests share a bounded pool of keep-alive connections; streams get their own connection.
/// The API version is negotiated once from `/_ping` (the engine's version, capped at the newest this
/// client knows), so the same client works with Debian's 1.41 engine and current Docker CE.
public final class DockerEngineClient: Sendable {
    public struct Configuration: Sendable {
        public var maxConnections = 8
        public var connectTimeout: Duration = .seconds(5)
        /// For a whole short request; streams apply it until their response head arrives.
        public var requestTimeout: Duration = .seconds(60)
        /// Largest JSON document accepted from the engine.
        public var maxResponseBytes = 64 << 20
        public var newestAPIVersion = APIVersion.newestSupported
        /// Use this version without asking the engine.
        public var fixedAPIVersion: APIVersion?
        /// Told of every short request: its kind (`GET /containers`), how long it took, whether it failed.
        public var observer: (@Sendable (_ call: String, _ duration: Duration, _ failed: Bool) -> Void)?

        public init() {}
    }

    public let endpoint: EngineEndpoint
    public let configuration: Configuration
    let logger: Logger
    let http: HTTP1Client

    /// Connections to the engine now open: pooled ones plus streams (logs, events, attach).
    public var openConnections: Int { http.openPooledConnections + http.openStreams }
    private let negotiatedVersion = NIOLockedValueBox<APIVersion?>(nil)

    public init(
        endpoint: EngineEndpoint = .defaultSocket, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "dtma.engine")
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.logger = logger
        var http = HTTP1Client.Configuration()
        http.maxConnections = configuration.maxConnections
        http.connectTimeout = configuration.connectTimeout
        http.requestTimeout = configuration.requestTimeout
        http.maxResponseBytes = configuration.maxResponseBytes
        http.hostHeader = "docker"
        self.http = HTTP1Client(endpoint: endpoint.http, configuration: http)
    }

    /// Closes idle connections and refuses further requests; open streams end on their own.
    public func shutdown() {
        http.shutdown()
    }

    /// Pooled connections now open (idle or busy).
    public var openPooledConnections: Int { http.openPooledConnections }

    /// The API version used in request paths, asking the engine on first use.
    public func apiVersion() async throws -> APIVersion {
        if let fixed = configuration.fixedAPIVersion { return fixed }
        if let known = negotiatedVersion.withLockedValue({ $0 }) { return known }
        let announced = try await ping().apiVersion ?? .assumedWhenUnannounced
        let version = min(announced, configuration.newestAPIVersion)
        negotiatedVersion.withLockedValue { $0 = version }
        logger.debug("negotiated engine API version", metadata: ["version": "\(version)", "announced": "\(announced)"])
        return version
    }

    // MARK: Request plumbing shared by the endpoint files

    /// Sends a short request on a pooled connection and returns the whole response, mapping engine
    /// error statuses to `DockerEngineError`.
    func send(
        _ method: String, _ path: String, query: EngineQuery = [], body: [UInt8]? = nil,
        headers: HTTP1Headers = [:], timeout: Duration? = nil, versioned: Bool = true
    ) async throws -> HTTP1Response {
        let request = try await makeRequest(method, path, query: query, body: body, headers: headers, versioned: versioned)
        let started = ContinuousClock.now
        var failed = true
        defer {
            // The kind of call, never an ID: `GET /containers`.
            let kind = "\(method) /\(path.split(separator: "/").first ?? "")"
            configuration.observer?(kind, ContinuousClock.now - started, failed)
        }
        let response: HTTP1Response
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw Self.translate(error, operation: "\(method) \(path)")
        }
        try Self.checkStatus(response)
        failed = false
        return response
    }

    /// Sends a request on a connection of its own and returns once the head arrives; the body streams.
    /// For endpoints that never end (events, followed logs), long polls (wait) and upgrades (attach).
    func openStream(
        _ method: String, _ path: String, query: EngineQuery = [], body: [UInt8]? = nil,
        headers: HTTP1Headers = [:], upgrade: Bool = false
    ) async throws -> HTTP1Stream {
        var headers = headers
        if upgrade {
            headers.add(name: "Connection", value: "Upgrade")
            headers.add(name: "Upgrade", value: "tcp")
        }
        let request = try await makeRequest(method, path, query: query, body: body, headers: headers, versioned: true)
        do {
            let stream = try await http.openStream(request)
            if stream.head.status >= 300 {
                let body = try await stream.collectBody(limit: 65536)
                try Self.checkStatus(HTTP1Response(head: stream.head, body: body))
            }
            return stream
        } catch {
            throw Self.translate(error, operation: "\(method) \(path)")
        }
    }

    private func makeRequest(
        _ method: String, _ path: String, query: EngineQuery, body: [UInt8]?, headers: HTTP1Headers, versioned: Bool
    ) async throws -> HTTP1Request {
        var target = versioned ? "/v\(try await apiVersion())\(path)" : path
        if !query.items.isEmpty { target += "?" + query.encoded }
        var headers = headers
        if body != nil, !headers.contains("Content-Type") { headers.add(name: "Content-Type", value: "application/json") }
        return HTTP1Request(method: method, target: target, headers: headers, body: body)
    }

    // MARK: Errors

    static func checkStatus(_ response: HTTP1Response) throws {
        let status = response.status
        // The engine never redirects on purpose (a cleaned path does): following one is not ours to do.
        guard status >= 300, status != 304 else { return }
        let message = engineMessage(response)
        switch status {
        case 400: throw DockerEngineError.badRequest(message: message)
        case 404: throw DockerEngineError.notFound(message: message)
        case 409: throw DockerEngineError.conflict(message: message)
        default: throw DockerEngineError.engineError(status: status, message: message)
        }
    }

    /// The engine's `{"message": "…"}`, or the body as text, or the reason phrase.
    static func engineMessage(_ response: HTTP1Response) -> String {
        struct EngineMessage: Decodable { var message: String }
        if let decoded = try? JSONDecoder().decode(EngineMessage.self, from: Data(response.body)) {
            return decoded.message
        }
        let text = String(decoding: response.body.prefix(1024), as: UTF8.self)
        let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return trimmed.isEmpty ? response.head.reason : String(trimmed)
    }

    static func translate(_ error: any Error, operation: String) -> any Error {
        guard let failure = error as? HTTP1ClientError else { return error }
        switch failure {
        case .unreachable(let endpoint, let reason): return DockerEngineError.unreachable(endpoint: endpoint, reason: reason)
        case .closedByPeer: return DockerEngineError.connectionLost(reason: "the engine closed the connection")
        case .timedOut(let seconds): return DockerEngineError.timedOut(operation: operation, seconds: seconds)
        case .malformedResponse(.truncatedMessage): return DockerEngineError.connectionLost(reason: "the engine closed the connection mid-response")
        case .malformedResponse(let parseError): return DockerEngineError.invalidResponse(reason: "\(parseError)")
        case .invalidRequest(let requestError): return DockerEngineError.invalidArgument("\(requestError)")
        case .unsolicitedResponse: return DockerEngineError.invalidResponse(reason: "a response nobody asked for")
        case .busy: return DockerEngineError.connectionLost(reason: "connection already in use")
        case .shutDown: return DockerEngineError.clientShutDown
        }
    }

    // MARK: JSON

    func decode<Value: Decodable>(_ type: Value.Type, from response: HTTP1Response) throws -> Value {
        do {
            return try Self.read(type, from: response.body)
        } catch {
            throw DockerEngineError.invalidResponse(reason: "cannot read \(Value.self): \(error)")
        }
    }

    /// The model in `body`: with the scanner for the answers read most (`ScannedModel`), else JSONDecoder.
    public static func read<Value: Decodable>(_ type: Value.Type, from body: [UInt8]) throws -> Value {
        if let scanned = type as? any ScannedModel.Type {
            return try JSONScanner.document(body) { try scanned.init(scanning: &$0) } as! Value
        }
        return try JSONDecoder().decode(type, from: Data(body))
    }

    func encode(_ value: some Encodable) throws -> [UInt8] {
        [UInt8](try JSONEncoder().encode(value))
    }
}
