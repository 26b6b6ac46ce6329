import DTMATestSupport
import Foundation
import Testing

/// The files that put dtma on a droplet: the unit, the cloud-init user-data, the installer.
@Suite("Deployment artifacts", .serialPass)
struct DeploymentArtifactsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dtma")

    struct Run {
        var status: Int32
        var output: String
    }

    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = root
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning { usleep(10_000) }
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dtma-artifacts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("the unit passes systemd-analyze verify and scores as well exposed as 2.0 or better")
    func unit() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // verify checks that ExecStart exists: point it at the binary this build made.
        let unit = try String(contentsOf: Self.root.appendingPathComponent("systemd/dtma.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/dtma", with: Self.binary.path)
        let path = directory.appendingPathComponent("dtma.service").path
        try unit.write(toFile: path, atomically: true, encoding: .utf8)
        let verify = try Self.run(["systemd-analyze", "verify", path])
        #expect(verify.status == 0)
        #expect(verify.output.isEmpty, "\(verify.output)")
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec=") && unit.contains("EnvironmentFile=/etc/dtma/dtma.env"))

        let security = try Self.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path])
        let line = try #require(security.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(Double(line.split(separator: ":").last!.split(separator: " ").first!))
        #expect(score <= 2.0, "\(line)")
    }

    static let validArguments = [
        "python3", "scripts/cloud-init/render.py", "--api-key", String(repeating: "k", count: 40), "--bearer-token", "droplet-token",
        "--control-plane-url", "https://example.supabase.co/functions/v1", "--binary-url", "https://downloads.example.com/dtma",
        "--binary-sha256", String(repeating: "ab", count: 32),
    ]

    @Test("the rendered user-data passes cloud-init's own schema check and fits DigitalOcean's limit")
    func cloudInit() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rendered = try Self.run(Self.validArguments)
        #expect(rendered.status == 0)
        #expect(rendered.output.hasPrefix("#cloud-config\n"))
        #expect(rendered.output.utf8.count < 64 * 1024)
        #expect(rendered.output.contains("path: /etc/dtma/dtma.env\n    owner: root:root\n    permissions: '0600'"))
        #expect(rendered.output.contains("Type=notify"), "the unit travels in the user-data")
        let file = directory.appendingPathComponent("user-data").path
        try rendered.output.write(toFile: file, atomically: true, encoding: .utf8)
        let schema = try Self.run(["cloud-init", "schema", "--config-file", file])
        #expect(schema.status == 0, "\(schema.output)")
        #expect(schema.output.contains("Valid cloud-config"))
    }

    @Test("bad parameters are refused with a clear message", arguments: [
        ("--bearer-token", nil, "--bearer-token"),
        ("--control-plane-url", "http://example.supabase.co/functions/v1", "--control-plane-url must be an https:// URL"),
        ("--binary-url", "http://downloads.example.com/dtma", "--binary-url must be an https:// URL"),
        ("--binary-sha256", "abc", "--binary-sha256 must be 64 lower-case hex digits"),
        ("--api-key", "short", "--api-key must be at least 32 characters"),
        ("--bearer-token", "has space", "--bearer-token must be non-empty"),
    ] as [(String, String?, String)])
    func cloudInitRefusals(flag: String, value: String?, message: String) throws {
        var arguments = Self.validArguments
        let index = try #require(arguments.firstIndex(of: flag))
        if let value { arguments[index + 1] = value } else { arguments.removeSubrange(index...(index + 1)) }
        let rendered = try Self.run(arguments)
        #expect(rendered.status == 2)
        #expect(rendered.output.contains(message), "\(rendered.output)")
        #expect(!rendered.output.contains("#cloud-config"))
    }

    @Test(
        "the release binary runs in a bare Debian root filesystem: no Swift toolchain needed",
        .enabled(if: ProcessInfo.processInfo.environment["DTMA_REQUIRE_DOCKER"] == "1"
            || FileManager.default.fileExists(atPath: "/var/run/docker.sock"))
    )
    func releaseBinaryInBareRoot() throws {
        // scripts/test.sh builds dist/dtma (scripts/build-release.sh) and the image (scripts/test-images.sh).
        let release = Self.root.appendingPathComponent("dist/dtma").path
        try #require(FileManager.default.isExecutableFile(atPath: release), "run scripts/build-release.sh first")
        let image = "dtma-test/debian-runtime:latest"
        let version = try Self.run(["docker", "run", "--rm", "--network", "none", "-v", "\(release):/usr/local/bin/dtma:ro", image, "dtma", "version"])
        #expect(version.status == 0, "\(version.output)")
        #expect(version.output.hasPrefix("dtma "))
        let swiftless = try Self.run(["docker", "run", "--rm", "--network", "none", image, "sh", "-c", "find / -xdev -name 'libswift*' | wc -l"])
        #expect(swiftless.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "the image holds no Swift runtime")
    }

    @Test("install.sh installs with the right modes, keeps settings on a rerun, refuses a bad checksum, uninstalls")
    func installer() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let install = ["bash", "scripts/install.sh", "--binary", Self.binary.path, "--root", root.path]
        #expect(try Self.run(install, environment: ["BACKEND_TO_DTMA_API_KEY": "first-key"]).status == 0)
        #expect(try Self.run(install, environment: ["BACKEND_TO_DTMA_API_KEY": "second-key"]).status == 0)
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(path).path)[.posixPermissions] as? Int) ?? 0
        }
        #expect(try mode("usr/local/bin/dtma") == 0o755)
        #expect(try mode("etc/dtma/dtma.env") == 0o600)
        #expect(try mode("etc/systemd/system/dtma.service") == 0o644)
        let env = try String(contentsOf: root.appendingPathComponent("etc/dtma/dtma.env"), encoding: .utf8)
        #expect(env == "BACKEND_TO_DTMA_API_KEY=first-key\n", "a rerun keeps the settings")

        let badSum = try Self.run(install + ["--sha256", String(repeating: "0", count: 64)])
        #expect(badSum.status != 0)
        #expect(badSum.output.contains("SHA-256 mismatch"))

        #expect(try Self.run(["bash", "scripts/install.sh", "--uninstall", "--purge", "--root", root.path]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("usr/local/bin/dtma").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("etc/dtma").path))
    }
}
