import DockerEngine
import Logging

/// Deploys, starts, stops and removes tools. Every operation on one instance runs alone; a repeated
/// operation is harmless (deploying the same spec adopts, starting a running tool succeeds, …).
/// Containers are found by name and trusted only through their labels, never through memory.
public final class ToolManager: Sendable {
    public struct DeployOutcome: Sendable {
        /// False when an identical deploy was already there and was adopted.
        public var created: Bool
        public var container: ContainerInspect
    }

    let engine: any ContainerEngine
    let state: StateModel
    let logger: Logger
    let dtmaVersion: String
    /// Seconds between SIGTERM and SIGKILL when stopping a tool.
    let stopTimeoutSeconds: Int
    /// The control plane's secrets for a tool instance (name → value, nil for unset); nil when
    /// dtma has no control plane configured.
    public typealias SecretsSource = @Sendable (_ toolInstanceID: String) async throws -> [String: String?]
    let secrets: SecretsSource?
    private let locks = InstanceLocks()
    /// The tools network is checked (and made) by one caller at a time.
    private let networkLock = InstanceLocks()
    /// One engine pull per image, whoever asks.
    public let pulls: ImagePulls

    public init(
        engine: any ContainerEngine, state: StateModel, dtmaVersion: String, stopTimeoutSeconds: Int = 10,
        secrets: SecretsSource? = nil, logger: Logger
    ) {
        self.engine = engine
        self.state = state
        self.dtmaVersion = dtmaVersion
        self.stopTimeoutSeconds = stopTimeoutSeconds
        self.secrets = secrets
        self.logger = logger
        pulls = ImagePulls(engine: engine, state: state)
    }

    public func deploy(_ spec: ToolSpec) async throws -> DeployOutcome {
        var spec = spec
        let secrets = try await secretValues(for: spec)
        // Their names count towards the spec (a new secret is a new spec), their values never: the
        // hash is a label anyone who can list containers reads, and a rotated value is the same spec.
        spec.secretNames = secrets.isEmpty ? nil : secrets.keys.sorted()
        return try await locks.withLock(spec.instanceName) { [spec] in
            try await self.deployLocked(spec, secrets: secrets)
        }
    }

    /// The control plane's secrets for this tool (they win over the request's environment), by
    /// name. A failed fetch fails the deploy before anything is created.
    private func secretValues(for spec: ToolSpec) async throws -> [String: String] {
        try await secretValues(toolID: spec.accountToolInstanceId, instance: spec.instanceName)
    }

    private func secretValues(toolID: String, instance: String) async throws -> [String: String] {
        guard let secrets else { return [:] }
        let fetched: [String: String?]
        do {
            fetched = try await secrets(toolID)
        } catch {
            throw ToolError.secretsUnavailable(instance: instance, reason: "\(error)")
        }
        var values: [String: String] = [:]
        for (name, value) in fetched {
            guard let value else { continue }
            guard NameRules.isEnvironmentName(Substring(name)), !value.utf8.contains(0) else {
                logger.warning("skipping a secret whose name is not an environment variable name", metadata: ["instance": "\(instance)"])
                continue
            }
            values[name] = value
        }
        return values
    }

    public func start(_ instance: String) async throws -> ContainerInspect {
        try await locks.withLock(instance) {
            let id = try await self.managedContainer(instance).id
            self.state.apply(.operation(instance: instance, .starting))
            defer { self.state.apply(.operation(instance: instance, nil)) }
            try await self.engineCall { try await self.engine.startContainer(id) }
            return try await self.refresh(id)
        }
    }

    public func stop(_ instance: String) async throws -> ContainerInspect {
        try await locks.withLock(instance) {
            let id = try await self.managedContainer(instance).id
            self.state.apply(.stopRequested(instance: instance))
            defer { self.state.apply(.operation(instance: instance, nil)) }
            try await self.engineCall { try await self.engine.stopContainer(id, timeoutSeconds: self.stopTimeoutSeconds) }
            return try await self.refresh(id)
        }
    }

    /// Restarts the tool's container (the probe action `restart`); its health starts over.
    /// `expectedContainerID` guards against restarting a container that was replaced meanwhile.
    func restart(_ instance: String, expectedContainerID: String) async throws {
        _ = try await restart(instance, as: .recoveryRestartBegan(instance: instance), expecting: expectedContainerID)
    }

