import JSONScanning

/// One tool as a server's `tools/list` defines it: its name and the whole definition (description,
/// `inputSchema`, `outputSchema`, annotations), kept as the server wrote it for the control plane's
/// tool cache.
public struct MCPToolDefinition: Sendable, Equatable, Codable {
    public var name: String
    public var definition: JSONValue

    /// Nil for anything but an object with a string `name`: a tool nobody could call.
    public init?(_ definition: JSONValue) {
        guard case .object(let members) = definition, case .string(let name)? = members["name"] else { return nil }
        self.name = name
        self.definition = definition
    }

    /// The definition as compact JSON with its keys in order: equal definitions, equal bytes.
    public var canonicalJSON: [UInt8] {
        var bytes: [UInt8] = []
        definition.write(into: &bytes)
        return bytes
    }
}
