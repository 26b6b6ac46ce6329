import DockerEngine
import DTMATestSupport
import Foundation
import HTTP1
import NIOConcurrencyHelpers
import Testing

@Suite("Tool events through the API", .requiresEngine)
struct EventsAPITests {
    @Test("/events says deployed, then crashed within a second of the container dying, then removed")
    func crashEvent() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "events-\(tag)"
            let recorder = try await ToolEventRecorder(dtma)
            defer { recorder.stop() }
            #expect(recorder.stream.head.status == 200)
            #expect(recorder.stream.head.headers["Content-Type"] == "text/event-stream")

            let body = contractDeploy(name: name, tag: tag, script: "sleep 2; echo 'giving up' >&2; exit 3")
            #expect(try await dtma.call("POST", "/tools", json: body).status == 201)
            #expect(try await eventually(seconds: 20) { recorder.events(of: name).contains { $0.type == "crashed" } })
            let crashed = try #require(recorder.events(of: name).first { $0.type == "crashed" })
            #expect(crashed.detail == "exit code 3")
            #expect(crashed.status == "error_runtime")
            let containerID = try #require(dtma.state.tool(name)?.containerID)
            let finishedAt = try #require(try await dtma.engine.inspectContainer(containerID).state.finishedAt.flatMap(Self.parseTime))
            #expect(crashed.at.timeIntervalSince(finishedAt) < 1, "delivered within a second of the death")
            let types = recorder.events(of: name).map(\.type)
            #expect(types.firstIndex(of: "deployed").map { $0 < types.firstIndex(of: "crashed")! } == true, "\(types)")

            #expect(try await dtma.call("DELETE", "/tools/\(name)").status == 200)
            #expect(try await eventually(seconds: 10) { recorder.events(of: name).contains { $0.type == "removed" } })
        }
    }

    static func parseTime(_ text: String) -> Date? {
        // Docker's nanoseconds are more than ISO8601DateFormatter reads: keep milliseconds.
        let trimmed = text.replacingOccurrences(of: #"(\.\d{3})\d*"#, with: "$1", options: .regularExpression)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: trimmed)
    }
}
