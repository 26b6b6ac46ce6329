// Drives the engine client as hard as it goes for scripts/bench/engine.sh and prints one line per
// case: `case requests seconds req/s cpu_us_per_req`. Not a test: figures only.
import DockerEngine
import Foundation
import HTTP1
import HTTP1Client

// Tasks run on the event loop, as in `dtma serve`: a request then costs no thread hand-offs.
_ = ConcurrencyOnNIO.install()

struct Options {
    var container = ""
    var seconds = 5.0
    var concurrency = 8

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--container": container = iterator.next() ?? ""
            case "--seconds": seconds = Double(iterator.next() ?? "") ?? seconds
            case "--concurrency": concurrency = Int(iterator.next() ?? "") ?? concurrency
            default:
                FileHandle.standardError.write(Data("usage: EngineBench --container ID [--seconds S] [--concurrency N]\n".utf8))
                exit(2)
            }
        }
    }
}

/// Process CPU time (user + system) in microseconds.
func cpuMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func micros(_ t: timeval) -> Double { Double(t.tv_sec) * 1e6 + Double(t.tv_usec) }
    return micros(usage.ru_utime) + micros(usage.ru_stime)
}

/// Runs `operation` from `workers` tasks until `seconds` pass; prints the rate.
func measure(_ name: String, workers: Int, seconds: Double, _ operation: @escaping @Sendable () async throws -> Void)
    async throws
{
    for _ in 0..<50 { try await operation() }  // warm-up: connections, version negotiation
    let cpuStart = cpuMicroseconds()
    let start = ContinuousClock.now
    let deadline = start + .milliseconds(Int(seconds * 1000))
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<workers {
            group.addTask {
                var count = 0
                while ContinuousClock.now < deadline {
                    try await operation()
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = ContinuousClock.now - start
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let cpuPerRequest = (cpuMicroseconds() - cpuStart) / Double(total)
    print(String(format: "%@ %d %.2f %.0f %.1f", name, total, wall, Double(total) / wall, cpuPerRequest))
}

let options = Options(CommandLine.arguments)
guard !options.container.isEmpty else {
    FileHandle.standardError.write(Data("--container is required\n".utf8))
    exit(2)
}

var single = DockerEngineClient.Configuration()
single.maxConnections = 1
let oneConnection = DockerEngineClient(configuration: single)
var pooled = DockerEngineClient.Configuration()
pooled.maxConnections = options.concurrency
let manyConnections = DockerEngineClient(configuration: pooled)
let container = options.container
let filters = ["label": ["dtma.bench=1"]]

try await measure("dtma_inspect_1conn", workers: 1, seconds: options.seconds) {
    _ = try await oneConnection.inspectContainer(container)
}
try await measure("dtma_list_1conn", workers: 1, seconds: options.seconds) {
    _ = try await oneConnection.listContainers(all: true, filters: filters)
}
try await measure("dtma_inspect_\(options.concurrency)conn", workers: options.concurrency, seconds: options.seconds) {
    _ = try await manyConnections.inspectContainer(container)
}
try await measure("dtma_list_\(options.concurrency)conn", workers: options.concurrency, seconds: options.seconds) {
    _ = try await manyConnections.listContainers(all: true, filters: filters)
}

// Where the client's CPU goes: the HTTP/1.1 round trip alone (the same versioned request, the
// answer left as bytes), then the answer read into the model, alone and hot in the cache (the
// scanner dtma uses, and Foundation's JSONDecoder, which it replaced for inspects and lists).
let version = try await oneConnection.apiVersion()
oneConnection.shutdown()
manyConnections.shutdown()
let raw = HTTP1Client(endpoint: .unixSocket(path: "/var/run/docker.sock"))
let inspectRequest = HTTP1Request(method: "GET", target: "/v\(version)/containers/\(container)/json", headers: ["Host": "docker"])
let body = try await raw.execute(inspectRequest).body
try await measure("dtma_inspect_transport_only", workers: 1, seconds: options.seconds) {
    _ = try await raw.execute(inspectRequest)
}
raw.shutdown()
try await measure("dtma_inspect_read_only", workers: 1, seconds: options.seconds) {
    _ = try DockerEngineClient.read(ContainerInspect.self, from: body)
}
try await measure("jsondecoder_inspect_read_only", workers: 1, seconds: options.seconds) {
    _ = try JSONDecoder().decode(ContainerInspect.self, from: Data(body))
}
