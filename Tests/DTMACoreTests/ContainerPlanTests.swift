@testable import DTMACore
import DockerEngine
import Testing

@Suite("Container plan and tool status")
struct ContainerPlanTests {
    @Test("containers are hardened by default and labelled as dtma's")
    func hardenedDefaults() throws {
        let spec = try validate(deployBody())
        let config = ContainerPlan.containerConfig(for: spec, dtmaVersion: "test")
        let host = try #require(config.hostConfig)
        #expect(host.capDrop == ["ALL"])
        #expect(host.capAdd == nil)
        #expect(host.securityOpt == ["no-new-privileges:true"])
        #expect(host.initProcess == true)
        #expect(host.memory == 512 << 20)
        #expect(host.memorySwap == host.memory)
        #expect(host.pidsLimit == 512)
        #expect(host.nanoCPUs == 1_000_000_000)
        #expect(host.logConfig == LogConfig(type: "json-file", config: ["max-size": "10m", "max-file": "3"]))
        #expect(host.portBindings == ["8080/tcp": [PortBinding(hostIP: "127.0.0.1", hostPort: "30001")]])
        #expect(host.privileged == nil && host.binds == nil)
        let identity = try #require(ContainerLabels.identity(config.labels))
        #expect(identity.instanceName == "weather-1")
        #expect(identity.specHash == spec.specHash)
        #expect(identity.probe == spec.probe)
    }

    @Test("containers without dtma's labels have no identity")
    func foreignContainers() {
        #expect(ContainerLabels.identity(nil) == nil)
        #expect(ContainerLabels.identity(["dtma.instance": "x"]) == nil)
        #expect(ContainerLabels.identity(["dtma.managed": "false", "dtma.instance": "x"]) == nil)
    }

    @Test("container states map onto the control plane's status enum", arguments: [
        ("running", 0, false, false, 0, "running"),
        ("created", 0, false, false, 0, "starting"),
        ("restarting", 1, false, false, 1, "error_runtime"),  // it exited on its own, even if only once
        ("restarting", 1, false, false, 5, "error_runtime"),
        ("exited", 0, false, false, 0, "stopped"),
        ("exited", 143, false, false, 0, "stopped"),
        ("exited", 1, false, false, 0, "error_runtime"),
        ("exited", 1, true, false, 0, "stopped"),
        ("exited", 137, false, true, 0, "error_runtime"),
        ("dead", 0, false, false, 0, "error_runtime"),
    ])
    func statusMapping(status: String, exitCode: Int, stoppedByRequest: Bool, oom: Bool, restarts: Int, expected: String) throws {
        var record = ToolRecord(spec: try validate(deployBody()))
        record.containerState = ContainerState(
            status: ContainerStatus(rawValue: status), running: status == "running", paused: false, restarting: status == "restarting", oomKilled: oom,
            dead: status == "dead", pid: 0, exitCode: exitCode, error: nil, startedAt: nil, finishedAt: nil)
        record.stoppedByRequest = stoppedByRequest
        record.restartCount = restarts
        #expect(record.statusOnToolbox.rawValue == expected)
        record.operation = .pulling
        #expect(record.statusOnToolbox == .deploying)
    }

    @Test("Docker's nanosecond timestamps parse")
    func dockerTime() {
        #expect(ToolRecord.parseDockerTime("2026-11-25T13:40:22.562827283Z") != nil)
        #expect(ToolRecord.parseDockerTime("0001-01-01T00:00:00Z") == nil)
    }
}
