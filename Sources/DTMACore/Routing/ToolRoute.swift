/// Where a tool's MCP server answers right now: what the prober probes and the gateway forwards to.
/// Nil while nothing answers (no container, not running, or no transport to speak).
public struct ToolRoute: Hashable, Sendable {
    public enum Endpoint: Hashable, Sendable {
        case streamableHTTP(host: String, port: Int, path: String)
        case sse(host: String, port: Int, path: String)
        /// The container's main process, through attach.
        case stdio
    }

    public var instanceName: String
    public var containerID: String
    public var endpoint: Endpoint

    public init(instanceName: String, containerID: String, endpoint: Endpoint) {
        self.instanceName = instanceName
        self.containerID = containerID
        self.endpoint = endpoint
    }

    /// HTTP servers are reached through their published port on this host, or else on the
    /// container's own address; stdio servers through attach.
    public init?(_ tool: ToolRecord) {
        guard let settings = tool.probe, let containerID = tool.containerID, tool.containerState?.running == true else { return nil }
        let endpoint: Endpoint
        switch settings.transport {
        case .none, .auto: return nil  // auto is resolved at deploy: it never reaches a container
        case .stdio: endpoint = .stdio
        case .streamableHTTP, .sse:
            guard let containerPort = settings.port, let (host, port) = Self.address(of: tool, containerPort: containerPort) else { return nil }
            let path = settings.path ?? (settings.transport == .sse ? "/sse" : "/mcp")
            endpoint = settings.transport == .sse ? .sse(host: host, port: port, path: path) : .streamableHTTP(host: host, port: port, path: path)
        }
        self.init(instanceName: tool.instanceName, containerID: containerID, endpoint: endpoint)
    }

    /// Where agents reach the tool's server through dtma's gateway, on dtma's own listener (the
    /// control plane's `mcp_endpoint_path`); nil when dtma does not know how the server speaks MCP.
    public static func gatewayPath(_ instanceName: String, probe: ProbeSettings?) -> String? {
        guard let transport = probe?.transport, transport != .none, transport != .auto else { return nil }
        return "/mcp/servers/\(instanceName)"
    }

    static func address(of tool: ToolRecord, containerPort: Int) -> (String, Int)? {
        if let binding = (tool.ports["\(containerPort)/tcp"] ?? nil)?.first, let hostPort = binding.hostPort.flatMap(Int.init) {
            let host = binding.hostIP.flatMap { ["", "0.0.0.0", "::"].contains($0) ? nil : $0 } ?? "127.0.0.1"
            return (host, hostPort)
        }
        return tool.ipAddress.map { ($0, containerPort) }
    }
}
