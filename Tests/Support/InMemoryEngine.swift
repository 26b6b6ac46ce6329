import DTMACore
import DockerEngine
import Foundation
import NIOConcurrencyHelpers

/// A container engine in memory, for the suites that test dtma's own logic (validation, auth, the
/// API's limits, state) without dockerd: containers are records that start and stop when told,
/// by exact name or full ID as the real engine finds them, with labels, events and log lines.
/// What it answers is built as the engine's own JSON and read by the client's models, so the
/// models' decoding is exercised as against the real engine. No process runs: attach is refused.
public final class InMemoryEngine: ContainerEngine {
    struct Container {
        var id: String
        var name: String
        var config: ContainerConfig
        var running = false
        var exitCode = 0
        var restartCount = 0
        /// `restartContainer` calls (Docker counts only its restart policy's in `RestartCount`).
        var restartRequests = 0
        var created: Int64
        var imageID: String
    }

    private struct State {
        var containers: [String: Container] = [:]
        var images: [String: ImageInspect] = [:]
        var networks: [String: NetworkInspect] = [:]
        var logs: [String: [String]] = [:]
        var subscribers: [Int: AsyncThrowingStream<[UInt8], any Error>.Continuation] = [:]
        var nextSubscriber = 0
        var clock: Int64 = 1_800_000_000
        /// What a registry would serve, by reference: the digest its pull gets, and a gate it waits at.
        var served: [String: (repoDigest: String, gate: PullGate?)] = [:]
        var pulls = 0
    }

    private let state = NIOLockedValueBox(State())

    /// `images` are present from the start (as tags: `:latest` is added where none is given).
    public init(images: [String] = ["dtma-test/busybox:latest", "dtma-test/mcp-python:latest"]) {
        for image in images { addImage(image) }
    }

    /// An image the engine has, optionally exposing ports (`"8000/tcp"`).
    public func addImage(_ reference: String, exposedPorts: [String] = []) {
        let tag = ImageReference(parsing: reference)?.description ?? reference
        let inspect: ImageInspect = Self.decode([
            "Id": "sha256:" + Self.hexID(), "RepoTags": [tag],
            "Config": ["ExposedPorts": Dictionary(uniqueKeysWithValues: exposedPorts.map { ($0, [String: String]()) })],
        ])
        state.withLockedValue { $0.images[tag] = inspect }
    }

    /// Lines the container `id` has written to stdout, as `logs` answers them.
    public func appendLog(_ id: String, _ lines: [String]) {
        state.withLockedValue { $0.logs[id, default: []].append(contentsOf: lines) }
    }

    public var containerCount: Int { state.withLockedValue { $0.containers.count } }

    /// How often the container `id` was restarted through the API.
    public func restartRequests(_ id: String) -> Int {
        state.withLockedValue { state in Self.find(id, in: state)?.restartRequests ?? 0 }
    }

    /// The container's process ends on its own with `code`, as a crash does (a `die` event follows).
    public func exit(_ id: String, code: Int) throws {
        let (container, _) = try change(id) { container in (container.running, container.exitCode) = (false, code) }
        publish("die", container.id, attributes: ["exitCode": String(code)])
    }

    // MARK: System

    public func version() async throws -> EngineVersion {
        Self.decode(["Version": "28.0.0-inmemory", "ApiVersion": "1.41", "Os": "linux", "Arch": "amd64"])
    }

    public func info() async throws -> EngineInfo {
        let count = state.withLockedValue { $0.containers.count }
        return Self.decode([
            "Containers": count, "ContainersRunning": 0, "ContainersPaused": 0, "ContainersStopped": count, "Images": 0,
            "ServerVersion": "28.0.0-inmemory", "Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]],
        ])
    }

