import DTMATestSupport
import Foundation
import Testing

/// MCP servers deployed the way the control plane deploys them: an image, a name, an id, nothing
/// about how the server speaks. What the image declares decides.
@Suite("The transport of a server nobody named one for", .requiresEngine)
struct TransportChoiceTests {
    static func body(name: String, tag: String, image: String, extra: [String: Any] = [:]) -> String {
        var body: [String: Any] = [
            "dockerImageUrl": image, "instanceNameOnToolbox": name, "accountToolInstanceId": "id-\(name)",
            "labels": ["dtma-test": tag],
        ]
        for (key, value) in extra { body[key] = value }
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    static func tool(_ dtma: LiveDTMA, _ name: String) async throws -> [String: Any]? {
        let tools = try await dtma.call("GET", "/status").json["tool_instances"] as? [[String: Any]] ?? []
        return tools.first { $0["instance_name_on_toolbox"] as? String == name }
    }

    @Test("a stdio server (mcp-server-time, no port exposed) is probed over stdio and healthy, never restarted")
    func stdioByDefault() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "time-default-\(tag)"
            #expect(try await dtma.call("POST", "/tools", json: Self.body(name: name, tag: tag, image: "dtma-test/mcp-time:latest")).status == 201)
            let health = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
            #expect(health["server_name"] as? String == "mcp-time")
            let tool = try #require(try await Self.tool(dtma, name))
            let probe = tool["probe"] as? [String: Any]
            #expect(probe?["transport"] as? String == "stdio")
            #expect((probe?["chosenBecause"] as? String)?.contains("none exposed") == true)
            #expect(tool["restart_count"] as? Int == 0, "stdin kept open: the server does not exit and loop")
            #expect(tool["status_on_toolbox"] as? String == "running")

            // What the control plane's tool cache stores: each tool's schema and its hash.
            let listed = try await dtma.call("GET", "/mcp/servers/\(name)/tools")
            #expect(listed.status == 200, "\(listed.json)")
            let tools = listed.data["tools"] as? [[String: Any]] ?? []
            #expect(tools.map { $0["name"] as? String ?? "" }.sorted() == ["convert_time", "get_current_time"])
            let schema = tools.first { $0["name"] as? String == "get_current_time" }?["schema"] as? [String: Any]
            #expect(((schema?["inputSchema"] as? [String: Any])?["properties"] as? [String: Any])?["timezone"] != nil, "\(schema ?? [:])")
            #expect(listed.data["toolsHash"] as? String == health["tools_hash"] as? String && health["tools_hash"] != nil)
            #expect((health["capabilities"] as? [String: Any])?["tools"] != nil)
        }
    }

    @Test("a server whose image exposes a TCP port is probed over Streamable HTTP on the container's address, and nothing is published")
    func httpFromTheImage() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "http-default-\(tag)"
            let deployed = try await dtma.call("POST", "/tools", json: Self.body(name: name, tag: tag, image: "dtma-test/mcp-http:latest"))
            #expect(deployed.status == 201)
            _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
            let tool = try #require(try await Self.tool(dtma, name))
            let probe = tool["probe"] as? [String: Any]
            #expect(probe?["transport"] as? String == "streamable-http")
            #expect(probe?["port"] as? Int == 8000)
            #expect((probe?["chosenBecause"] as? String)?.contains("8000/tcp") == true)
            let ports = (deployed.data["ports"] as? [String: Any]) ?? [:]
            #expect(ports.values.allSatisfy { $0 is NSNull }, "ports are published only when the request asks: \(ports)")
        }
    }

    @Test("mcpTransportType is honoured, and an HTTP transport on an image that exposes no port is a clear 400 that creates nothing")
    func namedTransport() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "time-named-\(tag)"
            let body = Self.body(name: name, tag: tag, image: "dtma-test/mcp-time:latest", extra: ["mcpTransportType": "stdio"])
            #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
            _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
            let chosen = (try await Self.tool(dtma, name))?["probe"] as? [String: Any]
            #expect(chosen?["chosenBecause"] as? String == "the request's mcpTransportType")

            let portless = Self.body(name: "sse-portless-\(tag)", tag: tag, image: "dtma-test/mcp-time:latest", extra: ["mcpTransportType": "sse"])
            let refused = try await dtma.call("POST", "/tools", json: portless)
            #expect(refused.status == 400)
            #expect(refused.json["field"] as? String == "probe.port")
            #expect(try await testContainers(dtma.engine, tag: tag).count == 1, "only the first tool exists")
        }
    }
}
