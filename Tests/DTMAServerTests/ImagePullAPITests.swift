import DTMACore
@testable import DTMAServer
import DTMATestSupport
import DockerEngine
import Foundation
import Testing

/// `POST /images/pull` over real HTTP, against an in-memory engine with a registry in memory.
@Suite("Image pull API")
struct ImagePullAPITests {
    static let digest = "sha256:" + String(repeating: "ef", count: 32)

    /// The answer's NDJSON lines, as objects.
    static func lines(_ answer: LiveDTMA.Answer) -> [[String: Any]] {
        String(decoding: answer.body, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test("progress as NDJSON, ending with the digest; two pulls of one image at once are one pull, shown in /status while it runs")
    func pullAndJoin() async throws {
        let engine = InMemoryEngine(images: [])
        let gate = PullGate()
        engine.serve("ghcr.io/acme/tool:1", repoDigest: "ghcr.io/acme/tool@\(Self.digest)", gate: gate)
        try await withLiveDTMA(engine: engine) { dtma, _ in
            let body = #"{"image":"ghcr.io/acme/tool:1"}"#
            let first = Task { try await dtma.call("POST", "/images/pull", json: body) }
            #expect(try await eventually { gate.waiting == 1 })
            let second = Task { try await dtma.call("POST", "/images/pull", json: body) }
            let shown = try await eventually {
                let pulls = try await dtma.call("GET", "/status").json["image_pulls"] as? [[String: Any]] ?? []
                return pulls.first?["image"] as? String == "ghcr.io/acme/tool:1" && pulls.first?["callers"] as? Int == 2
            }
            #expect(shown, "/status shows the pull while it runs, with both callers")
            gate.open()
            for answer in [try await first.value, try await second.value] {
                #expect(answer.status == 200 && answer.headers["Content-Type"] == "application/x-ndjson")
                let lines = Self.lines(answer)
                #expect(lines.last?["status"] as? String == "pulled" && lines.last?["digest"] as? String == Self.digest, "\(lines)")
                #expect(lines.contains { $0["status"] as? String == "Pull complete" && $0["id"] as? String == "layer-1" })
            }
            #expect(engine.pullCount == 1, "joined, not pulled twice")
            #expect((try await dtma.call("GET", "/status").json["image_pulls"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("bad bodies are 400 with the field; a pull refused at once is a plain JSON error; a tag alone with digests required is 400")
    func refusals() async throws {
        try await withLiveDTMA(engine: InMemoryEngine(images: [])) { dtma, _ in
            for (body, field) in [(#"{}"#, "image"), (#"{"image":"UPPER/case"}"#, "image"), (#"{"image":"a","force":true}"#, "force")] {
                let answer = try await dtma.call("POST", "/images/pull", json: body)
                #expect(answer.status == 400 && answer.json["field"] as? String == field, "\(body): \(answer.json)")
            }
            #expect(try await dtma.call("POST", "/images/pull", json: "[1]").code == "invalid_json")
            let refused = try await dtma.call("POST", "/images/pull", json: #"{"image":"ghcr.io/acme/absent:1"}"#)
            #expect(refused.status == 502 && refused.code == "image_pull_failed", "\(refused.json)")
            #expect(try await dtma.call("POST", "/images/pull", json: #"{"image":"a"}"#, authorization: "").status == 401)
        }
        try await withLiveDTMA(environment: ["DTMA_REQUIRE_IMAGE_DIGEST": "1"], engine: InMemoryEngine(images: [])) { dtma, _ in
            let tagged = try await dtma.call("POST", "/images/pull", json: #"{"image":"ghcr.io/acme/tool:1"}"#)
            #expect(tagged.status == 400 && (tagged.json["error"] as? String)?.contains("DTMA_REQUIRE_IMAGE_DIGEST") == true)
            let deploy = try await dtma.call("POST", "/tools", json: contractDeploy(name: "pinned-only", tag: "t", image: "ghcr.io/acme/tool:1"))
            #expect(deploy.status == 400 && deploy.json["field"] as? String == "dockerImageUrl")
        }
    }

    @Test("at most 8 pull streams at once: the next is 429 with Retry-After, and room comes back")
    func streamBound() async throws {
        let engine = InMemoryEngine(images: [])
        let gate = PullGate()
        for index in 0...ImagesAPI.maxStreams { engine.serve("ghcr.io/acme/tool:\(index)", repoDigest: "ghcr.io/acme/tool@\(Self.digest)", gate: gate) }
        try await withLiveDTMA(engine: engine) { dtma, _ in
            let held = (0..<ImagesAPI.maxStreams).map { index in
                Task { try await dtma.call("POST", "/images/pull", json: #"{"image":"ghcr.io/acme/tool:\#(index)"}"#) }
            }
            #expect(try await eventually { gate.waiting == ImagesAPI.maxStreams })
            // On a connection of its own: the test's client has its 8 busy with the held pulls.
            let body = #"{"image":"ghcr.io/acme/tool:\#(ImagesAPI.maxStreams)"}"#
            let connection = try await RawConnection.open(port: dtma.port)
            let refused = try await connection.send(
                "POST /images/pull HTTP/1.1\r\nHost: a\r\nConnection: close\r\nAuthorization: Bearer \(LiveDTMA.key)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)", thenReadFor: .seconds(5))
            #expect(refused?.hasPrefix("HTTP/1.1 429 ") == true && refused?.contains("too_many_streams") == true, "\(refused ?? "")")
            #expect(refused?.lowercased().contains("retry-after: 5") == true)
            try? await connection.channel.channel.close()
            gate.open()
            for task in held { #expect(try await task.value.status == 200) }
            #expect(try await dtma.call("POST", "/images/pull", json: #"{"image":"ghcr.io/acme/tool:\#(ImagesAPI.maxStreams)"}"#).status == 200)
        }
    }

    @Test("a progress line is at most 1 KiB whatever the engine sent")
    func lineBound() {
        // Escaped characters, a character of many combining scalars, control characters.
        let huge = String(repeating: "\\\"/", count: 20_000) + "e" + String(repeating: "\u{301}", count: 50_000) + String(repeating: "\u{1}", count: 1000)
        let line = PullLine.progress(PullProgress(status: huge, id: huge))
        #expect(line.line.readableBytes <= PullLine.maxBytes)
        let failed = PullLine.failed(APIError(status: .badGateway, code: "image_pull_failed", message: huge))
        #expect(failed.line.readableBytes <= PullLine.maxBytes)
        let pulled = PullLine.pulled(image: huge, digest: Self.digest)
        #expect(pulled.line.readableBytes <= PullLine.maxBytes)
        let combining = PullLine.progress(PullProgress(status: "e" + String(repeating: "\u{301}", count: 50_000), id: "layer"))
        #expect(combining.line.readableBytes <= PullLine.maxBytes, "one character of 50 000 scalars")
        #expect((try? JSONSerialization.jsonObject(with: Data(buffer: line.line))) != nil, "still one JSON object")
    }
}
