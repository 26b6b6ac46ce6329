extension DockerEngineClient {
    /// `GET /containers/json`; `filters` as the engine takes them, e.g. `["label": ["dtma.managed=true"]]`.
    /// With `size`, the engine measures each container's writable layer (`SizeRw`): slow, so seldom.
    public func listContainers(all: Bool = true, filters: [String: [String]] = [:], size: Bool = false) async throws -> [ContainerSummary] {
        var query: EngineQuery = [("all", all ? "1" : "0")]
        if size { query.add("size", true) }
        query.add("filters", filters: filters)
        return try decode([ContainerSummary].self, from: try await send("GET", "/containers/json", query: query))
    }

    /// `GET /containers/{id}/json`; an ID, an ID prefix or a name.
    public func inspectContainer(_ id: String) async throws -> ContainerInspect {
        try decode(ContainerInspect.self, from: try await send("GET", "/containers/\(pathSegment(id))/json"))
    }

    /// `POST /containers/create`. A taken name is `DockerEngineError.nameConflict`.
    public func createContainer(name: String?, config: ContainerConfig) async throws -> ContainerCreated {
        let query: EngineQuery = [("name", name)]
        do {
            let response = try await send("POST", "/containers/create", query: query, body: try encode(config))
            return try decode(ContainerCreated.self, from: response)
        } catch DockerEngineError.conflict(let message) {
            throw DockerEngineError.nameConflict(message: message)
        }
    }

    /// `POST /containers/{id}/start`. Returns false when it was already running (304).
    @discardableResult
    public func startContainer(_ id: String) async throws -> Bool {
        try await send("POST", "/containers/\(pathSegment(id))/start").status != 304
    }

    /// `POST /containers/{id}/stop`: SIGTERM (or the container's stop signal), SIGKILL after
    /// `timeoutSeconds`. Returns false when it was already stopped (304).
    @discardableResult
    public func stopContainer(_ id: String, timeoutSeconds: Int? = nil) async throws -> Bool {
        let query: EngineQuery = [("t", timeoutSeconds.map(String.init))]
        return try await send(
            "POST", "/containers/\(pathSegment(id))/stop", query: query, timeout: graceTimeout(timeoutSeconds)
        ).status != 304
    }

    /// `POST /containers/{id}/restart`.
    public func restartContainer(_ id: String, timeoutSeconds: Int? = nil) async throws {
        let query: EngineQuery = [("t", timeoutSeconds.map(String.init))]
        _ = try await send(
            "POST", "/containers/\(pathSegment(id))/restart", query: query, timeout: graceTimeout(timeoutSeconds))
    }

    /// `POST /containers/{id}/kill`.
    public func killContainer(_ id: String, signal: String? = nil) async throws {
        let query: EngineQuery = [("signal", signal)]
        _ = try await send("POST", "/containers/\(pathSegment(id))/kill", query: query)
    }

    /// `DELETE /containers/{id}`; `force` kills a running container first, `volumes` removes its anonymous volumes.
    public func removeContainer(_ id: String, force: Bool = false, volumes: Bool = false) async throws {
        var query = EngineQuery()
        query.add("force", force)
        query.add("v", volumes)
        _ = try await send("DELETE", "/containers/\(pathSegment(id))", query: query)
    }

    /// `POST /containers/{id}/wait`: blocks until the condition holds (`not-running`, `next-exit`,
    /// `removed`), on a connection of its own so that it holds no pool slot however long it takes.
    public func waitContainer(_ id: String, condition: String = "not-running") async throws -> ContainerWaitResult {
        let streamed = try await openStream(
            "POST", "/containers/\(pathSegment(id))/wait", query: [("condition", condition)])
        let body: [UInt8]
        do {
            body = try await streamed.collectBody(limit: 65536)
        } catch {
            throw Self.translate(error, operation: "POST /containers/\(id)/wait")
        }
        return try decode(ContainerWaitResult.self, from: .init(head: streamed.head, body: body))
    }

    /// The engine waits `seconds` before it kills; the request must outlive that.
    private func graceTimeout(_ seconds: Int?) -> Duration {
        configuration.requestTimeout + .seconds(max(0, seconds ?? 10))
    }
}
