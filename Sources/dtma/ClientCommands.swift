import ArgumentParser
import DTMACore
import DockerEngine
import FoundationEssentials
import Glibc
import HTTP1
import HTTP1Client

/// `dtma status`: what the daemon on this machine runs, as a table.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the tools the local daemon runs: state, health, uptime, ports, last probe.")

    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .long, help: "Print the daemon's /status JSON as it is.") var json = false

    func run() async throws {
        try await runReportingErrors {
            let daemon = try LocalDaemon(daemon)
            let body = try await daemon.call("GET", "/status")
            if json {
                print(String(decoding: body, as: UTF8.self))
                return
            }
            guard let status = try? JSONDecoder().decode(StatusDocument.self, from: Data(body)) else {
                throw CLIError("/status answered something that is not dtma's status")
            }
            let engine = status.engine.reachable
                ? "engine \(status.engine.version ?? "?") reachable" : "ENGINE UNREACHABLE: \(status.engine.error ?? "?")"
            print("dtma \(status.version) at \(daemon.address) · \(engine) · \(status.toolInstances.count) tools")
            guard !status.toolInstances.isEmpty else { return }
            print()
            let rows = status.toolInstances.map { tool in
                [
                    tool.instanceName, tool.statusOnToolbox.rawValue, tool.details.health?.state.rawValue ?? "-",
                    Self.duration(tool.details.uptimeSeconds), Self.ports(tool.details.ports), Self.lastProbe(tool.details.health),
                ]
            }
            print(EngineCommand.table(header: ["TOOL", "STATE", "HEALTH", "UPTIME", "PORTS", "LAST PROBE"], rows: rows))
            for tool in status.toolInstances {
                if let problem = tool.details.health?.lastError ?? (tool.statusOnToolbox == .errorRuntime ? tool.details.detail : nil) {
                    print("\n\(tool.instanceName): \(problem)")
                }
            }
        }
    }

    static func duration(_ seconds: Int?) -> String {
        guard let seconds else { return "-" }
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<7200: return "\(seconds / 60)m"
        case ..<172_800: return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }

    static func ports(_ ports: [String: [PortBinding]?]) -> String {
        let published = ports.sorted { $0.key < $1.key }.flatMap { key, bindings in
            (bindings ?? []).compactMap { binding in binding.hostPort.map { "\(binding.hostIP ?? ""):\($0)->\(key)" } }
        }
        return published.isEmpty ? "-" : published.joined(separator: ",")
    }

    static func lastProbe(_ health: HealthReport?) -> String {
        guard let health, let at = health.lastProbeAt else { return "-" }
        let time = at.split(separator: "T").last.map { String($0.prefix(8)) } ?? at
        return health.latencyMilliseconds.map { "\(time) (\($0) ms)" } ?? time
    }
}

