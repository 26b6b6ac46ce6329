@testable import DTMACore
import Foundation
import Testing

/// A contract-shaped body with `changes` merged over a valid baseline.
func deployBody(_ changes: [String: Any] = [:], override: [String: Any]? = nil, host: [String: Any]? = nil) -> [UInt8] {
    var hostConfig: [String: Any] = ["PortBindings": ["8080/tcp": [["HostPort": "30001"]]]]
    for (key, value) in host ?? [:] { hostConfig[key] = value }
    var overrideJSON: [String: Any] = ["Env": ["API_KEY=abc", "MODE=prod"], "HostConfig": hostConfig]
    for (key, value) in override ?? [:] { overrideJSON[key] = value }
    var body: [String: Any] = [
        "dockerImageUrl": "ghcr.io/acme/weather-mcp:1.2.0",
        "instanceNameOnToolbox": "weather-1",
        "accountToolInstanceId": "0b6f0f7e-1111-4a3c-9d7e-123456789abc",
        "baseConfigOverrideJson": overrideJSON,
    ]
    for (key, value) in changes { body[key] = value }
    return [UInt8](try! JSONSerialization.data(withJSONObject: body))
}

func validate(_ body: [UInt8]) throws(ToolSpecError) -> ToolSpec {
    try DeployRequest.decode(body).validated(reservedHostPorts: [30000])
}

struct RefusedBody: Sendable, CustomTestStringConvertible {
    let name: String
    let body: [UInt8]
    let code: ToolSpecError.Code
    let field: String?
    var testDescription: String { name }
}

