import DTMATestSupport
import Foundation
import Testing

/// The real `dtma serve` under a stand-in service manager: our own NOTIFY_SOCKET and WATCHDOG_USEC.
@Suite("systemd notify protocol and watchdog", .serialPass, .serialized)
struct NotifyProtocolTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dtma")

    /// Starts dtma with a 1 s watchdog (pings every 0.5 s) against an engine that may or may not be
    /// there; its log goes to `log`, for a failure's message.
    static func launch(_ socket: NotifySocket, log: URL) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--env-file", "/nonexistent"]
        process.environment = childEnvironment([
            "BACKEND_TO_DTMA_API_KEY": "notify-test-key-0123456789abcdefghijkl", "DTMA_PORT": "0", "DTMA_LISTEN_ADDRESS": "127.0.0.1",
            "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1000000", "DTMA_DEBUG_STALL_ON_SIGUSR1": "1",
            "DTMA_LOG_LEVEL": "debug", "PATH": "/usr/bin:/bin",
        ])
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return process
    }

    static func waitForExit(_ process: Process, seconds: Double) async throws -> Bool {
        try await eventually(seconds: seconds) { !process.isRunning }
    }

    static func temporaryLog() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dtma-notify-\(UUID().uuidString).log")
    }

    /// The log's last lines: what the daemon was doing when a test gave up on it.
    static func tail(_ log: URL) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(40).joined(separator: "\n")
    }

    @Test("READY=1 once listening, STATUS= lines, WATCHDOG=1 every half interval, STOPPING=1 and exit 0 on SIGTERM")
    func lifecycle() async throws {
        let socket = try NotifySocket()
        let log = Self.temporaryLog()
        let process = try Self.launch(socket, log: log)
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            socket.close()
            try? FileManager.default.removeItem(at: log)
        }
        #expect(try await eventually { socket.first { $0 == "READY=1" } != nil })
        let ready = try #require(socket.first { $0 == "READY=1" })
        #expect(ready.fields.contains { $0.hasPrefix("STATUS=API on 127.0.0.1:") })
        #expect(try await eventually { socket.first { $0.hasPrefix("STATUS=engine ") } != nil })

        let windowStart = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        let pings = socket.count("WATCHDOG=1", since: windowStart)
        #expect((4...8).contains(pings), "about 6 pings in 3 s at a 0.5 s interval, got \(pings)")

        kill(process.processIdentifier, SIGTERM)
        #expect(try await eventually(seconds: 5) { socket.first { $0 == "STOPPING=1" } != nil })
        // Shutdown is bounded at 25 s (20 s graceful, 5 s cancelled); it takes well under 1 s here.
        try #require(try await Self.waitForExit(process, seconds: 30), "still running after SIGTERM; its log ends:\n\(Self.tail(log))")
        #expect(process.terminationStatus == 0, "its log ends:\n\(Self.tail(log))")
    }

    @Test("a stalled event loop stops the watchdog pings, so systemd restarts the daemon")
    func stallStopsPings() async throws {
        let socket = try NotifySocket()
        let log = Self.temporaryLog()
        let process = try Self.launch(socket, log: log)
        defer {
            kill(process.processIdentifier, SIGKILL)
            socket.close()
            try? FileManager.default.removeItem(at: log)
        }
        #expect(try await eventually { socket.count("WATCHDOG=1", since: .now - .seconds(60)) >= 2 })

        kill(process.processIdentifier, SIGUSR1)
        try await Task.sleep(for: .seconds(1))  // a ping already under way may still land
        let stalledSince = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        #expect(socket.count("WATCHDOG=1", since: stalledSince) == 0)
    }
}
