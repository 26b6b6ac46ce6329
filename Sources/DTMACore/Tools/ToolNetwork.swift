import DockerEngine
import Logging

/// The bridge network every tool runs on, dtma's own, with inter-container traffic off: on the
/// default bridge one tool could open another tool's MCP port. dtma itself, on the host, still
/// reaches each container's address (probes), and published ports still work.
public enum ToolNetwork {
    public static let name = "dtma-tools"
    static let iccOption = "com.docker.network.bridge.enable_icc"

    static func config(_ name: String) -> NetworkConfig {
        NetworkConfig(name: name, driver: "bridge", labels: [ContainerLabels.managed: "true"], options: [iccOption: "false"])
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
        do {
            _ = try await engine.createNetwork(config(name))
            logger.info("created the tools' network", metadata: ["network": "\(name)"])
        } catch DockerEngineError.conflict, DockerEngineError.nameConflict {
            // Created by a concurrent deploy meanwhile.
        }
    }
}
