import DTMACore
import DTMARuntime
import DTMAServer
import DockerEngine
import Foundation
import HTTP1
import HTTP1Client
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing

/// dtma's API served for real on an ephemeral loopback port, against the real engine, with our own
/// HTTP client as the caller. Each instance has its own state model, as a restarted dtma would.
final class LiveDTMA: Sendable {
    static let key = "test-key-0123456789abcdefghijklmnopqrstuvwxyz"
    static let secondaryKey = "rotated-key-0123456789abcdefghijklmnopqrstu"

    let engine: any ContainerEngine
    /// The real engine's client, for the suites that look at its connections.
    var docker: DockerEngineClient { engine as! DockerEngineClient }
    let state: StateModel
    let port: Int
    let client: HTTP1Client
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// `environment` adds to (or overrides) the test settings; every log line goes to `logs`;
    /// `engine` replaces the real Docker engine (an `InMemoryEngine` for suites that need none).
    static func start(
        environment: [String: String] = [:], logs: LogCapture = LogCapture(), engine: (any ContainerEngine)? = nil
    ) async throws -> LiveDTMA {
        let config = try DTMAConfig.load(
            environment: [
                "BACKEND_TO_DTMA_API_KEY": key, "BACKEND_TO_DTMA_API_KEY_SECONDARY": secondaryKey,
                "DTMA_PORT": "0", "DTMA_LISTEN_ADDRESS": "127.0.0.1", "DTMA_STOP_TIMEOUT_SECONDS": "2",
                "DTMA_RELIST_INTERVAL_SECONDS": "2",
            ].merging(environment) { _, new in new },
            envFile: nil, legacyFile: nil)
        let logger = Logger(label: "dtma.test") { _ in logs.handler() }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let daemon = try DTMADaemon(config: config, version: "test", logger: logger, engine: engine) { portContinuation.yield($0) }
        let group = ServiceGroup(services: daemon.services, logger: logger)
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw DockerEngineError.clientShutDown }
        return LiveDTMA(engine: daemon.engine, state: daemon.state, port: port, group: group, running: running)
    }

    private init(engine: any ContainerEngine, state: StateModel, port: Int, group: ServiceGroup, running: Task<Void, any Error>) {
        self.engine = engine
        self.state = state
        self.port = port
        self.group = group
        self.running = running
        var configuration = HTTP1Client.Configuration()
        configuration.requestTimeout = .seconds(120)
        client = HTTP1Client(endpoint: .tcp(host: "127.0.0.1", port: port), configuration: configuration)
    }

    func stop() async {
        client.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        engine.shutdown()
    }

    struct Answer {
        var status: Int
        var headers: HTTP1Headers
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var code: String? { json["code"] as? String }
    }

    /// Calls the API; `authorization` nil sends the right key, "" sends none.
    func call(_ method: String, _ path: String, json: String? = nil, authorization: String? = nil, extraHeaders: [(String, String)] = [])
        async throws -> Answer
    {
        var headers = HTTP1Headers()
        let auth = authorization ?? "Bearer \(Self.key)"
        if !auth.isEmpty { headers.add(name: "Authorization", value: auth) }
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        let response = try await client.execute(HTTP1Request(method: method, target: path, headers: headers, body: json.map { Array($0.utf8) }))
        return Answer(status: response.status, headers: response.head.headers, body: response.body)
    }
}

/// Every log line of a live dtma, at every level, for tests that look for what must never be logged.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { lines.withLockedValue { $0 } }

    func handler() -> some LogHandler {
        CapturingHandler(capture: self)
    }

    private struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.lines.withLockedValue { $0.append("\(event.level) \(event.message) \(merged)") }
        }
    }
}

/// Runs `body` against a fresh dtma, then removes every container carrying the test's tag and stops dtma.
func withLiveDTMA(
    tag: String = uniqueTag(), environment: [String: String] = [:], logs: LogCapture = LogCapture(),
    engine: (any ContainerEngine)? = nil, _ body: (LiveDTMA, String) async throws -> Void
) async throws {
    let dtma = try await LiveDTMA.start(environment: environment, logs: logs, engine: engine)
    do {
        try await body(dtma, tag)
    } catch {
        await removeTestContainers(dtma.engine, tag: tag)
        await dtma.stop()
        throw error
    }
    await removeTestContainers(dtma.engine, tag: tag)
    await dtma.stop()
}

/// A deploy body in the contract's shape, with a test label for cleanup.
func contractDeploy(
    name: String, tag: String, hostPort: Int? = nil, env: [String] = ["GREETING=hello"], script: String = "sleep 600",
    image: String = "dtma-test/busybox:latest"
) -> String {
    var host: [String: Any] = [:]
    if let hostPort { host["PortBindings"] = ["8080/tcp": [["HostPort": String(hostPort)]]] }
    let body: [String: Any] = [
        "dockerImageUrl": image,
        "instanceNameOnToolbox": name,
        "accountToolInstanceId": "id-\(name)",
        "baseConfigOverrideJson": ["Env": env, "Cmd": ["sh", "-c", script], "HostConfig": host],
        "labels": ["dtma-test": tag],
        "probe": ["transport": "none"],
    ]
    return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
}

/// Containers carrying this test's label, whatever their state.
func testContainers(_ engine: any ContainerEngine, tag: String) async throws -> [ContainerSummary] {
    try await engine.listContainers(all: true, filters: ["label": ["dtma-test=\(tag)"]])
}

func removeTestContainers(_ engine: any ContainerEngine, tag: String) async {
    for container in (try? await testContainers(engine, tag: tag)) ?? [] {
        try? await engine.removeContainer(container.id, force: true)
    }
}

func uniqueTag(_ prefix: String = "t") -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
}

/// `GET /events` read in the background: each tool event with the time it arrived.
final class ToolEventRecorder: Sendable {
    struct Received: Sendable {
        var type: String
        var instance: String?
        var detail: String?
        var status: String?
        var at: Date
    }

    private let received = NIOLockedValueBox<[Received]>([])
    private let reader: Task<Void, any Error>
    let stream: HTTP1Stream

    init(_ dtma: LiveDTMA) async throws {
        let stream = try await dtma.client.openStream(HTTP1Request(
            method: "GET", target: "/events", headers: ["Authorization": "Bearer \(LiveDTMA.key)"]))
        let received = self.received
        self.stream = stream
        reader = Task {
            var parser = ServerSentEventParser()
            for try await chunk in stream.body {
                parser.feed(chunk)
                while let event = try parser.next() {
                    let data = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]) ?? [:]
                    let seen = Received(
                        type: event.type, instance: data["instance_name_on_toolbox"] as? String, detail: data["detail"] as? String,
                        status: data["status_on_toolbox"] as? String, at: Date())
                    received.withLockedValue { $0.append(seen) }
                }
            }
        }
    }

    /// What arrived about `instance` so far, in order.
    func events(of instance: String) -> [Received] {
        received.withLockedValue { $0.filter { $0.instance == instance } }
    }

    func stop() {
        reader.cancel()
        stream.close()
    }
}