    /// Restarts a tool on request (`POST /mcp/servers/{name}/restart`); its health starts over.
    public func restart(_ instance: String) async throws -> ContainerInspect? {
        try await restart(instance, as: .restartRequested(instance: instance), expecting: nil)
    }

    /// Nil when the container is not the one `expecting` names.
    private func restart(_ instance: String, as change: StateChange, expecting: String?) async throws -> ContainerInspect? {
        try await locks.withLock(instance) {
            let id = try await self.managedContainer(instance).id
            guard expecting == nil || id == expecting else { return nil }
            self.state.apply(change)
            defer { self.state.apply(.operation(instance: instance, nil)) }
            try await self.engineCall { try await self.engine.restartContainer(id, timeoutSeconds: self.stopTimeoutSeconds) }
            return try await self.refresh(id)
        }
    }

    public func remove(_ instance: String) async throws {
        try await locks.withLock(instance) {
            let id = try await self.managedContainer(instance).id
            self.state.apply(.operation(instance: instance, .removing))
            do {
                try await self.engineCall { try await self.engine.removeContainer(id, force: true, volumes: true) }
            } catch ToolError.engine(.notFound) {
                // Gone already: the goal is reached.
            } catch {
                self.state.apply(.operation(instance: instance, nil, detail: "\(error)"))
                throw error
            }
            self.state.apply(.forgotten(instance: instance))
            self.logger.info("tool removed", metadata: ["instance": "\(instance)", "container": "\(id.prefix(12))"])
        }
    }

    /// What refreshing a tool's secrets did (names only: values are never shown).
    public struct CredentialsRefresh: Sendable, Equatable {
        /// Secrets whose value changed: the container was recreated with the new values.
        public var changed: [String] = []
        /// Secrets the control plane has that the container never had: a redeploy adds them
        /// (they are part of the spec, as names).
        public var added: [String] = []
        public var recreated: Bool { !changed.isEmpty }
    }

