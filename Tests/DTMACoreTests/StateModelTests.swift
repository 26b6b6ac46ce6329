@testable import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import MCPProbe
import Testing

/// A labelled container as the engine describes it, created in memory from a validated spec.
func labelledContainer(_ engine: InMemoryEngine, name: String, probe: [String: Any]? = nil, running: Bool = true) async throws -> ContainerInspect {
    var changes: [String: Any] = ["instanceNameOnToolbox": name, "dockerImageUrl": "dtma-test/busybox:latest"]
    if let probe { changes["probe"] = probe }
    let spec = try validate(deployBody(changes, host: ["PortBindings": [String: Any]()]))
    let id = try await engine.createContainer(name: name, config: ContainerPlan.containerConfig(for: spec, dtmaVersion: "test")).id
    if running { try await engine.startContainer(id) }
    return try await engine.inspectContainer(id)
}

@Suite("State model: changes as values")
struct StateModelTests {
    static let unhealthy = MCPProbeResult(verdict: .unhealthy, latencyMilliseconds: 1, error: "no answer")
    static let healthy = MCPProbeResult(verdict: .healthy, latencyMilliseconds: 1)
    static var stdioProbe: [String: Any] { ["transport": "stdio", "failureThreshold": 1, "successThreshold": 1, "action": "report"] }

    @Test("a stop on request is one change: stopping, and its exit reads as stopped, not as a crash")
    func stopOnRequest() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        let container = try await labelledContainer(engine, name: "stopper")
        state.apply(.inspected(container))
        state.apply(.stopRequested(instance: "stopper"))
        #expect(state.tool("stopper")?.statusOnToolbox == .stopping)
        _ = try await engine.stopContainer(container.id, timeoutSeconds: 1)
        state.apply(.inspected(try await engine.inspectContainer(container.id)))
        state.apply(.operation(instance: "stopper", nil))
        state.apply(.exited(containerID: container.id, code: 143, oomKilled: false, finishedAt: "t1"))
        #expect(state.tool("stopper")?.statusOnToolbox == .stopped)
        #expect(state.tool("stopper")?.crash == nil)
    }

    @Test("a probe's result is dropped when it is about an older container; a current one returns the events it made")
    func probeResults() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        let container = try await labelledContainer(engine, name: "probed", probe: Self.stdioProbe)
        state.apply(.inspected(container))
        #expect(state.tool("probed")?.statusOnToolbox == .starting, "probed, no verdict yet")
        #expect(state.apply(.probed(instance: "probed", containerID: "an-older-container", Self.healthy)).isEmpty)
        #expect(state.tool("probed")?.health == nil)

        let events = state.apply(.probed(instance: "probed", containerID: container.id, Self.healthy))
        #expect(events.map(\.event) == ["healthy"])
        #expect(events.first?.statusOnToolbox == .running)
        #expect(state.apply(.probed(instance: "probed", containerID: container.id, Self.healthy)).isEmpty, "no change, no event")
        #expect(state.apply(.probed(instance: "probed", containerID: container.id, Self.unhealthy)).map(\.event) == ["unhealthy"])
        #expect(state.tool("probed")?.statusOnToolbox == .errorRuntime)
    }

    @Test("a container gone while an operation creates its tool leaves the tool; a relist keeps only what it saw")
    func goneAndRelisted() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        let busy = try await labelledContainer(engine, name: "busy")
        let idle = try await labelledContainer(engine, name: "idle")
        let vanished = try await labelledContainer(engine, name: "vanished")
        for container in [busy, idle, vanished] { state.apply(.inspected(container)) }
        state.apply(.operation(instance: "busy", .creating))
        state.apply(.containerGone(containerID: busy.id))
        #expect(state.tool("busy")?.containerID == nil)
        #expect(state.tool("busy")?.statusOnToolbox == .deploying)
        state.apply(.containerGone(containerID: idle.id))
        #expect(state.tool("idle") == nil)

        state.apply(.relisted(containerIDs: []))
        #expect(state.snapshot().tools.map(\.instanceName) == ["busy"], "an operation's tool stays through a relist")
    }

    @Test("subscribers learn which tools changed: all at first, then changes coalesced while they are busy")
    func subscriptions() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        state.apply(.inspected(try await labelledContainer(engine, name: "first")))
        let changes = state.toolChanges()
        var iterator = changes.makeAsyncIterator()
        #expect(await iterator.next() == ["first"])

        let second = try await labelledContainer(engine, name: "second")
        state.apply(.inspected(second))
        state.apply(.operation(instance: "first", .stopping))
        state.apply(.operation(instance: "first", nil))
        state.apply(.engine(reachable: true, version: "27.0"))  // no tool changed
        #expect(await iterator.next() == ["first", "second"])

        changes.recheck(["second"])
        #expect(await iterator.next() == ["second"])

        let waiting = Task { await changes.next() }
        waiting.cancel()
        #expect(await waiting.value == nil, "cancelling the subscriber's task ends the iteration")
    }
}

