import ArgumentParser
import DockerEngine
import FoundationEssentials
import Glibc
import Logging

/// `dtma engine`: proves the engine answers, and lists what dtma manages on it.
struct EngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Show the Docker engine's version and the containers dtma manages.",
        discussion: "Managed containers are those labelled \(managedLabel). Exits 1 when the engine cannot be reached."
    )

    static let managedLabel = "dtma.managed=true"

    @Option(name: .long, help: "Engine address: unix:///path/to/docker.sock or tcp://host:port. Default: $DOCKER_HOST, else unix:///var/run/docker.sock.")
    var host: String?

    func run() async throws {
        let endpoint: EngineEndpoint
        do {
            endpoint = try host.map { try EngineEndpoint(parsing: $0) }
                ?? EngineEndpoint.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
        let engine = DockerEngineClient(endpoint: endpoint)
        defer { engine.shutdown() }
        do {
            let version = try await engine.version()
            let negotiated = try await engine.apiVersion()
            print("Docker engine \(version.version) on \(version.os)/\(version.arch) at \(endpoint)")
            print("API \(version.apiVersion) (minimum \(version.minAPIVersion ?? "?")), dtma speaks \(negotiated)")
            let managed = try await engine.listContainers(all: true, filters: ["label": [Self.managedLabel]])
            print("\nManaged containers: \(managed.count)")
            guard !managed.isEmpty else { return }
            let rows = managed.map { [$0.name ?? "?", $0.state, $0.image, $0.status, String($0.id.prefix(12))] }
            print(Self.table(header: ["NAME", "STATE", "IMAGE", "STATUS", "ID"], rows: rows))
        } catch let error as DockerEngineError {
            printToStandardError("dtma: \(error)")
            throw ExitCode.failure
        }
    }

    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            let padded = row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }
            return String(padded.joined(separator: "  ").reversed().drop(while: { $0 == " " }).reversed())
        }.joined(separator: "\n")
    }
}

/// One line on stderr, unbuffered: what a failing command says before it exits.
func printToStandardError(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