    /// Fetches the tool's secrets again (`POST /mcp/credentials/refresh/{name}`) and recreates its
    /// container, with the same settings, only when a value changed. Should the new container not
    /// start, the old settings are put back, and the failure is reported.
    public func refreshCredentials(_ instance: String) async throws -> CredentialsRefresh {
        guard secrets != nil else { throw ToolError.noControlPlane }
        return try await locks.withLock(instance) {
            let container = try await self.managedContainer(instance)
            let toolID = ContainerLabels.identity(container.config.labels)?.accountToolInstanceId ?? ""
            let fetched = try await self.secretValues(toolID: toolID, instance: instance)
            var current: [String: String] = [:]
            for entry in container.config.env ?? [] {
                guard let equals = entry.firstIndex(of: "=") else { continue }
                current[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            }
            var refresh = CredentialsRefresh()
            refresh.changed = fetched.filter { current[$0.key] != nil && current[$0.key] != $0.value }.keys.sorted()
            refresh.added = fetched.keys.filter { current[$0] == nil }.sorted()
            guard refresh.recreated else { return refresh }
            let env = (container.config.env ?? []).map { entry in
                guard let equals = entry.firstIndex(of: "="), let value = fetched[String(entry[..<equals])] else { return entry }
                return "\(entry[..<equals])=\(value)"
            }
            try await self.recreate(container, env: env)
            self.logger.info("recreated with refreshed secrets", metadata: ["instance": "\(instance)", "secrets": "\(refresh.changed.joined(separator: ","))"])
            return refresh
        }
    }

    /// Replaces the container by one with the same settings and `env`; on a failure to create or
    /// start it, by one with its old environment again.
    private func recreate(_ old: ContainerInspect, env: [String]) async throws {
        func config(_ env: [String]?) -> ContainerConfig {
            var config = ContainerConfig(image: old.config.image ?? old.image)
            config.env = env
            config.cmd = old.config.cmd
            config.entrypoint = old.config.entrypoint
            config.workingDir = old.config.workingDir.flatMap { $0.isEmpty ? nil : $0 }
            config.user = old.config.user.flatMap { $0.isEmpty ? nil : $0 }
            config.labels = old.config.labels
            config.exposedPorts = old.config.exposedPorts
            config.openStdin = old.config.openStdin
            config.stdinOnce = old.config.stdinOnce
            config.attachStdin = old.config.attachStdin
            config.hostConfig = old.hostConfig
            return config
        }
        let name = String(old.name.drop { $0 == "/" })
        state.apply(.operation(instance: name, .creating, detail: "recreating with refreshed secrets"))
        defer { state.apply(.operation(instance: name, nil)) }
        try await engineCall { try await self.engine.removeContainer(old.id, force: true, volumes: false) }
        do {
            let id = try await engine.createContainer(name: name, config: config(env)).id
            do {
                try await engine.startContainer(id)
            } catch {
                try? await engine.removeContainer(id, force: true, volumes: true)
                throw error
            }
            _ = try await refresh(id)
        } catch {
            let id = try await engineCall { try await self.engine.createContainer(name: name, config: config(old.config.env)).id }
            _ = try? await engine.startContainer(id)
            _ = try? await refresh(id)
            throw Self.toolError(error)
        }
    }

    /// What removing a group did: the servers removed, and why any other could not be.
    public struct GroupRemoval: Sendable, Equatable {
        public var removed: [String] = []
        public var errors: [String: String] = [:]
    }

    /// Removes every server of a group, found by its label in the engine (not in memory), then the
    /// group's network. `force` kills them at once; otherwise each has `gracefulTimeoutSeconds` to
    /// stop after SIGTERM. A group nothing carries the label of is `groupNotFound`.
    public func removeGroup(_ groupID: String, force: Bool, gracefulTimeoutSeconds: Int) async throws -> GroupRemoval {
        let members = try await engineCall { try await self.engine.listContainers(all: true, filters: ContainerLabels.groupFilter(groupID)) }
        let network = try? await engine.inspectNetwork(ToolNetwork.groupNetworkName(groupID))
        guard !members.isEmpty || network?.labels?[ContainerLabels.group] == groupID else { throw ToolError.groupNotFound(group: groupID) }
        var removal = GroupRemoval()
        for member in members {
            let instance = member.labels?[ContainerLabels.instance] ?? member.names.first.map { String($0.drop { $0 == "/" }) } ?? member.id
            do {
                try await locks.withLock(instance) {
                    self.state.apply(.operation(instance: instance, .removing))
                    if !force, member.state == "running" {
                        self.state.apply(.stopRequested(instance: instance))
                        _ = try? await self.engine.stopContainer(member.id, timeoutSeconds: gracefulTimeoutSeconds)
                    }
                    do {
                        try await self.engine.removeContainer(member.id, force: true, volumes: true)
                    } catch DockerEngineError.notFound {}
                    self.state.apply(.forgotten(instance: instance))
                }
                removal.removed.append(instance)
            } catch {
                state.apply(.operation(instance: instance, nil, detail: "\(error)"))
                removal.errors[instance] = "\(Self.toolError(error))"
            }
        }
        if removal.errors.isEmpty, network != nil {
            do {
                try await ToolNetwork.removeGroup(engine, groupID: groupID)
            } catch {
                removal.errors["network"] = "cannot remove the network \(ToolNetwork.groupNetworkName(groupID)): \(Self.toolError(error))"
            }
        }
        logger.info("group removed", metadata: ["group": "\(groupID)", "servers": "\(removal.removed.count)", "errors": "\(removal.errors.count)"])
        return removal
    }

    /// Rebuilds the state from the engine: every labelled container, and nothing else.
    public func adoptExisting() async throws {
        do {
            try await ensureToolNetwork()
        } catch let error as ToolError {
            logger.error("\(error)")
        }
        let summaries = try await engineCall { try await self.engine.listContainers(all: true, filters: ContainerLabels.managedFilter) }
        var seen = Set<String>()
        for summary in summaries {
            guard let inspect = try? await engine.inspectContainer(summary.id) else { continue }
            state.apply(.inspected(inspect))
            seen.insert(inspect.id)
        }
        state.apply(.relisted(containerIDs: seen))
    }

    // MARK: Deploy

    private func deployLocked(_ spec: ToolSpec, secrets: [String: String]) async throws -> DeployOutcome {
        let taken = state.hostPortsInUse(excluding: spec.instanceName)
        if let clash = spec.hostPorts.first(where: { taken[$0] != nil }) {
            throw ToolError.portConflict(port: clash.description, heldBy: taken[clash])
        }
        if let existing = try await existingContainer(spec.instanceName) {
            // What the image decides is part of the spec: read from the image the container runs.
            let image = try await engineCall { try await self.engine.inspectImage(existing.image) }
            return try await adopt(existing, for: try Self.resolved(spec, image: image))
        }
        state.apply(.deployBegan(spec))
        do {
            let image = try await ensureImage(spec)
            var spec = try Self.resolved(spec, image: image)
            spec.imageDigest = ImageDigest.resolved(spec.image, repoDigests: image.repoDigests)
            if let pinned = ImageDigest.pinned(spec.image), spec.imageDigest != pinned {
                throw ToolError.imageDigestMismatch(image: spec.image, found: spec.imageDigest)
            }
            // Each time (one inspect): a network someone removed by hand is back before the create.
            try await ensureNetwork(for: spec)
            state.apply(.operation(instance: spec.instanceName, .creating))
            let config = ContainerPlan.containerConfig(for: spec, secrets: secrets, dtmaVersion: dtmaVersion)
            let id: String
            do {
                id = try await engine.createContainer(name: spec.instanceName, config: config).id
            } catch let error as DockerEngineError where spec.resources.diskBytes != nil && Self.engineWords(error).contains("storage-opt") {
                throw ToolError.diskLimitUnsupported(driver: await storageDriver())
            } catch DockerEngineError.nameConflict {
                // Someone created it between our look and our create: decide on what is there now.
                guard let existing = try await existingContainer(spec.instanceName) else { throw ToolError.nameTaken(instance: spec.instanceName) }
                state.apply(.operation(instance: spec.instanceName, nil))
                return try await adopt(existing, for: spec)
            }
            state.apply(.operation(instance: spec.instanceName, .starting))
            do {
                try await engine.startContainer(id)
            } catch let error as DockerEngineError {
                // A container that cannot start is removed again: a failed deploy leaves nothing behind.
                try? await engine.removeContainer(id, force: true)
                throw Self.startFailure(error, spec: spec)
            }
            let inspect = try await refresh(id)
            state.apply(.operation(instance: spec.instanceName, nil))
            logger.info("tool deployed", metadata: ["instance": "\(spec.instanceName)", "container": "\(id.prefix(12))", "image": "\(spec.image)"])
            return DeployOutcome(created: true, container: inspect)
        } catch {
            state.apply(.forgotten(instance: spec.instanceName))
            throw Self.toolError(error)
        }
    }

    /// The same spec adopts (and starts, if needed) what is there; another spec is a conflict.
    private func adopt(_ existing: ContainerInspect, for spec: ToolSpec) async throws -> DeployOutcome {
        guard let identity = ContainerLabels.identity(existing.config.labels), identity.instanceName == spec.instanceName else {
            throw ToolError.nameTaken(instance: spec.instanceName)
        }
        guard identity.specHash == spec.specHash else { throw ToolError.specConflict(instance: spec.instanceName) }
        if !existing.state.running {
            try await engineCall { try await self.engine.startContainer(existing.id) }
        }
        return DeployOutcome(created: false, container: try await refresh(existing.id))
    }

    /// The spec with what its request left to the image decided (`ProbeSettings.resolved`).
    static func resolved(_ spec: ToolSpec, image: ImageInspect) throws -> ToolSpec {
        var spec = spec
        do {
            spec.probe = try spec.probe?.resolved(imageExposes: Array((image.config?.exposedPorts ?? [:]).keys))
        } catch {
            throw ToolError.invalidSpec(error)
        }
        return spec
    }

    /// Pulls the spec's image unless the engine has it (a group fetches a waiting server's image early).
    public func ensureImagePresent(_ spec: ToolSpec) async throws {
        _ = try await ensureImage(spec)
    }

    /// Whether the engine has the image; nil when it cannot be asked.
    public func imagePresent(_ image: String) async -> Bool? {
        do {
            _ = try await engine.inspectImage(image)
            return true
        } catch DockerEngineError.notFound {
            return false
        } catch {
            return nil
        }
    }

    /// The image, pulled first when the engine does not have it.
    private func ensureImage(_ spec: ToolSpec) async throws -> ImageInspect {
        do {
            return try await engine.inspectImage(spec.image)
        } catch DockerEngineError.notFound {}
        logger.info("pulling image", metadata: ["instance": "\(spec.instanceName)", "image": "\(spec.image)"])
        try await pull(spec.image, listener: { [state] progress in
            let line = [progress.id, progress.status].compactMap { $0 }.joined(separator: ": ")
            state.apply(.operation(instance: spec.instanceName, .pulling, detail: line))
        })
        return try await engineCall { try await self.engine.inspectImage(spec.image) }
    }

    /// Pulls `image` (or joins its pull under way), with the engine's errors as `ToolError`s.
    public func pull(_ image: String, joined: @Sendable () -> Void = {}, listener: ImagePulls.Listener? = nil) async throws {
        do {
            try await pulls.pull(image, joined: joined, listener: listener)
        } catch let error as DockerEngineError {
            switch error {
            case .unreachable, .connectionLost, .clientShutDown: throw ToolError.engine(error)
            // The engine answers 404 when the registry has no such manifest (an unknown tag or digest).
            case .notFound: throw ToolError.imageNotFound(image: image, reason: Self.engineWords(error))
            case .streamError(let message) where message.contains("manifest unknown"):
                throw ToolError.imageNotFound(image: image, reason: message)
            default: throw ToolError.imagePullFailed(image: image, reason: Self.engineWords(error))
            }
        }
    }

    /// The registry digest of an image the engine has; nil when no registry served it.
    public func imageDigest(_ image: String) async throws -> String? {
        ImageDigest.resolved(image, repoDigests: try await engineCall { try await self.engine.inspectImage(image) }.repoDigests)
    }

    // MARK: Helpers

    /// `overlay2 on extfs`, as the engine names its storage, for an error that depends on it.
    private func storageDriver() async -> String {
        guard let info = try? await engine.info() else { return "unknown" }
        let backing = info.driverStatus?.first { $0.first == "Backing Filesystem" }?.last
        return [info.storageDriver, backing].compactMap { $0 }.joined(separator: " on ")
    }

    private func ensureToolNetwork() async throws {
        try await networkLock.withLock(ToolNetwork.name) {
            try await ToolNetwork.ensure(self.engine, logger: self.logger)
        }
    }

    private func ensureNetwork(for spec: ToolSpec) async throws {
        guard spec.sharesGroupNetwork == true, let group = spec.group else { return try await ensureToolNetwork() }
        try await networkLock.withLock(spec.networkName) {
            try await ToolNetwork.ensureGroup(self.engine, groupID: group, logger: self.logger)
        }
    }

    /// The container named exactly `instance`, if one exists (dtma's or not). Looked up by name
    /// alone: the engine's inspect also takes an ID prefix, so asking it for `1672ae` could answer
    /// with a foreign container, and an error naming that container would reveal its ID.
    private func existingContainer(_ instance: String) async throws -> ContainerInspect? {
        do {
            // The name filter is a regular expression over `/name`; `.` is the one special character a name may have.
            let pattern = "^/" + instance.map { $0 == "." ? "\\." : String($0) }.joined() + "$"
            let named = try await engine.listContainers(all: true, filters: ["name": [pattern]])
            guard let match = named.first(where: { $0.names.contains("/" + instance) }) else { return nil }
            return try await engine.inspectContainer(match.id)
        } catch DockerEngineError.notFound {
            return nil  // removed between the list and the inspect
        } catch let error as DockerEngineError {
            throw ToolError.engine(error)
        }
    }

    /// The container named `instance`, provided its labels say it is dtma's tool of that name.
    /// A name no tool can have is not looked up: `.` or `..` would reach another engine route.
    func managedContainer(_ instance: String) async throws -> ContainerInspect {
        guard NameRules.isInstanceName(instance), let container = try await existingContainer(instance),
            ContainerLabels.identity(container.config.labels)?.instanceName == instance
        else { throw ToolError.notManaged(instance: instance) }
        return container
    }

    private func refresh(_ id: String) async throws -> ContainerInspect {
        let inspect = try await engineCall { try await self.engine.inspectContainer(id) }
        state.apply(.inspected(inspect))
        return inspect
    }

    @discardableResult
    func engineCall<Result>(_ call: () async throws -> Result) async throws -> Result {
        do {
            return try await call()
        } catch let error as DockerEngineError {
            throw ToolError.engine(error)
        }
    }

    private static func startFailure(_ error: DockerEngineError, spec: ToolSpec) -> ToolError {
        let words = engineWords(error)
        if words.contains("port is already allocated") || words.contains("address already in use") {
            return .portConflict(port: spec.hostPorts.map(\.description).sorted().joined(separator: ", "), heldBy: nil)
        }
        return .engine(error)
    }

    private static func toolError(_ error: any Error) -> any Error {
        if let engineError = error as? DockerEngineError { return ToolError.engine(engineError) }
        return error
    }

    /// The engine's own message without our prefix.
    static func engineWords(_ error: DockerEngineError) -> String {
        switch error {
        case .notFound(let message), .nameConflict(let message), .conflict(let message), .badRequest(let message),
            .streamError(let message), .engineError(_, let message):
            return message
        default:
            return error.description
        }
    }
}
