import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import JSONScanning
import MCPProbe
import Testing

/// The control plane's second-generation routes over real HTTP, against an in-memory engine.
@Suite("MCP routes")
struct MCPRoutesTests {
    /// A server as `mcp-server-manager` sends it, unprobed so that it is up once it runs.
    static func server(_ name: String, image: String = "dtma-test/busybox", extra: String = "") -> String {
        #"{"accountToolInstanceId":"id-\#(name)","instanceNameOnToolbox":"\#(name)","dockerImageUrl":"\#(image)","mcpServerCapabilities":{"tools":{}},"mcpDiscoveryMetadata":{},"baseConfigOverrideJson":{"Cmd":["sleep","600"]},"probe":{"transport":"none"}\#(extra)}"#
    }

    static func group(_ id: String, _ servers: [String], options: String = #"{"sharedNetworking":false,"maxConcurrentDeployments":1}"#) -> String {
        #"{"groupId":"\#(id)","servers":[\#(servers.joined(separator: ","))],"options":\#(options)}"#
    }

    @Test("a group deploys (201), shows in /mcp/status and /mcp/health, and is removed; an unknown group is 404")
    func groupLifecycle() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let deployed = try await dtma.call("POST", "/mcp/groups", json: Self.group("agent-42-mcp", [Self.server("time-42")]))
            #expect(deployed.status == 201)
            #expect(deployed.json["success"] as? Bool == true)
            #expect(deployed.data["successfulDeployments"] as? Int == 1 && deployed.data["totalServers"] as? Int == 1)
            let server = try #require((deployed.data["deployedServers"] as? [[String: Any]])?.first)
            #expect(server["instanceName"] as? String == "time-42" && server["groupId"] as? String == "agent-42-mcp")

            let status = try await dtma.call("GET", "/mcp/status")
            let groups = try #require(status.data["groups"] as? [[String: Any]])
            #expect(groups.map { $0["groupId"] as? String } == ["agent-42-mcp"] && groups.first?["state"] as? String == "healthy")
            #expect(try await dtma.call("GET", "/mcp/status", authorization: "").status == 401, "the original's /mcp/status was open to anyone")
            let tools = try await dtma.call("GET", "/status").json["tool_instances"] as? [[String: Any]] ?? []
            #expect(tools.first?["group_id"] as? String == "agent-42-mcp", "/status (and heartbeats' runtime_details) name the group")

            let health = try await dtma.call("GET", "/mcp/health/agent-42-mcp")
            #expect(health.status == 200 && health.data["state"] as? String == "healthy")
            #expect(try await dtma.call("GET", "/mcp/health/agent-0-mcp").status == 404)

