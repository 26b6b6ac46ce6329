import FoundationEssentials
import Glibc

extension DeployRequest {
    /// `"8080/tcp": [{"HostIp": …, "HostPort": "30001"}]` → publications, on 127.0.0.1 unless the
    /// request names an address or sets `publicPorts`.
    static func ports(
        _ bindings: [String: [PortBindingRequest]?]?, publicByDefault: Bool, reserved: Set<Int>
    ) throws(ToolSpecError) -> [PortPublication] {
        let field = "baseConfigOverrideJson.HostConfig.PortBindings"
        let bindings = bindings ?? [:]
        guard bindings.count <= DeployLimits.maxPorts else {
            throw .init(.tooLarge, field: field, "\(field): at most \(DeployLimits.maxPorts) ports")
        }
        var publications: [PortPublication] = []
        var taken = Set<HostPortKey>()
        for key in bindings.keys.sorted() {
            let at = "\(field).\(key)"
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let containerPort = plainPort(parts[0]), (1...65535).contains(containerPort) else {
                throw .invalid(at, "expected PORT or PORT/PROTOCOL, e.g. 8080/tcp")
            }
            let proto = parts.count == 2 ? String(parts[1]).lowercased() : "tcp"
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw .invalid(at, "protocol must be tcp, udp or sctp") }
            let requested = (bindings[key] ?? nil) ?? []
            guard requested.count <= 4 else { throw .invalid(at, "at most 4 bindings per port") }
            for binding in requested.isEmpty ? [PortBindingRequest()] : requested {
                let publication = try publication(
                    binding, containerPort: containerPort, proto: proto, publicByDefault: publicByDefault, field: at)
                if let hostPort = publication.hostPort {
                    guard !reserved.contains(hostPort) else { throw .invalid("\(at).HostPort", "\(hostPort) is reserved for dtma itself") }
                    guard taken.insert(HostPortKey(port: hostPort, proto: proto)).inserted else {
                        throw .invalid("\(at).HostPort", "host port \(hostPort)/\(proto) is bound twice")
                    }
                }
                publications.append(publication)
            }
        }
        return publications
    }

    private static func publication(
        _ binding: PortBindingRequest, containerPort: Int, proto: String, publicByDefault: Bool, field: String
    ) throws(ToolSpecError) -> PortPublication {
        var hostPort: Int?
        if let text = binding.hostPort, !text.isEmpty {
            guard let port = plainPort(Substring(text)), DeployLimits.hostPorts.contains(port) else {
                throw .invalid("\(field).HostPort", "must be a port between 1024 and 65535, in plain digits")
            }
            guard !DeployLimits.engineHostPorts.contains(port) else {
                throw .invalid("\(field).HostPort", "\(port) is the Docker engine's own port")
            }
            hostPort = port
        }
        var hostIP = publicByDefault ? "0.0.0.0" : "127.0.0.1"
        if let address = binding.hostIP, !address.isEmpty {
            guard isIPAddress(address) else { throw .invalid("\(field).HostIp", "must be an IPv4 or IPv6 address") }
            hostIP = address
        }
        return PortPublication(containerPort: containerPort, proto: proto, hostIP: hostIP, hostPort: hostPort)
    }

    /// A port in plain digits, without sign or leading zero (`Int()` reads "+31104" and "031105").
    static func plainPort(_ text: Substring) -> Int? {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), text.first != "0" else { return nil }
        return Int(text)
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Kubelet's defaults where the request is silent (period 10 s, failure threshold 3, success 1),
    /// with a 5 s timeout since an MCP handshake is several round trips.
    ///
    /// The probe, and so the MCP transport. Named by `probe.transport` or `mcpTransportType`;
    /// otherwise a published port (or `probe.port`) means Streamable HTTP, and nothing at all means
    /// `auto`: the image decides at deploy time (`ProbeSettings.resolved`).
    static func probe(
        _ request: ProbeRequest?, ports: [PortPublication], transportType: String? = nil, endpointPath: String? = nil
    ) throws(ToolSpecError) -> ProbeSettings {
        let field = "probe"
        var transport: ProbeSettings.Transport?
        var reason: String?
        if let name = request?.transport {
            guard let parsed = ProbeSettings.Transport(rawValue: name), parsed != .auto else {
                throw .invalid("\(field).transport", "must be one of \(ProbeSettings.Transport.named.map(\.rawValue).joined(separator: ", "))")
            }
            (transport, reason) = (parsed, "the request's probe.transport")
        }
        if let name = transportType {
            let named = try Self.transport(mcpTransportType: name)
            if let transport, transport != named { throw .invalid("mcpTransportType", "disagrees with probe.transport") }
            (transport, reason) = (named, reason ?? "the request's mcpTransportType")
        }
        if transport == nil {
            if ports.contains(where: { $0.proto == "tcp" }) || request?.port != nil {
                (transport, reason) = (.streamableHTTP, request?.port != nil ? "the request's probe.port" : "a published TCP port")
            } else {
                transport = .auto
            }
        }
        let chosen = transport ?? .auto
        var port: Int?
        var path: String?
        if chosen == .streamableHTTP || chosen == .sse {
            // A port that is not published is probed on the container's own address; with neither,
            // the port the image exposes (found at deploy time).
            port = request?.port ?? ports.first(where: { $0.proto == "tcp" })?.containerPort
            if let port, !(1...65535).contains(port) {
                throw .invalid("\(field).port", "must be a container port between 1 and 65535")
            }
            path = request?.path ?? endpointPath ?? (chosen == .sse ? "/sse" : "/mcp")
            guard let chosenPath = path, chosenPath.hasPrefix("/"), NameRules.isPlainText(chosenPath, maxBytes: 256),
                !chosenPath.contains(" ")
            else { throw .invalid(request?.path != nil ? "\(field).path" : "mcpEndpointPath", "must be an absolute path such as /mcp") }
        }
        func bounded(_ value: Int?, _ name: String, _ range: ClosedRange<Int>, default fallback: Int) throws(ToolSpecError) -> Int {
            let value = value ?? fallback
            guard range.contains(value) else {
                throw .invalid("\(field).\(name)", "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }
        let period = try bounded(request?.periodSeconds, "periodSeconds", 1...3600, default: 10)
        let timeout = try bounded(request?.timeoutSeconds, "timeoutSeconds", 1...60, default: min(5, period))
        guard timeout <= period else { throw .invalid("\(field).timeoutSeconds", "must not exceed periodSeconds") }
        var action = ProbeSettings.Action.report
        if let name = request?.action {
            guard let parsed = ProbeSettings.Action(rawValue: name) else { throw .invalid("\(field).action", "must be report or restart") }
            action = parsed
        }
        return ProbeSettings(
            transport: chosen, port: port, path: path, periodSeconds: period, timeoutSeconds: timeout,
            initialDelaySeconds: try bounded(request?.initialDelaySeconds, "initialDelaySeconds", 0...3600, default: 0),
            failureThreshold: try bounded(request?.failureThreshold, "failureThreshold", 1...100, default: 3),
            successThreshold: try bounded(request?.successThreshold, "successThreshold", 1...100, default: 1),
            action: action, chosenBecause: reason)
    }

    /// `mcpTransportType` as the control plane writes it.
    static func transport(mcpTransportType name: String) throws(ToolSpecError) -> ProbeSettings.Transport {
        switch name.lowercased() {
        case "stdio": return .stdio
        case "sse": return .sse
        case "http", "streamable-http", "streamable_http", "streamablehttp": return .streamableHTTP
        case "websocket", "ws":
            throw .init(.notSupported, field: "mcpTransportType", "mcpTransportType: websocket is not an MCP transport; use stdio, sse or streamable-http")
        default: throw .invalid("mcpTransportType", "must be stdio, sse or streamable-http (http)")
        }
    }
}
