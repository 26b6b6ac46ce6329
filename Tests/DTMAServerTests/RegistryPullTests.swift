import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import Testing

/// The registry scripts/test-registry.sh runs; the suite is skipped without one unless the engine suites are required.
private let testRegistry = ProcessInfo.processInfo.environment["DTMA_TEST_REGISTRY"]

/// Real pulls from Debian's docker-registry on 127.0.0.1 (scripts/test-registry.sh), into the real engine.
@Suite("Pulls from a real registry", .requiresEngine, .serialized,
       .enabled(if: testRegistry != nil || ProcessInfo.processInfo.environment["DTMA_REQUIRE_DOCKER"] == "1"))
struct RegistryPullTests {
    static var host: String { testRegistry ?? "127.0.0.1:5000" }
    /// Only the registry has it: its pull downloads 8 MiB.
    static var pullFixture: String { "\(host)/dtma-test/pull-fixture:latest" }
    static var timeImage: String { "\(host)/dtma-test/mcp-time:latest" }

    static func lines(_ answer: LiveDTMA.Answer) -> [[String: Any]] {
        String(decoding: answer.body, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The engine forgets the image (the tag; layers another image shares stay).
    static func forget(_ image: String) async {
        let client = DockerEngineClient()
        try? await client.removeImage(image, force: true)
        client.shutdown()
    }

    static func noContainer(_ dtma: LiveDTMA, _ name: String) async -> Bool {
        do {
            _ = try await dtma.engine.inspectContainer(name)
            return false
        } catch {
            return true
        }
    }

    @Test("POST /images/pull streams the download's progress and ends with the registry's digest; a second pull at once joins it (figures printed)")
    func pullProgress() async throws {
        try await withLiveDTMA { dtma, _ in
            await Self.forget(Self.pullFixture)
            let body = #"{"image":"\#(Self.pullFixture)"}"#
            let started = ContinuousClock.now
            async let first = dtma.call("POST", "/images/pull", json: body)
            async let second = dtma.call("POST", "/images/pull", json: body)
            let answers = try await [first, second]
            let elapsed = ContinuousClock.now - started
            let digest = try #require(try await dtma.engine.inspectImage(Self.pullFixture).repoDigests?.first?.split(separator: "@").last.map(String.init))
            for answer in answers {
                #expect(answer.status == 200, "\(answer.json)")
                #expect(Self.lines(answer).last?["status"] as? String == "pulled" && Self.lines(answer).last?["digest"] as? String == digest)
            }
            let all = answers.flatMap(Self.lines)
            let downloading = all.filter { $0["status"] as? String == "Downloading" }
            #expect(downloading.contains { ($0["total"] as? Int ?? 0) > 4 << 20 }, "byte progress of the 8 MiB layer")
            #expect(all.contains { $0["status"] as? String == "Pull complete" })
            print("pull of \(Self.pullFixture) (one 8 MiB layer) from the local registry: \(elapsed), \(downloading.count) progress lines, joined: \(all.contains { $0["status"] as? String == "joined" })")
            await Self.forget(Self.pullFixture)
        }
    }

    @Test("the control plane's body, no probe, an image only the registry names: pulled, healthy over stdio, its digest in the label and in /status")
    func deployPulls() async throws {
        try await withLiveDTMA { dtma, tag in
            await Self.forget(Self.timeImage)
            let name = "pulled-\(tag)"
            let deployed = try await dtma.call("POST", "/tools", json: TransportChoiceTests.body(name: name, tag: tag, image: Self.timeImage))
            #expect(deployed.status == 201, "\(deployed.json)")
            _ = try await ProbeContainerTests.waitFor(dtma, name, state: "healthy")
            let digest = try #require(try await dtma.engine.inspectImage(Self.timeImage).repoDigests?.first?.split(separator: "@").last.map(String.init))
            #expect(try await dtma.engine.inspectContainer(name).config.labels?[ContainerLabels.imageDigest] == digest)
            let tool = try #require(try await TransportChoiceTests.tool(dtma, name))
            #expect(tool["image_digest"] as? String == digest)

            // Pinned by that digest, it deploys; pinned by another image's, it is refused and nothing is created.
            let pinned = "pinned-\(tag)"
            let byDigest = "\(Self.host)/dtma-test/mcp-time@\(digest)"
            #expect(try await dtma.call("POST", "/tools", json: TransportChoiceTests.body(name: pinned, tag: tag, image: byDigest)).status == 201)
            let busybox = try #require(try await dtma.engine.inspectImage("\(Self.host)/dtma-test/busybox:latest").repoDigests?.first?.split(separator: "@").last)
            let wrong = "wrong-\(tag)"
            let mismatch = try await dtma.call(
                "POST", "/tools", json: TransportChoiceTests.body(name: wrong, tag: tag, image: "\(Self.host)/dtma-test/mcp-time@\(busybox)"))
            #expect(mismatch.status == 422 && mismatch.code == "image_not_found", "the registry has no mcp-time at busybox's digest: \(mismatch.json)")
            #expect(await Self.noContainer(dtma, wrong))
        }
    }

    @Test("an unknown tag is a clear 422 and nothing is created; so is an unknown repository")
    func unknownTag() async throws {
        try await withLiveDTMA { dtma, tag in
            for image in ["\(Self.host)/dtma-test/busybox:no-such-tag", "\(Self.host)/dtma-test/no-such-image:1"] {
                let name = "unknown-\(tag)"
                let answer = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, image: image))
                #expect(answer.status == 422 && answer.code == "image_not_found" && answer.json["field"] as? String == "dockerImageUrl", "\(answer.json)")
                #expect((answer.json["error"] as? String)?.contains("not found") == true)
                #expect(await Self.noContainer(dtma, name))
                let pull = try await dtma.call("POST", "/images/pull", json: #"{"image":"\#(image)"}"#)
                #expect(pull.status == 422 && pull.code == "image_not_found", "\(pull.json)")
            }
            #expect((try await dtma.call("GET", "/status").json["tool_instances"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a registry that stops mid-pull: a clear error once the engine gives up, and nothing half-created (figures printed)")
    func registryStopsMidPull() async throws {
        let proxy = try CuttingProxy(upstream: Self.host, cutAfterBytes: 1 << 20)
        defer { proxy.stop() }
        let image = "127.0.0.1:\(proxy.port)/dtma-test/pull-fixture:latest"
        try await withLiveDTMA { dtma, tag in
            await Self.forget(image)
            let name = "cut-\(tag)"
            let started = ContinuousClock.now
            let answer = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, image: image))
            let elapsed = ContinuousClock.now - started
            #expect(answer.status == 502 && answer.code == "image_pull_failed", "\(answer.json)")
            #expect((answer.json["error"] as? String)?.hasPrefix("cannot pull \(image): ") == true)
            #expect(await Self.noContainer(dtma, name), "no container")
            await #expect(throws: DockerEngineError.self, "no image") { try await dtma.engine.inspectImage(image) }
            #expect((try await dtma.call("GET", "/status").json["tool_instances"] as? [Any])?.isEmpty == true, "no tool")
            print("registry stopped 1 MiB into an 8 MiB layer: the deploy failed cleanly after \(elapsed) (the engine's own retries)")
        }
    }
}
