import DockerEngine
import Logging

/// The bridge network every tool runs on, dtma's own, with inter-container traffic off: on the
/// default bridge one tool could open another tool's MCP port. dtma itself, on the host, still
/// reaches each container's address (probes), and published ports still work. A group deployed
/// with `sharedNetworking` gets a network of its own instead, where its servers reach each other
/// and nothing else.
public enum ToolNetwork {
    public static let name = "dtma-tools"
    static let iccOption = "com.docker.network.bridge.enable_icc"
    static let groupPrefix = "dtma-group-"

    public static func groupNetworkName(_ groupID: String) -> String { groupPrefix + groupID }

    static func config(_ name: String) -> NetworkConfig {
        NetworkConfig(name: name, driver: "bridge", labels: [ContainerLabels.managed: "true"], options: [iccOption: "false"])
    }

    static func groupConfig(_ groupID: String) -> NetworkConfig {
        NetworkConfig(
            name: groupNetworkName(groupID), driver: "bridge",
            labels: [ContainerLabels.managed: "true", ContainerLabels.group: groupID], options: [iccOption: "true"])
    }

    /// Whether a network as the engine reports it keeps tools apart.
    static func isolates(_ network: NetworkInspect) -> Bool {
        network.driver == "bridge" && network.options?[iccOption] == "false" && network.internalOnly != true
    }

    /// Creates the network when it is missing, keeps it when it is right, and replaces it when it
    /// is not and nothing is attached; one that is wrong and in use refuses the deploy instead.
    /// (`name` is for tests.)
    public static func ensure(_ engine: any ContainerEngine, name: String = name, logger: Logger) async throws {
        do {
            let existing = try await engine.inspectNetwork(name)
            if isolates(existing) { return }
            guard existing.containers?.isEmpty ?? true else { throw ToolError.toolNetworkUnsafe(network: name) }
            logger.warning("replacing the tools' network: it let containers reach each other", metadata: ["network": "\(name)"])
            try await engine.removeNetwork(existing.id)
        } catch DockerEngineError.notFound {}
        try await create(engine, config(name), logger: logger)
    }

    /// The group's own network, made when missing. One of that name that is not the group's (its
    /// label says so) is refused: dtma joins its servers only to networks it made for them.
    static func ensureGroup(_ engine: any ContainerEngine, groupID: String, logger: Logger) async throws {
        let name = groupNetworkName(groupID)
        do {
            let existing = try await engine.inspectNetwork(name)
            guard existing.labels?[ContainerLabels.group] == groupID, existing.labels?[ContainerLabels.managed] == "true" else {
                throw ToolError.toolNetworkUnsafe(network: name)
            }
            return
        } catch DockerEngineError.notFound {}
        try await create(engine, groupConfig(groupID), logger: logger)
    }

    /// Removes a group's network once its servers are gone; one that is missing is fine.
    static func removeGroup(_ engine: any ContainerEngine, groupID: String) async throws {
        do {
            try await engine.removeNetwork(groupNetworkName(groupID))
        } catch DockerEngineError.notFound {}
    }

    private static func create(_ engine: any ContainerEngine, _ config: NetworkConfig, logger: Logger) async throws {
        do {
            _ = try await engine.createNetwork(config)
            logger.info("created a network for tools", metadata: ["network": "\(config.name)"])
        } catch DockerEngineError.conflict, DockerEngineError.nameConflict {
            // Created by a concurrent deploy meanwhile.
        }
    }
}
