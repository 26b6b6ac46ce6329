import DockerEngine

/// How a `ToolSpec` becomes a container: the hardened defaults, and what the spec relaxed of them.
public enum ContainerPlan {
    /// json-file rotation as the original droplets used (10 MB × 3), so a chatty tool cannot fill the disk.
    public static let logConfig = LogConfig(type: "json-file", config: ["max-size": "10m", "max-file": "3"])

    /// `secrets` (name → value) replace the request's entries of the same name in the environment.
    public static func containerConfig(for spec: ToolSpec, secrets: [String: String] = [:], dtmaVersion: String) -> ContainerConfig {
        // With its tag made explicit: a bare name must never be resolved as an image ID prefix.
        var config = ContainerConfig(image: ImageReference(parsing: spec.image)?.description ?? spec.image)
        config.env = spec.env.filter { entry in !secrets.keys.contains { entry.hasPrefix($0 + "=") } }
            + secrets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        config.cmd = spec.cmd
        config.entrypoint = spec.entrypoint
        config.workingDir = spec.workingDir
        config.user = spec.user
        config.labels = ContainerLabels.labels(for: spec, dtmaVersion: dtmaVersion)
        if spec.probe?.transport == .stdio {
            // The prober speaks MCP over the main process's stdin/stdout through attach.
            config.openStdin = true
            config.attachStdin = true
            config.stdinOnce = false
        }
        var exposed = spec.ports.map(\.dockerKey)
        if let probePort = spec.probe?.port { exposed.append("\(probePort)/tcp") }
        if !exposed.isEmpty {
            config.exposedPorts = Dictionary(exposed.map { ($0, EmptyObject()) }) { first, _ in first }
        }

        var host = HostConfig()
        if !spec.ports.isEmpty {
            host.portBindings = Dictionary(grouping: spec.ports, by: \.dockerKey).mapValues { publications in
                publications.map { PortBinding(hostIP: $0.hostIP, hostPort: $0.hostPort.map(String.init) ?? "") }
            }
        }
        host.restartPolicy = RestartPolicy(name: spec.restartPolicy.name, maximumRetryCount: spec.restartPolicy.maximumRetryCount)
        host.memory = spec.resources.memoryBytes
        host.memorySwap = spec.resources.memoryBytes  // no swap on top of the limit
        host.nanoCPUs = spec.resources.nanoCPUs
        host.cpuShares = spec.resources.cpuShares
        host.pidsLimit = spec.resources.pidsLimit
        host.storageOpt = spec.resources.diskBytes.map { ["size": String($0)] }
        host.capDrop = ["ALL"]
        host.capAdd = spec.security.capAdd.isEmpty ? nil : spec.security.capAdd
        host.securityOpt = ["no-new-privileges:true"]
        host.readonlyRootfs = spec.security.readOnlyRootFilesystem
        if spec.security.readOnlyRootFilesystem { host.tmpfs = ["/tmp": "rw,noexec,nosuid,size=64m"] }
        host.initProcess = true
        host.networkMode = spec.networkName
        host.logConfig = logConfig
        config.hostConfig = host
        return config
    }
}
