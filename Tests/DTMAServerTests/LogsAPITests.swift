import DockerEngine
import DTMATestSupport
import Foundation
import HTTP1
import Testing

@Suite("Tool logs through the API", .requiresEngine)
struct LogsAPITests {
    @Test("both streams come back in order and apart, with times; bad queries and unknown tools are clear errors")
    func lines() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "logs-\(tag)"
            let script = "echo out-1; usleep 200000; echo err-1 >&2; usleep 200000; echo out-2; usleep 200000; echo err-2 >&2; exec sleep 600"
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, script: script)).status == 201)
            var lines: [[String: Any]] = []
            #expect(try await eventually(seconds: 10) {
                let answer = try await dtma.call("GET", "/tools/\(name)/logs?tail=10")
                lines = (answer.data["lines"] as? [[String: Any]]) ?? []
                return lines.count == 4
            })
            #expect(lines.map { $0["line"] as? String } == ["out-1", "err-1", "out-2", "err-2"])
            #expect(lines.map { $0["stream"] as? String } == ["stdout", "stderr", "stdout", "stderr"])
            #expect(lines.allSatisfy { ($0["time"] as? String)?.hasPrefix("20") == true })

            let lastTwo = try await dtma.call("GET", "/tools/\(name)/logs?tail=2&timestamps=false")
            let tail = (lastTwo.data["lines"] as? [[String: Any]]) ?? []
            #expect(tail.map { $0["line"] as? String } == ["out-2", "err-2"])
            #expect(tail.allSatisfy { $0["time"] == nil })

            let badTail = try await dtma.call("GET", "/tools/\(name)/logs?tail=many")
            #expect(badTail.status == 400)
            #expect(badTail.json["field"] as? String == "tail")
            #expect(try await dtma.call("GET", "/tools/\(name)/logs?follow=perhaps").status == 400)
            #expect(try await dtma.call("GET", "/tools/nobody-\(tag)/logs").status == 404)
        }
    }

    @Test("follow streams new lines and ends when the client goes away, leaving no engine connection behind")
    func follow() async throws {
        try await withLiveDTMA { dtma, tag in
            let name = "follow-\(tag)"
            let script = "i=0; while true; do i=$((i+1)); echo tick-$i; usleep 200000; done"
            #expect(try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, script: script)).status == 201)
            try await Task.sleep(for: .milliseconds(300))
            let before = dtma.docker.openConnections

            let stream = try await dtma.client.openStream(HTTP1Request(
                method: "GET", target: "/tools/\(name)/logs?follow=true&tail=0",
                headers: ["Authorization": "Bearer \(LiveDTMA.key)"]))
            #expect(stream.head.status == 200)
            #expect(stream.head.headers["Content-Type"] == "application/x-ndjson")
            var framer = LineFramer()
            var ticks: [String] = []
            reading: for try await chunk in stream.body {
                framer.feed(chunk)
                while let line = try framer.next() {
                    guard !line.isEmpty else { continue }  // keep-alive
                    let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
                    if let text = object?["line"] as? String { ticks.append(text) }
                    if ticks.count >= 3 { break reading }
                }
            }
            #expect(ticks.count == 3)
            #expect(ticks.allSatisfy { $0.hasPrefix("tick-") })
            #expect(dtma.docker.openConnections > before, "the follow holds an engine stream while the client reads")
            stream.close()

            #expect(try await eventually(seconds: 10) { dtma.docker.openConnections <= before },
                    "the engine stream closed after the client left: \(dtma.docker.openConnections) open, \(before) before")
        }
    }
}
