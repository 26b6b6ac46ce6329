import DTMACore
import DockerEngine
import DTMATestSupport
import Foundation
import Testing

/// MCP servers from PyPI in real containers (dtma-test/mcp-python, built by scripts/test-images.sh),
/// deployed through the API and probed by the daemon's own scheduler, every transport.
@Suite("MCP probes of real servers in containers", .requiresEngine)
struct ProbeContainerTests {
    static let mcpImage = "dtma-test/mcp-python:latest"

    /// A deploy body for one fixture: `command` runs in the image; `probe` is the request's probe object.
    static func deployBody(
        name: String, tag: String, image: String = mcpImage, command: [String], probe: [String: Any], publish: Int? = nil
    ) -> String {
        var host: [String: Any] = [:]
        if let publish { host["PortBindings"] = ["\(publish)/tcp": [["HostPort": ""]]] }
        var probe = probe
        probe["periodSeconds"] = probe["periodSeconds"] ?? 1
        probe["timeoutSeconds"] = probe["timeoutSeconds"] ?? 1
        let body: [String: Any] = [
            "dockerImageUrl": image, "instanceNameOnToolbox": name, "accountToolInstanceId": "id-\(name)",
            "baseConfigOverrideJson": ["Cmd": command, "HostConfig": host],
            "labels": ["dtma-test": tag], "probe": probe,
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    static func server(_ arguments: String...) -> [String] {
        ["python", "/opt/mcp/mcp_server.py"] + arguments
    }

    /// The tool's `health` object as `/status` shows it.
    static func health(_ dtma: LiveDTMA, _ name: String) async throws -> [String: Any]? {
        let status = try await dtma.call("GET", "/status")
        let tools = status.json["tool_instances"] as? [[String: Any]] ?? []
        let tool = tools.first { $0["instance_name_on_toolbox"] as? String == name }
        return (tool?["runtime_details"] as? [String: Any])?["health"] as? [String: Any] ?? tool?["health"] as? [String: Any]
    }

    static func waitFor(_ dtma: LiveDTMA, _ name: String, state wanted: String, seconds: Double = 40) async throws -> [String: Any] {
        var last: [String: Any]?
        let reached = try await eventually(seconds: seconds) {
            last = try? await health(dtma, name)
            return last?["state"] as? String == wanted
        }
        #expect(reached, "\(name) never became \(wanted); last health: \(String(describing: last))")
        return last ?? [:]
    }

    @Test("every fixture reaches its verdict: SSE and JSON replies, published or on the container's address, legacy HTTP+SSE, stdio, not MCP, crash, banner")
    func verdicts() async throws {
        try await withLiveDTMA { dtma, tag in
            let fixtures: [(name: String, body: String)] = [
                ("http-sse-\(tag)", Self.deployBody(name: "http-sse-\(tag)", tag: tag, command: Self.server("streamable-http", "8000"), probe: ["port": 8000], publish: 8000)),
                ("http-json-\(tag)", Self.deployBody(name: "http-json-\(tag)", tag: tag, command: Self.server("streamable-http", "8000", "--json"), probe: ["transport": "streamable-http", "port": 8000])),
                ("legacy-sse-\(tag)", Self.deployBody(name: "legacy-sse-\(tag)", tag: tag, command: Self.server("sse", "8000"), probe: ["transport": "sse", "port": 8000])),
                ("stdio-\(tag)", Self.deployBody(name: "stdio-\(tag)", tag: tag, command: Self.server("stdio"), probe: ["transport": "stdio"])),
                ("time-\(tag)", Self.deployBody(name: "time-\(tag)", tag: tag, command: ["python", "-m", "mcp_server_time"], probe: ["transport": "stdio"])),
                ("plain-\(tag)", Self.deployBody(name: "plain-\(tag)", tag: tag, command: Self.server("plain", "8000"), probe: ["port": 8000, "failureThreshold": 2])),
                ("crash-\(tag)", Self.deployBody(name: "crash-\(tag)", tag: tag, image: "dtma-test/busybox:latest", command: ["sh", "-c", "echo 'fatal: MCP_API_KEY is not set' >&2; exit 3"], probe: ["transport": "stdio"])),
                ("banner-\(tag)", Self.deployBody(name: "banner-\(tag)", tag: tag, image: "dtma-test/busybox:latest", command: ["sh", "-c", "echo 'Welcome to the banner server'; echo 'loading…' >&2; exec cat >/dev/null"], probe: ["transport": "stdio", "failureThreshold": 2])),
            ]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for fixture in fixtures {
                    group.addTask {
                        let deployed = try await dtma.call("POST", "/tools", json: fixture.body)
                        #expect(deployed.status == 201, "\(fixture.name): \(String(decoding: deployed.body, as: UTF8.self))")
                    }
                }
                try await group.waitForAll()
            }

            let sse = try await Self.waitFor(dtma, "http-sse-\(tag)", state: "healthy")
            #expect(sse["era"] as? String == "modern")
            #expect((sse["tool_names"] as? [String])?.sorted() == ["add", "echo"])
            let json = try await Self.waitFor(dtma, "http-json-\(tag)", state: "healthy")
            #expect(json["server_name"] as? String == "dtma-fixture", "probed on the container's own address")
            let legacy = try await Self.waitFor(dtma, "legacy-sse-\(tag)", state: "healthy")
            #expect(legacy["era"] as? String == "legacy")
            #expect(legacy["tool_count"] as? Int == 2)
            let stdio = try await Self.waitFor(dtma, "stdio-\(tag)", state: "healthy")
            #expect(stdio["tool_count"] as? Int == 2)
            let time = try await Self.waitFor(dtma, "time-\(tag)", state: "healthy")
            #expect((time["tool_names"] as? [String])?.contains("get_current_time") == true, "\(time)")
            #expect(time["server_name"] as? String == "mcp-time")

            let plain = try await Self.waitFor(dtma, "plain-\(tag)", state: "unhealthy")
            #expect((plain["last_error"] as? String)?.contains("404") == true, "\(plain)")
            let banner = try await Self.waitFor(dtma, "banner-\(tag)", state: "unhealthy")
            #expect((banner["last_error"] as? String)?.contains("no MCP answer") == true, "\(banner)")
            #expect((banner["last_error"] as? String)?.contains("loading…") == true, "the stderr tail goes with the error: \(banner)")

            let crash = try await Self.waitFor(dtma, "crash-\(tag)", state: "crashed")
            let report = crash["crash"] as? [String: Any]
            #expect(report?["exit_code"] as? Int == 3, "\(crash)")
            #expect(report?["oom_killed"] as? Bool == false)
            #expect(try await eventually(seconds: 20) {
                let lines = ((try? await Self.health(dtma, "crash-\(tag)"))?["crash"] as? [String: Any])?["last_log_lines"] as? [String]
                return lines?.contains("fatal: MCP_API_KEY is not set") == true
            }, "the crash report carries the container's last log lines")
            #expect(dtma.state.tool("crash-\(tag)")?.statusOnToolbox == .errorRuntime)
        }
    }

    @Test("a server that dies turns crashed, and healthy again when it is back; stdio re-attaches to the new process", arguments: ["streamable-http", "stdio"])
    func dieAndReturn(transport: String) async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "phoenix-\(tag)"
            // The server lives 12 s, then dies with code 3; the restart policy brings it back.
            let server = transport == "stdio" ? "stdio" : "streamable-http 8000"
            let script = "timeout 12 python /opt/mcp/mcp_server.py \(server); echo 'fatal: lost the upstream' >&2; exit 3"
            let body = Self.deployBody(name: name, tag: tag, command: ["sh", "-c", script], probe: ["transport": transport, "port": 8000])
            #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
            _ = try await Self.waitFor(dtma, name, state: "healthy")
            let containerID = try #require(dtma.state.tool(name)?.containerID)

            #expect(try await eventually(seconds: 30) { dtma.state.tool(name)?.crash?.exitCode == 3 }, "the crash is recorded")
            #expect(try await eventually(seconds: 20) {
                dtma.state.tool(name)?.crash?.lastLogLines?.contains("fatal: lost the upstream") == true
            }, "with the last log lines")
            _ = try await Self.waitFor(dtma, name, state: "healthy")
            #expect(dtma.state.tool(name)?.containerID == containerID, "the same container, restarted")
            #expect((dtma.state.tool(name)?.restartCount ?? 0) >= 1)
            let inspect = try await dtma.engine.inspectContainer(containerID)
            #expect(inspect.execIDs?.isEmpty ?? true, "the probe leaves no exec behind")
        }
    }

    @Test("action restart: an unhealthy server is restarted at once, then not again before the back-off")
    func restartAction() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "restart-\(tag)"
            let body = Self.deployBody(
                name: name, tag: tag, command: Self.server("plain", "8000"),
                probe: ["transport": "streamable-http", "port": 8000, "failureThreshold": 1, "action": "restart"])
            #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
            let containerID = try #require(dtma.state.tool(name)?.containerID)
            let firstStart = try await dtma.engine.inspectContainer(containerID).state.startedAt
            #expect(try await eventually(seconds: 30) { (dtma.state.tool(name)?.recoveryRestarts ?? 0) >= 1 }, "restarted")
            #expect(try await eventually(seconds: 20) {
                (try? await dtma.engine.inspectContainer(containerID).state.startedAt) != firstStart
            }, "the container really started again")
            // The next restart waits at least 10 s: none in the next 5.
            try await Task.sleep(for: .seconds(5))
            #expect(dtma.state.tool(name)?.recoveryRestarts == 1)
            let health = try await Self.health(dtma, name)
            #expect(health?["restarts_by_dtma"] as? Int == 1)
        }
    }
}
