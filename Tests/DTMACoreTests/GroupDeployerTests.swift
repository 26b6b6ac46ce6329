@testable import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import Logging
import MCPProbe
import Testing

/// `POST /mcp/groups` as logic: validation, dependency order, the concurrency bound, failures
/// that stop dependents, the shared network, against an in-memory engine and a hand-moved clock.
@Suite("MCP groups")
struct GroupDeployerTests {
    static let healthy = MCPProbeResult(verdict: .healthy, latencyMilliseconds: 1)

    static func server(_ name: String, probed: Bool = true, extra: String = "") -> String {
        let probe = probed
            ? #""mcpEndpointPath":"/mcp","mcpTransportType":"http","probe":{"transport":"streamable-http","port":8000,"successThreshold":1}"#
            : #""probe":{"transport":"none"}"#
        return #"{"dockerImageUrl":"dtma-test/busybox","instanceNameOnToolbox":"\#(name)","accountToolInstanceId":"id-\#(name)","mcpServerCapabilities":{"tools":{}},"mcpDiscoveryMetadata":{"source":"catalog"},"requiredOAuthProviders":[],\#(probe)\#(extra)}"#
    }

    static func plan(_ servers: [String], options: String = "{}") throws -> GroupPlan {
        try GroupRequest.decode(Array(#"{"groupId":"agent-7-mcp","servers":[\#(servers.joined(separator: ","))],"options":\#(options)}"#.utf8)).validated()
    }

    struct Rig {
        let engine = InMemoryEngine()
        let state = StateModel()
        let clock = ManualClock()
        var manager: ToolManager { ToolManager(engine: engine, state: state, dtmaVersion: "test", logger: Logger(label: "test")) }

        func created(_ name: String) async -> Bool { (try? await engine.inspectContainer(name)) != nil }

        /// The prober's verdict, as the scheduler would send it.
        func markHealthy(_ name: String) async throws {
            let id = try await engine.inspectContainer(name).id
            state.apply(.probed(instance: name, containerID: id, GroupDeployerTests.healthy))
        }
    }

    @Test("a server in dependencyOrder starts only once the one before it is healthy; all up is every server up")
    func dependencyOrder() async throws {
        let rig = Rig()
        let plan = try Self.plan([Self.server("db"), Self.server("api"), Self.server("free", probed: false)], options: #"{"dependencyOrder":["db","api"]}"#)
        let deployer = GroupDeployer(manager: rig.manager, state: rig.state, clock: rig.clock)
        let deploy = Task { await deployer.deploy(plan) }
        #expect(try await eventually { await rig.created("db") })
        #expect(try await eventually { rig.state.tool("free")?.statusOnToolbox == .running }, "a server nobody orders starts at once")
        #expect(await !rig.created("api"), "api waits for db")
        #expect(try await eventually { rig.state.snapshot().groupDeploys["agent-7-mcp"]?["free"] == "up" })
        let phases = rig.state.snapshot().groupDeploys["agent-7-mcp"]
        #expect(phases?["api"] == "waiting for db" && phases?["db"] == "waiting until healthy", "\(phases ?? [:])")
        try await rig.markHealthy("db")
        #expect(try await eventually { await rig.created("api") })
        try await rig.markHealthy("api")
        let results = await deploy.value
        #expect(results.values.allSatisfy { $0.isUp })
        #expect(rig.state.snapshot().groupDeploys.isEmpty, "the phases go with the deploy")
        let labels = try await rig.engine.inspectContainer("api").config.labels ?? [:]
        #expect(labels[ContainerLabels.group] == "agent-7-mcp", "the group is a label: it survives a restart of dtma")
        #expect(try await rig.engine.inspectContainer("api").hostConfig?.networkMode == ToolNetwork.name, "no shared network unless asked")
    }

    @Test("a server that is not healthy in time fails, and what depends on it is never created")
    func failureStopsDependents() async throws {
        let rig = Rig()
        let plan = try Self.plan([Self.server("db"), Self.server("api")], options: #"{"dependencyOrder":["db","api"],"healthTimeoutMs":5000}"#)
        let deploy = Task { await GroupDeployer(manager: rig.manager, state: rig.state, clock: rig.clock).deploy(plan) }
        #expect(try await eventually { await rig.created("db") && rig.clock.sleeperCount == 1 })
        rig.clock.advance(by: .seconds(5))
        let results = await deploy.value
        guard case .failed(let dbReason) = results["db"], case .failed(let apiReason) = results["api"] else {
            Issue.record("expected both to fail: \(results)")
            return
        }
        #expect(dbReason.contains("not healthy within 5 s"))
        #expect(apiReason.contains("db, which it depends on, did not come up"))
        #expect(await !rig.created("api"))
    }

    @Test("a slow start judged unhealthy is waited for: it comes up before the timeout")
    func slowStart() async throws {
        let rig = Rig()
        let plan = try Self.plan([Self.server("slow")], options: #"{"healthTimeoutMs":5000}"#)
        let deploy = Task { await GroupDeployer(manager: rig.manager, state: rig.state, clock: rig.clock).deploy(plan) }
        #expect(try await eventually { await rig.created("slow") && rig.clock.sleeperCount == 1 })
        try await Self.refuse(rig, "slow")
        #expect(rig.state.tool("slow")?.statusOnToolbox == .errorRuntime)
        try await rig.markHealthy("slow")
        #expect(await deploy.value["slow"]?.isUp == true, "came up after three refusals, the clock never moved")
    }

    @Test("a server still judged unhealthy at the timeout fails with its probe's error")
    func unhealthyAtTimeout() async throws {
        let rig = Rig()
        let plan = try Self.plan([Self.server("never")], options: #"{"healthTimeoutMs":5000}"#)
        let deploy = Task { await GroupDeployer(manager: rig.manager, state: rig.state, clock: rig.clock).deploy(plan) }
        #expect(try await eventually { await rig.created("never") && rig.clock.sleeperCount == 1 })
        try await Self.refuse(rig, "never")
        rig.clock.advance(by: .seconds(5))
        guard case .failed(let reason) = await deploy.value["never"] else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.contains("not healthy within 5 s") && reason.contains("Connection refused"), "\(reason)")
    }

    /// Three probes refused: judged unhealthy (the default threshold) while the container runs.
    static func refuse(_ rig: Rig, _ name: String) async throws {
        let id = try await rig.engine.inspectContainer(name).id
        let refused = MCPProbeResult(verdict: .unhealthy, latencyMilliseconds: 1, error: "Connection refused")
        for _ in 0..<3 { rig.state.apply(.probed(instance: name, containerID: id, refused)) }
    }

    @Test("at most maxConcurrentDeployments servers deploy at once")
    func concurrencyBound() async throws {
        let rig = Rig()
        let plan = try Self.plan(["a1", "a2", "a3"].map { Self.server($0) }, options: #"{"maxConcurrentDeployments":2}"#)
        let deploy = Task { await GroupDeployer(manager: rig.manager, state: rig.state, clock: rig.clock).deploy(plan) }
        #expect(try await eventually { rig.engine.containerCount == 2 && rig.clock.sleeperCount == 2 })
        let first = try #require(await ["a1", "a2", "a3"].asyncFirst { await rig.created($0) })
        #expect(rig.engine.containerCount == 2, "the third waits for a slot")
        try await rig.markHealthy(first)
        #expect(try await eventually { rig.engine.containerCount == 3 })
        for name in ["a1", "a2", "a3"] where name != first { try await rig.markHealthy(name) }
        #expect(await deploy.value.values.allSatisfy { $0.isUp })
    }

    @Test("an exit while starting (a crash, or a stdio server's clean exit) fails the server with its exit code", arguments: [3, 0])
    func exitFails(code: Int) async throws {
        let rig = Rig()
        let plan = try Self.plan([Self.server("crashy")])
        let deploy = Task { await GroupDeployer(manager: rig.manager, state: rig.state, clock: rig.clock).deploy(plan) }
        #expect(try await eventually { await rig.created("crashy") && rig.clock.sleeperCount == 1 })
        // As the engine reports an exit (the in-memory engine shows a clean one as "created").
        var exited = try await rig.engine.inspectContainer("crashy")
        (exited.state.status, exited.state.running, exited.state.exitCode) = (.exited, false, code)
        rig.state.apply(.inspected(exited))
        guard case .failed(let reason) = await deploy.value["crashy"] else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.contains("exited with code \(code)"))
    }

    @Test("sharedNetworking gives the group a network of its own, where its servers reach each other; removing the group removes it")
    func sharedNetwork() async throws {
        let rig = Rig()
        let plan = try Self.plan([Self.server("one", probed: false), Self.server("two", probed: false)], options: #"{"sharedNetworking":true}"#)
        #expect(await GroupDeployer(manager: rig.manager, state: rig.state, clock: rig.clock).deploy(plan).values.allSatisfy { $0.isUp })
        let network = try await rig.engine.inspectNetwork("dtma-group-agent-7-mcp")
        #expect(network.options?["com.docker.network.bridge.enable_icc"] == "true")
        #expect(try await rig.engine.inspectContainer("two").hostConfig?.networkMode == "dtma-group-agent-7-mcp")

        let removal = try await rig.manager.removeGroup("agent-7-mcp", force: true, gracefulTimeoutSeconds: 1)
        #expect(removal.removed.sorted() == ["one", "two"] && removal.errors.isEmpty)
        #expect(rig.engine.containerCount == 0)
        await #expect(throws: DockerEngineError.self) { try await rig.engine.inspectNetwork("dtma-group-agent-7-mcp") }
        await #expect(throws: ToolError.groupNotFound(group: "agent-7-mcp")) {
            try await rig.manager.removeGroup("agent-7-mcp", force: true, gracefulTimeoutSeconds: 1)
        }
    }

    @Test("a group is refused whole, naming the server and field, before anything is created")
    func validation() throws {
        func refusal(_ body: String) -> ToolSpecError? {
            do {
                _ = try GroupRequest.decode(Array(body.utf8)).validated()
                return nil
            } catch { return error }
        }
        let one = Self.server("one")
        #expect(refusal(#"{"servers":[\#(one)]}"#)?.field == "groupId")
        #expect(refusal(#"{"groupId":"g1"}"#)?.field == "servers")
        #expect(refusal(#"{"groupId":"../x","servers":[\#(one)]}"#)?.field == "groupId")
        #expect(refusal(#"{"groupId":"g1","servers":[\#(one),\#(one)]}"#)?.field == "servers[1].instanceNameOnToolbox")
        let badImage = #"{"groupId":"g1","servers":[\#(one),{"instanceNameOnToolbox":"two","accountToolInstanceId":"t","dockerImageUrl":"../x"}]}"#
        #expect(refusal(badImage)?.field == "servers[1].dockerImageUrl")
        #expect(refusal(badImage)?.message.hasPrefix("servers[1] (two): dockerImageUrl") == true)
        #expect(refusal(#"{"groupId":"g1","servers":[\#(one)],"options":{"dependencyOrder":["one","ghost"]}}"#)?.field == "options.dependencyOrder[1]")
        #expect(refusal(#"{"groupId":"g1","servers":[\#(one)],"options":{"maxConcurrentDeployments":0}}"#)?.field == "options.maxConcurrentDeployments")
        #expect(refusal(#"{"groupId":"g1","servers":[\#(one)],"options":{"Privileged":true}}"#)?.field == "options.Privileged")
        #expect(refusal(#"{"groupId":"g1","servers":[\#(Self.server("one", extra: #","privileged":true"#))]}"#)?.field == "servers[0].privileged")
        let many = (0...GroupRequest.maxServers).map { Self.server("s\($0)") }.joined(separator: ",")
        #expect(refusal(#"{"groupId":"g1","servers":[\#(many)]}"#)?.code == .tooLarge)
    }

    @Test("portBindings and environmentVariables join the deploy; resourceTemplate sizes it, explicit figures win")
    func serverItemFields() throws {
        let extra = #","portBindings":{"8000/tcp":[{"HostPort":"31999"}]},"environmentVariables":{"MODE":"fast"},"resourceTemplate":"minimal""#
        let spec = try #require(try Self.plan([Self.server("one", extra: extra)]).servers.first)
        #expect(spec.ports.map(\.hostPort) == [31999])
        #expect(spec.env == ["MODE=fast"])
        #expect(spec.resources.memoryBytes == 128 << 20 && spec.resources.cpuShares == 512)
        let sized = try #require(try Self.plan([Self.server("one", extra: #","resourceTemplate":"high-performance","resources":{"memoryMB":1024}"#)]).servers.first)
        #expect(sized.resources.memoryBytes == 1024 << 20 && sized.resources.cpuShares == 2048)
        #expect(throws: ToolSpecError.self) { try Self.plan([Self.server("one", extra: #","resourceTemplate":"huge""#)]) }
        let body = #"{"dockerImageUrl":"dtma-test/busybox","instanceNameOnToolbox":"one","accountToolInstanceId":"id-one","probe":{"transport":"none"}}"#
        let plain = try DeployRequest.decode(Array(body.utf8)).validated()
        let grouped = try #require(try Self.plan([body]).servers.first)
        #expect(plain.specHash != grouped.specHash, "the group is part of the spec")
    }

    @Test("a restart on request is refused within the cool-down, with the seconds left")
    func restartCooldown() throws {
        let clock = ManualClock()
        let cooldown = RestartCooldown(period: .seconds(30), clock: clock)
        try cooldown.begin("one")
        try cooldown.begin("two")
        clock.advance(by: .seconds(12))
        #expect(throws: ToolError.restartCoolingDown(instance: "one", retryAfterSeconds: 18)) { try cooldown.begin("one") }
        clock.advance(by: .seconds(18))
        try cooldown.begin("one")
    }
}

extension Array where Element: Sendable {
    fileprivate func asyncFirst(where predicate: (Element) async -> Bool) async -> Element? {
        for element in self where await predicate(element) { return element }
        return nil
    }
}
