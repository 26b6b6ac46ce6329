import FoundationEssentials
import JSONScanning
import MCPProbe

/// What a server last said it offers: its capabilities and its tools with their schemas, hashed as
/// the control plane's tool cache (`mcp_tools_cache`: name, schema, schema hash) keeps them. Kept
/// from the last probe that listed the tools, through later failures: the last known inventory.
public struct ToolInventory: Sendable, Equatable {
    public struct Tool: Sendable, Equatable {
        public var definition: MCPToolDefinition
        /// SHA-256 of the definition's canonical JSON.
        public var schemaHash: String
    }

    public var capabilities: JSONValue?
    public var tools: [Tool]
    /// Changes when any tool comes, goes or changes its definition (names in order, with their hashes).
    public var toolsHash: String
    public var listedAt: Date

    init(capabilities: JSONValue?, tools definitions: [MCPToolDefinition], listedAt: Date) {
        self.capabilities = capabilities
        self.listedAt = listedAt
        tools = definitions.map { Tool(definition: $0, schemaHash: SHA256.hexDigest($0.canonicalJSON)) }
        let summary = tools.sorted { $0.definition.name < $1.definition.name }.map { "\($0.definition.name)\u{0}\($0.schemaHash)\n" }.joined()
        toolsHash = SHA256.hexDigest(Array(summary.utf8))
    }

    public var toolNames: [String] { tools.map(\.definition.name) }
}
