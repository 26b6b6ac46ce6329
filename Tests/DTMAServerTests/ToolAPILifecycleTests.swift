import DTMACore
import DockerEngine
import Foundation
import DTMATestSupport
import Testing

@Suite("Tool API against the real engine", .requiresEngine)
struct ToolAPILifecycleTests {
    @Test("deploy, repeat, stop, start and remove through the contract's routes and the aliases")
    func lifecycle() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "life-\(tag)"
            let hostPort = Int.random(in: 31000...39999)

            let deployed = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, hostPort: hostPort))
            #expect(deployed.status == 201)
            #expect(deployed.json["success"] as? Bool == true)
            let data = deployed.data
            let containerID = try #require(data["container_id"] as? String)
            #expect(data["instance_name_on_toolbox"] as? String == name)
            #expect(data["account_tool_instance_id"] as? String == "id-\(name)")
            #expect(data["image"] as? String == "dtma-test/busybox:latest")
            #expect((data["state"] as? [String: Any])?["Running"] as? Bool == true)
            let binding = ((data["ports"] as? [String: Any])?["8080/tcp"] as? [[String: String]])?.first
            #expect(binding == ["HostIp": "127.0.0.1", "HostPort": String(hostPort)])

            // Hardened by default, labelled as dtma's.
            let inspect = try await dtma.engine.inspectContainer(containerID)
            #expect(inspect.hostConfig?.capDrop == ["ALL"])
            #expect(inspect.hostConfig?.securityOpt == ["no-new-privileges:true"])
            #expect(inspect.hostConfig?.pidsLimit == 512)
            #expect(inspect.hostConfig?.memory == 512 << 20)
            #expect(inspect.hostConfig?.initProcess == true)
            #expect(inspect.hostConfig?.logConfig?.config?["max-size"] == "10m")
            #expect(inspect.config.labels?["dtma.managed"] == "true")

            let again = try await dtma.call("POST", "/tools/deploy", json: contractDeploy(name: name, tag: tag, hostPort: hostPort))
            #expect(again.status == 200, "the same deploy adopts")
            #expect(again.data["container_id"] as? String == containerID)

            let status = try await dtma.call("GET", "/status")
            #expect(status.status == 200)
            let tools = try #require(status.json["tool_instances"] as? [[String: Any]])
            let tool = try #require(tools.first { $0["instance_name_on_toolbox"] as? String == name })
            #expect(tool["status_on_toolbox"] as? String == "running")
            #expect(tool["container_id"] as? String == containerID)

            let stopped = try await dtma.call("POST", "/tools/\(name)/stop")
            #expect(stopped.status == 200)
            #expect((stopped.data["state"] as? [String: Any])?["Running"] as? Bool == false)
            #expect(try await dtma.call("POST", "/tools/stop", json: #"{"instanceNameOnToolbox":"\#(name)"}"#).status == 200, "stopping a stopped tool succeeds")
            #expect(dtma.state.tool(name)?.statusOnToolbox == .stopped)

            #expect(try await dtma.call("POST", "/tools/\(name)/start").status == 200)
            #expect(try await dtma.call("POST", "/tools/start?instanceNameOnToolbox=\(name)").status == 200, "starting a running tool succeeds")
            #expect(try await dtma.engine.inspectContainer(containerID).state.running)

            let removed = try await dtma.call("DELETE", "/tools/remove", json: #"{"instanceNameOnToolbox":"\#(name)"}"#)
            #expect(removed.status == 200)
            #expect(try await testContainers(dtma.engine, tag: tag).isEmpty)
            let again404 = try await dtma.call("DELETE", "/tools/\(name)")
            #expect(again404.status == 404)
            #expect(again404.code == "not_managed")
            #expect(try await dtma.call("POST", "/tools/\(name)/start").status == 404)
        }
    }

    @Test("a different spec under the same name is 409 and the running tool stays")
    func specConflict() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "conflict-\(tag)"
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag)).status == 201)
            let conflict = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["GREETING=bye"]))
            #expect(conflict.status == 409)
            #expect(conflict.code == "spec_conflict")
            #expect(try await testContainers(dtma.engine, tag: tag).count == 1)
        }
    }

    @Test("a host port another tool holds is 409 before anything is created")
    func portCollision() async throws {
        try await withLiveDTMA { dtma, tag in
            let hostPort = Int.random(in: 31000...39999)
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: "a-\(tag)", tag: tag, hostPort: hostPort)).status == 201)
            let clash = try await dtma.call("POST", "/tools", json: contractDeploy(name: "b-\(tag)", tag: tag, hostPort: hostPort))
            #expect(clash.status == 409)
            #expect(clash.code == "port_conflict")
            #expect((clash.json["error"] as? String)?.contains("a-\(tag)") == true)
            #expect(try await testContainers(dtma.engine, tag: tag).map(\.name) == ["a-\(tag)"])
        }
    }

    @Test("a host port taken outside dtma fails the deploy and leaves no container")
    func portTakenOnHost() async throws {
        try await withLiveDTMA { dtma, tag in
            let listener = try LoopbackListener()
            let clash = try await dtma.call("POST", "/tools", json: contractDeploy(name: "busy-\(tag)", tag: tag, hostPort: listener.port))
            listener.close()
            #expect(clash.status == 409)
            #expect(clash.code == "port_conflict")
            #expect(try await testContainers(dtma.engine, tag: tag).isEmpty)
            #expect(dtma.state.tool("busy-\(tag)") == nil)
        }
    }

    @Test("a dtma restarted between deploy and stop still stops and removes the tool")
    func survivesRestart() async throws {
        let tag = uniqueTag()
        let name = "restart-\(tag)"
        let first = try await LiveDTMA.start()
        #expect(try await first.call("POST", "/tools", json: contractDeploy(name: name, tag: tag)).status == 201)
        await first.stop()

        try await withLiveDTMA(tag: tag) { (second: LiveDTMA, _: String) async throws in
            #expect(try await second.call("POST", "/tools/\(name)/stop").status == 200)
            #expect(try await eventually { second.state.tool(name)?.statusOnToolbox == .stopped })
            #expect(try await second.call("DELETE", "/tools/\(name)").status == 200)
            #expect(try await testContainers(second.engine, tag: tag).isEmpty)
        }
    }

    @Test("ten concurrent deploys of one name make one container")
    func concurrentDeploys() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "race-\(tag)"
            let body = contractDeploy(name: name, tag: tag)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await dtma.call("POST", "/tools", json: body).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 200, 200, 200, 200, 200, 200, 200, 200, 201])
            #expect(try await testContainers(dtma.engine, tag: tag).count == 1)
        }
    }

    @Test("containers that are not dtma's are neither listed nor touched")
    func foreignContainers() async throws {
        try await withLiveDTMA { dtma, tag in
            let foreign = try await startForeignContainer(dtma.engine, tag: tag)

            #expect(try await dtma.call("POST", "/tools/foreign-\(tag)/stop").status == 404)
            #expect(try await dtma.call("DELETE", "/tools/foreign-\(tag)").status == 404)
            let taken = try await dtma.call("POST", "/tools", json: contractDeploy(name: "foreign-\(tag)", tag: tag))
            #expect(taken.status == 409)
            #expect(taken.code == "name_taken")
            #expect(try await dtma.engine.inspectContainer(foreign).state.running)
            let tools = try await dtma.call("GET", "/status").json["tool_instances"] as? [[String: Any]] ?? []
            #expect(!tools.contains { ($0["instance_name_on_toolbox"] as? String)?.hasPrefix("foreign-") == true })
        }
    }

    @Test("a tool named like a prefix of a foreign container's ID is looked up by its name only: deployed, and no ID revealed")
    func idPrefixName() async throws {
        try await withLiveDTMA { dtma, tag in
            let foreign = try await startForeignContainer(dtma.engine, tag: tag)
            // A prefix that starts with a letter or digit, as every instance name does (hex always does).
            let prefix = String(foreign.prefix(12))
            #expect(try await dtma.call("POST", "/tools/\(prefix)/stop").status == 404)
            let deployed = try await dtma.call("POST", "/tools", json: contractDeploy(name: prefix, tag: tag))
            #expect(deployed.status == 201, "no container has that name")
            #expect(!String(decoding: deployed.body, as: UTF8.self).contains("foreign-"))
            #expect(deployed.data["container_id"] as? String != foreign)
            #expect(try await dtma.call("DELETE", "/tools/\(prefix)").status == 200)
            #expect(try await dtma.engine.inspectContainer(foreign).id == foreign, "the foreign container is untouched")
        }
    }
}

