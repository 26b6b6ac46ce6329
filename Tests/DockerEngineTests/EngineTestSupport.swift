import DockerEngine
import HTTP1
import Foundation
import DTMATestSupport
import Testing

/// What the integration suites against the real engine share (`.requiresEngine` decides whether they run).
enum EngineTestEnvironment {
    static let socketPath = "/var/run/docker.sock"
    /// Built by scripts/test-images.sh from a static busybox.
    static let busyboxImage = ProcessInfo.processInfo.environment["DTMA_TEST_IMAGE"] ?? "dtma-test/busybox:latest"
    /// Marks every object a test run creates, so that cleanup (and a human) can find them.
    static let testLabel = "dtma.test"
}

/// A unique value for the test label, so each test sees only its own containers and events.
func uniqueTestTag(_ function: String = #function) -> String {
    let name = function.prefix { $0.isLetter || $0.isNumber }
    return "\(name)-\(UInt32.random(in: 0...UInt32.max))"
}

func busyboxConfig(_ script: String, tag: String) -> ContainerConfig {
    var config = ContainerConfig(image: EngineTestEnvironment.busyboxImage)
    config.cmd = ["sh", "-c", script]
    config.labels = [EngineTestEnvironment.testLabel: tag]
    var host = HostConfig()
    host.initProcess = true  // so that `sh` scripts stop promptly on SIGTERM
    config.hostConfig = host
    return config
}

/// Creates a container, runs `body` with its ID, and removes it (forcibly) whatever happens.
func withContainer<Result>(
    _ engine: DockerEngineClient, _ config: ContainerConfig, name: String? = nil,
    _ body: (String) async throws -> Result
) async throws -> Result {
    let id = try await engine.createContainer(name: name, config: config).id
    do {
        let result = try await body(id)
        try? await engine.removeContainer(id, force: true)
        return result
    } catch {
        try? await engine.removeContainer(id, force: true)
        throw error
    }
}

/// Reads frames until `count` arrive or the stream ends.
func collectFrames(_ stream: DockerOutputFrameStream, count: Int = .max) async throws -> [DockerOutputFrame] {
    var frames: [DockerOutputFrame] = []
    for try await frame in stream {
        frames.append(frame)
        if frames.count >= count { break }
    }
    return frames
}

extension DockerOutputFrame {
    var text: String { String(decoding: payload, as: UTF8.self) }
}

