import DockerEngine
import Foundation
import Testing

@Suite("Engine client: system endpoints and errors", .requiresEngine)
struct EngineSystemTests {
    let engine = DockerEngineClient()

    @Test("ping announces a version and the client speaks at most that")
    func negotiation() async throws {
        let ping = try await engine.ping()
        let announced = try #require(ping.apiVersion)
        let used = try await engine.apiVersion()
        #expect(used == min(announced, APIVersion.newestSupported))
        #expect(ping.osType == "linux")
    }

    @Test("version and the chunked /info answer decode")
    func versionAndInfo() async throws {
        let version = try await engine.version()
        #expect(!version.version.isEmpty)
        #expect(APIVersion(version.apiVersion) != nil)
        let info = try await engine.info()
        #expect(info.serverVersion == version.version)
        #expect(info.containers >= info.containersRunning)
        #expect((info.cpuCount ?? 0) > 0)
    }

    @Test("an unknown container is notFound with the engine's message")
    func notFound() async throws {
        let error = await #expect(throws: DockerEngineError.self) {
            try await engine.inspectContainer("dtma-no-such-container")
        }
        guard case .notFound(let message) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(message.contains("No such container: dtma-no-such-container"))
        #expect(error?.httpStatus == 404)
    }

    @Test("an engine that is not there is one clear error naming the socket")
    func unreachable() async throws {
        let missing = DockerEngineClient(endpoint: .unixSocket(path: "/nonexistent/docker.sock"))
        defer { missing.shutdown() }
        let error = await #expect(throws: DockerEngineError.self) { try await missing.ping() }
        guard case .unreachable(let endpoint, let reason) = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(endpoint == "unix:///nonexistent/docker.sock")
        #expect(reason.contains("No such file or directory"))
        #expect("\(error!)".contains("unix:///nonexistent/docker.sock"))
    }

    @Test("a refused TCP address is unreachable too")
    func refusedTCP() async throws {
        let refused = DockerEngineClient(endpoint: .tcp(host: "127.0.0.1", port: 9))
        defer { refused.shutdown() }
        await #expect(throws: DockerEngineError.self) { try await refused.version() }
    }

    @Test("error answers return their connection to the pool exactly once")
    func errorsKeepTheConnection() async throws {
        var configuration = DockerEngineClient.Configuration()
        configuration.maxConnections = 1
        let single = DockerEngineClient(configuration: configuration)
        defer { single.shutdown() }
        for _ in 0..<5 {
            await #expect(throws: DockerEngineError.self) { try await single.inspectContainer("dtma-no-such-container") }
        }
        _ = try await single.version()
        #expect(single.openPooledConnections == 1)
    }

    @Test("many concurrent requests share a bounded pool of kept-alive connections")
    func pooling() async throws {
        var configuration = DockerEngineClient.Configuration()
        configuration.maxConnections = 3
        let pooled = DockerEngineClient(configuration: configuration)
        defer { pooled.shutdown() }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<60 {
                group.addTask { try await pooled.listContainers(filters: ["label": ["dtma.test=pool"]]).count }
            }
            for try await count in group { #expect(count == 0) }
        }
        #expect(pooled.openPooledConnections <= 3)
        #expect(pooled.openPooledConnections >= 1, "connections are kept alive for reuse")
    }
}
