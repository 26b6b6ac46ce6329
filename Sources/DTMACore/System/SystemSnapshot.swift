import FoundationEssentials
import Glibc

/// The droplet's figures as the heartbeat's `system_status` carries them (contract.md).
public struct SystemSnapshot: Sendable, Equatable, Codable {
    public struct Memory: Sendable, Equatable, Codable {
        public var totalBytes: Int64
        public var activeBytes: Int64
        public var freeBytes: Int64
        public var usedBytes: Int64
        enum CodingKeys: String, CodingKey {
            case totalBytes = "total_bytes", activeBytes = "active_bytes", freeBytes = "free_bytes", usedBytes = "used_bytes"
        }
    }

    public struct Disk: Sendable, Equatable, Codable {
        public var mount: String
        public var totalBytes: Int64
        public var usedBytes: Int64
        public var freeBytes: Int64
        enum CodingKeys: String, CodingKey {
            case mount, totalBytes = "total_bytes", usedBytes = "used_bytes", freeBytes = "free_bytes"
        }
    }

    public var cpuLoadPercent: Double
    public var memory: Memory
    public var disk: Disk

    enum CodingKeys: String, CodingKey {
        case cpuLoadPercent = "cpu_load_percent", memory, disk
    }
}

/// Reads `/proc/stat`, `/proc/meminfo` and `statvfs("/")`. CPU load is the busy share of all CPU
/// time between two readings, so the sampler keeps the previous reading.
public struct SystemReader: Sendable {
    private var previousCPU: (busy: UInt64, total: UInt64)?
    let procRoot: String

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    public mutating func read() -> SystemSnapshot {
        SystemSnapshot(cpuLoadPercent: cpuLoadPercent(), memory: memory(), disk: disk(mount: "/"))
    }

    mutating func cpuLoadPercent() -> Double {
        guard let text = ProcFile.read("\(procRoot)/stat"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return 0 }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 4 else { return 0 }
        let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)  // idle + iowait
        let total = fields.reduce(0, +)
        defer { previousCPU = (total - idle, total) }
        guard let previous = previousCPU, total > previous.total else { return 0 }
        let percent = Double((total - idle) - previous.busy) / Double(total - previous.total) * 100
        return (percent * 10).rounded() / 10
    }

    func memory() -> SystemSnapshot.Memory {
        var kilobytes: [Substring: Int64] = [:]
        if let text = ProcFile.read("\(procRoot)/meminfo") {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count >= 2, let value = Int64(parts[1]) { kilobytes[parts[0].dropLast()] = value }
            }
        }
        let total = (kilobytes["MemTotal"] ?? 0) * 1024
        let available = (kilobytes["MemAvailable"] ?? kilobytes["MemFree"] ?? 0) * 1024
        return .init(
            totalBytes: total, activeBytes: (kilobytes["Active"] ?? 0) * 1024,
            freeBytes: (kilobytes["MemFree"] ?? 0) * 1024, usedBytes: total - available)
    }

    func disk(mount: String) -> SystemSnapshot.Disk {
        var stats = statvfs()
        guard statvfs(mount, &stats) == 0 else { return .init(mount: mount, totalBytes: 0, usedBytes: 0, freeBytes: 0) }
        let block = Int64(stats.f_frsize)
        let total = Int64(stats.f_blocks) * block
        let free = Int64(stats.f_bavail) * block
        return .init(mount: mount, totalBytes: total, usedBytes: total - Int64(stats.f_bfree) * block, freeBytes: free)
    }
}
