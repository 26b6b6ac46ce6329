import ControlPlane
import DockerEngine
import FoundationEssentials
import Glibc

/// Everything dtma reads at start-up. Sources, strongest first: the process environment, dtma's env
/// file (`/etc/dtma/dtma.env`), and the original agent's `/etc/dtma.conf` for drop-in installs.
public struct DTMAConfig: Sendable {
    /// Bearer keys the control plane may present (`BACKEND_TO_DTMA_API_KEY`, and a second during rotation).
    public var inboundKeys: [String]
    /// dtma's own token for heartbeats and secret fetches (`DTMA_BEARER_TOKEN`).
    public var outboundToken: String?
    /// `AGENTOPIA_API_BASE_URL`, e.g. `https://<project>.supabase.co/functions/v1`.
    public var controlPlaneURL: String?
    public var listenHost: String
    public var listenPort: Int
    public var engine: EngineEndpoint
    /// `DTMA_HEARTBEAT_INTERVAL_SECONDS`, default 60 as the original.
    public var heartbeatInterval: Duration
    /// `DTMA_HEARTBEAT_MAX_BACKOFF_SECONDS`: the longest wait between failing heartbeats, default 300.
    public var heartbeatMaxBackoff: Duration
    /// `DTMA_CONTROL_PLANE_CA_FILE`: an extra CA for a private control plane.
    public var controlPlaneCAFile: String?
    /// `DTMA_ALLOW_INSECURE_CONTROL_PLANE=1` lets `http://` through, for development only.
    public var allowInsecureControlPlane: Bool
    /// Deploys must pin their image by digest (`DTMA_REQUIRE_IMAGE_DIGEST=1`): a tag can be moved under a droplet.
    public var requireImageDigest: Bool
    /// Seconds between SIGTERM and SIGKILL when a tool is stopped (`DTMA_STOP_TIMEOUT_SECONDS`).
    public var stopTimeoutSeconds: Int
    /// How often the engine watcher relists everything besides following events.
    public var relistInterval: Duration
    /// How often every tool's writable layer is measured (`DTMA_DISK_SAMPLE_INTERVAL_SECONDS`).
    public var diskSampleInterval: Duration
    /// Whether `GET /metrics` needs the bearer key (DTMA_METRICS_REQUIRE_KEY, default yes).
    public var metricsRequireKey: Bool
    /// How long a connection may take to send a request's head (slowloris, idle keep-alive).
    public var requestHeadTimeout: Duration
    /// How long a request's body may take to arrive once its head has (`DTMA_REQUEST_BODY_TIMEOUT_SECONDS`).
    public var requestBodyTimeout: Duration
    /// The longest request head, request line and header fields together (`DTMA_MAX_REQUEST_HEAD_BYTES`).
    public var maxRequestHeadBytes: Int
    /// Open connections to the API, in all and from one address (`DTMA_MAX_CONNECTIONS[_PER_PEER]`).
    public var maxConnections: Int
    public var maxConnectionsPerPeer: Int
    /// Log streams (`GET /tools/{name}/logs`) served at once (`DTMA_MAX_LOG_STREAMS`).
    public var maxLogStreams: Int
    /// Server-sent event streams (`GET /events`) served at once (`DTMA_MAX_EVENT_STREAMS`).
    public var maxEventStreams: Int
    /// Bytes a streaming answer may hold for a client that reads slower than it is fed
    /// (`DTMA_STREAM_BUFFER_BYTES`); past it the client is cut off.
    public var streamBufferBytes: Int
    /// MCP gateway sessions open at once (`DTMA_GATEWAY_MAX_SESSIONS`), and how long one may go
    /// unused before it is ended (`DTMA_GATEWAY_SESSION_IDLE_SECONDS`).
    public var gatewayMaxSessions: Int
    public var gatewaySessionIdle: Duration
    /// Gateway `GET` streams (server-to-client, each holding a connection to its server) served at
    /// once (`DTMA_GATEWAY_MAX_STREAMS`).
    public var gatewayMaxStreams: Int
    /// Things worth a warning line at start-up (never containing a secret).
    public var warnings: [String]

    public static let defaultEnvFile = "/etc/dtma/dtma.env"
    public static let legacyConfigFile = "/etc/dtma.conf"
    public static let defaultPort = 30000
    /// Shorter inbound keys are accepted with a warning.
    public static let recommendedKeyLength = 32

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case missingInboundKey
        case unreadableFile(path: String, reason: String)
        case invalidValue(name: String, reason: String)

