@testable import DTMACore
import DTMATestSupport
import DockerEngine
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@Suite("Image pulls and digests")
struct ImagePullsTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)
    static let other = "sha256:" + String(repeating: "cd", count: 32)

    @Test("the digest at the reference's repository; the pinned one when the image has it; none for a local image")
    func resolving() {
        let digests = ["ghcr.io/acme/other@\(Self.other)", "ghcr.io/acme/tool@\(Self.digest)"]
        #expect(ImageDigest.resolved("ghcr.io/acme/tool:1.2", repoDigests: digests) == Self.digest)
        #expect(ImageDigest.resolved("ghcr.io/acme/tool@\(Self.other)", repoDigests: digests) == Self.other)
        #expect(ImageDigest.resolved("busybox", repoDigests: ["busybox@\(Self.digest)"]) == Self.digest)
        #expect(ImageDigest.resolved("dtma-test/busybox:latest", repoDigests: nil) == nil)
        #expect(ImageDigest.pinned("ghcr.io/acme/tool:1.2@\(Self.digest)") == Self.digest)
        #expect(ImageDigest.pinned("ghcr.io/acme/tool:1.2") == nil)
    }

    @Test("with digests required, a tag alone is refused; a digest passes")
    func requiredDigest() throws {
        func request(_ image: String) throws -> DeployRequest {
            try DeployRequest.decode(Array(#"{"dockerImageUrl":"\#(image)","instanceNameOnToolbox":"tool-1","accountToolInstanceId":"i"}"#.utf8))
        }
        #expect(throws: ToolSpecError.invalid("dockerImageUrl", "must name the image's digest (ghcr.io/owner/server@sha256:…): this dtma runs pinned images only (DTMA_REQUIRE_IMAGE_DIGEST=1)")) {
            try request("ghcr.io/acme/tool:1.2").validated(requireImageDigest: true)
        }
        #expect((try? request("ghcr.io/acme/tool:1.2").validated()) != nil, "not required by default")
        #expect(try request("ghcr.io/acme/tool@\(Self.digest)").validated(requireImageDigest: true).image.hasSuffix(Self.digest))
    }

    @Test("a pull's layers are bounded, and only a layer's new status counts as a change")
    func progressBounds() {
        var progress = ImagePullProgress(image: "x", startedAt: Date())
        for index in 0..<(ImagePullProgress.maxLayers + 50) { progress.take(PullProgress(status: "Waiting", id: "layer-\(index)")) }
        #expect(progress.layers.count == ImagePullProgress.maxLayers)
        let same = progress.take(PullProgress(status: "Waiting", id: "layer-1"))
        let done = progress.take(PullProgress(status: "Pull complete", id: "layer-1"))
        let long = progress.take(PullProgress(status: String(repeating: "x", count: 10_000), id: "layer-2"))
        #expect(!same && done && long)
        #expect(progress.layers["layer-2"]?.status.count == 200, "a status line is cut")
        #expect(progress.layersDone == 1)
    }

    @Test("pulls of one image at once are one engine pull; each caller hears its progress; /status sees it while it runs")
    func joined() async throws {
        let engine = InMemoryEngine(images: [])
        let gate = PullGate()
        engine.serve("ghcr.io/acme/tool:1", repoDigest: "ghcr.io/acme/tool@\(Self.digest)", gate: gate)
        let state = StateModel()
        let manager = ToolManager(engine: engine, state: state, dtmaVersion: "test", logger: Logger(label: "test"))
        let heard = NIOLockedValueBox<[Int: [String]]>([:])
        let joins = NIOLockedValueBox(0)
        let callers = (0..<3).map { caller in
            Task {
                try await manager.pull("ghcr.io/acme/tool:1", joined: { joins.withLockedValue { $0 += 1 } }, listener: { line in
                    heard.withLockedValue { $0[caller, default: []].append(line.status ?? "") }
                })
            }
        }
        #expect(try await eventually { gate.waiting == 1 && manager.pulls.inFlight == ["ghcr.io/acme/tool:1"] })
        #expect(try await eventually { joins.withLockedValue { $0 } == 2 }, "the later callers joined")
        let shown = try #require(state.snapshot().imagePulls.first)
        #expect(shown.image == "ghcr.io/acme/tool:1" && shown.layers["layer-1"]?.status == "Downloading")
        gate.open()
        for caller in callers { try await caller.value }
        #expect(engine.pullCount == 1)
        #expect(heard.withLockedValue { $0.values.allSatisfy { $0.last == "Pull complete" } } && heard.withLockedValue { $0.count } == 3)
        #expect(state.snapshot().imagePulls.isEmpty, "gone from /status once done")
        #expect(try await manager.imageDigest("ghcr.io/acme/tool:1") == Self.digest)
    }

    @Test("a deploy records its image's digest in the labels; a pinned digest the image does not have is refused, nothing created")
    func deployDigests() async throws {
        let engine = InMemoryEngine(images: [])
        engine.serve("ghcr.io/acme/tool:1", repoDigest: "ghcr.io/acme/tool@\(Self.digest)")
        engine.serve("ghcr.io/acme/tool@\(Self.other)", repoDigest: "ghcr.io/acme/tool@\(Self.digest)")
        let state = StateModel()
        let manager = ToolManager(engine: engine, state: state, dtmaVersion: "test", logger: Logger(label: "test"))
        func spec(_ name: String, _ image: String) throws -> ToolSpec {
            try DeployRequest.decode(Array(#"{"dockerImageUrl":"\#(image)","instanceNameOnToolbox":"\#(name)","accountToolInstanceId":"i","probe":{"transport":"none"}}"#.utf8)).validated()
        }
        let outcome = try await manager.deploy(try spec("tagged", "ghcr.io/acme/tool:1"))
        #expect(outcome.container.config.labels?[ContainerLabels.imageDigest] == Self.digest)
        #expect(state.tool("tagged")?.imageDigest == Self.digest)

        await #expect(throws: ToolError.imageDigestMismatch(image: "ghcr.io/acme/tool@\(Self.other)", found: Self.digest)) {
            try await manager.deploy(try spec("pinned", "ghcr.io/acme/tool@\(Self.other)"))
        }
        #expect(engine.containerCount == 1 && state.tool("pinned") == nil)
    }
}
