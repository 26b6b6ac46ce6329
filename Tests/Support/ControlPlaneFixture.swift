import ControlPlane
import Foundation

/// The stand-in control plane (Fixtures/control_plane.py): a real HTTPS server with its own CA.
public final class ControlPlaneFixture: Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/control_plane.py")
    public static let token = "droplet-token-for-tests"

    public let directory: URL
    public let port: Int
    private let process: Process

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtma-cp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = output.fileHandleForReading.readLine()
        guard let port = line.flatMap({ Int($0) }) else { throw CocoaError(.fileReadCorruptFile) }
        self.port = port
    }

    public var baseURL: String { "https://127.0.0.1:\(port)" }
    public var caFile: String { directory.appendingPathComponent("ca.pem").path }

    public func client(timeout: Duration = .seconds(5), caFile: String?? = .none, token: String = ControlPlaneFixture.token) throws -> ControlPlaneClient {
        var configuration = ControlPlaneClient.Configuration(baseURL: baseURL, bearerToken: token)
        configuration.caFile = caFile ?? self.caFile
        configuration.totalTimeout = timeout
        configuration.connectTimeout = .seconds(2)
        return try ControlPlaneClient(configuration: configuration)
    }

    public func setMode(_ mode: String) async throws {
        _ = try await client().post("/_mode", json: Array(#"{"mode":"\#(mode)"}"#.utf8))
    }

    public func setSecrets(_ secrets: [String: String?]) throws {
        let json = try JSONSerialization.data(withJSONObject: secrets.mapValues { $0 ?? NSNull() as Any })
        try json.write(to: directory.appendingPathComponent("secrets.json"))
    }

    public struct Recorded: Decodable, Sendable {
        public var path: String
        public var time: Double
        public var mode: String
        public var authorization: String?
        public var contentType: String?
        public var body: String

        enum CodingKeys: String, CodingKey {
            case path, time, mode, authorization, contentType = "content_type", body
        }

        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
    }

    public func requests(path: String? = nil) -> [Recorded] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("requests.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Recorded.self, from: Data($0.utf8)) }
            .filter { path == nil || $0.path == path }
    }

    /// Polls instead of `waitUntilExit`, which can hang when called off the thread that launched the child.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        try? FileManager.default.removeItem(at: directory)
    }
}

extension FileHandle {
    /// One line of a child's output, without the newline.
    func readLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            let byte = readData(ofLength: 1)
            guard let first = byte.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if first == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
    }
}

/// Polls `condition` every 50 ms for at most `seconds`; for state that changes on its own.
public func eventually(seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
