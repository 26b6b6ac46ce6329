import Foundation

/// A real MCP server from PyPI's `mcp` SDK (Fixtures/mcp_server.py), run on loopback; or, for the
/// failure cases, an HTTP server that is not MCP.
public final class MCPServerFixture: Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/mcp_server.py")
    /// The virtual environment scripts/test.sh fills with the pinned `mcp` release.
    public static let python = ProcessInfo.processInfo.environment["DTMA_MCP_PYTHON"] ?? "/var/cache/dtma-test/mcp-venv/bin/python"
    public static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    public let port: Int
    public let log: URL
    private let process: Process

    /// `arguments` after the port: `["--json"]` for JSON replies. Transport `plain` is not MCP at all.
    public init(transport: String = "streamable-http", arguments: [String] = [], port: Int? = nil) async throws {
        self.port = try port ?? Self.freePort()
        log = FileManager.default.temporaryDirectory.appendingPathComponent("dtma-mcp-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script.path, transport, String(self.port)] + arguments
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        process.environment = ["PYTHONUNBUFFERED": "1", "PATH": "/usr/bin:/bin"]
        let output = try FileHandle(forWritingTo: log)  // one handle: two would overwrite each other
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var attempts = 0
        while !Self.accepts(self.port) {
            attempts += 1
            guard attempts < 200 else { throw CocoaError(.fileReadUnknown) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Session ids the server created, and the ones it terminated (from its own log).
    public var sessions: (created: Set<String>, terminated: Set<String>) {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        func ids(after marker: String) -> Set<String> {
            Set(text.split(separator: "\n").compactMap { line in
                line.range(of: marker).map { String(line[$0.upperBound...]).trimmingCharacters(in: .whitespaces) }
            })
        }
        return (ids(after: "Created new transport with session ID:"), ids(after: "Terminating session:"))
    }

    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        try? FileManager.default.removeItem(at: log)
    }

    /// A port nothing listens on right now.
    public static func freePort() throws -> Int {
        let listener = try LoopbackListener()
        listener.close()
        return listener.port
    }

    static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
