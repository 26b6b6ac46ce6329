import FoundationEssentials

/// The labels that make a container dtma's. They are the durable truth: after a restart dtma
/// rebuilds its whole state from `GET /containers/json?filters=label=dtma.managed=true` and these.
public enum ContainerLabels {
    public static let managed = "dtma.managed"
    public static let instance = "dtma.instance"
    public static let toolID = "dtma.tool-id"
    public static let specHash = "dtma.spec-hash"
    public static let image = "dtma.image"
    /// The probe settings as JSON, read back by the prober after a restart.
    public static let probe = "dtma.probe"
    public static let createdBy = "dtma.created-by"
    /// The `/mcp/groups` group, on its servers and on the group's own network.
    public static let group = "dtma.group"
    /// The registry digest of the image the container was created from.
    public static let imageDigest = "dtma.image-digest"

    /// The engine filter that lists dtma's containers and nothing else.
    public static let managedFilter = ["label": ["\(managed)=true"]]

    /// The engine filter that lists one group's containers.
    public static func groupFilter(_ groupID: String) -> [String: [String]] {
        ["label": ["\(managed)=true", "\(group)=\(groupID)"]]
    }

    public static func labels(for spec: ToolSpec, dtmaVersion: String) -> [String: String] {
        var labels = spec.labels
        labels[managed] = "true"
        labels[instance] = spec.instanceName
        labels[toolID] = spec.accountToolInstanceId
        labels[specHash] = spec.specHash
        labels[image] = spec.image
        labels[createdBy] = "dtma \(dtmaVersion)"
        labels[group] = spec.group
        labels[imageDigest] = spec.imageDigest
        if let probe = spec.probe, let json = try? JSONEncoder().encode(probe) {
            labels[self.probe] = String(decoding: json, as: UTF8.self)
        }
        return labels
    }

    /// What a container's labels say about the tool it runs; nil for a container that is not dtma's.
    public struct Identity: Sendable, Equatable {
        public var instanceName: String
        public var accountToolInstanceId: String
        public var specHash: String
        public var image: String
        public var probe: ProbeSettings?
        public var group: String? = nil
        public var imageDigest: String? = nil
    }

    public static func identity(_ labels: [String: String]?) -> Identity? {
        guard let labels, labels[managed] == "true", let name = labels[instance] else { return nil }
        return Identity(
            instanceName: name,
            accountToolInstanceId: labels[toolID] ?? "",
            specHash: labels[specHash] ?? "",
            image: labels[image] ?? "",
            probe: labels[probe].flatMap { try? JSONDecoder().decode(ProbeSettings.self, from: Data($0.utf8)) },
            group: labels[group], imageDigest: labels[imageDigest])
    }
}
