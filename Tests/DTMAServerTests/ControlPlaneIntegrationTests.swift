import DTMATestSupport
import DTMACore
import DockerEngine
import Foundation
import Testing

@Suite("dtma with a control plane: secrets and heartbeats", .requiresEngine, .serialized)
struct ControlPlaneIntegrationTests {
    static func environment(_ fixture: ControlPlaneFixture) -> [String: String] {
        [
            "AGENTOPIA_API_BASE_URL": fixture.baseURL, "DTMA_BEARER_TOKEN": ControlPlaneFixture.token,
            "DTMA_CONTROL_PLANE_CA_FILE": fixture.caFile, "DTMA_HEARTBEAT_INTERVAL_SECONDS": "0.5",
        ]
    }

    @Test("a tool's secrets reach its container and nothing else: no answer, no status, no log line")
    func secretsStayInTheContainer() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        let secret = "s3cr3t-\(UUID().uuidString)"
        try fixture.setSecrets(["API_TOKEN": secret, "UNSET_ONE": nil])
        let logs = LogCapture()
        try await withLiveDTMA(environment: Self.environment(fixture), logs: logs) { dtma, tag in
            let name = "secret-\(tag)"
            let deployed = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["API_TOKEN=placeholder", "MODE=x"]))
            #expect(deployed.status == 201)
            let containerID = try #require(deployed.data["container_id"] as? String)
            let env = try await dtma.engine.inspectContainer(containerID).config.env ?? []
            #expect(env.contains("API_TOKEN=\(secret)"), "the control plane's value wins")
            #expect(!env.contains("API_TOKEN=placeholder"))
            #expect(env.contains("MODE=x"))
            #expect(!env.contains { $0.hasPrefix("UNSET_ONE=") }, "null means not set")
            #expect(fixture.requests(path: "/fetch-tool-secrets").first?.json["tool_instance_db_id"] as? String == "id-\(name)")

            let again = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["API_TOKEN=placeholder", "MODE=x"]))
            #expect(again.status == 200, "same request and same secrets adopt")
            // The spec hash is a label: it holds the secrets' names, never their values.
            let labels = try await dtma.engine.inspectContainer(containerID).config.labels ?? [:]
            var spec = try DeployRequest.decode(Array(contractDeploy(name: name, tag: tag, env: ["API_TOKEN=placeholder", "MODE=x"]).utf8)).validated()
            spec.secretNames = ["API_TOKEN"]
            #expect(labels["dtma.spec-hash"] == spec.specHash, "the hash of the request and the secret's name alone")
            #expect(!labels.values.contains { $0.contains(secret) })
            try fixture.setSecrets(["API_TOKEN": "rotated-\(secret)"])
            let rotated = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["API_TOKEN=placeholder", "MODE=x"]))
            #expect(rotated.status == 200, "a rotated secret is the same spec: adopted, not a 409")
            let status = try await dtma.call("GET", "/status")
            #expect(try await eventually { fixture.requests(path: "/heartbeat").count >= 2 })
            for text in [deployed.body, again.body, status.body].map({ String(decoding: $0, as: UTF8.self) }) + logs.all
                + fixture.requests(path: "/heartbeat").map(\.body)
            {
                #expect(!text.contains(secret))
            }
            #expect(!logs.all.isEmpty, "the log capture works")
        }
    }

    @Test("a credentials refresh keeps the container when no value changed, and recreates it, same settings, when one did")
    func credentialsRefresh() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        let secret = "first-\(UUID().uuidString)"
        try fixture.setSecrets(["API_TOKEN": secret])
        let logs = LogCapture()
        try await withLiveDTMA(environment: Self.environment(fixture), logs: logs) { dtma, tag in
            let name = "refresh-\(tag)"
            let deployed = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["MODE=x"], script: "echo started; sleep 600"))
            let firstID = try #require(deployed.data["container_id"] as? String)
            let before = try await dtma.engine.inspectContainer(firstID)

            let unchanged = try await dtma.call("POST", "/mcp/credentials/refresh/\(name)")
            #expect(unchanged.status == 200 && unchanged.data["recreated"] as? Bool == false)
            #expect(try await dtma.engine.inspectContainer(name).id == firstID, "kept")

            try fixture.setSecrets(["API_TOKEN": "rotated-\(secret)", "NEW_ONE": "n"])
            let changed = try await dtma.call("POST", "/mcp/credentials/refresh/\(name)")
            #expect(changed.status == 200 && changed.data["status"] as? String == "recreated")
            #expect(changed.data["changedSecrets"] as? [String] == ["API_TOKEN"] && changed.data["newSecrets"] as? [String] == ["NEW_ONE"])
            let after = try await dtma.engine.inspectContainer(name)
            #expect(after.id != firstID && after.state.running)
            await #expect(throws: DockerEngineError.self) { try await dtma.engine.inspectContainer(firstID) }
            #expect(after.config.env?.contains("API_TOKEN=rotated-\(secret)") == true && after.config.env?.contains("MODE=x") == true)
            #expect(after.config.labels == before.config.labels, "the same tool: labels and spec hash kept")
            #expect(after.config.cmd == before.config.cmd && after.hostConfig == before.hostConfig, "the same settings")
            #expect(try await eventually { dtma.state.tool(name)?.containerID == after.id })
            for text in [unchanged.body, changed.body].map({ String(decoding: $0, as: UTF8.self) }) + logs.all {
                #expect(!text.contains(secret))
            }
            #expect(try await dtma.call("POST", "/mcp/credentials/refresh/nobody").status == 404)
        }
    }

    @Test("a failed secret fetch fails the deploy with a clear error and creates nothing")
    func secretsUnavailable() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        try await fixture.setMode("error")
        try await withLiveDTMA(environment: Self.environment(fixture)) { dtma, tag in
            let answer = try await dtma.call("POST", "/tools", json: contractDeploy(name: "nosecret-\(tag)", tag: tag))
            #expect(answer.status == 502)
            #expect(answer.code == "secrets_unavailable")
            #expect((answer.json["error"] as? String)?.contains("HTTP 500") == true)
            #expect(try await testContainers(dtma.engine, tag: tag).isEmpty)
        }
    }

    @Test("heartbeats carry the contract's fields, each tool's status, a growing sequence; outcomes show in /status")
    func heartbeats() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        try await withLiveDTMA(environment: Self.environment(fixture)) { dtma, tag in
            let name = "beat-\(tag)"
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag)).status == 201)
            #expect(try await eventually {
                let tools = fixture.requests(path: "/heartbeat").last?.json["tool_statuses"] as? [[String: Any]] ?? []
                return tools.contains { $0["instance_name_on_toolbox"] as? String == name && $0["status_on_toolbox"] as? String == "running" }
            })
            let beats = fixture.requests(path: "/heartbeat")
            #expect(beats.allSatisfy { $0.authorization == "Bearer \(ControlPlaneFixture.token)" })
            let sequences = beats.compactMap { $0.json["sequence"] as? Int }
            #expect(sequences == Array(1...sequences.count))
            let last = try #require(beats.last?.json)
            #expect(last["dtma_version"] as? String == "test")
            #expect(last["status"] as? String == "running")
            let system = try #require(last["system_status"] as? [String: Any])
            #expect(system["cpu_load_percent"] is Double || system["cpu_load_percent"] is Int)
            #expect((system["memory"] as? [String: Any])?["total_bytes"] is Int)
            #expect((system["disk"] as? [String: Any])?["mount"] as? String == "/")
            let tool = try #require((last["tool_statuses"] as? [[String: Any]])?.first { $0["instance_name_on_toolbox"] as? String == name })
            #expect(tool["account_tool_instance_id"] as? String == "id-\(name)")
            #expect(tool["status_on_toolbox"] as? String == "running")
            #expect((tool["runtime_details"] as? [String: Any])?["container_id"] is String)

            try await fixture.setMode("error")
            #expect(try await eventually {
                let heartbeat = try await dtma.call("GET", "/status").json["heartbeat"] as? [String: Any]
                return (heartbeat?["consecutive_failures"] as? Int ?? 0) >= 1 && (heartbeat?["last_error"] as? String)?.contains("500") == true
            })
            try await fixture.setMode("ok")
            #expect(try await eventually(seconds: 15) {
                (try await dtma.call("GET", "/status").json["heartbeat"] as? [String: Any])?["consecutive_failures"] as? Int == 0
            })
        }
        let final = fixture.requests(path: "/heartbeat").last?.json
        #expect(final?["status"] as? String == "stopping", "graceful shutdown sends a last beat")
    }
}
