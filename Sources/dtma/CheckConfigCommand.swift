import ArgumentParser
import ControlPlane
import DTMACore
import DockerEngine
import FoundationEssentials

/// `dtma check-config`: one line a check, for the admin who wonders why dtma will not start.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the settings, the Docker engine and the control plane; one line a check.",
        discussion: "Exits 0 when nothing failed (warnings allowed), 1 otherwise. Sends no heartbeat.")

    @Option(name: .long, help: "Env file to check (KEY=value lines).")
    var envFile: String = DTMAConfig.defaultEnvFile

    func run() async throws {
        var failed = false
        func report(_ ok: Bool?, _ line: String) {
            print("\(ok == true ? "ok  " : ok == false ? "FAIL" : "warn") \(line)")
            if ok == false { failed = true }
        }
        let config: DTMAConfig
        do {
            config = try DTMAConfig.load(environment: ProcessInfo.processInfo.environment, envFile: envFile)
            let source = FileManager.default.fileExists(atPath: envFile) ? envFile : "the environment (no \(envFile))"
            report(true, "settings from \(source): \(config.inboundKeys.count) inbound key(s), API on \(config.listenHost):\(config.listenPort)")
            config.warnings.forEach { report(nil, $0) }
        } catch {
            report(false, "settings: \(error)")
            throw ExitCode.failure
        }

        let engine = DockerEngineClient(endpoint: config.engine)
        do {
            let version = try await engine.version()
            let managed = try await engine.listContainers(all: true, filters: ContainerLabels.managedFilter)
            report(true, "Docker engine \(version.version) (API \(version.apiVersion)) at \(config.engine): \(managed.count) managed containers")
        } catch {
            report(false, "Docker engine at \(config.engine): \(error)")
        }

        if let controlPlane = config.controlPlane {
            let (ok, words) = await Self.checkControlPlane(controlPlane)
            report(ok, "control plane at \(ControlPlaneError.redacted(controlPlane.baseURL)): \(words)")
        } else {
            report(nil, "no control plane configured (AGENTOPIA_API_BASE_URL and DTMA_BEARER_TOKEN): no heartbeats will be sent")
        }
        if failed { throw ExitCode.failure }
    }

    /// POSTs invalid JSON to the heartbeat function: it checks the token first (401), then the
    /// body (400), so a 400 proves reachability and the token without recording a heartbeat.
    static func checkControlPlane(_ configuration: ControlPlaneClient.Configuration) async -> (Bool, String) {
        do {
            let client = try ControlPlaneClient(configuration: configuration)
            let response = try await client.post("/heartbeat", json: Array("{".utf8))
            switch response.status {
            case 400: return (true, "reachable, token accepted")
            case 401, 403: return (false, "reachable, but it refuses DTMA_BEARER_TOKEN (HTTP \(response.status))")
            default: return (response.status < 500, "reachable, answered HTTP \(response.status) to a malformed heartbeat")
            }
        } catch {
            return (false, "\(error)")
        }
    }
}
