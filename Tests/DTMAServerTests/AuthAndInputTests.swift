import DTMATestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

struct AuthCase: Sendable, CustomTestStringConvertible {
    let name: String
    let authorization: String
    let accepted: Bool
    var testDescription: String { name }
}

let authCases: [AuthCase] = [
    .init(name: "missing", authorization: "", accepted: false),
    .init(name: "wrong scheme", authorization: "Basic \(LiveDTMA.key)", accepted: false),
    .init(name: "wrong token", authorization: "Bearer not-the-key", accepted: false),
    .init(name: "near miss: last character", authorization: "Bearer \(LiveDTMA.key.dropLast())Z", accepted: false),
    .init(name: "near miss: prefix", authorization: "Bearer \(LiveDTMA.key.dropLast())", accepted: false),
    .init(name: "near miss: one more character", authorization: "Bearer \(LiveDTMA.key)x", accepted: false),
    .init(name: "scheme without token", authorization: "Bearer", accepted: false),
    .init(name: "token without scheme", authorization: LiveDTMA.key, accepted: false),
    .init(name: "token with an inner space", authorization: "Bearer \(LiveDTMA.key.prefix(10)) \(LiveDTMA.key.dropFirst(10))", accepted: false),
    .init(name: "right token", authorization: "Bearer \(LiveDTMA.key)", accepted: true),
    .init(name: "lower-case scheme (schemes are case-insensitive)", authorization: "bearer \(LiveDTMA.key)", accepted: true),
    .init(name: "trailing space (not part of a field value)", authorization: "Bearer \(LiveDTMA.key) ", accepted: true),
    .init(name: "the second key, during rotation", authorization: "Bearer \(LiveDTMA.secondaryKey)", accepted: true),
]

