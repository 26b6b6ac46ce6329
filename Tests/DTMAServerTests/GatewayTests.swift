import DTMATestSupport
import Foundation
import HTTP1
import Testing

/// What the gateway answers before any server is involved: no dockerd, in parallel.
@Suite("MCP gateway: routing and refusals")
struct GatewayRoutingTests {
    static let ping = #"{"jsonrpc":"2.0","id":"p-1","method":"ping"}"#

    static func error(_ answer: LiveDTMA.Answer) -> (code: Int?, id: Any?) {
        let error = answer.json["error"] as? [String: Any]
        return (error?["code"] as? Int, answer.json["id"])
    }

    @Test("every gateway route needs the key; an unknown server, bad JSON, a batch and an unknown session are JSON-RPC errors")
    func refusals() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            #expect(try await dtma.call("POST", "/mcp/servers/any", json: Self.ping, authorization: "").status == 401)
            #expect(try await dtma.call("GET", "/mcp/servers/any", authorization: "Bearer wrong-key-0123456789abcdefghijklmnop").status == 401)

            let unknown = try await dtma.call("POST", "/mcp/servers/nobody", json: Self.ping)
            #expect(unknown.status == 404)
            #expect(Self.error(unknown).code == -32002)
            #expect(Self.error(unknown).id as? String == "p-1", "the id comes back as it was sent")

            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: "quiet", tag: "t")).status == 201)
            let malformed = try await dtma.call("POST", "/mcp/servers/quiet", json: "{not json")
            #expect(malformed.status == 400)
            #expect(Self.error(malformed).code == -32700)
            let batch = try await dtma.call("POST", "/mcp/servers/quiet", json: "[\(Self.ping)]", extraHeaders: [("MCP-Protocol-Version", "2025-06-18")])
            #expect(batch.status == 400)
            #expect(Self.error(batch).code == -32600)
        }
    }

    @Test("a server that is not running, cannot be attached to, or whose transport is not known, is a clear error, not a hang")
    func notReachable() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            // busybox exposes no port: the server is taken for a stdio one.
            let stdioBody = TransportChoiceTests.body(name: "stdio-one", tag: "t", image: "dtma-test/busybox:latest")
            let deployed = try await dtma.call("POST", "/tools", json: stdioBody)
            #expect(deployed.status == 201)
            #expect((deployed.json["data"] as? [String: Any])?["mcp_endpoint_path"] as? String == "/mcp/servers/stdio-one")
            let listed = try #require(try await TransportChoiceTests.tool(dtma, "stdio-one"))
            #expect(listed["mcp_endpoint_path"] as? String == "/mcp/servers/stdio-one", "in /status (and heartbeats) too")
            let stdio = try await dtma.call("POST", "/mcp/servers/stdio-one", json: Self.ping)
            #expect(stdio.status == 502, "the in-memory engine refuses every attach")
            #expect(((stdio.json["error"] as? [String: Any])?["message"] as? String)?.contains("cannot attach") == true)
            // A tool deployed with probe.transport none: how it speaks MCP is not known.
            let unprobedDeploy = try await dtma.call("POST", "/tools", json: contractDeploy(name: "unprobed", tag: "t"))
            #expect(unprobedDeploy.status == 201)
            #expect((unprobedDeploy.json["data"] as? [String: Any])?["mcp_endpoint_path"] == nil, "no gateway path for a server nobody can speak to")
            let unprobed = try await dtma.call("POST", "/mcp/servers/unprobed", json: Self.ping)
            #expect(unprobed.status == 503)
            #expect(((unprobed.json["error"] as? [String: Any])?["message"] as? String)?.contains("mcpTransportType") == true)
            #expect(try await dtma.call("POST", "/tools/stdio-one/stop").status == 200)
            let stopped = try await dtma.call("POST", "/mcp/servers/stdio-one", json: Self.ping)
            #expect(stopped.status == 503)
            #expect(((stopped.json["error"] as? [String: Any])?["message"] as? String)?.contains("not running") == true)
            let unknownSession = try await dtma.call(
                "DELETE", "/mcp/servers/stdio-one", extraHeaders: [("Mcp-Session-Id", "0123456789abcdef0123456789abcdef")])
            #expect(unknownSession.status == 503, "the server is checked first")
        }
    }

    @Test("a message over 4 MiB is refused with 413")
    func oversized() async throws {
        let filler = String(repeating: "a", count: 5 << 20)
        let huge = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"x":"\#(filler)"}}"#
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let refused = try await dtma.call("POST", "/mcp/servers/any", json: huge)
            #expect(refused.status == 413)
            #expect(try await dtma.call("GET", "/health").status == 200)
        }
    }
}

