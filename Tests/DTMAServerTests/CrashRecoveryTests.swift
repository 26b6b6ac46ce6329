import DTMATestSupport
import DockerEngine
import Foundation
import HTTP1
import HTTP1Client
import Testing

/// The real `dtma serve` binary, killed with SIGKILL at awkward moments.
@Suite("Crash recovery of the dtma process", .requiresEngine, .serialized)
struct CrashRecoveryTests {
    /// Built beside the test bundle by `swift build --build-tests` / `swift test`.
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dtma")

    final class DTMAProcess: Sendable {
        let process: Process
        let log: URL
        let port: Int

        /// Starts `dtma serve` on a port the kernel picks, read back from its "API listening" log line.
        init() async throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("dtma-crash-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process = Process()
            process.executableURL = CrashRecoveryTests.binary
            process.arguments = ["serve", "--env-file", "/nonexistent"]
            process.environment = childEnvironment([
                "BACKEND_TO_DTMA_API_KEY": LiveDTMA.key, "DTMA_PORT": "0", "DTMA_LISTEN_ADDRESS": "127.0.0.1",
                "DTMA_LOG_LEVEL": "info", "PATH": "/usr/bin:/bin",
            ])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            var found: Int?
            for _ in 0..<400 where found == nil {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.contains("API listening") }),
                    let range = line.range(of: "port=") {
                    found = Int(line[range.upperBound...].prefix { $0.isNumber })
                }
                if found == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard let found else { throw CocoaError(.fileReadUnknown) }
            port = found
        }

        func call(_ method: String, _ path: String, json: String? = nil) async throws -> Int {
            let client = HTTP1Client(endpoint: .tcp(host: "127.0.0.1", port: port))
            defer { client.shutdown() }
            var headers: HTTP1Headers = ["Authorization": "Bearer \(LiveDTMA.key)"]
            if json != nil { headers.add(name: "Content-Type", value: "application/json") }
            return try await client.execute(HTTP1Request(method: method, target: path, headers: headers, body: json.map { Array($0.utf8) })).status
        }

        /// Polls instead of `waitUntilExit`, which can hang when called off the thread that launched the child.
        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            for _ in 0..<250 where process.isRunning { usleep(20_000) }
            try? FileManager.default.removeItem(at: log)
        }
    }

    @Test("SIGKILL in the middle of deploys, then the same deploy again: exactly one container, running")
    func killDuringDeploy() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "dtma binary at \(Self.binary.path)")
        let engine = DockerEngineClient()
        defer { engine.shutdown() }
        let tag = uniqueTag("kill")
        do {
            for round in 0..<5 {
                let name = "kill-\(tag)-\(round % 2)"
                let body = contractDeploy(name: name, tag: tag)
                let dtma = try await DTMAProcess()
                let deploy = Task { try? await dtma.call("POST", "/tools", json: body) }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...250)))
                dtma.kill()
                _ = await deploy.value

                let restarted = try await DTMAProcess()
                let status = try await restarted.call("POST", "/tools", json: body)
                #expect(status == 201 || status == 200, "round \(round): \(status)")
                let containers = try await engine.listContainers(all: true, filters: ["label": ["dtma.instance=\(name)"]])
                #expect(containers.count == 1, "round \(round)")
                #expect(containers.first?.state == "running", "round \(round)")
                restarted.kill()
            }
        } catch {
            await removeTestContainers(engine, tag: tag)
            throw error
        }
        await removeTestContainers(engine, tag: tag)
    }
}