@Suite("The /status document")
struct StatusDocumentTests {
    @Test("reads back as it was written: the CLI decodes the server's one shape")
    func roundTrip() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        let container = try await labelledContainer(engine, name: "shown", probe: StateModelTests.stdioProbe)
        state.apply(.inspected(container))
        state.apply(.probed(instance: "shown", containerID: container.id, StateModelTests.unhealthy))
        state.apply(.engine(reachable: true, version: "27.0"))
        let config = try DTMAConfig.load(environment: ["BACKEND_TO_DTMA_API_KEY": String(repeating: "k", count: 32)], envFile: nil, legacyFile: nil)
        let written = try JSONEncoder().encode(StatusDocument(snapshot: state.snapshot(), config: config, version: "1.2.3"))
        let read = try JSONDecoder().decode(StatusDocument.self, from: written)
        let tool = try #require(read.toolInstances.first)
        #expect(tool.statusOnToolbox == .errorRuntime)
        #expect(tool.details.health?.state == .unhealthy)
        #expect(tool.details.health?.lastError == "no answer")
        #expect(tool.details.containerID == container.id)
        #expect(read.engine.version == "27.0")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(read) == encoder.encode(JSONDecoder().decode(StatusDocument.self, from: written)))
        let object = try #require(try JSONSerialization.jsonObject(with: written) as? [String: Any])
        let first = try #require((object["tool_instances"] as? [[String: Any]])?.first)
        #expect(first["status_on_toolbox"] as? String == "error_runtime")
        #expect(first["container_id"] as? String == container.id, "one flat object: the details beside the identity")
    }
}

@Suite("The heartbeat body")
struct HeartbeatBodyTests {
    @Test("every tool in the contract's shape: its id from the labels, status_on_toolbox, details in runtime_details")
    func shape() async throws {
        let engine = InMemoryEngine()
        let state = StateModel()
        let running = try await labelledContainer(engine, name: "beating")
        let crashed = try await labelledContainer(engine, name: "fallen")
        try engine.exit(crashed.id, code: 3)
        state.apply(.inspected(running))
        state.apply(.inspected(try await engine.inspectContainer(crashed.id)))
        let body = try HeartbeatReport.body(state.snapshot(), sequence: 4, status: "running", dtmaVersion: "1.2.3")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["dtma_version"] as? String == "1.2.3")
        #expect(object["sequence"] as? Int == 4)
        let tools = try #require(object["tool_statuses"] as? [[String: Any]])
        #expect(tools.map { $0["instance_name_on_toolbox"] as? String } == ["beating", "fallen"])
        #expect(tools.map { $0["status_on_toolbox"] as? String } == ["running", "error_runtime"])
        #expect(tools.allSatisfy { ($0["account_tool_instance_id"] as? String)?.isEmpty == false })
        let details = try #require(tools.last?["runtime_details"] as? [String: Any])
        #expect(details["exit_code"] as? Int == 3)
        #expect((details["health"] as? [String: Any])?["state"] as? String == "crashed")
    }
}
