import DockerEngine
import FoundationEssentials

/// Bounds on what one deploy may ask for.
public enum DeployLimits {
    public static let maxEnvEntries = 256
    public static let maxEnvEntryBytes = 32 * 1024
    public static let maxEnvTotalBytes = 256 * 1024
    public static let maxArguments = 64
    public static let maxArgumentBytes = 4096
    public static let maxPorts = 16
    public static let maxLabels = 64
    public static let memoryBytes: ClosedRange<Int64> = (16 << 20)...(64 << 30)
    public static let nanoCPUs: ClosedRange<Int64> = 10_000_000...64_000_000_000
    public static let pids: ClosedRange<Int64> = 16...32768
    public static let diskMB: ClosedRange<Int64> = 64...(1 << 20)
    public static let hostPorts: ClosedRange<Int> = 1024...65535
    /// Docker's own API ports (plain and TLS): a tool listening there would pass for the engine.
    public static let engineHostPorts: Set<Int> = [2375, 2376]
    /// The capabilities a tool may add back (every one is dropped by default): a part of Docker's
    /// default set, each harmless inside the tool's own namespaces. Not among them, though Docker
    /// grants them by default: NET_RAW (forged packets on the tools' network), DAC_OVERRIDE (any file
    /// of the container whatever its mode), SETUID/SETGID and SETPCAP/SETFCAP (becoming another user,
    /// granting capabilities), MKNOD (device nodes).
    public static let allowedCapabilities: [String] = ["AUDIT_WRITE", "CHOWN", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "SYS_CHROOT"]
    /// Every capability Linux has, so that a typo is told apart from a refusal.
    public static let knownCapabilities: Set<String> = [
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
        "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
        "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
        "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT",
        "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
        "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM", "ALL",
    ]
}

extension DeployRequest {
    /// Checks every field and applies dtma's defaults. `reservedHostPorts` are ports no tool may take
    /// (dtma's own API port); `requireImageDigest` refuses an image named by its tag alone.
    public func validated(reservedHostPorts: Set<Int> = [], requireImageDigest: Bool = false) throws(ToolSpecError) -> ToolSpec {
        let override = baseConfigOverrideJson
        let host = override?.hostConfig
        try Self.refuseHostAccess(host)

        let instanceName = try Self.required(instanceNameOnToolbox, "instanceNameOnToolbox")
        guard NameRules.isInstanceName(instanceName) else {
            throw .invalid("instanceNameOnToolbox", "must be 1–63 letters, digits, '_', '.' or '-', starting with a letter or digit")
        }
        let toolID = try Self.required(accountToolInstanceId, "accountToolInstanceId")
        guard NameRules.isPlainText(toolID, maxBytes: 128) else {
            throw .invalid("accountToolInstanceId", "must be at most 128 printable characters")
        }
        let image = try Self.required(dockerImageUrl, "dockerImageUrl")
        try Self.checkImage(image, field: "dockerImageUrl", requireDigest: requireImageDigest)
        let ports = try Self.ports(host?.portBindings, publicByDefault: publicPorts ?? false, reserved: reservedHostPorts)
        return ToolSpec(
            instanceName: instanceName,
            accountToolInstanceId: toolID,
            image: image,
            env: try Self.environment(override?.env),
            cmd: try Self.arguments(override?.cmd, field: "baseConfigOverrideJson.Cmd"),
            entrypoint: try Self.arguments(override?.entrypoint, field: "baseConfigOverrideJson.Entrypoint"),
            workingDir: try Self.workingDirectory(override?.workingDir),
            user: try Self.user(override?.user),
            ports: ports,
            resources: try Self.resources(host: host, request: resources, template: resourceTemplate),
            restartPolicy: try Self.restartPolicy(host?.restartPolicy),
            security: SecuritySettings(
                capAdd: try Self.capabilities(host?.capAdd), readOnlyRootFilesystem: host?.readonlyRootfs ?? false),
            probe: try Self.probe(probe, ports: ports, transportType: mcpTransportType, endpointPath: mcpEndpointPath),
            labels: try Self.labels((override?.labels ?? [:]).merging(labels ?? [:]) { _, new in new }))
    }

    /// An image reference in Docker's grammar, pinned by digest when `requireDigest`.
    public static func checkImage(_ image: String, field: String, requireDigest: Bool) throws(ToolSpecError) {
        guard NameRules.isImageReference(image) else {
            throw .invalid(field, "is not an image reference such as ghcr.io/owner/server:1.2")
        }
        if requireDigest, ImageReference(parsing: image)?.tagOrDigest.hasPrefix("sha256:") != true {
            throw .invalid(field, "must name the image's digest (ghcr.io/owner/server@sha256:…): this dtma runs pinned images only (DTMA_REQUIRE_IMAGE_DIGEST=1)")
        }
    }

