import ArgumentParser

@main
struct DTMACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dtma",
        abstract: "Droplet Tool Management Agent: hosts MCP servers as Docker containers for a control plane.",
        discussion: """
            dtma talks to the Docker engine on this machine over its unix socket (or DOCKER_HOST), \
            runs the MCP servers the control plane deploys, and keeps them healthy.

            The commands other than serve and engine talk to the daemon on this machine, with the key \
            and port from its settings (/etc/dtma/dtma.env).

            Examples:
              dtma serve               run the daemon (see dtma serve --help)
              dtma status              the tools it runs: state, health, uptime
              dtma deploy tool.json    deploy a tool (the body of POST /tools)
              dtma logs weather -f     follow a tool's logs
              dtma stop|start|remove weather
              dtma check-config        settings, engine, control plane
              dtma engine              the engine and dtma's containers
              dtma version
            """,
        version: DTMAVersion.current,
        subcommands: [
            ServeCommand.self, StatusCommand.self, DeployCommand.self, StartCommand.self, StopCommand.self, RemoveCommand.self,
            LogsCommand.self, CheckConfigCommand.self, EngineCommand.self, VersionCommand.self,
        ]
    )
}

enum DTMAVersion {
    static let current = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print dtma's version.")

    func run() {
        print("dtma \(DTMAVersion.current)")
    }
}