            let removed = try await dtma.call("DELETE", "/mcp/groups/agent-42-mcp?forceRemove=true")
            #expect(removed.status == 200 && removed.data["removedServers"] as? [String] == ["time-42"])
            let again = try await dtma.call("DELETE", "/mcp/groups/agent-42-mcp")
            #expect(again.status == 404 && again.code == "no_such_group")
            #expect(try await dtma.call("DELETE", "/mcp/groups/agent-42-mcp?gracefulTimeoutMs=soon").status == 400)
        }
    }

    @Test("the answer tells the truth: some servers failed is success:false with their errors; none came up is an error status")
    func truthfulAnswers() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let some = try await dtma.call(
                "POST", "/mcp/groups", json: Self.group("g-some", [Self.server("ok-1"), Self.server("gone-1", image: "dtma-test/absent")]))
            #expect(some.status == 200 && some.json["success"] as? Bool == false && some.code == "group_degraded")
            #expect(some.data["successfulDeployments"] as? Int == 1)
            let errors = try #require(some.data["errors"] as? [String: String])
            #expect(errors.keys.sorted() == ["gone-1"] && errors["gone-1"]?.contains("cannot pull dtma-test/absent") == true)

            let none = try await dtma.call("POST", "/mcp/groups", json: Self.group("g-none", [Self.server("gone-2", image: "dtma-test/absent")]))
            #expect(none.status == 502 && none.code == "group_failed" && none.data["successfulDeployments"] as? Int == 0)

            let invalid = try await dtma.call("POST", "/mcp/groups", json: Self.group("g-bad", [Self.server("ok-2"), Self.server("x")]))
            #expect(invalid.status == 400 && invalid.json["field"] as? String == "servers[1].instanceNameOnToolbox")
            #expect(try await dtma.call("GET", "/mcp/health/g-bad").status == 404, "a refused group creates nothing")
        }
    }

    @Test("restart on request: 200, then 429 with Retry-After inside the cool-down; an unknown server is 404")
    func restart() async throws {
        let engine = InMemoryEngine()
        try await withLiveDTMA(engine: engine) { dtma, _ in
            #expect(try await dtma.call("POST", "/mcp/groups", json: Self.group("g-r", [Self.server("restarted")])).status == 201)
            let first = try await dtma.call("POST", "/mcp/servers/restarted/restart")
            #expect(first.status == 200)
            let id = try await engine.inspectContainer("restarted").id
            #expect(engine.restartRequests(id) == 1)
            let second = try await dtma.call("POST", "/mcp/servers/restarted/restart")
            #expect(second.status == 429 && second.code == "restart_cooling_down")
            #expect(Int(second.headers["Retry-After"] ?? "") ?? 0 > 0)
            #expect(engine.restartRequests(id) == 1)
            #expect(try await dtma.call("POST", "/mcp/servers/nobody/restart").status == 404)
            let refresh = try await dtma.call("POST", "/mcp/credentials/refresh/restarted")
            #expect(refresh.status == 409 && refresh.code == "no_control_plane")
        }
    }

    @Test("logs are the container's real lines, the newest `tail` of them")
    func logs() async throws {
        let engine = InMemoryEngine()
        try await withLiveDTMA(engine: engine) { dtma, _ in
            #expect(try await dtma.call("POST", "/mcp/groups", json: Self.group("g-l", [Self.server("talker")])).status == 201)
            engine.appendLog(try await engine.inspectContainer("talker").id, ["one", "two", "three"])
            let answer = try await dtma.call("GET", "/mcp/servers/talker/logs?tail=2")
            #expect(answer.status == 200)
            #expect(answer.data["instanceName"] as? String == "talker" && answer.data["logs"] as? String == "two\nthree")
            #expect(try await dtma.call("GET", "/mcp/servers/talker/logs?tail=lots").status == 400)
            #expect(try await dtma.call("GET", "/mcp/servers/nobody/logs").status == 404)
        }
    }

    @Test("validate is a dry run of the deploy validator, with whether the image is here; nothing is created")
    func validate() async throws {
        let engine = InMemoryEngine()
        try await withLiveDTMA(engine: engine) { dtma, _ in
            let body = #"{"servers":[\#(Self.server("here")),\#(Self.server("absent", image: "dtma-test/absent")),\#(Self.server("bad", extra: #","resourceTemplate":"huge""#))]}"#
            let answer = try await dtma.call("POST", "/mcp/validate", json: body)
            #expect(answer.status == 200 && answer.data["valid"] as? Bool == false)
            let results = try #require(answer.data["results"] as? [[String: Any]])
            #expect(results.map { $0["valid"] as? Bool } == [true, true, false])
            #expect(results.map { $0["imagePresent"] as? Bool } == [true, false, nil])
            let problem = try #require((results[2]["errors"] as? [[String: Any]])?.first)
            #expect(problem["field"] as? String == "servers[2].resourceTemplate")
            #expect(answer.data["summary"] as? [String: Int] == ["total": 3, "valid": 2, "invalid": 1])
            #expect(engine.containerCount == 0)
            #expect(try await dtma.call("POST", "/mcp/validate", json: #"{"servers":[],"Privileged":true}"#).status == 400)
        }
    }

    @Test("templates are listed and applied by resourceTemplate (memory and CPU shares on the container)")
    func templates() async throws {
        let engine = InMemoryEngine()
        try await withLiveDTMA(engine: engine) { dtma, _ in
            let listed = try await dtma.call("GET", "/mcp/templates")
            let templates = try #require(listed.data["templates"] as? [[String: Any]])
            #expect(templates.map { $0["name"] as? String } == ["standard", "high-performance", "minimal"])
            #expect(templates.first?["memoryMB"] as? Int == 512 && templates.first?["cpuShares"] as? Int == 1024)

            let body = #"{"dockerImageUrl":"dtma-test/busybox","instanceNameOnToolbox":"small","accountToolInstanceId":"t","resourceTemplate":"minimal","probe":{"transport":"none"}}"#
            #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
            let host = try #require(try await engine.inspectContainer("small").hostConfig)
            #expect(host.memory == 128 << 20 && host.cpuShares == 512)
        }
    }

    @Test("the tools with their schemas once a probe listed them (409 before, and for an unprobed server); their hash in /status and /mcp/status")
    func toolInventory() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            func deploy(_ name: String, probe: String) -> String {
                #"{"accountToolInstanceId":"id-\#(name)","instanceNameOnToolbox":"\#(name)","dockerImageUrl":"dtma-test/busybox","baseConfigOverrideJson":{"Cmd":["sleep","600"]},"probe":\#(probe)}"#
            }
            #expect(try await dtma.call("POST", "/tools", json: deploy("inv-1", probe: #"{"transport":"stdio","initialDelaySeconds":300}"#)).status == 201)
            #expect(try await dtma.call("POST", "/tools", json: deploy("inv-2", probe: #"{"transport":"none"}"#)).status == 201)
            let early = try await dtma.call("GET", "/mcp/servers/inv-1/tools")
            #expect(early.status == 409 && early.code == "tools_not_listed", "\(early.json)")
            let unprobed = try await dtma.call("GET", "/mcp/servers/inv-2/tools")
            #expect(unprobed.json["error"] as? String == "the tools of inv-2 are not known: it is not probed", "\(unprobed.json)")
            #expect(try await dtma.call("GET", "/mcp/servers/nobody/tools").status == 404)

            let schema = JSONValue.object(["type": .string("object"), "properties": .object(["timezone": .object(["type": .string("string")])])])
            let tool = try #require(MCPToolDefinition(.object(["name": .string("get_current_time"), "inputSchema": schema])))
            let containerID = try #require(dtma.state.tool("inv-1")?.containerID)
            dtma.state.apply(.probed(instance: "inv-1", containerID: containerID, MCPProbeResult(
                verdict: .healthy, latencyMilliseconds: 2, era: .legacy, protocolVersion: "2025-06-18", serverName: "mcp-time",
                capabilities: .object(["tools": .object([:])]), tools: [tool])))

            let listed = try await dtma.call("GET", "/mcp/servers/inv-1/tools")
            #expect(listed.status == 200)
            let tools = try #require(listed.data["tools"] as? [[String: Any]])
            #expect(tools.map { $0["name"] as? String } == ["get_current_time"])
            let listedSchema = (tools.first?["schema"] as? [String: Any])?["inputSchema"] as? [String: Any]
            #expect(((listedSchema?["properties"] as? [String: Any])?["timezone"] as? [String: Any])?["type"] as? String == "string")
            #expect((tools.first?["schemaHash"] as? String)?.count == 64)
            let hash = try #require(listed.data["toolsHash"] as? String)

            let status = try await dtma.call("GET", "/status").json["tool_instances"] as? [[String: Any]] ?? []
            let entry = status.first { $0["instance_name_on_toolbox"] as? String == "inv-1" }?["health"] as? [String: Any]
            #expect(entry?["tools_hash"] as? String == hash && entry?["tool_names"] as? [String] == ["get_current_time"])
            #expect(entry?["protocol_version"] as? String == "2025-06-18")
            let servers = try await dtma.call("GET", "/mcp/status").data["servers"] as? [[String: Any]] ?? []
            let server = servers.first { $0["instanceName"] as? String == "inv-1" }
            #expect(server?["toolsHash"] as? String == hash && server?["serverName"] as? String == "mcp-time")
            #expect((server?["capabilities"] as? [String: Any])?["tools"] != nil)
        }
    }

    @Test("an unknown /mcp path is 404 listing the routes there are, behind the key like every route")
    func unknownPath() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let answer = try await dtma.call("GET", "/mcp/servers/x/nothing")
            #expect(answer.status == 404 && answer.json["error"] as? String == "MCP endpoint not found")
            let listed = try #require(answer.json["availableEndpoints"] as? [String])
            #expect(listed.contains("POST /mcp/groups") && listed.contains("GET /mcp/status"))
            #expect(try await dtma.call("GET", "/mcp/anything", authorization: "").status == 401)
            #expect(try await dtma.call("GET", "/nothing").json["availableEndpoints"] == nil)
        }
    }
}
