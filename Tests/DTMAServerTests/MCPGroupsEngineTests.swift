import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import Testing

/// `POST /mcp/groups` against the real engine, with the SDK's MCP server in real containers.
@Suite("MCP groups against the real engine", .requiresEngine, .serialized)
struct MCPGroupsEngineTests {
    static func fixture(_ name: String, tag: String) -> [String: Any] {
        let body = ProbeContainerTests.deployBody(
            name: name, tag: tag, command: ProbeContainerTests.server("streamable-http", "8000"), probe: ["port": 8000])
        var server = try! JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        server["mcpTransportType"] = "http"
        server["mcpEndpointPath"] = "/mcp"
        server["mcpServerCapabilities"] = ["tools": [:]]
        return server
    }

    static func groupBody(_ id: String, servers: [[String: Any]], options: [String: Any]) -> String {
        let body: [String: Any] = ["groupId": id, "servers": servers, "options": options]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    @Test("a shared-network group in dependency order: all healthy, its servers reach each other by name, and removing it removes its network")
    func sharedGroup() async throws {
        try await withLiveDTMA { dtma, tag in
            let group = "g-\(tag)"
            let (db, api) = ("db-\(tag)", "api-\(tag)")
            // `api` is a client of `db`: it says whether it reaches db's MCP port, by name, each second.
            let client = try JSONSerialization.jsonObject(with: Data(contractDeploy(
                name: api, tag: tag,
                script: "while true; do if echo | nc -w 2 \(db) 8000 >/dev/null 2>&1; then echo REACHED; else echo BLOCKED; fi; sleep 1; done"
            ).utf8)) as! [String: Any]
            let started = ContinuousClock.now
            let answer = try await dtma.call(
                "POST", "/mcp/groups",
                json: Self.groupBody(group, servers: [client, Self.fixture(db, tag: tag)], options: ["sharedNetworking": true, "dependencyOrder": [db, api]]))
            let elapsed = ContinuousClock.now - started
            #expect(answer.status == 201, "\(answer.json)")
            #expect(answer.data["successfulDeployments"] as? Int == 2)
            let dbServer = (answer.data["deployedServers"] as? [[String: Any]])?.first { $0["instanceName"] as? String == db }
            #expect((dbServer?["toolNames"] as? [String])?.sorted() == ["add", "echo"], "\(dbServer ?? [:])")
            #expect((dbServer?["toolsHash"] as? String)?.count == 64 && dbServer?["era"] != nil, "the deploy answer says what the server offers")
            print("group of 2 (db healthy, then api): \(elapsed)")

            let dbStarted = try #require(try await dtma.engine.inspectContainer(db).state.startedAt.flatMap(Self.date))
            let apiStarted = try #require(try await dtma.engine.inspectContainer(api).state.startedAt.flatMap(Self.date))
            #expect(apiStarted > dbStarted, "api started after db (the in-memory suite proves it waits for db to be healthy)")
            let network = ToolNetwork.groupNetworkName(group)
            #expect(try await dtma.engine.inspectContainer(api).networkSettings?.networks?.keys.sorted() == [network])

            var lines: [String] = []
            let reached = try await eventually(seconds: 20) {
                let logs = try await dtma.call("GET", "/mcp/servers/\(api)/logs?tail=20")
                lines = (logs.data["logs"] as? String ?? "").split(separator: "\n").map(String.init)
                return lines.contains("REACHED")
            }
            #expect(reached, "a server of the group reaches another by name: \(lines)")

            let health = try await dtma.call("GET", "/mcp/health/\(group)")
            #expect(health.data["state"] as? String == "healthy")

            let removed = try await dtma.call("DELETE", "/mcp/groups/\(group)?gracefulTimeoutMs=2000")
            #expect(removed.status == 200 && (removed.data["removedServers"] as? [String])?.sorted() == [api, db].sorted())
            await #expect(throws: DockerEngineError.self) { try await dtma.engine.inspectNetwork(network) }
        }
    }

    @Test("a group of three fixture servers in a chain against three deploys one after another, each waited healthy (figures printed)")
    func groupAgainstSequential() async throws {
        try await withLiveDTMA { dtma, tag in
            let names = (1...3).map { "seq\($0)-\(tag)" }
            var started = ContinuousClock.now
            for name in names {
                #expect(try await dtma.call("POST", "/tools", json: ProbeContainerTests.deployBody(
                    name: name, tag: tag, command: ProbeContainerTests.server("streamable-http", "8000"), probe: ["port": 8000])).status == 201)
                _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
            }
            let sequential = ContinuousClock.now - started

            let chain = (1...3).map { "chain\($0)-\(tag)" }
            let independent = (1...3).map { "free\($0)-\(tag)" }
            started = ContinuousClock.now
            let chained = try await dtma.call(
                "POST", "/mcp/groups",
                json: Self.groupBody("c-\(tag)", servers: chain.map { Self.fixture($0, tag: tag) }, options: ["dependencyOrder": chain, "maxConcurrentDeployments": 3]))
            let chainTime = ContinuousClock.now - started
            started = ContinuousClock.now
            let free = try await dtma.call(
                "POST", "/mcp/groups",
                json: Self.groupBody("f-\(tag)", servers: independent.map { Self.fixture($0, tag: tag) }, options: ["maxConcurrentDeployments": 3]))
            let freeTime = ContinuousClock.now - started
            #expect(chained.status == 201 && free.status == 201)
            print("three servers to healthy: one after another \(sequential), a group in a chain \(chainTime), a group without dependencies \(freeTime)")
            for group in ["c-\(tag)", "f-\(tag)"] { _ = try await dtma.call("DELETE", "/mcp/groups/\(group)?forceRemove=true") }
        }
    }

    /// Docker's RFC 3339 time with its nanoseconds (`…:29.123456789Z`), as seconds since 1970.
    static func date(_ text: String) -> Double? {
        let parts = text.dropLast().split(separator: ".")
        guard let whole = try? Date(String(parts[0]) + "Z", strategy: .iso8601) else { return nil }
        return whole.timeIntervalSince1970 + (parts.count > 1 ? Double("0." + parts[1]) ?? 0 : 0)
    }
}
