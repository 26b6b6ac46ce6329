// Runs dtma's MCP probes back to back for scripts/bench/probe.sh and prints one line:
// `dtma <case> n <count> p50 <ms> p99 <ms> failures <count>`. Not a test: figures only.
//   ProbeBench http --port P [--legacy] [--no-tools] [--keep-alive] [--count N]   Streamable HTTP on 127.0.0.1:P/mcp
//   ProbeBench sse --port P [--count N]                 HTTP+SSE on 127.0.0.1:P/sse
//   ProbeBench stdio --container ID [--count N]         stdio through the engine's attach
import DTMACore
import DockerEngine
import Foundation
import MCPProbe
import MCPStdio
import HTTP1Client

_ = ConcurrencyOnNIO.install()  // as `dtma serve` runs
let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}
let mode = arguments.first ?? ""
let count = Int(option("--count") ?? "") ?? 200
let port = Int(option("--port") ?? "") ?? 0
let legacy = arguments.contains("--legacy")
let listsTools = !arguments.contains("--no-tools")

let probe: () async -> MCPProbeResult
var name = mode
switch mode {
case "http":
    name = legacy ? "streamable-http (legacy handshake)" : "streamable-http (2026-07-28)"
    let http = StreamableHTTPProbe(port: port, knownEra: legacy ? .legacy : .modern, listsTools: listsTools)
    if arguments.contains("--keep-alive") {
        let client = http.makeClient()
        name += ", kept-alive connection"
        probe = { await http.run(using: client) }
    } else {
        probe = { await http.run() }
    }
case "sse":
    name = "http+sse (legacy)"
    probe = { await LegacySSEProbe(port: port).run() }
case "stdio":
    guard let container = option("--container") else { fatalError("--container is required") }
    let attachment = StdioClientChannel(try await StdioServers(engine: DockerEngineClient()).multiplexer(for: container), client: "bench")
    nonisolated(unsafe) var memory = StdioProbeMemory()
    name = "stdio over attach"
    probe = { await StdioProbe().run(on: attachment, memory: &memory) }
default:
    FileHandle.standardError.write(Data("usage: ProbeBench http|sse|stdio [--port P] [--container ID] [--legacy] [--count N]\n".utf8))
    exit(2)
}

for _ in 0..<10 { _ = await probe() }  // warm-up
/// User + system CPU time of this process so far, in microseconds.
func cpuMicroseconds() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}
let cpuBefore = cpuMicroseconds()
var latencies: [Double] = []
var failures = 0
var lastError = ""
for _ in 0..<count {
    let result = await probe()
    if result.verdict == .healthy { latencies.append(result.latencyMilliseconds) } else { failures += 1; lastError = result.error ?? "" }
}
let cpuPerProbe = (cpuMicroseconds() - cpuBefore) / max(1, count)
let sorted = latencies.sorted()
let (p50, p99) = sorted.isEmpty ? (Double.nan, Double.nan) : (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
print(String(format: "dtma %@ n %d p50 %.2f p99 %.2f cpu %d µs/probe failures %d%@", name, count, p50, p99, cpuPerProbe, failures,
             lastError.isEmpty ? "" : " (\(lastError))"))
exit(0)