/// A running container without dtma's labels, named `foreign-<tag>` (removed with the test's containers).
func startForeignContainer(_ engine: any ContainerEngine, tag: String) async throws -> String {
    var config = ContainerConfig(image: "dtma-test/busybox:latest")
    config.cmd = ["sleep", "600"]
    config.labels = ["dtma-test": tag]
    let id = try await engine.createContainer(name: "foreign-\(tag)", config: config).id
    try await engine.startContainer(id)
    return id
}

@Suite("A tool's disk", .requiresEngine, .serialized)
struct ToolDiskTests {
    @Test("what a tool writes to its own filesystem shows in /status as its writable layer's size")
    func writableLayer() async throws {
        try await withLiveDTMA(environment: ["DTMA_DISK_SAMPLE_INTERVAL_SECONDS": "1"]) { dtma, tag in
            let name = "disk-\(tag)"
            let script = "head -c 6000000 /dev/zero > /tmp/filler; sleep 600"
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, script: script)).status == 201)
            var disk: [String: Any]?
            let measured = try await eventually(seconds: 20) {
                let tools = try await dtma.call("GET", "/status").json["tool_instances"] as? [[String: Any]] ?? []
                let tool = tools.first { $0["instance_name_on_toolbox"] as? String == name }
                disk = (tool?["runtime_details"] as? [String: Any])?["disk"] as? [String: Any] ?? tool?["disk"] as? [String: Any]
                return (disk?["writable_layer_bytes"] as? Int ?? 0) >= 6_000_000
            }
            #expect(measured, "the 6 MB written are measured: \(String(describing: disk))")
        }
    }

    @Test("resources.diskMB is enforced where the storage driver can, and refused with a clear 400 where it cannot")
    func diskLimit() async throws {
        try await withLiveDTMA { dtma, tag in
            let info = try await dtma.engine.info()
            let backing = info.driverStatus?.first { $0.first == "Backing Filesystem" }?.last
            let name = "disklimit-\(tag)"
            var body = try JSONSerialization.jsonObject(with: Data(contractDeploy(name: name, tag: tag).utf8)) as! [String: Any]
            body["resources"] = ["diskMB": 128]
            let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            let answer = try await dtma.call("POST", "/tools", json: json)
            if info.storageDriver == "overlay2" && backing != "xfs" {
                #expect(answer.status == 400)
                #expect(answer.code == "not_supported")
                #expect(answer.json["field"] as? String == "resources.diskMB")
                #expect((answer.json["error"] as? String)?.contains("overlay2 on \(backing ?? "")") == true)
                #expect(try await testContainers(dtma.engine, tag: tag).isEmpty, "nothing is left behind")
            } else {
                // xfs with pquota, btrfs, zfs: the cap is set (or the engine's refusal is still a 400).
                #expect([201, 400].contains(answer.status))
                if answer.status == 201, let id = answer.data["container_id"] as? String {
                    #expect(try await dtma.engine.inspectContainer(id).hostConfig?.storageOpt?["size"] == String(128 << 20))
                }
            }
        }
    }
}
