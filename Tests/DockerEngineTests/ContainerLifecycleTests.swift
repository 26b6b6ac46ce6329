import DockerEngine
import Testing

@Suite("Engine client: containers against the real engine", .requiresEngine)
struct ContainerLifecycleTests {
    let engine = DockerEngineClient()

    @Test("create, start, stop, restart, kill, wait and remove a container")
    func lifecycle() async throws {
        let tag = uniqueTestTag()
        var config = busyboxConfig("trap 'exit 0' TERM; while true; do sleep 0.2; done", tag: tag)
        config.env = ["DTMA_TEST=1"]
        try await withContainer(engine, config, name: "dtma-test-\(tag)") { id in
            var inspect = try await engine.inspectContainer(id)
            #expect(inspect.state.status == "created")
            #expect(inspect.name == "/dtma-test-\(tag)")
            #expect(inspect.config.labels?[EngineTestEnvironment.testLabel] == tag)
            #expect(inspect.config.env?.contains("DTMA_TEST=1") == true)

            #expect(try await engine.startContainer(id) == true)
            #expect(try await engine.startContainer(id) == false, "starting a running container is a no-op (304)")
            inspect = try await engine.inspectContainer("dtma-test-\(tag)")
            #expect(inspect.state.running)
            #expect(inspect.state.pid > 0)

            let listed = try await engine.listContainers(filters: ["label": ["\(EngineTestEnvironment.testLabel)=\(tag)"]])
            #expect(listed.map(\.id) == [id])
            #expect(listed.first?.name == "dtma-test-\(tag)")
            #expect(listed.first?.state == "running")

            #expect(try await engine.stopContainer(id, timeoutSeconds: 5) == true)
            #expect(try await engine.stopContainer(id, timeoutSeconds: 5) == false, "stopping a stopped container is a no-op")
            inspect = try await engine.inspectContainer(id)
            #expect(!inspect.state.running)
            #expect(inspect.state.exitCode == 0)

            try await engine.restartContainer(id, timeoutSeconds: 1)
            #expect(try await engine.inspectContainer(id).state.running)

            try await engine.killContainer(id, signal: "KILL")
            let waited = try await engine.waitContainer(id)
            #expect(waited.statusCode == 137)

            try await engine.removeContainer(id, volumes: true)
            await #expect(throws: DockerEngineError.self) { try await engine.inspectContainer(id) }
        }
    }

    @Test("a taken name is nameConflict and removing a running container is conflict")
    func conflicts() async throws {
        let tag = uniqueTestTag()
        let config = busyboxConfig("sleep 30", tag: tag)
        try await withContainer(engine, config, name: "dtma-test-\(tag)") { id in
            let error = await #expect(throws: DockerEngineError.self) {
                try await engine.createContainer(name: "dtma-test-\(tag)", config: config)
            }
            guard case .nameConflict(let message) = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(message.contains("already in use"))

            try await engine.startContainer(id)
            let removal = await #expect(throws: DockerEngineError.self) { try await engine.removeContainer(id) }
            #expect(removal?.httpStatus == 409)
            try await engine.removeContainer(id, force: true)
        }
    }

    @Test("a refused create is badRequest with the engine's reason")
    func badRequest() async throws {
        var config = busyboxConfig("true", tag: uniqueTestTag())
        config.hostConfig?.restartPolicy = RestartPolicy(name: "sometimes")
        let error = await #expect(throws: DockerEngineError.self) {
            try await engine.createContainer(name: nil, config: config)
        }
        #expect(error?.httpStatus == 400)
        #expect("\(error!)".contains("sometimes"))
    }

    @Test("a published port comes back in NetworkSettings.Ports")
    func portBinding() async throws {
        let tag = uniqueTestTag()
        var config = busyboxConfig("sleep 30", tag: tag)
        config.exposedPorts = ["8080/tcp": EmptyObject()]
        config.hostConfig?.portBindings = ["8080/tcp": [PortBinding(hostIP: "127.0.0.1", hostPort: "")]]
        config.hostConfig?.capDrop = ["ALL"]
        config.hostConfig?.securityOpt = ["no-new-privileges"]
        config.hostConfig?.pidsLimit = 64
        config.hostConfig?.memory = 64 << 20
        try await withContainer(engine, config) { id in
            try await engine.startContainer(id)
            let inspect = try await engine.inspectContainer(id)
            let binding = try #require(inspect.networkSettings?.ports?["8080/tcp"] ?? nil).first
            #expect(binding?.hostIP == "127.0.0.1")
            #expect(Int(binding?.hostPort ?? "") ?? 0 > 0)
            #expect(inspect.hostConfig?.capDrop == ["ALL"])
            #expect(inspect.hostConfig?.pidsLimit == 64)
        }
    }
}
