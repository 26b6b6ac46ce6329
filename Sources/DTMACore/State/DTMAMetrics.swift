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
    /// Every metric's name and help, in one place (the descriptor type is not Sendable: made on use).
    enum Name {
        static func dtma(_ metric: String, _ unit: String, _ help: String, namespace: String = "dtma") -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: namespace, metricName: metric, unitName: unit, helpText: help)
        }

        static var requests: MetricNameDescriptor { dtma("http_requests", "total", "API requests by route, method and status") }
        static var requestDuration: MetricNameDescriptor { dtma("http_request_duration", "seconds", "API request latency by route") }
        static var probes: MetricNameDescriptor { dtma("probes", "total", "MCP probes by tool, transport and verdict") }
        static var probeDuration: MetricNameDescriptor { dtma("probe_duration", "seconds", "MCP probe duration by tool and transport") }
        static var engineRequests: MetricNameDescriptor { dtma("engine_requests", "total", "Docker engine requests by kind and outcome") }
        static var engineDuration: MetricNameDescriptor { dtma("engine_request_duration", "seconds", "Docker engine request latency by kind") }
        static var heartbeats: MetricNameDescriptor { dtma("heartbeats", "total", "Heartbeats sent to the control plane by outcome") }
        static var tools: MetricNameDescriptor { dtma("tools", "", "Managed tools by status_on_toolbox") }
        static var toolsByHealth: MetricNameDescriptor { dtma("tools_by_health", "", "Managed tools by probe verdict") }
        static var engineReachable: MetricNameDescriptor { dtma("engine_reachable", "", "1 when the Docker engine answers") }
        // Prometheus' conventional process metrics.
        static var residentMemory: MetricNameDescriptor { dtma("resident_memory", "bytes", "Resident memory size in bytes", namespace: "process") }
        static var openFDs: MetricNameDescriptor { dtma("open_fds", "", "Open file descriptors", namespace: "process") }
    }

    /// Label values of the scrape-time gauges set last time, so that vanished ones drop to 0.
    private let gaugeLabels = NIOLockedValueBox<[String: Set<String>]>([:])
    /// The probe series of each tool, `[transport, verdict]`, so that a removed tool's go with it.
    private let probeSeries = NIOLockedValueBox<[String: Set<[String]>]>([:])

    public init() {}

    /// One API request: its route template (never the tool's name), method and status.
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Name.requests, labels: [("route", route), ("method", method), ("status", String(status))])
            .increment()
        registry.makeDurationHistogram(descriptor: Name.requestDuration, labels: [("route", route)], buckets: Self.latencyBuckets)
            .record(duration)
    }

    public func recordProbe(tool: String, transport: String, verdict: String, duration: Duration) {
        probeSeries.withLockedValue { _ = $0[tool, default: []].insert([transport, verdict]) }
        probeCounter(tool: tool, transport: transport, verdict: verdict).increment()
        probeHistogram(tool: tool, transport: transport).record(duration)
    }

    private func probeCounter(tool: String, transport: String, verdict: String) -> Counter {
        registry.makeCounter(descriptor: Name.probes, labels: [("tool", tool), ("transport", transport), ("verdict", verdict)])
    }

    private func probeHistogram(tool: String, transport: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Name.probeDuration, labels: [("tool", tool), ("transport", transport)], buckets: Self.latencyBuckets)
    }

    /// Drops the probe series of tools that are gone (a droplet that churns tools would otherwise
    /// grow its scrape without end).
    private func forgetProbeSeries(keeping tools: Set<String>) {
        let gone = probeSeries.withLockedValue { series in
            let gone = series.filter { !tools.contains($0.key) }
            for tool in gone.keys { series[tool] = nil }
            return gone
        }
        for (tool, labels) in gone {
            for label in labels { registry.unregisterCounter(probeCounter(tool: tool, transport: label[0], verdict: label[1])) }
            for transport in Set(labels.map { $0[0] }) { registry.unregisterDurationHistogram(probeHistogram(tool: tool, transport: transport)) }
        }
    }

    /// A short engine request (`GET /containers`), for the engine client's observer.
    public func recordEngineCall(_ call: String, duration: Duration, failed: Bool) {
        registry.makeCounter(descriptor: Name.engineRequests, labels: [("call", call), ("outcome", failed ? "error" : "ok")]).increment()
        registry.makeDurationHistogram(descriptor: Name.engineDuration, labels: [("call", call)], buckets: Self.latencyBuckets)
            .record(duration)
    }

    public func recordHeartbeat(failed: Bool) {
        registry.makeCounter(descriptor: Name.heartbeats, labels: [("outcome", failed ? "error" : "ok")]).increment()
    }

    /// The text exposition, with the scrape-time gauges brought up to date first.
    public func exposition(_ snapshot: StateModel.Snapshot) -> [UInt8] {
        var byStatus: [String: Int] = [:]
        var byHealth: [String: Int] = [:]
        for tool in snapshot.tools {
            byStatus[tool.statusOnToolbox.rawValue, default: 0] += 1
            byHealth[tool.healthState?.rawValue ?? "none", default: 0] += 1
        }
        forgetProbeSeries(keeping: Set(snapshot.tools.map(\.instanceName)))
        setGauges(Name.tools, label: "status", byStatus)
        setGauges(Name.toolsByHealth, label: "health", byHealth)
        registry.makeGauge(descriptor: Name.engineReachable).set(to: snapshot.engineReachable ? 1 : 0)
        if let rss = Self.residentBytes() { registry.makeGauge(descriptor: Name.residentMemory).set(to: Double(rss)) }
        registry.makeGauge(descriptor: Name.openFDs).set(to: Double(Self.openDescriptors()))
        return registry.emitToBuffer()
    }

    private func setGauges(_ descriptor: MetricNameDescriptor, label: String, _ values: [String: Int]) {
        let previous = gaugeLabels.withLockedValue { labels in
            defer { labels[descriptor.name] = Set(values.keys) }
            return labels[descriptor.name] ?? []
        }
        for value in previous.union(values.keys) {
            registry.makeGauge(descriptor: descriptor, labels: [(label, value)]).set(to: Double(values[value] ?? 0))
        }
    }

    static func residentBytes() -> Int? {
        guard let statm = ProcFile.read("/proc/self/statm") else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
