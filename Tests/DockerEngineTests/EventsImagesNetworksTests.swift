import DockerEngine
import Foundation
import Testing

@Suite("Engine client: events, images and networks against the real engine", .requiresEngine)
struct EventsImagesNetworksTests {
    let engine = DockerEngineClient()

    @Test("the events stream sees create, start and die of a labelled container")
    func events() async throws {
        let tag = uniqueTestTag()
        let since = Int64(Date().timeIntervalSince1970) - 1
        let stream = try await engine.events(
            since: since, filters: ["type": ["container"], "label": ["\(EngineTestEnvironment.testLabel)=\(tag)"]])
        try await withContainer(engine, busyboxConfig("exit 7", tag: tag)) { id in
            try await engine.startContainer(id)
            var seen: [EngineEvent] = []
            for try await event in stream {
                seen.append(event)
                if event.action == "die" { break }
            }
            #expect(seen.map(\.action) == ["create", "start", "die"])
            #expect(seen.allSatisfy { $0.actor.id == id && $0.type == "container" })
            #expect(seen.last?.actor.attributes?["exitCode"] == "7")
            #expect(seen.last?.actor.attributes?[EngineTestEnvironment.testLabel] == tag)
        }
    }

    @Test("images list and inspect the local test image; a missing one is notFound")
    func images() async throws {
        let images = try await engine.listImages(filters: ["reference": [EngineTestEnvironment.busyboxImage]])
        #expect(images.count == 1)
        let inspect = try await engine.inspectImage(EngineTestEnvironment.busyboxImage)
        #expect(inspect.id == images.first?.id)
        #expect(inspect.config?.cmd == ["/bin/sh"])
        await #expect(throws: DockerEngineError.notFound(message: "No such image: dtma-test/absent:latest")) {
            try await engine.removeImage("dtma-test/absent:latest")
        }
        // Docker's reference grammar, before any request: a path that would reach another route is no image.
        for notAnImage in ["../containers/json", "..:5000/x", "sha256:1672ae7c9fdf"] {
            await #expect(throws: DockerEngineError.invalidArgument("not an image reference in Docker's grammar")) {
                try await engine.inspectImage(notAnImage)
            }
        }
    }

    @Test("a pull from a registry that does not answer fails with the engine's reason")
    func pullFailure() async throws {
        var lines: [PullProgress] = []
        let error = await #expect(throws: DockerEngineError.self) {
            try await engine.pullImage("127.0.0.1:9/dtma-test/absent:1", auth: RegistryAuth(username: "u", password: "p")) {
                lines.append($0)
            }
        }
        #expect("\(error!)".contains("127.0.0.1:9"), "the reason names the registry: \(error!)")
    }

    @Test("an internal network is created, joined, inspected and removed")
    func networks() async throws {
        let tag = uniqueTestTag()
        let name = "dtma-test-\(tag)"
        let networkID = try await engine.createNetwork(
            NetworkConfig(name: name, internalOnly: true, labels: [EngineTestEnvironment.testLabel: tag]))
        do {
            try await withContainer(engine, busyboxConfig("sleep 30", tag: tag)) { id in
                try await engine.startContainer(id)
                try await engine.connectNetwork(networkID, container: id)
                let network = try await engine.inspectNetwork(name)
                #expect(network.id == networkID)
                #expect(network.internalOnly == true)
                #expect(network.labels?[EngineTestEnvironment.testLabel] == tag)
                #expect(network.containers?[id] != nil)
                let inspect = try await engine.inspectContainer(id)
                #expect(inspect.networkSettings?.networks?[name]?.networkID == networkID)
            }
            try await engine.removeNetwork(networkID)
        } catch {
            try? await engine.removeNetwork(networkID)
            throw error
        }
        await #expect(throws: DockerEngineError.self) { try await engine.inspectNetwork(networkID) }
    }
}