    private static func required(_ value: String?, _ field: String) throws(ToolSpecError) -> String {
        guard let value, !value.isEmpty else { throw .missing(field) }
        return value
    }

    private static func refuseHostAccess(_ host: HostOverride?) throws(ToolSpecError) {
        guard let host else { return }
        func refuse(_ field: String, _ what: String) -> ToolSpecError {
            .init(.notSupported, field: "baseConfigOverrideJson.HostConfig.\(field)", "\(what) would give the tool the host; dtma does not allow it")
        }
        if host.privileged == true { throw refuse("Privileged", "a privileged container") }
        if !(host.binds ?? []).isEmpty { throw refuse("Binds", "host bind mounts") }
        if !(host.mounts ?? []).isEmpty { throw refuse("Mounts", "host mounts") }
        if !(host.devices ?? []).isEmpty { throw refuse("Devices", "host devices") }
        if let mode = host.networkMode, !["", "bridge", "default"].contains(mode) { throw refuse("NetworkMode", "network mode '\(mode)'") }
        if let mode = host.pidMode, !mode.isEmpty { throw refuse("PidMode", "a shared PID namespace") }
        if let mode = host.ipcMode, !["", "private", "none"].contains(mode) { throw refuse("IpcMode", "a shared IPC namespace") }
    }

    private static func environment(_ env: [String]?) throws(ToolSpecError) -> [String] {
        let env = env ?? []
        let field = "baseConfigOverrideJson.Env"
        guard env.count <= DeployLimits.maxEnvEntries else {
            throw .init(.tooLarge, field: field, "\(field): at most \(DeployLimits.maxEnvEntries) entries")
        }
        var total = 0
        var seen = Set<Substring>()
        for (index, entry) in env.enumerated() {
            let at = "\(field)[\(index)]"
            total += entry.utf8.count
            guard entry.utf8.count <= DeployLimits.maxEnvEntryBytes else {
                throw .init(.tooLarge, field: at, "\(at): an entry may hold at most \(DeployLimits.maxEnvEntryBytes) bytes")
            }
            guard let equals = entry.firstIndex(of: "="), NameRules.isEnvironmentName(entry[..<equals]) else {
                throw .invalid(at, "expected NAME=value with a name of letters, digits and '_'")
            }
            guard !entry.utf8.contains(0) else { throw .invalid(at, "contains a NUL byte") }
            guard seen.insert(entry[..<equals]).inserted else { throw .invalid(at, "\(entry[..<equals]) is set twice") }
        }
        guard total <= DeployLimits.maxEnvTotalBytes else {
            throw .init(.tooLarge, field: field, "\(field): at most \(DeployLimits.maxEnvTotalBytes) bytes in all")
        }
        return env
    }

    private static func arguments(_ arguments: [String]?, field: String) throws(ToolSpecError) -> [String]? {
        guard let arguments else { return nil }
        guard arguments.count <= DeployLimits.maxArguments else {
            throw .init(.tooLarge, field: field, "\(field): at most \(DeployLimits.maxArguments) arguments")
        }
        for (index, argument) in arguments.enumerated() {
            guard argument.utf8.count <= DeployLimits.maxArgumentBytes, !argument.utf8.contains(0) else {
                throw .invalid("\(field)[\(index)]", "at most \(DeployLimits.maxArgumentBytes) bytes and no NUL")
            }
        }
        return arguments
    }

    private static func workingDirectory(_ path: String?) throws(ToolSpecError) -> String? {
        guard let path, !path.isEmpty else { return nil }
        guard path.hasPrefix("/"), NameRules.isPlainText(path, maxBytes: 256) else {
            throw .invalid("baseConfigOverrideJson.WorkingDir", "must be an absolute path")
        }
        return path
    }

    private static func user(_ user: String?) throws(ToolSpecError) -> String? {
        guard let user, !user.isEmpty else { return nil }
        let parts = user.split(separator: ":", omittingEmptySubsequences: false)
        guard user.utf8.count <= 64, parts.count <= 2,
            parts.allSatisfy({ !$0.isEmpty && NameRules.isEnvironmentName($0) || Int($0) != nil })
        else { throw .invalid("baseConfigOverrideJson.User", "expected user[:group], names or numeric ids") }
        return user
    }

