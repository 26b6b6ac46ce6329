import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

/// Tools run on dtma's own bridge network with inter-container traffic off: one tool cannot open
/// another's MCP port, while dtma's probes (from the host, on the container's address) still work.
@Suite("Tools cannot reach each other", .requiresEngine, .serialized)
struct ToolIsolationTests {
    @Test("a tool cannot connect to another tool's MCP server; the probe of that server, from the host, is healthy")
    func isolated() async throws {
        try await withLiveDTMA { dtma, tag in
            let server = "isolated-server-\(tag)"
            let body = ProbeContainerTests.deployBody(
                name: server, tag: tag, command: ProbeContainerTests.server("streamable-http", "8000"), probe: ["port": 8000])
            let deployed = try await dtma.call("POST", "/tools", json: body)
            #expect(deployed.status == 201)
            _ = try await ProbeContainerTests.waitFor(dtma, server, state: "healthy")
            let serverID = try #require(deployed.data["container_id"] as? String)
            let inspect = try await dtma.engine.inspectContainer(serverID)
            #expect(inspect.networkSettings?.networks?.keys.sorted() == [ToolNetwork.name], "on dtma's network only")
            let address = try #require(inspect.networkSettings?.networks?[ToolNetwork.name]?.ipAddress)

            // The host reaches it (that is how dtma probes and, later, proxies).
            let fromHost = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: address, port: 8000).get()
            try await fromHost.close()

            // Another tool tries the same address, once a second, and says what happened.
            let probeScript = "while true; do if echo | nc -w 2 \(address) 8000 >/dev/null 2>&1; then echo REACHED; else echo BLOCKED; fi; sleep 1; done"
            let prober = "isolated-prober-\(tag)"
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: prober, tag: tag, script: probeScript)).status == 201)
            var lines: [String] = []
            let tried = try await eventually(seconds: 20) {
                let logs = try await dtma.call("GET", "/tools/\(prober)/logs?tail=100&timestamps=false")
                lines = (logs.data["lines"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? String }
                return lines.filter { $0 == "BLOCKED" }.count >= 2
            }
            #expect(tried, "the prober tried twice: \(lines)")
            #expect(!lines.contains("REACHED"), "one tool reached another")

            let network = try await dtma.engine.inspectNetwork(ToolNetwork.name)
            #expect(network.options?["com.docker.network.bridge.enable_icc"] == "false")
        }
    }

    @Test("a tools network that lets containers talk is replaced when nothing is attached, and refuses deploys when something is")
    func repaired() async throws {
        let engine = DockerEngineClient(endpoint: .defaultSocket)
        defer { engine.shutdown() }
        let name = "dtma-test-net-\(UInt32.random(in: 0...UInt32.max))"
        let logger = Logger(label: "test")
        _ = try await engine.createNetwork(NetworkConfig(name: name))
        try await ToolNetwork.ensure(engine, name: name, logger: logger)
        let repaired = try await engine.inspectNetwork(name)
        #expect(repaired.options?["com.docker.network.bridge.enable_icc"] == "false")
        #expect(repaired.labels?["dtma.managed"] == "true")
        try await ToolNetwork.ensure(engine, name: name, logger: logger)
        #expect(try await engine.inspectNetwork(name).id == repaired.id, "a right network is kept")
        try await engine.removeNetwork(repaired.id)

        _ = try await engine.createNetwork(NetworkConfig(name: name))
        var config = ContainerConfig(image: "dtma-test/busybox:latest")
        config.cmd = ["sleep", "600"]
        config.hostConfig = HostConfig()
        config.hostConfig?.networkMode = name
        let attached = try await engine.createContainer(name: name, config: config).id
        try await engine.startContainer(attached)
        await #expect(throws: ToolError.toolNetworkUnsafe(network: name)) { try await ToolNetwork.ensure(engine, name: name, logger: logger) }
        try await engine.removeContainer(attached, force: true)
        try await engine.removeNetwork(name)
    }
}