let refusedBodies: [RefusedBody] = [
    .init(name: "not JSON", body: Array("{\"dockerImageUrl\":".utf8), code: .invalidJSON, field: nil),
    .init(name: "a JSON array", body: Array("[]".utf8), code: .invalidField, field: nil),
    .init(name: "empty object", body: Array("{}".utf8), code: .missingField, field: "instanceNameOnToolbox"),
    .init(name: "missing image", body: deployBody(["dockerImageUrl": NSNull()]), code: .missingField, field: "dockerImageUrl"),
    .init(name: "missing instance id", body: deployBody(["accountToolInstanceId": ""]), code: .missingField, field: "accountToolInstanceId"),
    .init(name: "image is a number", body: deployBody(["dockerImageUrl": 5]), code: .invalidField, field: "dockerImageUrl"),
    .init(name: "upper-case image path", body: deployBody(["dockerImageUrl": "Acme/Tool"]), code: .invalidField, field: "dockerImageUrl"),
    .init(name: "image with spaces", body: deployBody(["dockerImageUrl": "acme/tool; rm -rf /"]), code: .invalidField, field: "dockerImageUrl"),
    .init(name: "image with a bad digest", body: deployBody(["dockerImageUrl": "acme/tool@sha256:xyz"]), code: .invalidField, field: "dockerImageUrl"),
    .init(name: "instance name with a slash", body: deployBody(["instanceNameOnToolbox": "../etc"]), code: .invalidField, field: "instanceNameOnToolbox"),
    .init(name: "instance name with dots", body: deployBody(["instanceNameOnToolbox": "a..b"]), code: .invalidField, field: "instanceNameOnToolbox"),
    .init(name: "instance name too long", body: deployBody(["instanceNameOnToolbox": String(repeating: "a", count: 64)]), code: .invalidField, field: "instanceNameOnToolbox"),
    .init(name: "instance name starting with a dash", body: deployBody(["instanceNameOnToolbox": "-x"]), code: .invalidField, field: "instanceNameOnToolbox"),
    .init(name: "instance id with a newline", body: deployBody(["accountToolInstanceId": "a\nb"]), code: .invalidField, field: "accountToolInstanceId"),
    .init(name: "Env is a string", body: deployBody(override: ["Env": "A=1"]), code: .invalidField, field: "baseConfigOverrideJson.Env"),
    .init(name: "Env entry without =", body: deployBody(override: ["Env": ["NOVALUE"]]), code: .invalidField, field: "baseConfigOverrideJson.Env[0]"),
    .init(name: "Env name starting with a digit", body: deployBody(override: ["Env": ["1A=x"]]), code: .invalidField, field: "baseConfigOverrideJson.Env[0]"),
    .init(name: "Env with a NUL", body: deployBody(override: ["Env": ["A=x\u{0}y"]]), code: .invalidField, field: "baseConfigOverrideJson.Env[0]"),
    .init(name: "Env set twice", body: deployBody(override: ["Env": ["A=1", "A=2"]]), code: .invalidField, field: "baseConfigOverrideJson.Env[1]"),
    .init(name: "10 000 Env entries", body: deployBody(override: ["Env": (0..<10_000).map { "K\($0)=v" }]), code: .tooLarge, field: "baseConfigOverrideJson.Env"),
    .init(name: "one huge Env entry", body: deployBody(override: ["Env": ["A=" + String(repeating: "x", count: 40_000)]]), code: .tooLarge, field: "baseConfigOverrideJson.Env[0]"),
    .init(name: "port key not a number", body: deployBody(host: ["PortBindings": ["http/tcp": [["HostPort": "30001"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.http/tcp"),
    .init(name: "port protocol unknown", body: deployBody(host: ["PortBindings": ["8080/icmp": [["HostPort": "30001"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/icmp"),
    .init(name: "host port privileged", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "80"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostPort"),
    .init(name: "host port out of range", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "70000"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostPort"),
    .init(name: "host port is dtma's own", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "30000"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostPort"),
    .init(name: "one host port twice", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "30001"]], "9090/tcp": [["HostPort": "30001"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.9090/tcp.HostPort"),
    .init(name: "host address not an IP", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostIp": "example.com", "HostPort": "30001"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostIp"),
    .init(name: "privileged", body: deployBody(host: ["Privileged": true]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.Privileged"),
    .init(name: "bind mount of /", body: deployBody(host: ["Binds": ["/:/host"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.Binds"),
    .init(name: "host network", body: deployBody(host: ["NetworkMode": "host"]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.NetworkMode"),
    .init(name: "host PID namespace", body: deployBody(host: ["PidMode": "host"]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.PidMode"),
    .init(name: "SYS_ADMIN capability", body: deployBody(host: ["CapAdd": ["SYS_ADMIN"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "unknown capability", body: deployBody(host: ["CapAdd": ["FLY"]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "memory too small", body: deployBody(host: ["Memory": 1024]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.Memory"),
    .init(name: "unlimited pids", body: deployBody(host: ["PidsLimit": -1]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PidsLimit"),
    .init(name: "restart policy unknown", body: deployBody(host: ["RestartPolicy": ["Name": "sometimes"]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.RestartPolicy.Name"),
    .init(name: "retries without on-failure", body: deployBody(host: ["RestartPolicy": ["Name": "always", "MaximumRetryCount": 3]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.RestartPolicy.MaximumRetryCount"),
    .init(name: "relative working directory", body: deployBody(override: ["WorkingDir": "app"]), code: .invalidField, field: "baseConfigOverrideJson.WorkingDir"),
    .init(name: "reserved label prefix", body: deployBody(["labels": ["dtma.managed": "false"]]), code: .invalidField, field: "labels.dtma.managed"),
    .init(name: "probe transport unknown", body: deployBody(["probe": ["transport": "carrier-pigeon"]]), code: .invalidField, field: "probe.transport"),
    // Found by schemathesis: a huge CPU count trapped converting to Int64, a one-letter name reached the engine.
    .init(name: "cpus beyond any Int64", body: deployBody(["resources": ["cpus": 6.5025969868595176e+16]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.NanoCpus"),
    .init(name: "memoryMB that overflows", body: deployBody(["resources": ["memoryMB": Int64.max / 2]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.Memory"),
    .init(name: "one-character name", body: deployBody(["instanceNameOnToolbox": "0"]), code: .invalidField, field: "instanceNameOnToolbox"),
    .init(name: "probe port out of range", body: deployBody(["probe": ["port": 70000]]), code: .invalidField, field: "probe.port"),
    .init(name: "probe timeout above period", body: deployBody(["probe": ["periodSeconds": 2, "timeoutSeconds": 5]]), code: .invalidField, field: "probe.timeoutSeconds"),
    .init(name: "probe path relative", body: deployBody(["probe": ["path": "mcp"]]), code: .invalidField, field: "probe.path"),
    // The MCP generation's transport names.
    .init(name: "websocket transport", body: deployBody(["mcpTransportType": "websocket"]), code: .notSupported, field: "mcpTransportType"),
    .init(name: "unknown transport type", body: deployBody(["mcpTransportType": "carrier-pigeon"]), code: .invalidField, field: "mcpTransportType"),
    .init(name: "transport names that disagree", body: deployBody(["mcpTransportType": "sse", "probe": ["transport": "stdio"]]), code: .invalidField, field: "mcpTransportType"),
    .init(name: "relative endpoint path", body: deployBody(["mcpTransportType": "sse", "mcpEndpointPath": "sse"]), code: .invalidField, field: "mcpEndpointPath"),
    .init(name: "probe transport auto is not a name", body: deployBody(["probe": ["transport": "auto"]]), code: .invalidField, field: "probe.transport"),
    // Hardening issue, item 3: keys dtma does not support are refused, at any depth and in any case, and so are repeated keys.
    .init(name: "privileged at the top", body: deployBody(["privileged": true]), code: .notSupported, field: "privileged"),
    .init(name: "PRIVILEGED in upper case", body: deployBody(host: ["PRIVILEGED": true]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.PRIVILEGED"),
    .init(name: "hostConfig in lower camel case", body: deployBody(override: ["hostConfig": ["Binds": ["/:/host"]]]), code: .notSupported, field: "baseConfigOverrideJson.hostConfig"),
    .init(name: "Sysctls", body: deployBody(host: ["Sysctls": ["net.ipv4.ip_forward": "1"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.Sysctls"),
    .init(name: "SecurityOpt", body: deployBody(host: ["SecurityOpt": ["seccomp=unconfined"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.SecurityOpt"),
    .init(name: "CgroupParent", body: deployBody(host: ["CgroupParent": "/"]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CgroupParent"),
    .init(name: "DeviceRequests", body: deployBody(host: ["DeviceRequests": [["Count": -1]]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.DeviceRequests"),
    .init(name: "LogConfig", body: deployBody(host: ["LogConfig": ["Type": "none"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.LogConfig"),
    .init(name: "Runtime", body: deployBody(host: ["Runtime": "runc"]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.Runtime"),
    .init(name: "a key inside a port binding", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "30001", "Extra": 1]]]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp[0].Extra"),
    .init(name: "a key inside the restart policy", body: deployBody(host: ["RestartPolicy": ["Name": "always", "name": "no"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.RestartPolicy.name"),
    .init(name: "a key inside resources", body: deployBody(["resources": ["diskGB": 1]]), code: .notSupported, field: "resources.diskGB"),
    .init(
        name: "a repeated top-level key",
        body: Array(#"{"dockerImageUrl":"a/b","dockerImageUrl":"c/d","instanceNameOnToolbox":"ab","accountToolInstanceId":"x"}"#.utf8),
        code: .invalidJSON, field: "dockerImageUrl"),
    .init(
        name: "a repeated HostConfig",
        body: Array(#"{"dockerImageUrl":"a/b","instanceNameOnToolbox":"ab","accountToolInstanceId":"x","baseConfigOverrideJson":{"HostConfig":{},"HostConfig":{"Privileged":true}}}"#.utf8),
        code: .invalidJSON, field: "baseConfigOverrideJson.HostConfig"),
    .init(
        name: "a repeated key spelled with an escape",
        body: Array(#"{"dockerImageUrl":"a/b","dockerImageUrl":"c/d","instanceNameOnToolbox":"ab","accountToolInstanceId":"x"}"#.utf8),
        code: .invalidJSON, field: "dockerImageUrl"),
    // Item 4: capabilities only from the documented list.
    .init(name: "SYS_NICE", body: deployBody(host: ["CapAdd": ["SYS_NICE"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "IPC_LOCK", body: deployBody(host: ["CapAdd": ["IPC_LOCK"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "NET_RAW", body: deployBody(host: ["CapAdd": ["NET_RAW"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "DAC_OVERRIDE", body: deployBody(host: ["CapAdd": ["CHOWN", "DAC_OVERRIDE"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[1]"),
    .init(name: "SETUID", body: deployBody(host: ["CapAdd": ["cap_setuid"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "MKNOD", body: deployBody(host: ["CapAdd": ["MKNOD"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "CHECKPOINT_RESTORE (was a 500)", body: deployBody(host: ["CapAdd": ["CHECKPOINT_RESTORE"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    .init(name: "SYS_RESOURCE (was a 500)", body: deployBody(host: ["CapAdd": ["SYS_RESOURCE"]]), code: .notSupported, field: "baseConfigOverrideJson.HostConfig.CapAdd[0]"),
    // Item 5: Docker's reference grammar; image IDs only whole.
    .init(name: "image ../x", body: deployBody(["dockerImageUrl": "../x"]), code: .invalidField, field: "dockerImageUrl"),
    .init(name: "image ..:5000/x", body: deployBody(["dockerImageUrl": "..:5000/x"]), code: .invalidField, field: "dockerImageUrl"),
    .init(name: "image ID prefix with sha256:", body: deployBody(["dockerImageUrl": "sha256:1672ae7c9fdf"]), code: .invalidField, field: "dockerImageUrl"),
    .init(name: "registry port with a sign", body: deployBody(["dockerImageUrl": "registry.local:+5000/x"]), code: .invalidField, field: "dockerImageUrl"),
    // Item 6: host ports in plain digits, and never the engine's.
    .init(name: "host port +31104", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "+31104"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostPort"),
    .init(name: "host port 031105", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "031105"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostPort"),
    .init(name: "host port 2375", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "2375"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostPort"),
    .init(name: "host port 2376", body: deployBody(host: ["PortBindings": ["8080/tcp": [["HostPort": "2376"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.8080/tcp.HostPort"),
    .init(name: "container port +8080", body: deployBody(host: ["PortBindings": ["+8080/tcp": [["HostPort": "30001"]]]]), code: .invalidField, field: "baseConfigOverrideJson.HostConfig.PortBindings.+8080/tcp"),
]

@Suite("Deploy request validation")
struct DeployValidationTests {
    @Test("the contract's body becomes a spec with dtma's defaults")
    func contractBody() throws {
        let spec = try validate(deployBody())
        #expect(spec.instanceName == "weather-1")
        #expect(spec.image == "ghcr.io/acme/weather-mcp:1.2.0")
        #expect(spec.env == ["API_KEY=abc", "MODE=prod"])
        #expect(spec.ports == [PortPublication(containerPort: 8080, proto: "tcp", hostIP: "127.0.0.1", hostPort: 30001)])
        #expect(spec.resources == .defaults)
        #expect(spec.restartPolicy == .defaults)
        #expect(spec.security == .defaults)
        #expect(spec.probe?.transport == .streamableHTTP)
        #expect(spec.probe?.port == 8080)
        #expect(spec.probe?.path == "/mcp")
        #expect(spec.probe?.periodSeconds == 10)
        #expect(spec.probe?.failureThreshold == 3)
    }

    @Test("a null override and no ports leaves the transport to the image")
    func minimal() throws {
        let spec = try validate(deployBody(["baseConfigOverrideJson": NSNull()]))
        #expect(spec.env.isEmpty)
        #expect(spec.ports.isEmpty)
        #expect(spec.probe?.transport == .auto)
    }

    @Test("the image decides what the request left open: stdio without an exposed port, Streamable HTTP on the one it exposes")
    func transportFromTheImage() throws {
        let auto = try #require(try validate(deployBody(["baseConfigOverrideJson": NSNull()])).probe)
        let stdio = try auto.resolved(imageExposes: [])
        #expect(stdio.transport == .stdio)
        #expect(stdio.chosenBecause?.contains("stdio") == true)
        let http = try auto.resolved(imageExposes: ["53/udp", "9000/tcp", "8000/tcp"])
        #expect(http.transport == .streamableHTTP)
        #expect(http.port == 8000)
        #expect(http.path == "/mcp")
        #expect(http.chosenBecause?.contains("8000/tcp") == true)
        let stdioPlan = ContainerPlan.containerConfig(
            for: { var spec = try! validate(deployBody(["baseConfigOverrideJson": NSNull()])); spec.probe = stdio; return spec }(), dtmaVersion: "t")
        #expect(stdioPlan.openStdin == true, "a stdio server keeps its stdin open: without it, it reads EOF and exits")

        let sse = try #require(try validate(deployBody(["mcpTransportType": "sse", "mcpEndpointPath": "/events"], host: ["PortBindings": [:]])).probe)
        #expect(sse.transport == .sse)
        #expect(sse.port == nil, "left to the image")
        #expect(try sse.resolved(imageExposes: ["7000/tcp"]).port == 7000)
        #expect(try sse.resolved(imageExposes: ["7000/tcp"]).path == "/events")
        #expect(throws: ToolSpecError.self) { try sse.resolved(imageExposes: []) }
        let named = try #require(try validate(deployBody(["mcpTransportType": "http"])).probe)
        #expect(named.transport == .streamableHTTP)
        #expect(named.port == 8080, "the published port")
        #expect(try named.resolved(imageExposes: ["9999/tcp"]).port == 8080, "what the request gave stays")
    }

    @Test("the words that say why a transport was chosen are not part of the spec hash")
    func reasonOutOfHash() throws {
        var spec = try validate(deployBody())
        let hash = spec.specHash
        spec.probe?.chosenBecause = "something else"
        #expect(spec.specHash == hash)
    }

    @Test("a probe port that is not published is probed on the container's address and exposed")
    func unpublishedProbePort() throws {
        let spec = try validate(deployBody(["probe": ["transport": "sse", "port": 9000]], host: ["PortBindings": [:]]))
        #expect(spec.ports.isEmpty)
        #expect(spec.probe?.port == 9000)
        #expect(spec.probe?.path == "/sse")
        #expect(ContainerPlan.containerConfig(for: spec, dtmaVersion: "t").exposedPorts?.keys.sorted() == ["9000/tcp"])
    }

    @Test("ports go public only when asked: by address or by publicPorts")
    func publicPorts() throws {
        let byFlag = try validate(deployBody(["publicPorts": true]))
        #expect(byFlag.ports.first?.hostIP == "0.0.0.0")
        let byAddress = try validate(deployBody(host: ["PortBindings": ["8080/tcp": [["HostIp": "0.0.0.0", "HostPort": "30001"]]]]))
        #expect(byAddress.ports.first?.isPublic == true)
        let ephemeral = try validate(deployBody(host: ["PortBindings": ["8080": NSNull()]]))
        #expect(ephemeral.ports == [PortPublication(containerPort: 8080, proto: "tcp", hostIP: "127.0.0.1", hostPort: nil)])
    }

    @Test("explicit relaxations are kept: limits, capabilities, restart policy")
    func relaxations() throws {
        let spec = try validate(deployBody(host: [
            "Memory": 1 << 30, "NanoCpus": 2_000_000_000, "PidsLimit": 1024, "CapAdd": ["cap_net_bind_service", "CHOWN"],
            "ReadonlyRootfs": true, "RestartPolicy": ["Name": "on-failure", "MaximumRetryCount": 5],
        ]))
        #expect(spec.resources == ResourceLimits(memoryBytes: 1 << 30, nanoCPUs: 2_000_000_000, pidsLimit: 1024))
        #expect(spec.security == SecuritySettings(capAdd: ["CHOWN", "NET_BIND_SERVICE"], readOnlyRootFilesystem: true))
        #expect(spec.restartPolicy == RestartPolicySpec(name: "on-failure", maximumRetryCount: 5))
    }

    @Test("each refused body names its code and field", arguments: refusedBodies)
    func refused(_ testCase: RefusedBody) {
        do {
            _ = try validate(testCase.body)
            Issue.record("accepted")
        } catch {
            #expect(error.code == testCase.code)
            #expect(error.field == testCase.field)
            #expect(!error.message.contains("abc"), "no Env value in an error")
        }
    }

    @Test("what the control plane sends is still accepted: a null override, every field dtma reads")
    func everyKnownField() throws {
        _ = try validate(deployBody(["baseConfigOverrideJson": NSNull(), "labels": ["team": "a"], "publicPorts": false]))
        _ = try validate(deployBody(
            ["resources": ["memoryMB": 256, "cpus": 0.5, "pids": 128], "probe": ["transport": "none", "action": "report"]],
            override: ["Cmd": ["serve"], "Entrypoint": ["/bin/tool"], "WorkingDir": "/app", "User": "1000:1000", "Labels": ["a": "b"]],
            host: ["ReadonlyRootfs": true, "RestartPolicy": ["Name": "always"], "NetworkMode": "bridge", "CapAdd": ["NET_BIND_SERVICE"]]))
    }

    @Test("a bare image name reaches the engine with its tag, never as an image ID prefix")
    func explicitTag() throws {
        let spec = try validate(deployBody(["dockerImageUrl": "1672ae7c9fdf"]))
        #expect(spec.image == "1672ae7c9fdf", "the label keeps what was asked")
        #expect(ContainerPlan.containerConfig(for: spec, dtmaVersion: "t").image == "1672ae7c9fdf:latest")
        let id = "sha256:" + String(repeating: "ab", count: 32)
        #expect(ContainerPlan.containerConfig(for: try validate(deployBody(["dockerImageUrl": id])), dtmaVersion: "t").image == id)
    }

    @Test("the spec hash changes with the spec and only with it")
    func specHash() throws {
        let a = try validate(deployBody())
        #expect(a.specHash == (try validate(deployBody())).specHash)
        #expect(a.specHash != (try validate(deployBody(override: ["Env": ["API_KEY=abd"]]))).specHash)
        #expect(a.specHash.count == 64)
    }
}
