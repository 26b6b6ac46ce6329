/// The contract's `status_on_toolbox`: the values of the control plane's database enum that dtma
/// reports (`../shared/design/contract.md`, heartbeat), and what each means here.
public enum ToolboxStatus: String, Sendable, Codable, CaseIterable {
    /// Known from the control plane's request or a label, with no container yet.
    case pendingDeploy = "pending_deploy"
    /// Pulling its image or creating its container.
    case deploying
    /// Created or started, or probed and still within its start-up grace.
    case starting
    /// Running, and healthy when probed.
    case running
    case stopping
    /// Exited because someone asked (or paused).
    case stopped
    case deleting
    /// Crashed, restarting in a loop, or MCP-unhealthy past its threshold (the reason is in the details).
    case errorRuntime = "error_runtime"
}
