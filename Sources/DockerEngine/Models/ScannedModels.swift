import JSONScanning

/// A model read straight from the engine's bytes with `JSONScanner` instead of `Decodable`: the
/// answers dtma reads most (an inspect after each event, the list at each relist). Measured in
/// `scripts/bench/engine.sh`: `JSONDecoder` took about 170 µs of a 290 µs inspect's CPU once the
/// answer had just come off the socket, building every field; the scanner reads the same fields
/// in a fraction of that and skips the rest unbuilt. `ScannedModelTests` holds each reader to what
/// `JSONDecoder` reads from the same recorded answers.
protocol ScannedModel {
    init(scanning scanner: inout JSONScanner) throws
}

extension Array: ScannedModel where Element: ScannedModel {
    init(scanning scanner: inout JSONScanner) throws {
        guard let elements = try scanner.arrayIfPresent({ try Element(scanning: &$0) }) else { throw JSONScanner.Malformed() }
        self = elements
    }
}

/// A member a model cannot do without: present, and of its type.
private func required<Value>(_ value: Value?) throws -> Value {
    guard let value else { throw JSONScanner.Malformed() }
    return value
}

extension ContainerInspect: ScannedModel {
    init(scanning scanner: inout JSONScanner) throws {
        var id, name, created, image: String?
        var restartCount: Int?
        var state: ContainerState?
        var config: Config?
        var hostConfig: HostConfig?
        var networkSettings: NetworkSettings?
        var execIDs: [String]?
        try scanner.members { key, value in
            switch key {
            case "Id": id = try value.stringIfPresent()
            case "Name": name = try value.stringIfPresent()
            case "Created": created = try value.stringIfPresent()
            case "Image": image = try value.stringIfPresent()
            case "RestartCount": restartCount = try value.integerIfPresent()
            case "State": state = try value.objectIfPresent { try ContainerState(scanning: &$0) }
            case "Config": config = try value.objectIfPresent { try Config(scanning: &$0) }
            case "HostConfig": hostConfig = try value.objectIfPresent { try HostConfig(scanning: &$0) }
            case "NetworkSettings": networkSettings = try value.objectIfPresent { try NetworkSettings(scanning: &$0) }
            case "ExecIDs": execIDs = try value.stringsIfPresent()
            default: try value.skipValue()
            }
        }
        self.init(
            id: try required(id), name: try required(name), created: try required(created), image: try required(image),
            restartCount: restartCount, state: try required(state), config: try required(config), hostConfig: hostConfig,
            networkSettings: networkSettings, execIDs: execIDs)
    }
}

extension ContainerInspect.Config {
    init(scanning scanner: inout JSONScanner) throws {
        self.init()
        try scanner.members { key, value in
            switch key {
            case "Image": image = try value.stringIfPresent()
            case "Labels": labels = try value.stringMapIfPresent()
            case "Env": env = try value.stringsIfPresent()
            case "Cmd": cmd = try value.stringsIfPresent()
            case "Tty": tty = try value.boolIfPresent()
            case "OpenStdin": openStdin = try value.boolIfPresent()
            case "StdinOnce": stdinOnce = try value.boolIfPresent()
            case "AttachStdin": attachStdin = try value.boolIfPresent()
            case "Entrypoint": entrypoint = try value.stringsIfPresent()
            case "WorkingDir": workingDir = try value.stringIfPresent()
            case "User": user = try value.stringIfPresent()
            case "ExposedPorts": exposedPorts = try value.mapIfPresent { scanner in
                try scanner.skipValue()
                return EmptyObject()
            }
            default: try value.skipValue()
            }
        }
    }
}

extension ContainerInspect.NetworkSettings {
    init(scanning scanner: inout JSONScanner) throws {
        self.init()
        try scanner.members { key, value in
            switch key {
            case "Ports": ports = try value.mapIfPresent { try $0.arrayIfPresent { try PortBinding(scanning: &$0) } }
            case "Networks": networks = try value.mapIfPresent { try required($0.objectIfPresent { try ContainerInspect.EndpointSettings(scanning: &$0) }) }
            default: try value.skipValue()
            }
        }
    }
}

extension ContainerInspect.EndpointSettings {
    init(scanning scanner: inout JSONScanner) throws {
        self.init()
        try scanner.members { key, value in
            switch key {
            case "NetworkID": networkID = try value.stringIfPresent()
            case "IPAddress": ipAddress = try value.stringIfPresent()
            default: try value.skipValue()
            }
        }
    }
}

extension ContainerState {
    init(scanning scanner: inout JSONScanner) throws {
        var status: String?
        var running, paused, restarting, oomKilled, dead: Bool?
        var pid, exitCode: Int?
        var error, startedAt, finishedAt: String?
        try scanner.members { key, value in
            switch key {
            case "Status": status = try value.stringIfPresent()
            case "Running": running = try value.boolIfPresent()
            case "Paused": paused = try value.boolIfPresent()
            case "Restarting": restarting = try value.boolIfPresent()
            case "OOMKilled": oomKilled = try value.boolIfPresent()
            case "Dead": dead = try value.boolIfPresent()
            case "Pid": pid = try value.integerIfPresent()
            case "ExitCode": exitCode = try value.integerIfPresent()
            case "Error": error = try value.stringIfPresent()
            case "StartedAt": startedAt = try value.stringIfPresent()
            case "FinishedAt": finishedAt = try value.stringIfPresent()
            default: try value.skipValue()
            }
        }
        self.init(
            status: ContainerStatus(rawValue: try required(status)), running: try required(running), paused: try required(paused),
            restarting: try required(restarting), oomKilled: try required(oomKilled), dead: try required(dead), pid: try required(pid),
            exitCode: try required(exitCode), error: error, startedAt: startedAt, finishedAt: finishedAt)
    }
}