/// Against an in-memory engine: nothing here needs dockerd.
@Suite("API authentication and bad input")
struct AuthAndInputTests {
    @Test("bearer auth table on /status", arguments: authCases)
    func bearer(_ testCase: AuthCase) async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let answer = try await dtma.call("GET", "/status", authorization: testCase.authorization)
            if testCase.accepted {
                #expect(answer.status == 200)
            } else {
                #expect(answer.status == 401)
                #expect(answer.headers["WWW-Authenticate"] == "Bearer realm=\"dtma\"")
                #expect(answer.json["error"] as? String == "missing or invalid bearer token", "no hint which part was wrong")
            }
        }
    }

    @Test("a client dripping its request head is cut off; a prompt one on the same server is not")
    func slowloris() async throws {
        try await withLiveDTMA(environment: ["DTMA_REQUEST_HEAD_TIMEOUT_SECONDS": "2"], engine: InMemoryEngine()) { dtma, _ in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: dtma.port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            let started = ContinuousClock.now
            let cutOff: Bool = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
                let dripping = Task {
                    for byte in "X-Slow: ".utf8 + Array(repeating: UInt8(ascii: "a"), count: 100) {
                        try await Task.sleep(for: .milliseconds(300))
                        try await outbound.write(ByteBuffer(bytes: [byte]))
                    }
                }
                defer { dripping.cancel() }
                for try await _ in inbound {}  // the server says nothing, then closes
                return true
            }
            #expect(cutOff)
            #expect(ContinuousClock.now - started < .seconds(8), "closed after about 2 s, not after the 30 s of dripping")
            #expect(try await dtma.call("GET", "/status").status == 200, "prompt clients are served")
        }
    }

    @Test("two Authorization headers are refused")
    func duplicateHeaders() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            let answer = try await dtma.call("GET", "/status", extraHeaders: [("Authorization", "Bearer \(LiveDTMA.key)")])
            #expect(answer.status == 401)
        }
    }

    @Test("/health needs no key and says only ok and whether the engine answers")
    func health() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            #expect(try await eventually { dtma.state.snapshot().engineReachable })
            let answer = try await dtma.call("GET", "/health", authorization: "")
            #expect(answer.status == 200)
            #expect(answer.json as NSDictionary == ["status": "ok", "engine": "reachable"] as NSDictionary)
        }
    }

    @Test("unknown routes are 401 without a key and 404 JSON with one")
    func unknownRoutes() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            #expect(try await dtma.call("GET", "/ssh/execute", authorization: "").status == 401)
            let answer = try await dtma.call("POST", "/ssh/execute", json: "{}")
            #expect(answer.status == 404)
            #expect(answer.code == "no_such_route")
        }
    }

    @Test("names no tool can have are 4xx, never an engine call (schemathesis found `.`: the engine answered 301, we 500)")
    func impossibleNames() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, _ in
            for name in [".", "..", "a", "-x", "x%2Fy", "%2E%2E"] {
                for (method, path, body) in [
                    ("POST", "/tools/\(name)/start", nil), ("POST", "/tools/\(name)/stop", nil), ("DELETE", "/tools/\(name)", nil),
                    ("GET", "/tools/\(name)/logs", nil), ("POST", "/tools/start", #"{"instance":"\#(name)"}"#),
                    ("POST", "/tools/stop", #"{"instance":"\#(name)"}"#),
                ] as [(String, String, String?)] {
                    let answer = try await dtma.call(method, path, json: body)
                    #expect([400, 404].contains(answer.status), "\(method) \(path) \(body ?? ""): \(answer.status)")
                }
            }
        }
    }

    @Test("malformed deploy bodies are 4xx JSON and create nothing")
    func malformedBodies() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, tag in
            let bodies: [(String, Int, String)] = [
                ("", 400, "invalid_json"),
                ("{", 400, "invalid_json"),
                ("null", 400, "invalid_field"),
                ("[]", 400, "invalid_field"),
                (#"{"instanceNameOnToolbox":"xy"}"#, 400, "missing_field"),
                (#"{"dockerImageUrl":"busybox","instanceNameOnToolbox":"../x","accountToolInstanceId":"1"}"#, 400, "invalid_field"),
                (#"{"dockerImageUrl":"busybox","instanceNameOnToolbox":"xy","accountToolInstanceId":"1","baseConfigOverrideJson":{"HostConfig":{"Privileged":true}}}"#, 400, "not_supported"),
                (#"{"dockerImageUrl":"busybox","instanceNameOnToolbox":"xy","accountToolInstanceId":"1","baseConfigOverrideJson":{"Env":[1]}}"#, 400, "invalid_field"),
                (contractDeploy(name: "huge-\(tag)", tag: tag, env: (0..<10_000).map { "K\($0)=v" }), 413, "too_large"),
                (String(repeating: " ", count: 2 << 20), 413, "body_too_large"),
            ]
            for (body, status, code) in bodies {
                let answer = try await dtma.call("POST", "/tools", json: body)
                #expect(answer.status == status, "\(body.prefix(60))")
                #expect(answer.code == code, "\(body.prefix(60))")
                #expect(answer.json["success"] as? Bool == false)
            }
            #expect(try await testContainers(dtma.engine, tag: tag).isEmpty)
            #expect(try await dtma.engine.listContainers(all: true, filters: ["name": ["^/x$"]]).isEmpty)
        }
    }

    @Test("a known secret appears in no answer")
    func secretsStayOut() async throws {
        try await withLiveDTMA(engine: InMemoryEngine()) { dtma, tag in
            let secret = "s3cr3t-\(UUID().uuidString)"
            let name = "secret-\(tag)"
            let deployed = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["API_TOKEN=\(secret)"]))
            #expect(deployed.status == 201)
            let conflict = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["API_TOKEN=\(secret)x"]))
            let invalid = try await dtma.call("POST", "/tools", json: contractDeploy(name: name, tag: tag, env: ["API_TOKEN=\(secret)", "API_TOKEN=\(secret)"]))
            let status = try await dtma.call("GET", "/status")
            for answer in [deployed, conflict, invalid, status] {
                #expect(!String(decoding: answer.body, as: UTF8.self).contains(secret))
            }
        }
    }
}