    private static func resources(host: HostOverride?, request: ResourceRequest?, template: String?) throws(ToolSpecError) -> ResourceLimits {
        var limits = ResourceLimits.defaults
        if let template {
            guard let chosen = ResourceTemplate.named(template) else {
                throw .invalid("resourceTemplate", "must be one of \(ResourceTemplate.all.map(\.name).joined(separator: ", "))")
            }
            limits.memoryBytes = chosen.memoryMB << 20
            limits.cpuShares = chosen.cpuShares
        }
        // Huge requests become out of range rather than overflowing (or trapping on conversion).
        let requestedMemory = request?.memoryMB.map { $0.multipliedReportingOverflow(by: 1 << 20) }.map { $0.overflow ? Int64.max : $0.partialValue }
        if let memory = host?.memory ?? requestedMemory {
            guard DeployLimits.memoryBytes.contains(memory) else {
                throw .invalid("baseConfigOverrideJson.HostConfig.Memory", "must be between 16 MiB and 64 GiB")
            }
            limits.memoryBytes = memory
        }
        if let nano = host?.nanoCPUs ?? request?.cpus.map({ Int64(exactly: ($0 * 1e9).rounded()) ?? .max }) {
            guard DeployLimits.nanoCPUs.contains(nano) else {
                throw .invalid("baseConfigOverrideJson.HostConfig.NanoCpus", "must be between 0.01 and 64 CPUs")
            }
            limits.nanoCPUs = nano
        }
        if let disk = request?.diskMB {
            guard DeployLimits.diskMB.contains(disk) else { throw .invalid("resources.diskMB", "must be between 64 and 1048576 (1 TiB)") }
            limits.diskBytes = disk << 20
        }
        if let pids = host?.pidsLimit ?? request?.pids {
            guard DeployLimits.pids.contains(pids) else {
                throw .invalid("baseConfigOverrideJson.HostConfig.PidsLimit", "must be between 16 and 32768")
            }
            limits.pidsLimit = pids
        }
        return limits
    }

    private static func restartPolicy(_ request: RestartPolicyRequest?) throws(ToolSpecError) -> RestartPolicySpec {
        guard let request, let name = request.name, !name.isEmpty else { return .defaults }
        let field = "baseConfigOverrideJson.HostConfig.RestartPolicy"
        guard ["no", "always", "unless-stopped", "on-failure"].contains(name) else {
            throw .invalid("\(field).Name", "must be no, always, unless-stopped or on-failure")
        }
        if let retries = request.maximumRetryCount, retries != 0 {
            guard name == "on-failure", (1...100).contains(retries) else {
                throw .invalid("\(field).MaximumRetryCount", "only for on-failure, between 1 and 100")
            }
            return RestartPolicySpec(name: name, maximumRetryCount: retries)
        }
        return RestartPolicySpec(name: name, maximumRetryCount: nil)
    }

    private static func capabilities(_ requested: [String]?) throws(ToolSpecError) -> [String] {
        var added: [String] = []
        for (index, raw) in (requested ?? []).enumerated() {
            let name = raw.uppercased().hasPrefix("CAP_") ? String(raw.uppercased().dropFirst(4)) : raw.uppercased()
            let field = "baseConfigOverrideJson.HostConfig.CapAdd[\(index)]"
            guard DeployLimits.knownCapabilities.contains(name) else { throw .invalid(field, "unknown capability") }
            guard DeployLimits.allowedCapabilities.contains(name) else {
                throw .init(
                    .notSupported, field: field,
                    "\(field): dtma does not grant \(name); a tool may add only \(DeployLimits.allowedCapabilities.joined(separator: ", "))")
            }
            if !added.contains(name) { added.append(name) }
        }
        return added.sorted()
    }

    private static func labels(_ labels: [String: String]) throws(ToolSpecError) -> [String: String] {
        guard labels.count <= DeployLimits.maxLabels else {
            throw .init(.tooLarge, field: "labels", "labels: at most \(DeployLimits.maxLabels)")
        }
        for (key, value) in labels {
            guard NameRules.isLabelKey(key), !key.hasPrefix("dtma.") else {
                throw .invalid("labels.\(key)", "keys are letters, digits, '.', '-', '_', '/'; the dtma. prefix is reserved")
            }
            guard NameRules.isPlainText(value, maxBytes: 1024) else { throw .invalid("labels.\(key)", "at most 1024 printable characters") }
        }
        return labels
    }
}