/// The official MCP SDK's client through the gateway to real servers in containers.
@Suite("MCP gateway against real servers", .requiresEngine, .serialized)
struct GatewayServerTests {
    static let client = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Support/Fixtures/mcp_client.py").standardizedFileURL

    /// Runs the SDK client script; its stdout, one JSON object a line.
    static func sdkClients(_ url: String, clients: Int) async throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MCPServerFixture.python)
        process.arguments = [client.path, url, LiveDTMA.key, String(clients)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = Task { output.fileHandleForReading.readDataToEndOfFile() }
        let finished = try await eventually(seconds: 60) { !process.isRunning }
        if !finished { process.terminate() }
        let text = String(decoding: await reader.value, as: UTF8.self)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func deployHTTPServer(_ dtma: LiveDTMA, _ name: String, tag: String) async throws {
        let body = TransportChoiceTests.body(name: name, tag: tag, image: "dtma-test/mcp-http:latest")
        #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
        _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
    }

    /// The fixture server (the official SDK's) on stdio in a container, probed and healthy.
    static func deployStdioServer(_ dtma: LiveDTMA, _ name: String, tag: String) async throws {
        let body = ProbeContainerTests.deployBody(name: name, tag: tag, command: ProbeContainerTests.server("stdio"), probe: ["transport": "stdio"])
        #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
        _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
    }

    /// `clients` SDK clients at once against the fixture server `name`: each lists its tools and
    /// gets the sum of its own arguments.
    static func expectOwnAnswers(_ dtma: LiveDTMA, _ name: String, clients: Int) async throws {
        let lines = try await sdkClients("http://127.0.0.1:\(dtma.port)/mcp/servers/\(name)", clients: clients)
        #expect(lines.count == clients)
        for line in lines {
            #expect(line["server"] as? String == "dtma-fixture")
            #expect(line["tools"] as? [String] == ["add", "echo"])
            #expect(line["sum"] as? Int == line["expected"] as? Int, "client \(line["client"] ?? "?") got another's answer")
        }
    }

    @Test("five SDK clients at once, each initializing, listing and calling with its own arguments, get their own answers")
    func sdkClients() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "gw-http-\(tag)"
            try await Self.deployHTTPServer(dtma, name, tag: tag)
            try await Self.expectOwnAnswers(dtma, name, clients: 5)
        }
    }

    @Test("a bare tools/call as mcp-execute sends it is answered; a session ends with DELETE and is then unknown")
    func bareCallAndSessions() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "gw-bare-\(tag)"
            try await Self.deployHTTPServer(dtma, name, tag: tag)
            let path = "/mcp/servers/\(name)"
            let accept = ("Accept", "application/json, text/event-stream")

            let call = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}"#
            let bare = try await dtma.call("POST", path, json: call, extraHeaders: [accept, ("MCP-Protocol-Version", "2024-11-05")])
            #expect(bare.status == 200)
            let firstData = String(decoding: bare.body, as: UTF8.self).split(whereSeparator: \.isNewline).first { $0.hasPrefix("data:") }
            let reply = try #require(firstData.flatMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(5).utf8)) as? [String: Any] })
            #expect(reply["id"] as? Int == 7)
            #expect((reply["result"] as? [String: Any])?["isError"] as? Bool == false)
            #expect(bare.headers["Mcp-Session-Id"] == nil, "the gateway's own session with the server stays inside")

            let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
            let opened = try await dtma.call("POST", path, json: initialize, extraHeaders: [accept])
            #expect(opened.status == 200)
            let session = try #require(opened.headers["Mcp-Session-Id"])
            #expect(session.count == 32, "the gateway's id, not the server's")
            let withSession = [accept, ("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-06-18")]
            let listed = try await dtma.call("POST", path, json: #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, extraHeaders: withSession)
            #expect(listed.status == 200)
            #expect(String(decoding: listed.body, as: UTF8.self).contains(#""name":"add""#))
            #expect(try await dtma.call("POST", "/mcp/servers/nobody-\(tag)", json: #"{"jsonrpc":"2.0","id":3,"method":"ping"}"#, extraHeaders: withSession).status == 404)

            #expect(try await dtma.call("DELETE", path, extraHeaders: withSession).status == 200)
            let ended = try await dtma.call("POST", path, json: #"{"jsonrpc":"2.0","id":"z","method":"tools/list"}"#, extraHeaders: withSession)
            #expect(ended.status == 404)
            #expect((ended.json["error"] as? [String: Any])?["code"] as? Int == -32001)
            #expect(ended.json["id"] as? String == "z")
        }
    }

    @Test("twenty SDK clients share one stdio process (probed all the while) and each gets its own answers")
    func stdioClients() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "gw-stdio-\(tag)"
            try await Self.deployStdioServer(dtma, name, tag: tag)
            try await Self.expectOwnAnswers(dtma, name, clients: 20)
            let health = try await ProbeContainerTests.health(dtma, name)
            #expect(health?["state"] as? String == "healthy", "the prober shares the process with the clients: \(health ?? [:])")
        }
    }

    @Test("mcp-server-time deployed as the control plane deploys it answers a bare call through the gateway")
    func stdioBareCall() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "gw-time-\(tag)"
            #expect(try await dtma.call("POST", "/tools", json: TransportChoiceTests.body(name: name, tag: tag, image: "dtma-test/mcp-time:latest")).status == 201)
            _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
            let path = "/mcp/servers/\(name)"
            let headers = [("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2024-11-05")]
            let call = #"{"jsonrpc":"2.0","id":"t1","method":"tools/call","params":{"name":"get_current_time","arguments":{"timezone":"UTC"}}}"#
            let answer = try await dtma.call("POST", path, json: call, extraHeaders: headers)
            #expect(answer.status == 200)
            #expect(answer.json["id"] as? String == "t1")
            #expect(String(decoding: answer.body, as: UTF8.self).contains("UTC"))
            let notification = try await dtma.call("POST", path, json: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, extraHeaders: headers)
            #expect(notification.status == 202)
            #expect(try await dtma.call("GET", path, extraHeaders: headers).status == 405)
        }
    }

    @Test("a session outlives a restart of its stdio server: the gateway attaches to the new process and makes its handshake again")
    func stdioRestart() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "gw-phoenix-\(tag)"
            try await Self.deployStdioServer(dtma, name, tag: tag)
            let path = "/mcp/servers/\(name)"
            let accept = ("Accept", "application/json, text/event-stream")
            let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
            let opened = try await dtma.call("POST", path, json: initialize, extraHeaders: [accept])
            let session = try #require(opened.headers["Mcp-Session-Id"])
            let headers = [accept, ("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-06-18")]
            let add = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}"#
            #expect(String(decoding: try await dtma.call("POST", path, json: add, extraHeaders: headers).body, as: UTF8.self).contains(#""text":"5""#))

            let containerID = try #require(dtma.state.tool(name)?.containerID)
            try await dtma.engine.restartContainer(containerID, timeoutSeconds: 1)
            let answered = try await eventually(seconds: 30) {
                let again = try await dtma.call("POST", path, json: add, extraHeaders: headers)
                return again.status == 200 && String(decoding: again.body, as: UTF8.self).contains(#""text":"5""#)
            }
            #expect(answered, "the same session works against the new process")
            #expect(dtma.state.tool(name)?.containerID == containerID)
        }
    }

    @Test("past DTMA_GATEWAY_MAX_STREAMS a GET stream gets 429 with Retry-After; a stream that ends frees its slot")
    func streamCap() async throws {
        try await withLiveDTMA(environment: ["DTMA_GATEWAY_MAX_STREAMS": "1"]) { dtma, tag in
            let name = "gw-streams-\(tag)"
            try await Self.deployHTTPServer(dtma, name, tag: tag)
            let path = "/mcp/servers/\(name)"
            let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
            let opened = try await dtma.call("POST", path, json: initialize, extraHeaders: [("Accept", "application/json, text/event-stream")])
            let session = try #require(opened.headers["Mcp-Session-Id"])
            let request = "GET \(path) HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(LiveDTMA.key)\r\nAccept: text/event-stream\r\n"
                + "Mcp-Session-Id: \(session)\r\nMCP-Protocol-Version: 2025-06-18\r\n\r\n"
            let (first, answer) = try await RawConnection.held(port: dtma.port, request: request)
            #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer.prefix(200))")
            let refused = try await dtma.call("GET", path, extraHeaders: [("Mcp-Session-Id", session), ("Accept", "text/event-stream")])
            #expect(refused.status == 429)
            #expect(refused.headers["Retry-After"] == "5")
            #expect((refused.json["error"] as? [String: Any])?["code"] as? Int == -32002)
            try await first.close()
            let slotBack = try await eventually {
                let (again, answer) = try await RawConnection.held(port: dtma.port, request: request)
                try? await again.close()
                // The server may still hold its end of the first stream a moment (its 409: one GET
                // stream a session); what counts here is that dtma's slot came back.
                return answer.hasPrefix("HTTP/1.1 ") && !answer.hasPrefix("HTTP/1.1 429 ")
            }
            #expect(slotBack, "the closed stream's slot came back")
        }
    }
}
