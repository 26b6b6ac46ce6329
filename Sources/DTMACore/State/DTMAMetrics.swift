import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
import Prometheus

/// dtma's figures in Prometheus text format for `GET /metrics`: counters and latency histograms
/// recorded as things happen, and gauges read from the state model and `/proc` when scraped.
/// One registry a daemon (tests run several daemons in one process).
public final class DTMAMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    /// Label values of the scrape-time gauges set last time, so that vanished ones drop to 0.
    private let gaugeLabels = NIOLockedValueBox<[String: Set<String>]>([:])

    public init() {}

    /// One API request: its route template (never the tool's name), method and status.
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "dtma_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))],
            help: "API requests by route, method and status").increment()
        registry.makeDurationHistogram(
            name: "dtma_http_request_duration_seconds", labels: [("route", route)], buckets: Self.latencyBuckets,
            help: "API request latency by route").record(duration)
    }

    public func recordProbe(tool: String, transport: String, verdict: String, duration: Duration) {
        registry.makeCounter(
            name: "dtma_probes_total", labels: [("tool", tool), ("transport", transport), ("verdict", verdict)],
            help: "MCP probes by tool, transport and verdict").increment()
        registry.makeDurationHistogram(
            name: "dtma_probe_duration_seconds", labels: [("tool", tool), ("transport", transport)], buckets: Self.latencyBuckets,
            help: "MCP probe duration by tool and transport").record(duration)
    }

    /// A short engine request (`GET /containers`), for the engine client's observer.
    public func recordEngineCall(_ call: String, duration: Duration, failed: Bool) {
        registry.makeCounter(
            name: "dtma_engine_requests_total", labels: [("call", call), ("outcome", failed ? "error" : "ok")],
            help: "Docker engine requests by kind and outcome").increment()
        registry.makeDurationHistogram(
            name: "dtma_engine_request_duration_seconds", labels: [("call", call)], buckets: Self.latencyBuckets,
            help: "Docker engine request latency by kind").record(duration)
    }

    public func recordHeartbeat(failed: Bool) {
        registry.makeCounter(
            name: "dtma_heartbeats_total", labels: [("outcome", failed ? "error" : "ok")],
            help: "Heartbeats sent to the control plane by outcome").increment()
    }

    /// The text exposition, with the scrape-time gauges brought up to date first.
    public func exposition(_ snapshot: StateModel.Snapshot) -> [UInt8] {
        var byStatus: [String: Int] = [:]
        var byHealth: [String: Int] = [:]
        for tool in snapshot.tools {
            byStatus[tool.statusOnToolbox, default: 0] += 1
            byHealth[tool.healthState?.rawValue ?? "none", default: 0] += 1
        }
        setGauges("dtma_tools", label: "status", byStatus, help: "Managed tools by status_on_toolbox")
        setGauges("dtma_tools_by_health", label: "health", byHealth, help: "Managed tools by probe verdict")
        registry.makeGauge(name: "dtma_engine_reachable", help: "1 when the Docker engine answers").set(to: snapshot.engineReachable ? 1 : 0)
        if let rss = Self.residentBytes() {
            registry.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes").set(to: Double(rss))
        }
        registry.makeGauge(name: "process_open_fds", help: "Open file descriptors").set(to: Double(Self.openDescriptors()))
        return registry.emitToBuffer()
    }

    private func setGauges(_ name: String, label: String, _ values: [String: Int], help: String) {
        let previous = gaugeLabels.withLockedValue { labels in
            defer { labels[name] = Set(values.keys) }
            return labels[name] ?? []
        }
        for value in previous.union(values.keys) {
            registry.makeGauge(name: name, labels: [(label, value)], help: help).set(to: Double(values[value] ?? 0))
        }
    }

    static func residentBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