        public var description: String {
            switch self {
            case .missingInboundKey:
                "no inbound API key: set BACKEND_TO_DTMA_API_KEY in the environment or in \(DTMAConfig.defaultEnvFile); dtma will not serve its API without one"
            case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
            case .invalidValue(let name, let reason): "invalid \(name): \(reason)"
            }
        }
    }

    /// Merges the three sources; `envFile` and `legacyFile` are read when they exist.
    public static func load(
        environment: [String: String], envFile: String? = defaultEnvFile, legacyFile: String? = legacyConfigFile
    ) throws -> DTMAConfig {
        var values: [String: String] = [:]
        for path in [legacyFile, envFile].compactMap({ $0 }) where FileManager.default.fileExists(atPath: path) {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                values.merge(try EnvFile.parse(text)) { _, new in new }
            } catch let error as EnvFile.ParseError {
                throw LoadError.unreadableFile(path: path, reason: error.description)
            } catch {
                throw LoadError.unreadableFile(path: path, reason: Self.words(for: error))
            }
        }
        values.merge(environment.filter { !$0.value.isEmpty }) { _, new in new }
        return try DTMAConfig(values: values)
    }

    /// The system's words for a file error ("Is a directory"), not Foundation's dump of it.
    static func words(for error: any Error) -> String {
        guard let cocoa = error as? CocoaError else { return "\(error)" }
        if let posix = cocoa.userInfo["NSUnderlyingError"] as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        return [.fileReadInapplicableStringEncoding, .fileReadCorruptFile].contains(cocoa.code) ? "not UTF-8 text" : "error \(cocoa.code.rawValue)"
    }

    init(values: [String: String]) throws {
        warnings = []
        inboundKeys = ["BACKEND_TO_DTMA_API_KEY", "BACKEND_TO_DTMA_API_KEY_SECONDARY"].compactMap { values[$0] }
            .filter { !$0.isEmpty }
        guard !inboundKeys.isEmpty else { throw LoadError.missingInboundKey }
        for key in inboundKeys where key.utf8.count < Self.recommendedKeyLength {
            warnings.append("an inbound API key is shorter than \(Self.recommendedKeyLength) characters; use a long random key")
        }
        // The original agent's file calls the droplet's own token DTMA_AUTH_TOKEN.
        outboundToken = values["DTMA_BEARER_TOKEN"] ?? values["DTMA_AUTH_TOKEN"]
        controlPlaneURL = values["AGENTOPIA_API_BASE_URL"]
        listenHost = values["DTMA_LISTEN_ADDRESS"] ?? "0.0.0.0"
        let portText = values["DTMA_PORT"] ?? values["PORT"] ?? String(Self.defaultPort)
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw LoadError.invalidValue(name: "DTMA_PORT", reason: "'\(portText)' is not a port number")
        }
        listenPort = port
        do {
            engine = try values["DOCKER_HOST"].map { try EngineEndpoint(parsing: $0) } ?? .defaultSocket
        } catch {
            throw LoadError.invalidValue(name: "DOCKER_HOST", reason: "\(error)")
        }
        let intervalText = values["DTMA_HEARTBEAT_INTERVAL_SECONDS"] ?? "60"
        guard let interval = Double(intervalText), (0.1...3600).contains(interval) else {
            throw LoadError.invalidValue(name: "DTMA_HEARTBEAT_INTERVAL_SECONDS", reason: "'\(intervalText)' is not between 0.1 and 3600")
        }
        heartbeatInterval = .milliseconds(Int(interval * 1000))
        // By default a failing control plane is retried at least once an interval, so that the
        // first heartbeat after it recovers arrives within one interval.
        let backoffText = values["DTMA_HEARTBEAT_MAX_BACKOFF_SECONDS"] ?? intervalText
        guard let backoff = Double(backoffText), (0.1...3600).contains(backoff) else {
            throw LoadError.invalidValue(name: "DTMA_HEARTBEAT_MAX_BACKOFF_SECONDS", reason: "'\(backoffText)' is not between 0.1 and 3600")
        }
        heartbeatMaxBackoff = .milliseconds(Int(backoff * 1000))
        func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
            let text = values[name] ?? String(fallback)
            guard let value = Int(text), range.contains(value) else {
                throw LoadError.invalidValue(name: name, reason: "'\(text)' is not a whole number between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }
        stopTimeoutSeconds = try integer("DTMA_STOP_TIMEOUT_SECONDS", default: 10, in: 0...300)
        relistInterval = .seconds(try integer("DTMA_RELIST_INTERVAL_SECONDS", default: 30, in: 1...3600))
        diskSampleInterval = .seconds(try integer("DTMA_DISK_SAMPLE_INTERVAL_SECONDS", default: 60, in: 1...86400))
        requestHeadTimeout = .seconds(try integer("DTMA_REQUEST_HEAD_TIMEOUT_SECONDS", default: 20, in: 1...300))
        requestBodyTimeout = .seconds(try integer("DTMA_REQUEST_BODY_TIMEOUT_SECONDS", default: 30, in: 1...600))
        maxRequestHeadBytes = try integer("DTMA_MAX_REQUEST_HEAD_BYTES", default: 8192, in: 1024...65536)
        maxConnections = try integer("DTMA_MAX_CONNECTIONS", default: 1024, in: 1...65536)
        maxConnectionsPerPeer = try integer("DTMA_MAX_CONNECTIONS_PER_PEER", default: 128, in: 1...65536)
        maxLogStreams = try integer("DTMA_MAX_LOG_STREAMS", default: 8, in: 1...1024)
        maxEventStreams = try integer("DTMA_MAX_EVENT_STREAMS", default: 16, in: 1...1024)
        streamBufferBytes = try integer("DTMA_STREAM_BUFFER_BYTES", default: 4 << 20, in: (64 << 10)...(256 << 20))
        gatewayMaxSessions = try integer("DTMA_GATEWAY_MAX_SESSIONS", default: 1000, in: 1...100_000)
        gatewayMaxStreams = try integer("DTMA_GATEWAY_MAX_STREAMS", default: 64, in: 1...4096)
        gatewaySessionIdle = .seconds(try integer("DTMA_GATEWAY_SESSION_IDLE_SECONDS", default: 1800, in: 10...86400))
        let metricsText = values["DTMA_METRICS_REQUIRE_KEY"] ?? "1"
        guard ["0", "1", "true", "false"].contains(metricsText.lowercased()) else {
            throw LoadError.invalidValue(name: "DTMA_METRICS_REQUIRE_KEY", reason: "'\(metricsText)' is not 1 or 0")
        }
        metricsRequireKey = ["1", "true"].contains(metricsText.lowercased())
        controlPlaneCAFile = values["DTMA_CONTROL_PLANE_CA_FILE"]
        allowInsecureControlPlane = values["DTMA_ALLOW_INSECURE_CONTROL_PLANE"] == "1"
        requireImageDigest = values["DTMA_REQUIRE_IMAGE_DIGEST"] == "1"
        if let url = controlPlaneURL {
            do {
                try ControlPlaneClient.validate(url: url, allowInsecureHTTP: allowInsecureControlPlane)
            } catch {
                throw LoadError.invalidValue(name: "AGENTOPIA_API_BASE_URL", reason: "\(error)")
            }
            if outboundToken == nil { warnings.append("AGENTOPIA_API_BASE_URL is set but DTMA_BEARER_TOKEN is not: no heartbeats, no secrets") }
        }
    }

    /// The control plane client's settings, when both its URL and dtma's token are configured.
    public var controlPlane: ControlPlaneClient.Configuration? {
        guard let url = controlPlaneURL, let token = outboundToken else { return nil }
        return controlPlaneClientConfiguration(url: url, token: token)
    }

    private func controlPlaneClientConfiguration(url: String, token: String) -> ControlPlaneClient.Configuration {
        var configuration = ControlPlaneClient.Configuration(baseURL: url, bearerToken: token)
        configuration.caFile = controlPlaneCAFile
        configuration.allowInsecureHTTP = allowInsecureControlPlane
        return configuration
    }

    /// Which settings are present, for `/status` (booleans only: never a value).
    public var environmentSummary: [String: Bool] {
        [
            "inbound_api_key_configured": !inboundKeys.isEmpty,
            "key_rotation_in_progress": inboundKeys.count > 1,
            "dtma_bearer_token_configured": outboundToken != nil,
            "control_plane_url_configured": controlPlaneURL != nil,
        ]
    }
}
