import DockerEngine
import FoundationEssentials

/// How far one image's pull has come, from the engine's progress lines: each layer's last status
/// and bytes. `/status` shows it while the pull runs. Holds at most `maxLayers` layers.
public struct ImagePullProgress: Sendable, Equatable, Codable {
    static let maxLayers = 256

    public var image: String
    /// ISO 8601.
    public var startedAt: String
    /// Callers waiting on this one pull (deploys and `POST /images/pull`).
    public var callers = 1
    public var layers: [String: Layer] = [:]
    /// The engine's last line that named no layer (`Pulling from …`, `Digest: …`).
    public var lastStatus: String?

    public struct Layer: Sendable, Equatable, Codable {
        public var status: String
        public var currentBytes: Int64?
        public var totalBytes: Int64?

        enum CodingKeys: String, CodingKey { case status, currentBytes = "current_bytes", totalBytes = "total_bytes" }
    }

    public init(image: String, startedAt: Date) {
        self.image = image
        self.startedAt = startedAt.formatted(.iso8601)
    }

    public var layersDone: Int {
        layers.values.filter { ["Pull complete", "Already exists"].contains($0.status) }.count
    }

    /// Takes in one progress line; true when it changed what a reader is shown beyond byte counts.
    @discardableResult
    mutating func take(_ line: PullProgress) -> Bool {
        let status = line.status?.clipped(toUTF8Bytes: 200)
        guard let id = line.id?.clipped(toUTF8Bytes: 80), let status else {
            defer { lastStatus = status ?? lastStatus }
            return status != lastStatus
        }
        let before = layers[id]?.status
        guard before != nil || layers.count < Self.maxLayers else { return false }
        layers[id] = Layer(status: status, currentBytes: line.progressDetail?.current, totalBytes: line.progressDetail?.total)
        return before != status
    }

    enum CodingKeys: String, CodingKey {
        case image, startedAt = "started_at", callers, layers, lastStatus = "last_status"
    }
}
