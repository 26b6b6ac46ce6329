import Foundation

/// Fixtures/cutting_proxy.py: the registry, until 1 MiB of a blob has passed; then gone.
public final class CuttingProxy: Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cutting_proxy.py")
    public let port: Int
    private let process: Process

    public init(upstream: String, cutAfterBytes: Int) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, upstream, String(cutAfterBytes)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard let port = output.fileHandleForReading.readLine().flatMap({ Int($0) }) else { throw CocoaError(.fileReadCorruptFile) }
        self.port = port
    }

    public func stop() {
        // SIGKILL: the child inherits the test process's signal mask, in which SIGTERM is blocked.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
