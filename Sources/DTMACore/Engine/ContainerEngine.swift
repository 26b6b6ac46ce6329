import DockerEngine

/// What dtma needs of a container engine: `DockerEngineClient` for the real one, an in-memory
/// engine in the tests of everything that does not need a real one (validation, auth, the API's
/// limits, state), so that those run without dockerd and in parallel.
public protocol ContainerEngine: Sendable {
    func version() async throws -> EngineVersion
    func info() async throws -> EngineInfo

    func listContainers(all: Bool, filters: [String: [String]], size: Bool) async throws -> [ContainerSummary]
    func inspectContainer(_ id: String) async throws -> ContainerInspect
    func createContainer(name: String?, config: ContainerConfig) async throws -> ContainerCreated
    /// False when it was already running.
    @discardableResult func startContainer(_ id: String) async throws -> Bool
    /// False when it was already stopped.
    @discardableResult func stopContainer(_ id: String, timeoutSeconds: Int?) async throws -> Bool
    func restartContainer(_ id: String, timeoutSeconds: Int?) async throws
    func removeContainer(_ id: String, force: Bool, volumes: Bool) async throws

    func containerLogs(_ id: String, options: LogsOptions) async throws -> DockerOutputFrameStream
    func attachContainer(_ id: String, stdin: Bool, stdout: Bool, stderr: Bool, logs: Bool, containerHasTTY: Bool) async throws
        -> DockerHijackedStream
    func events(since: Int64?, until: Int64?, filters: [String: [String]]) async throws -> JSONLineStream<EngineEvent>

    func inspectImage(_ reference: String) async throws -> ImageInspect
    func pullImage(_ reference: String, auth: RegistryAuth?, onProgress: (PullProgress) -> Void) async throws

    func createNetwork(_ config: NetworkConfig) async throws -> String
    func inspectNetwork(_ id: String) async throws -> NetworkInspect
    func removeNetwork(_ id: String) async throws

    /// Closes what the engine holds (connections); the engine answers nothing after.
    func shutdown()
}

extension DockerEngineClient: ContainerEngine {}

/// The defaults the engine client's own methods have.
extension ContainerEngine {
    public func listContainers(all: Bool = true, filters: [String: [String]] = [:]) async throws -> [ContainerSummary] {
        try await listContainers(all: all, filters: filters, size: false)
    }

    public func removeContainer(_ id: String, force: Bool = false) async throws {
        try await removeContainer(id, force: force, volumes: false)
    }

    public func events(since: Int64? = nil, filters: [String: [String]] = [:]) async throws -> JSONLineStream<EngineEvent> {
        try await events(since: since, until: nil, filters: filters)
    }

    public func attachContainer(_ id: String, stdin: Bool, stdout: Bool, stderr: Bool) async throws -> DockerHijackedStream {
        try await attachContainer(id, stdin: stdin, stdout: stdout, stderr: stderr, logs: false, containerHasTTY: false)
    }

    public func pullImage(_ reference: String, onProgress: (PullProgress) -> Void) async throws {
        try await pullImage(reference, auth: nil, onProgress: onProgress)
    }
}
