import DTMACore
import DTMATestSupport
import Foundation
import HTTP1
import NIOConcurrencyHelpers
import Testing

/// How dtma sees its tools, from deploy to crash to removal, against an in-memory engine: the state
/// model, the crash rules, `/status` and `/events`, without dockerd.
@Suite("Tool state, in memory")
struct ToolStateTests {
    static func status(_ dtma: LiveDTMA, _ name: String) async throws -> [String: Any]? {
        let tools = try await dtma.call("GET", "/status").json["tool_instances"] as? [[String: Any]] ?? []
        return tools.first { $0["instance_name_on_toolbox"] as? String == name }
    }

    @Test("deployed, running; an exit on its own is a crash with its code and last lines; a requested stop is not; removed")
    func lifecycle() async throws {
        let engine = InMemoryEngine()
        try await withLiveDTMA(engine: engine) { dtma, tag in
            let recorder = try await ToolEventRecorder(dtma)
            defer { recorder.stop() }

            let name = "state-\(tag)"
            let deployed = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag))
            #expect(deployed.status == 201)
            let id = try #require(deployed.data["container_id"] as? String)
            #expect(try await Self.status(dtma, name)?["status_on_toolbox"] as? String == "running")

            engine.appendLog(id, ["starting", "fatal: no config"])
            try engine.exit(id, code: 3)
            let crashed = try await eventually { recorder.events(of: name).contains { $0.type == "crashed" } }
            #expect(crashed, "\(recorder.events(of: name).map(\.type))")
            #expect(recorder.events(of: name).first { $0.type == "crashed" }?.detail == "exit code 3")
            let crashedStatus = try #require(try await Self.status(dtma, name))
            #expect(crashedStatus["status_on_toolbox"] as? String == "error_runtime")
            let linesRead = try await eventually {
                let crash = (try await Self.status(dtma, name)?["health"] as? [String: Any])?["crash"] as? [String: Any]
                return crash?["last_log_lines"] as? [String] == ["starting", "fatal: no config"]
            }
            #expect(linesRead, "the crash report carries the tool's last lines")

            #expect(try await dtma.call("POST", "/tools/\(name)/start").status == 200)
            #expect(try await dtma.call("POST", "/tools/\(name)/stop").status == 200)
            let stopped = try await eventually { try await Self.status(dtma, name)?["status_on_toolbox"] as? String == "stopped" }
            #expect(stopped, "a stop dtma was asked for is no crash")

            #expect(try await dtma.call("DELETE", "/tools/\(name)").status == 200)
            let removed = try await eventually { recorder.events(of: name).contains { $0.type == "removed" } }
            #expect(removed)
            #expect(engine.containerCount == 0)
            let order = recorder.events(of: name).map(\.type)
            #expect(order.firstIndex(of: "deployed").map { $0 < order.firstIndex(of: "crashed")! } == true, "\(order)")
        }
    }

    @Test("a redeploy with the same body adopts; a changed one is a conflict; a name taken by a foreign container is refused")
    func adoptAndConflict() async throws {
        let engine = InMemoryEngine()
        try await withLiveDTMA(engine: engine) { dtma, tag in
            let name = "adopt-\(tag)"
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag)).status == 201)
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag)).status == 200)
            let changed = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["GREETING=bye"]))
            #expect(changed.status == 409)
            #expect(changed.code == "spec_conflict")
            let foreign = try await startForeignContainer(engine, tag: tag)
            let taken = try await dtma.call("POST", "/tools", json: contractDeploy(name: "foreign-\(tag)", tag: tag))
            #expect(taken.code == "name_taken")
            #expect(try await engine.inspectContainer(foreign).state.running, "left alone")
            #expect(engine.containerCount == 2)
        }
    }
}
