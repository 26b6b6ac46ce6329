import ArgumentParser

@main
struct DTMACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dtma",
        abstract: "Droplet Tool Management Agent: hosts MCP servers as Docker containers for a control plane.",
        discussion: """
            dtma talks to the Docker engine on this machine over its unix socket (or DOCKER_HOST), \
            runs the MCP servers the control plane deploys, and keeps them healthy.

            Examples:
              dtma serve                           run the daemon (see dtma serve --help)
              dtma engine                          engine version and the containers dtma manages
              dtma engine --host tcp://127.0.0.1:2375
              dtma version
            """,
        version: DTMAVersion.current,
        subcommands: [ServeCommand.self, EngineCommand.self, VersionCommand.self]
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
