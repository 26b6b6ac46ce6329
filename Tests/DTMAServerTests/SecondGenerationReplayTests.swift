import DTMACore
import DTMATestSupport
import Foundation
import Testing

/// The control plane's second generation as `mcp-server-manager` and `mcp-execute` call it, in
/// order, against the real engine: a stdio MCP server (`mcp-server-time`) pulled from the real
/// registry, deployed as a group of one, used through the gateway, restarted, removed.
@Suite("The control plane's second generation, replayed", .requiresEngine, .serialized)
struct SecondGenerationReplayTests {
    static var image: String { "\(ProcessInfo.processInfo.environment["DTMA_TEST_REGISTRY"] ?? "127.0.0.1:5000")/dtma-test/mcp-time:latest" }

    /// A server item as mcp-server-manager builds it from the tool instance's database row.
    static func server(_ name: String, tag: String) -> [String: Any] {
        [
            "accountToolInstanceId": "ati-\(name)", "instanceNameOnToolbox": name, "dockerImageUrl": image,
            "mcpEndpointPath": "/mcp", "mcpTransportType": "stdio",
            "mcpServerCapabilities": ["tools": ["listChanged": false]], "mcpDiscoveryMetadata": ["source": "catalog", "version": "2026.10.19"],
            "baseConfigOverrideJson": ["Labels": ["dtma-test": tag]], "requiredOAuthProviders": [String](),
            "environmentVariables": ["TZ": "UTC"],
        ]
    }

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test("validate, deploy a group of one, status, health, tools, a bare tools/call, logs, restart and its cool-down, templates, remove")
    func replay() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "agent-42-time-\(tag)"
            let group = "agent-42-mcp-\(tag)"
            let server = Self.server(name, tag: tag)
            await RegistryPullTests.forget(Self.image)  // the deploy pulls it (its layers are here: they "already exist")

            let validation = try await dtma.call("POST", "/mcp/validate", json: Self.json(["servers": [server]]))
            #expect(validation.status == 200 && validation.data["valid"] as? Bool == true, "\(validation.json)")

            let started = ContinuousClock.now
            let deployed = try await dtma.call("POST", "/mcp/groups", json: Self.json([
                "groupId": group, "servers": [server], "options": ["sharedNetworking": false, "maxConcurrentDeployments": 1],
            ]))
            let deployTime = ContinuousClock.now - started
            #expect(deployed.status == 201, "\(deployed.json)")
            let answer = try #require((deployed.data["deployedServers"] as? [[String: Any]])?.first)
            #expect(answer["health"] as? String == "healthy" && answer["transport"] as? String == "stdio")
            #expect((answer["toolNames"] as? [String])?.sorted() == ["convert_time", "get_current_time"])
            #expect((answer["imageDigest"] as? String)?.hasPrefix("sha256:") == true, "pulled from the registry: \(answer)")
            #expect(answer["mcpEndpointPath"] as? String == "/mcp/servers/\(name)")
            print("second generation: a stdio server pulled and healthy through POST /mcp/groups in \(deployTime)")

            let status = try await dtma.call("GET", "/mcp/status")
            #expect((status.data["groups"] as? [[String: Any]])?.first { $0["groupId"] as? String == group }?["state"] as? String == "healthy")
            #expect((status.data["endpoints"] as? [String: String])?[name] == "/mcp/servers/\(name)")
            #expect(try await dtma.call("GET", "/mcp/health/\(group)").data["state"] as? String == "healthy")

            let tools = try await dtma.call("GET", "/mcp/servers/\(name)/tools")
            #expect(tools.status == 200 && tools.data["toolsHash"] as? String == answer["toolsHash"] as? String)

            // mcp-execute: a bare tools/call, no initialize, no session, the 2024-11-05 header.
            let call = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_current_time","arguments":{"timezone":"UTC"}}}"#
            let executed = try await dtma.call(
                "POST", "/mcp/servers/\(name)", json: call,
                extraHeaders: [("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2024-11-05")])
            #expect(executed.status == 200)
            #expect(String(decoding: executed.body, as: UTF8.self).contains("UTC"), "\(String(decoding: executed.body, as: UTF8.self))")

            #expect(try await dtma.call("GET", "/mcp/servers/\(name)/logs?tail=50").data["instanceName"] as? String == name)
            #expect(try await dtma.call("POST", "/mcp/servers/\(name)/restart").status == 200)
            let again = try await dtma.call("POST", "/mcp/servers/\(name)/restart")
            #expect(again.status == 429 && again.headers["Retry-After"] != nil)
            _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
            #expect(try await dtma.call("POST", "/mcp/credentials/refresh/\(name)").code == "no_control_plane")
            #expect((try await dtma.call("GET", "/mcp/templates").data["templates"] as? [Any])?.count == 3)

            let removed = try await dtma.call("DELETE", "/mcp/groups/\(group)?forceRemove=true&gracefulTimeoutMs=30000")
            #expect(removed.status == 200 && removed.data["removedServers"] as? [String] == [name])
            #expect(try await dtma.call("GET", "/mcp/health/\(group)").status == 404)
            #expect(try await dtma.call("GET", "/mcp/not-a-route").json["availableEndpoints"] != nil)
        }
    }
}
