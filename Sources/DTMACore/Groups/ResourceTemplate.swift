/// The resource sizes the control plane may name instead of figures (`resourceTemplate`), as the
/// original agent offered them at `GET /mcp/templates`: memory, and a relative CPU weight.
public struct ResourceTemplate: Sendable, Equatable, Encodable {
    public var name: String
    public var description: String
    public var memoryMB: Int64
    /// Docker's `CpuShares`: the tool's weight when CPUs are contended (1024 is one default share).
    public var cpuShares: Int64

    public static let all: [ResourceTemplate] = [
        ResourceTemplate(name: "standard", description: "Most MCP servers", memoryMB: 512, cpuShares: 1024),
        ResourceTemplate(name: "high-performance", description: "Servers that index, browse or compute", memoryMB: 2048, cpuShares: 2048),
        ResourceTemplate(name: "minimal", description: "Small stdio servers", memoryMB: 128, cpuShares: 512),
    ]

    public static func named(_ name: String) -> ResourceTemplate? {
        all.first { $0.name == name }
    }
}