    public func shutdown() {
        let subscribers = state.withLockedValue { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        subscribers.forEach { $0.finish() }
    }

    // MARK: Containers

    public func listContainers(all: Bool, filters: [String: [String]], size: Bool) async throws -> [ContainerSummary] {
        let containers = state.withLockedValue { Array($0.containers.values) }.sorted { $0.created > $1.created }
        return containers.filter { container in
            (all || container.running) && Self.matches(container, filters)
        }.map { container in
            Self.decode([
                "Id": container.id, "Names": ["/" + container.name], "Image": container.config.image,
                "Created": container.created, "State": container.running ? "running" : "exited",
                "Status": container.running ? "Up" : "Exited (\(container.exitCode))", "Labels": container.config.labels ?? [:],
                "SizeRw": size ? 0 : nil as Int?,
            ] as [String: Any?])
        }
    }

    public func inspectContainer(_ id: String) async throws -> ContainerInspect {
        guard let container = state.withLockedValue({ state in Self.find(id, in: state) }) else {
            throw DockerEngineError.notFound(message: "No such container: \(id)")
        }
        return Self.inspect(container)
    }

    public func createContainer(name: String?, config: ContainerConfig) async throws -> ContainerCreated {
        let image = ImageReference(parsing: config.image)?.description ?? config.image
        let id = try state.withLockedValue { state -> String in
            guard let imageID = (state.images[image] ?? state.images.values.first { $0.id == image })?.id else {
                throw DockerEngineError.notFound(message: "No such image: \(image)")
            }
            let name = name ?? "tool_\(state.containers.count)"
            guard !state.containers.values.contains(where: { $0.name == name }) else {
                throw DockerEngineError.nameConflict(message: "Conflict. The container name \"/\(name)\" is already in use")
            }
            state.clock += 1
            let id = Self.hexID()
            state.containers[id] = Container(id: id, name: name, config: config, created: state.clock, imageID: imageID)
            return id
        }
        publish("create", id)
        return Self.decode(["Id": id, "Warnings": [String]()])
    }

    public func startContainer(_ id: String) async throws -> Bool {
        let (container, changed) = try change(id) { container in
            defer { container.running = true }
            return !container.running
        }
        if changed { publish("start", container.id) }
        return changed
    }

    public func stopContainer(_ id: String, timeoutSeconds: Int?) async throws -> Bool {
        let (container, changed) = try change(id) { container in
            defer { (container.running, container.exitCode) = (false, 143) }
            return container.running
        }
        if changed { publish("die", container.id, attributes: ["exitCode": "143"]) }
        return changed
    }

    public func restartContainer(_ id: String, timeoutSeconds: Int?) async throws {
        let (container, _) = try change(id) { container in
            container.running = true
            container.restartRequests += 1
        }
        publish("restart", container.id)
    }

    public func removeContainer(_ id: String, force: Bool, volumes: Bool) async throws {
        let removed = try state.withLockedValue { state -> Container in
            guard let container = Self.find(id, in: state) else { throw DockerEngineError.notFound(message: "No such container: \(id)") }
            guard force || !container.running else {
                throw DockerEngineError.conflict(message: "cannot remove container \"/\(container.name)\": container is running")
            }
            state.containers[container.id] = nil
            state.logs[container.id] = nil
            return container
        }
        publish("destroy", removed.id)
    }

    public func containerLogs(_ id: String, options: LogsOptions) async throws -> DockerOutputFrameStream {
        guard let container = state.withLockedValue({ Self.find(id, in: $0) }) else {
            throw DockerEngineError.notFound(message: "No such container: \(id)")
        }
        var lines = state.withLockedValue { $0.logs[container.id] ?? [] }
        if let tail = options.tail { lines = Array(lines.suffix(tail)) }
        let stamp = options.timestamps ? "2026-12-01T00:00:00.000000000Z " : ""
        let chunks = AsyncThrowingStream<[UInt8], any Error> { continuation in
            // Docker's frames: stream 1 (stdout), 3 bytes of zeros, the payload's length big-endian.
            for line in lines {
                let payload = Array((stamp + line + "\n").utf8)
                let length = UInt32(payload.count)
                continuation.yield([1, 0, 0, 0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + payload)
            }
            continuation.finish()
        }
        return DockerOutputFrameStream(bytes: EngineByteStream(chunks: chunks), raw: false)
    }

    public func attachContainer(_ id: String, stdin: Bool, stdout: Bool, stderr: Bool, logs: Bool, containerHasTTY: Bool) async throws
        -> DockerHijackedStream
    {
        throw DockerEngineError.invalidArgument("the in-memory engine runs no process to attach to")
    }

    public func events(since: Int64?, until: Int64?, filters: [String: [String]]) async throws -> JSONLineStream<EngineEvent> {
        let (chunks, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self)
        let key = state.withLockedValue { state in
            defer { state.nextSubscriber += 1 }
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        continuation.onTermination = { [state] _ in state.withLockedValue { _ = $0.subscribers.removeValue(forKey: key) } }
        return JSONLineStream(bytes: EngineByteStream(chunks: chunks))
    }

    // MARK: Images and networks

    public func inspectImage(_ reference: String) async throws -> ImageInspect {
        let tag = ImageReference(parsing: reference)?.description ?? reference
        guard let image = state.withLockedValue({ state in state.images[tag] ?? state.images.values.first { $0.id == reference } }) else {
            throw DockerEngineError.notFound(message: "No such image: \(tag)")
        }
        return image
    }

    /// A registry serves `reference`: its pull reports a layer, waits at `gate` (when given) and
    /// leaves the image with `repoDigest` (`name@sha256:…`) in its `RepoDigests`.
    public func serve(_ reference: String, repoDigest: String, gate: PullGate? = nil) {
        let tag = ImageReference(parsing: reference)?.description ?? reference
        state.withLockedValue { $0.served[tag] = (repoDigest, gate) }
    }

    /// Pulls the engine started (joined pulls are one).
    public var pullCount: Int { state.withLockedValue { $0.pulls } }

    public func pullImage(_ reference: String, auth: RegistryAuth?, onProgress: (PullProgress) -> Void) async throws {
        let tag = ImageReference(parsing: reference)?.description ?? reference
        guard let served = state.withLockedValue({ state -> (repoDigest: String, gate: PullGate?)? in
            state.pulls += 1
            return state.served[tag]
        }) else {
            throw DockerEngineError.streamError(message: "pull access denied for \(reference): the in-memory engine has no registry")
        }
        onProgress(PullProgress(status: "Pulling from \(reference)", id: "latest"))
        onProgress(PullProgress(status: "Downloading", id: "layer-1"))
        await served.gate?.wait()
        onProgress(PullProgress(status: "Pull complete", id: "layer-1"))
        addImage(reference)
        state.withLockedValue { state in
            if let image = state.images[tag] {
                state.images[tag] = Self.decode(["Id": image.id, "RepoTags": [tag], "RepoDigests": [served.repoDigest], "Config": [String: String]()])
            }
        }
    }

    public func createNetwork(_ config: NetworkConfig) async throws -> String {
        try state.withLockedValue { state in
            guard state.networks[config.name] == nil else { throw DockerEngineError.conflict(message: "network with name \(config.name) already exists") }
            let id = Self.hexID()
            state.networks[config.name] = Self.decode([
                "Id": id, "Name": config.name, "Driver": config.driver ?? "bridge", "Labels": config.labels ?? [:],
                "Options": config.options ?? [:], "Containers": [String: String](),
            ])
            return id
        }
    }

    public func inspectNetwork(_ id: String) async throws -> NetworkInspect {
        guard let network = state.withLockedValue({ state in state.networks[id] ?? state.networks.values.first { $0.id == id } }) else {
            throw DockerEngineError.notFound(message: "network \(id) not found")
        }
        return network
    }

    public func removeNetwork(_ id: String) async throws {
        state.withLockedValue { state in state.networks = state.networks.filter { $0.key != id && $0.value.id != id } }
    }

    // MARK: Helpers

    private func change<Result>(_ id: String, _ body: (inout Container) -> Result) throws -> (Container, Result) {
        try state.withLockedValue { state in
            guard var container = Self.find(id, in: state) else { throw DockerEngineError.notFound(message: "No such container: \(id)") }
            let result = body(&container)
            state.containers[container.id] = container
            return (container, result)
        }
    }

    private func publish(_ action: String, _ id: String, attributes: [String: String] = [:]) {
        let (subscribers, labels, time) = state.withLockedValue { state in
            state.clock += 1
            return (Array(state.subscribers.values), state.containers[id]?.config.labels ?? [:], state.clock)
        }
        let event: [String: Any] = [
            "Type": "container", "Action": action, "time": time,
            "Actor": ["ID": id, "Attributes": labels.merging(attributes) { _, new in new }],
        ]
        guard let line = try? JSONSerialization.data(withJSONObject: event) else { return }
        for subscriber in subscribers { subscriber.yield(Array(line) + [0x0A]) }
    }

    /// By full ID or exact name: no ID prefixes (dtma never relies on them).
    private static func find(_ reference: String, in state: State) -> Container? {
        state.containers[reference] ?? state.containers.values.first { $0.name == reference || "/" + $0.name == reference }
    }

    /// The filters dtma sends: `label` (`key=value` or `key`) and `name` (`^/name$`).
    private static func matches(_ container: Container, _ filters: [String: [String]]) -> Bool {
        let labels = container.config.labels ?? [:]
        for label in filters["label"] ?? [] {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard let value = labels[parts[0]], parts.count == 1 || value == parts[1] else { return false }
        }
        for pattern in filters["name"] ?? [] {
            let name = pattern.replacingOccurrences(of: "\\.", with: ".").trimmingPrefix("^/").trimmingSuffix("$")
            guard container.name == name else { return false }
        }
        return true
    }

    private static func inspect(_ container: Container) -> ContainerInspect {
        let config = container.config
        let host = (try? JSONSerialization.jsonObject(with: try JSONEncoder().encode(config.hostConfig ?? HostConfig()))) ?? [:]
        return decode([
            "Id": container.id, "Name": "/" + container.name, "Created": "2026-12-01T00:00:00Z",
            "Image": container.imageID, "RestartCount": container.restartCount,
            "State": [
                "Status": container.running ? "running" : (container.exitCode == 0 && !container.running ? "created" : "exited"),
                "Running": container.running, "Paused": false, "Restarting": false, "OOMKilled": false, "Dead": false,
                "Pid": container.running ? 4242 : 0, "ExitCode": container.exitCode,
                "StartedAt": "2026-12-01T00:00:01Z", "FinishedAt": "0001-01-01T00:00:00Z",
            ],
            "Config": [
                "Image": config.image, "Labels": config.labels ?? [:], "Env": config.env ?? [], "Cmd": config.cmd ?? [],
                "Tty": false, "OpenStdin": config.openStdin ?? false,
            ],
            "HostConfig": host,
            "NetworkSettings": [
                "Ports": [String: String](),
                "Networks": [config.hostConfig?.networkMode ?? "bridge": ["NetworkID": "n", "IPAddress": "10.99.0.2"]],
            ],
        ])
    }

    /// 64 hex characters, as engine IDs are.
    static func hexID() -> String {
        (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func decode<Value: Decodable>(_ json: [String: Any?]) -> Value {
        let object = json.compactMapValues { $0 }
        // swiftlint:disable:next force_try
        return try! JSONDecoder().decode(Value.self, from: try! JSONSerialization.data(withJSONObject: object))
    }
}

extension String {
    fileprivate func trimmingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

/// Holds pulls (or anything) until `open()`.
public final class PullGate: Sendable {
    private let inside = NIOLockedValueBox<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    public var waiting: Int { inside.withLockedValue { $0.waiters.count } }

    public func wait() async {
        await withCheckedContinuation { continuation in
            let now = inside.withLockedValue { inside in
                if inside.open { return true }
                inside.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    public func open() {
        let waiters = inside.withLockedValue { inside in
            inside.open = true
            defer { inside.waiters = [] }
            return inside.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
