import DTMACore
import DockerEngine
import Foundation
import HTTP1
import NIOCore
import NIOPosix
import Testing

/// Every request the contract lists, sent byte for byte as the control plane's Deno `fetch` writes
/// it (lower-case header names in its order, compact `JSON.stringify` bodies, `content-length: 0`
/// on body-less POSTs), over a fresh TCP connection; the answers are read as the control plane reads them.
@Suite("Contract requests, byte for byte", .requiresEngine)
struct ContractWireTests {
    @Test("deploy, conflict, missing field, stop, start, status, health and remove as the control plane sends them")
    func controlPlaneRequests() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "wire-\(tag)"
            let bare = "wire-bare-\(tag)"
            // The contract's body has no test label: clean up by instance name, whatever happens.
            try await withCleanup({ await removeManaged([name, bare], engine: dtma.engine) }) {
                try await Self.exercise(ControlPlaneWire(port: dtma.port, key: LiveDTMA.key), name: name, bare: bare, tag: tag)
            }
        }
    }

    static func exercise(_ wire: ControlPlaneWire, name: String, bare: String, tag: String) async throws {
        let hostPort = Int.random(in: 31000...39999)

        let deployBody = #"{"dockerImageUrl":"dtma-test/busybox:latest","instanceNameOnToolbox":"\#(name)","accountToolInstanceId":"6f1c2a9e-\#(tag)","baseConfigOverrideJson":{"Env":["GREETING=hello","MODE=wire"],"Cmd":["sleep","600"],"HostConfig":{"PortBindings":{"8080/tcp":[{"HostPort":"\#(hostPort)"}]}}}}"#
        let deployed = try await wire.send("POST", "/tools", body: deployBody)
        #expect(deployed.status == 201)
        #expect(deployed.isJSON)
        #expect(deployed.json["success"] as? Bool == true)
        #expect(deployed.json["message"] is String)
        let data = try #require(deployed.json["data"] as? [String: Any])
        #expect(Set(data.keys).isSuperset(of: ["container_id", "instance_name_on_toolbox", "account_tool_instance_id", "image", "ports", "state"]))
        #expect(data["account_tool_instance_id"] as? String == "6f1c2a9e-\(tag)")
        #expect((data["state"] as? [String: Any])?["Running"] as? Bool == true, "state is Docker's State object")
        let binding = ((data["ports"] as? [String: Any])?["8080/tcp"] as? [[String: String]])?.first
        #expect(binding?["HostPort"] == String(hostPort), "ports is Docker's NetworkSettings.Ports")

        let nullOverride = #"{"dockerImageUrl":"dtma-test/busybox:latest","instanceNameOnToolbox":"\#(bare)","accountToolInstanceId":"7a2d-\#(tag)","baseConfigOverrideJson":null}"#
        let bareDeploy = try await wire.send("POST", "/tools", body: nullOverride)
        #expect(bareDeploy.status == 201, "baseConfigOverrideJson may be null")

        let changed = deployBody.replacingOccurrences(of: "MODE=wire", with: "MODE=other")
        let conflict = try await wire.send("POST", "/tools", body: changed)
        #expect(conflict.status == 409)
        #expect(conflict.json["success"] as? Bool == false)
        #expect(conflict.json["error"] is String)

        let missing = try await wire.send("POST", "/tools", body: #"{"dockerImageUrl":"dtma-test/busybox:latest","accountToolInstanceId":"x"}"#)
        #expect(missing.status == 400)
        #expect(missing.isJSON)
        #expect(missing.json["success"] as? Bool == false)
        #expect((missing.json["error"] as? String)?.contains("instanceNameOnToolbox") == true)

        for action in ["stop", "stop", "start", "start"] {
            let answer = try await wire.send("POST", "/tools/\(name)/\(action)", body: "")
            #expect(answer.status == 200, "\(action) (repeated: also 200)")
            #expect(answer.json["success"] as? Bool == true)
        }
        #expect(try await wire.send("POST", "/tools/never-deployed-\(tag)/start", body: "").status == 404)

        let status = try await wire.send("GET", "/status")
        #expect(status.status == 200)
        #expect(status.json["status"] as? String == "healthy")
        #expect(status.json["service"] as? String == "DTMA")
        for field in ["timestamp", "version", "environment", "tool_instances", "system_metrics"] {
            #expect(status.json[field] != nil, "/status carries \(field)")
        }
        let listed = (status.json["tool_instances"] as? [[String: Any]] ?? []).compactMap { $0["instance_name_on_toolbox"] as? String }
        #expect(Set(listed).isSuperset(of: [name, bare]))

        let health = try await wire.send("GET", "/health", authorized: false)
        #expect(health.status == 200)

        for instance in [name, bare] {
            let removed = try await wire.send("DELETE", "/tools/\(instance)")
            #expect(removed.status == 200)
            #expect(removed.json["success"] as? Bool == true)
            #expect(removed.json["message"] is String)
        }
        let gone = try await wire.send("DELETE", "/tools/\(name)")
        #expect(gone.status == 404)
        #expect(gone.json["success"] as? Bool == false)
    }
}

func withCleanup(_ cleanup: () async -> Void, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
}

/// Writes requests the way the control plane's runtime (Deno's `fetch`) does.
struct ControlPlaneWire {
    let port: Int
    let key: String

    struct Answer {
        var status: Int
        var headers: HTTP1Headers
        var body: [UInt8]
        var isJSON: Bool { headers["Content-Type"]?.hasPrefix("application/json") == true }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
    }

    /// `body` nil sends no body (GET, DELETE); "" sends `content-length: 0` as fetch does for a body-less POST.
    func send(_ method: String, _ path: String, body: String? = nil, authorized: Bool = true) async throws -> Answer {
        var request = "\(method) \(path) HTTP/1.1\r\n"
        if body?.isEmpty == false { request += "content-type: application/json\r\n" }
        if authorized { request += "authorization: Bearer \(key)\r\n" }
        request += "accept: */*\r\naccept-language: *\r\nuser-agent: Deno/2.1.4\r\naccept-encoding: gzip,br\r\n"
        request += "host: 127.0.0.1:\(port)\r\n"
        if let body { request += "content-length: \(body.utf8.count)\r\n" }
        request += "\r\n" + (body ?? "")
        let response = try await Self.exchange(Array(request.utf8), port: port)
        return Answer(status: response.status, headers: response.head.headers, body: response.body)
    }

    /// One request over a fresh TCP connection, exactly these bytes; the first complete response back.
    static func exchange(_ bytes: [UInt8], port: Int) async throws -> HTTP1Response {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
            var parser = HTTP1ResponseParser()
            var collector = HTTP1ResponseCollector(maxBodyBytes: 4 << 20)
            for try await buffer in inbound {
                parser.feed(buffer.readableBytesView)
                while let part = try parser.next() {
                    if let response = try collector.collect(part) { return response }
                }
            }
            throw ChannelError.eof
        }
    }
}

/// Removes the named tools' containers, however a test ended.
func removeManaged(_ names: [String], engine: any ContainerEngine) async {
    for name in names {
        for container in (try? await engine.listContainers(all: true, filters: ["label": ["dtma.instance=\(name)"]])) ?? [] {
            try? await engine.removeContainer(container.id, force: true)
        }
    }
}
