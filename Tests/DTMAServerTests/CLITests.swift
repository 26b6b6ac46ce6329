import DTMATestSupport
import Foundation
import Testing

/// The `dtma` binary's client commands against a running daemon: what an admin types and reads.
@Suite("dtma CLI against a running daemon", .requiresEngine)
struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `dtma arguments…` with the daemon's key in the environment and its address in `--url`.
    static func dtma(
        _ arguments: [String], port: Int, key: String = LiveDTMA.key, stdin: String? = nil, environment: [String: String] = [:]
    ) async throws -> Run {
        let process = Process()
        process.executableURL = CrashRecoveryTests.binary
        let daemonFlags = ["status", "deploy", "start", "stop", "remove", "logs"].contains(arguments.first ?? "")
            ? ["--env-file", "/nonexistent", "--url", "http://127.0.0.1:\(port)"] : []
        process.arguments = arguments + daemonFlags
        process.environment = childEnvironment(["BACKEND_TO_DTMA_API_KEY": key, "PATH": "/usr/bin:/bin"].merging(environment) { _, new in new })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtma-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        if let stdin {
            let input = directory.appendingPathComponent("in")
            try stdin.write(to: input, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: input)
        }
        try process.run()
        // Polls instead of `waitUntilExit`, which can hang off the launching thread.
        for _ in 0..<1500 where process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        return Run(
            status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test("deploy, status, logs, stop, start and remove read as an admin expects")
    func lifecycle() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "cli-\(tag)"
            let spec = contractDeploy(name: name, tag: tag, script: "echo hello from \(name); echo warning >&2; exec sleep 600")

            let deployed = try await Self.dtma(["deploy", "-"], port: dtma.port, stdin: spec)
            #expect(deployed.status == 0, "\(deployed.stderr)")
            #expect(deployed.stdout.contains("container"), "\(deployed.stdout)")

            let status = try await Self.dtma(["status"], port: dtma.port)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("engine") && status.stdout.contains("reachable"), "\(status.stdout)")
            let header = try #require(status.stdout.split(separator: "\n").first { $0.hasPrefix("TOOL") })
            #expect(header.split(separator: " ", omittingEmptySubsequences: true) == ["TOOL", "STATE", "HEALTH", "UPTIME", "PORTS", "LAST", "PROBE"])
            let row = try #require(status.stdout.split(separator: "\n").first { $0.hasPrefix(name) })
            #expect(row.contains("running"), "\(row)")

            #expect(try await eventually(seconds: 10) {
                let logs = try await Self.dtma(["logs", name], port: dtma.port)
                return logs.stdout.contains("hello from \(name)") && logs.stderr.contains("warning")
            }, "stdout lines on stdout, stderr lines on stderr")

            let stopped = try await Self.dtma(["stop", name], port: dtma.port)
            #expect(stopped.status == 0, "\(stopped.stderr)")
            #expect(try await Self.dtma(["status"], port: dtma.port).stdout.split(separator: "\n").first { $0.hasPrefix(name) }?.contains("stopped") == true)
            #expect(try await Self.dtma(["start", name], port: dtma.port).status == 0)
            let removed = try await Self.dtma(["remove", name], port: dtma.port)
            #expect(removed.status == 0)
            #expect(removed.stdout.contains("removed"), "\(removed.stdout)")

            let missing = try await Self.dtma(["stop", name], port: dtma.port)
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("404") && missing.stderr.contains("not_managed"), "\(missing.stderr)")
        }
    }

    @Test("a wrong key and an absent daemon are one clear line and exit 1")
    func failures() async throws {
        try await withLiveDTMA { dtma, _ in
            let wrongKey = try await Self.dtma(["status"], port: dtma.port, key: "not-the-key-0123456789abcdefghijklmnop")
            #expect(wrongKey.status == 1)
            #expect(wrongKey.stderr.contains("401"), "\(wrongKey.stderr)")
            let nobody = try await Self.dtma(["status"], port: try MCPServerFixture.freePort())
            #expect(nobody.status == 1)
            #expect(nobody.stderr.contains("cannot reach dtma"), "\(nobody.stderr)")
        }
    }

    @Test("check-config: a line a check, and exit 1 when the engine cannot be reached")
    func checkConfig() async throws {
        let good = try await Self.dtma(["check-config", "--env-file", "/nonexistent"], port: 0)
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("ok   settings"), "\(good.stdout)")
        #expect(good.stdout.contains("ok   Docker engine"), "\(good.stdout)")
        #expect(good.stdout.contains("warn no control plane configured"), "\(good.stdout)")

        let process = try await Self.dtma(
            ["check-config", "--env-file", "/nonexistent"], port: 0, environment: ["DOCKER_HOST": "unix:///nonexistent.sock"])
        #expect(process.status == 1)
        #expect(process.stdout.contains("FAIL Docker engine at unix:///nonexistent.sock"), "\(process.stdout)")
    }

    @Test("check-config proves the control plane's address and token without sending a heartbeat")
    func checkControlPlane() async throws {
        let fixture = try ControlPlaneFixture()
        defer { fixture.stop() }
        func check(token: String) async throws -> Run {
            try await Self.dtma(["check-config", "--env-file", "/nonexistent"], port: 0, environment: [
                "AGENTOPIA_API_BASE_URL": fixture.baseURL, "DTMA_BEARER_TOKEN": token, "DTMA_CONTROL_PLANE_CA_FILE": fixture.caFile,
            ])
        }
        let good = try await check(token: ControlPlaneFixture.token)
        #expect(good.status == 0)
        #expect(good.stdout.contains("ok   control plane at https://127.0.0.1:\(fixture.port)"), "\(good.stdout)")
        #expect(good.stdout.contains("token accepted"))
        let refused = try await check(token: "someone-elses-token")
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("FAIL control plane") && refused.stdout.contains("refuses DTMA_BEARER_TOKEN"), "\(refused.stdout)")
        #expect(!refused.stdout.contains("someone-elses-token"), "the token is never printed")
    }
}
