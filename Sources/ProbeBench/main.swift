// Runs dtma's MCP probes back to back for scripts/bench/probe.sh and prints one line:
// `dtma <case> n <count> p50 <ms> p99 <ms> failures <count>`. Not a test: figures only.
//   ProbeBench http --port P [--legacy] [--count N]     Streamable HTTP on 127.0.0.1:P/mcp
//   ProbeBench sse --port P [--count N]                 HTTP+SSE on 127.0.0.1:P/sse
//   ProbeBench stdio --container ID [--count N]         stdio through the engine's attach
import DTMACore
import DockerEngine
import Foundation
import MCPProbe

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}
let mode = arguments.first ?? ""
let count = Int(option("--count") ?? "") ?? 200
let port = Int(option("--port") ?? "") ?? 0
let legacy = arguments.contains("--legacy")

let probe: () async -> MCPProbeResult
var name = mode
switch mode {
case "http":
    name = legacy ? "streamable-http (legacy handshake)" : "streamable-http (2026-07-28)"
    probe = { await StreamableHTTPProbe(port: port, knownEra: legacy ? .legacy : .modern).run() }
case "sse":
    name = "http+sse (legacy)"
    probe = { await LegacySSEProbe(port: port).run() }
case "stdio":
    guard let container = option("--container") else { fatalError("--container is required") }
    let attachment = try await StdioAttachment.attach(engine: DockerEngineClient(), containerID: container)
    nonisolated(unsafe) var memory = StdioProbeMemory()
    name = "stdio over attach"
    probe = { await StdioProbe().run(on: attachment, memory: &memory) }
default:
    FileHandle.standardError.write(Data("usage: ProbeBench http|sse|stdio [--port P] [--container ID] [--legacy] [--count N]\n".utf8))
    exit(2)
}

for _ in 0..<10 { _ = await probe() }  // warm-up
var latencies: [Double] = []
var failures = 0
var lastError = ""
for _ in 0..<count {
    let result = await probe()
    if result.verdict == .healthy { latencies.append(result.latencyMilliseconds) } else { failures += 1; lastError = result.error ?? "" }
}
let sorted = latencies.sorted()
let (p50, p99) = sorted.isEmpty ? (Double.nan, Double.nan) : (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
print(String(format: "dtma %@ n %d p50 %.2f p99 %.2f failures %d%@", name, count, p50, p99, failures,
             lastError.isEmpty ? "" : " (\(lastError))"))
exit(0)
