import DockerEngine

extension ProbeSettings {
    /// The probe of a tool whose request left something to its image: the transport, when it
    /// named none and published no port, or the port of an HTTP transport it named.
    ///
    /// The control plane deploys MCP servers without saying how they speak: a server whose image
    /// exposes a TCP port speaks HTTP there (Streamable HTTP at `/mcp`; the probe falls back to
    /// HTTP+SSE at `/sse` and detects the era), one that exposes none speaks stdio — and is started
    /// with its stdin kept open, without which it reads end-of-file and exits at once.
    func resolved(imageExposes exposed: [String]) throws(ToolSpecError) -> ProbeSettings {
        let tcpPort = exposed.compactMap { key -> Int? in
            let parts = key.split(separator: "/")
            guard parts.count == 1 || parts.last == "tcp" else { return nil }
            return Int(parts[0])
        }.sorted().first
        var settings = self
        switch transport {
        case .auto:
            if let tcpPort {
                settings.transport = .streamableHTTP
                settings.port = tcpPort
                settings.path = settings.path ?? "/mcp"
                settings.chosenBecause = "no transport named and no port published; the image exposes \(tcpPort)/tcp"
            } else {
                settings.transport = .stdio
                settings.chosenBecause = "no transport named, no port published and none exposed by the image: stdio"
            }
        case .streamableHTTP where port == nil, .sse where port == nil:
            guard let tcpPort else {
                throw .invalid("probe.port", "is required: \(transport.rawValue) needs the container port the server listens on, and the image exposes none")
            }
            settings.port = tcpPort
            settings.chosenBecause = [chosenBecause, "the port the image exposes"].compactMap { $0 }.joined(separator: "; ")
        default:
            break
        }
        return settings
    }
}