/// `dtma deploy spec.json`: the deploy request as the control plane sends it.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Deploy a tool from a JSON spec (the body of POST /tools; - reads stdin).",
        discussion: """
            Example spec:
              {"dockerImageUrl": "ghcr.io/acme/weather-mcp:1.2", "instanceNameOnToolbox": "weather",
               "accountToolInstanceId": "42", "baseConfigOverrideJson": {"Env": ["MODE=prod"],
               "HostConfig": {"PortBindings": {"8080/tcp": [{"HostPort": "30001"}]}}}}
            On a terminal, the image pull's progress is shown while it runs.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The spec file, or - for stdin.") var spec: String

    func run() async throws {
        try await runReportingErrors {
            let daemon = try LocalDaemon(daemon)
            let body = try Self.read(spec)
            struct Named: Decodable { var instanceNameOnToolbox: String? }
            let name = (try? JSONDecoder().decode(Named.self, from: Data(body)))?.instanceNameOnToolbox
            let progress = isatty(STDOUT_FILENO) == 1 && name != nil ? Task { await Self.showProgress(daemon, name!) } : nil
            defer { progress?.cancel() }
            let answer = try await daemon.call("POST", "/tools", body: body)
            progress?.cancel()
            struct Deployed: Decodable {
                struct Data: Decodable { var container_id: String }
                var message: String
                var data: Data?
            }
            let deployed = try? JSONDecoder().decode(Deployed.self, from: Data(answer))
            if isatty(STDOUT_FILENO) == 1 { print("\r\u{1B}[K", terminator: "") }
            print("\(deployed?.message ?? "deployed")\(deployed?.data.map { " (container \($0.container_id.prefix(12)))" } ?? "")")
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" {
            var bytes: [UInt8] = []
            while let line = readLine(strippingNewline: false) { bytes += Array(line.utf8) }
            return bytes
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        return [UInt8](data)
    }

    /// The tool's progress line (the pull's last status) from /status, rewritten in place.
    static func showProgress(_ daemon: LocalDaemon, _ name: String) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            guard let body = try? await daemon.call("GET", "/status"),
                let status = try? JSONDecoder().decode(StatusDocument.self, from: Data(body)),
                let tool = status.toolInstances.first(where: { $0.instanceName == name }), !Task.isCancelled
            else { continue }
            print("\r\u{1B}[K\(tool.statusOnToolbox.rawValue)\(tool.details.detail.map { ": \($0.prefix(100))" } ?? "")", terminator: "")
            fflush(nil)
        }
    }
}

/// `dtma start|stop|remove NAME`.
enum ToolAction: String {
    case start, stop, remove

    func perform(_ name: String, _ options: DaemonOptions) async throws {
        try await runReportingErrors {
            let daemon = try LocalDaemon(options)
            let path = "/tools/\(name.addingPathEscapes)" + (self == .remove ? "" : "/\(rawValue)")
            let answer = try await daemon.call(self == .remove ? "DELETE" : "POST", path)
            print((try? JSONDecoder().decode(APIAnswer.self, from: Data(answer)))?.message ?? "\(rawValue): done")
        }
    }
}

struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a tool (fine when it runs already).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The tool's instanceNameOnToolbox.") var name: String
    func run() async throws { try await ToolAction.start.perform(name, daemon) }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a tool (fine when it is stopped already).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The tool's instanceNameOnToolbox.") var name: String
    func run() async throws { try await ToolAction.stop.perform(name, daemon) }
}

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a tool and its container.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The tool's instanceNameOnToolbox.") var name: String
    func run() async throws { try await ToolAction.remove.perform(name, daemon) }
}

/// `dtma logs NAME [-f]`: stdout lines to stdout, stderr lines to stderr, as `docker logs` does.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a tool's logs; -f follows them.")

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The tool's instanceNameOnToolbox.") var name: String
    @Flag(name: .shortAndLong, help: "Keep printing new lines until interrupted.") var follow = false
    @Option(name: .long, help: "Lines from the end to start with.") var tail = 100
    @Flag(name: .shortAndLong, help: "Prefix each line with its time.") var timestamps = false

    func run() async throws {
        try await runReportingErrors {
            let daemon = try LocalDaemon(daemon)
            let path = "/tools/\(name.addingPathEscapes)/logs?tail=\(tail)&timestamps=\(timestamps)&follow=\(follow)"
            if !follow {
                struct Answer: Decodable {
                    struct Data: Decodable { var lines: [Line] }
                    var data: Data
                }
                let body = try await daemon.call("GET", path)
                guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body)) else { throw CLIError("unexpected logs answer") }
                answer.data.lines.forEach(emit)
                return
            }
            let stream: HTTP1Stream
            do {
                stream = try await daemon.client.openStream(daemon.request("GET", path))
            } catch {
                throw CLIError("cannot reach dtma at \(daemon.address): \(error)")
            }
            defer { stream.close() }
            guard stream.head.status == 200 else { throw CLIError(apiFailure: stream.head.status, body: try await stream.collectBody(limit: 1 << 16)) }
            var framer = LineFramer()
            for try await chunk in stream.body {
                framer.feed(chunk)
                while let line = try framer.next() {
                    if let decoded = try? JSONDecoder().decode(Line.self, from: Data(line)) { emit(decoded) }
                }
            }
        }
    }

    struct Line: Decodable {
        var stream: String
        var time: String?
        var line: String
    }

    func emit(_ line: Line) {
        let text = (line.time.map { "\($0) " } ?? "") + line.line
        if line.stream == "stderr" { printToStandardError(text) } else { print(text) }
    }
}

extension String {
    /// A tool name as one path segment (names are plain, but a typo should not become a path).
    var addingPathEscapes: String {
        var escaped = ""
        for byte in utf8 {
            let safe = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~".utf8.contains(byte)
            escaped += safe ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded
        }
        return escaped
    }

    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}