extension HostConfig {
    init(scanning scanner: inout JSONScanner) throws {
        self.init()
        try scanner.members { key, value in
            switch key {
            case "Binds": binds = try value.stringsIfPresent()
            case "PortBindings": portBindings = try value.mapIfPresent { try required($0.arrayIfPresent { try PortBinding(scanning: &$0) }) }
            case "RestartPolicy": restartPolicy = try value.objectIfPresent { try RestartPolicy(scanning: &$0) }
            case "NetworkMode": networkMode = try value.stringIfPresent()
            case "AutoRemove": autoRemove = try value.boolIfPresent()
            case "Memory": memory = try value.integerIfPresent(Int64.self)
            case "MemorySwap": memorySwap = try value.integerIfPresent(Int64.self)
            case "NanoCpus": nanoCPUs = try value.integerIfPresent(Int64.self)
            case "CpuShares": cpuShares = try value.integerIfPresent(Int64.self)
            case "PidsLimit": pidsLimit = try value.integerIfPresent(Int64.self)
            case "CapAdd": capAdd = try value.stringsIfPresent()
            case "CapDrop": capDrop = try value.stringsIfPresent()
            case "SecurityOpt": securityOpt = try value.stringsIfPresent()
            case "ReadonlyRootfs": readonlyRootfs = try value.boolIfPresent()
            case "Init": initProcess = try value.boolIfPresent()
            case "Privileged": privileged = try value.boolIfPresent()
            case "Tmpfs": tmpfs = try value.stringMapIfPresent()
            case "LogConfig": logConfig = try value.objectIfPresent { try LogConfig(scanning: &$0) }
            case "StorageOpt": storageOpt = try value.stringMapIfPresent()
            default: try value.skipValue()
            }
        }
    }
}

extension PortBinding {
    init(scanning scanner: inout JSONScanner) throws {
        self.init()
        try scanner.members { key, value in
            switch key {
            case "HostIp": hostIP = try value.stringIfPresent()
            case "HostPort": hostPort = try value.stringIfPresent()
            default: try value.skipValue()
            }
        }
    }
}

extension RestartPolicy {
    init(scanning scanner: inout JSONScanner) throws {
        var name: String?
        var maximumRetryCount: Int?
        try scanner.members { key, value in
            switch key {
            case "Name": name = try value.stringIfPresent()
            case "MaximumRetryCount": maximumRetryCount = try value.integerIfPresent()
            default: try value.skipValue()
            }
        }
        self.init(name: try required(name), maximumRetryCount: maximumRetryCount)
    }
}

extension LogConfig {
    init(scanning scanner: inout JSONScanner) throws {
        var type: String?
        var config: [String: String]?
        try scanner.members { key, value in
            switch key {
            case "Type": type = try value.stringIfPresent()
            case "Config": config = try value.stringMapIfPresent()
            default: try value.skipValue()
            }
        }
        self.init(type: try required(type), config: config)
    }
}

extension ContainerSummary: ScannedModel {
    init(scanning scanner: inout JSONScanner) throws {
        var id, image, state, status: String?
        var names: [String]?
        var imageID, command: String?
        var created, sizeRw: Int64?
        var labels: [String: String]?
        var ports: [ContainerPort]?
        try scanner.members { key, value in
            switch key {
            case "Id": id = try value.stringIfPresent()
            case "Names": names = try value.stringsIfPresent()
            case "Image": image = try value.stringIfPresent()
            case "ImageID": imageID = try value.stringIfPresent()
            case "Command": command = try value.stringIfPresent()
            case "Created": created = try value.integerIfPresent(Int64.self)
            case "State": state = try value.stringIfPresent()
            case "Status": status = try value.stringIfPresent()
            case "Labels": labels = try value.stringMapIfPresent()
            case "Ports": ports = try value.arrayIfPresent { try ContainerPort(scanning: &$0) }
            case "SizeRw": sizeRw = try value.integerIfPresent(Int64.self)
            default: try value.skipValue()
            }
        }
        self.init(
            id: try required(id), names: try required(names), image: try required(image), imageID: imageID, command: command,
            created: try required(created), state: try required(state), status: try required(status), labels: labels, ports: ports,
            sizeRw: sizeRw)
    }
}

extension ContainerPort {
    init(scanning scanner: inout JSONScanner) throws {
        var ip, type: String?
        var privatePort, publicPort: Int?
        try scanner.members { key, value in
            switch key {
            case "IP": ip = try value.stringIfPresent()
            case "PrivatePort": privatePort = try value.integerIfPresent()
            case "PublicPort": publicPort = try value.integerIfPresent()
            case "Type": type = try value.stringIfPresent()
            default: try value.skipValue()
            }
        }
        self.init(ip: ip, privatePort: try required(privatePort), publicPort: publicPort, type: try required(type))
    }
}
