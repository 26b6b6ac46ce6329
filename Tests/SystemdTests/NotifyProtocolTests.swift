import DTMATestSupport
import Foundation
import Testing

/// The real `dtma serve` under a stand-in service manager: our own NOTIFY_SOCKET and WATCHDOG_USEC.
@Suite("systemd notify protocol and watchdog", .serialized)
struct NotifyProtocolTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dtma")

    /// Starts dtma with a 1 s watchdog (pings every 0.5 s) against an engine that may or may not be there.
    static func launch(_ socket: NotifySocket) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--env-file", "/nonexistent"]
        process.environment = childEnvironment([
            "BACKEND_TO_DTMA_API_KEY": "notify-test-key-0123456789abcdefghijkl", "DTMA_PORT": "0", "DTMA_LISTEN_ADDRESS": "127.0.0.1",
            "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1000000", "DTMA_DEBUG_STALL_ON_SIGUSR1": "1",
            "DTMA_LOG_LEVEL": "error", "PATH": "/usr/bin:/bin",
        ])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForExit(_ process: Process, seconds: Double) async throws -> Bool {
        try await eventually(seconds: seconds) { !process.isRunning }
    }

    @Test("READY=1 once listening, STATUS= lines, WATCHDOG=1 every half interval, STOPPING=1 and exit 0 on SIGTERM")
    func lifecycle() async throws {
        let socket = try NotifySocket()
        defer { socket.close() }
        let process = try Self.launch(socket)
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
        #expect(try await Self.waitForExit(process, seconds: 15))
        #expect(process.terminationStatus == 0)
    }

    @Test("a stalled event loop stops the watchdog pings, so systemd restarts the daemon")
    func stallStopsPings() async throws {
        let socket = try NotifySocket()
        defer { socket.close() }
        let process = try Self.launch(socket)
        defer { kill(process.processIdentifier, SIGKILL) }
        #expect(try await eventually { socket.count("WATCHDOG=1", since: .now - .seconds(60)) >= 2 })

        kill(process.processIdentifier, SIGUSR1)
        try await Task.sleep(for: .seconds(1))  // a ping already under way may still land
        let stalledSince = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        #expect(socket.count("WATCHDOG=1", since: stalledSince) == 0)
    }
}
