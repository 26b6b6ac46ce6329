import DTMATestSupport
import DockerEngine
import HTTP1
import Testing

@Suite("Engine client: logs, attach and exec against the real engine", .requiresEngine)
struct ContainerStreamTests {
    let engine = DockerEngineClient()

    @Test("logs come back demultiplexed, in order, with tail and timestamps")
    func logs() async throws {
        let script = "echo out1; sleep 0.1; echo err1 >&2; sleep 0.1; echo out2; sleep 0.1; echo err2 >&2"
        try await withContainer(engine, busyboxConfig(script, tag: uniqueTestTag())) { id in
            try await engine.startContainer(id)
            #expect(try await engine.waitContainer(id).statusCode == 0)

            let frames = try await collectFrames(try await engine.containerLogs(id))
            #expect(frames.map(\.stream) == [.stdout, .stderr, .stdout, .stderr])
            #expect(frames.map(\.text) == ["out1\n", "err1\n", "out2\n", "err2\n"])

            var stdoutOnly = LogsOptions()
            stdoutOnly.stderr = false
            #expect(try await collectFrames(try await engine.containerLogs(id, options: stdoutOnly)).map(\.text)
                == ["out1\n", "out2\n"])

            var options = LogsOptions()
            options.tail = 1
            options.timestamps = true
            let tail = try await collectFrames(try await engine.containerLogs(id, options: options))
            #expect(tail.count == 1)
            #expect(tail.first?.stream == .stderr)
            #expect(tail.first?.text.hasSuffix(" err2\n") == true)
            #expect(tail.first?.text.first?.isNumber == true, "RFC 3339 timestamp first")
        }
    }

    @Test("following logs delivers lines as they are written")
    func followLogs() async throws {
        let script = "for i in 1 2 3; do echo line$i; sleep 0.2; done; sleep 30"
        try await withContainer(engine, busyboxConfig(script, tag: uniqueTestTag())) { id in
            try await engine.startContainer(id)
            var options = LogsOptions()
            options.follow = true
            let frames = try await collectFrames(try await engine.containerLogs(id, options: options), count: 3)
            #expect(frames.map(\.text) == ["line1\n", "line2\n", "line3\n"])
        }
    }

    @Test("attach: what is written to stdin comes back on stdout")
    func attachRoundTrip() async throws {
        var config = busyboxConfig("cat", tag: uniqueTestTag())
        config.openStdin = true
        config.stdinOnce = true
        try await withContainer(engine, config) { id in
            let attached = try await engine.attachContainer(id)
            defer { attached.close() }
            try await engine.startContainer(id)
            var output = attached.output.makeAsyncIterator()
            try await attached.write(Array("hello over attach\n".utf8))
            let echoed = try await output.next()
            #expect(echoed?.stream == .stdout)
            #expect(echoed?.text == "hello over attach\n")

            try await attached.write(Array("second\n".utf8))
            #expect(try await output.next()?.text == "second\n")

            try await attached.closeInput()
            #expect(try await output.next() == nil, "cat exits on end of input and the stream ends")
            #expect(try await engine.waitContainer(id).statusCode == 0)
        }
    }

    @Test("exec runs a command with stdin, separates its streams and reports its exit code")
    func exec() async throws {
        try await withContainer(engine, busyboxConfig("sleep 30", tag: uniqueTestTag())) { id in
            try await engine.startContainer(id)
            let execID = try await engine.createExec(
                in: id, config: ExecConfig(cmd: ["sh", "-c", "read line; echo got:$line; echo oops >&2; exit 3"], attachStdin: true))
            let session = try await engine.startExec(execID)
            defer { session.close() }
            try await session.write(Array("ping\n".utf8))
            let frames = try await collectFrames(session.output)
            #expect(frames.filter { $0.stream == .stdout }.map(\.text).joined() == "got:ping\n")
            #expect(frames.filter { $0.stream == .stderr }.map(\.text).joined() == "oops\n")
            #expect(try await eventually { try await engine.inspectExec(execID).running == false })
            #expect(try await engine.inspectExec(execID).exitCode == 3)
        }
    }
}
