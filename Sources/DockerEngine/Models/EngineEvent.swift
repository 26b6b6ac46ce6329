/// One message of `GET /events`.
public struct EngineEvent: Codable, Sendable, Equatable {
    public struct Actor: Codable, Sendable, Equatable {
        public var id: String
        /// For containers: `name`, `image`, every label, and `exitCode` on `die`.
        public var attributes: [String: String]?

        enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }
    }

    /// `container`, `image`, `network`, `volume`, `daemon`, …
    public var type: String
    /// `create`, `start`, `die`, `stop`, `destroy`, `oom`, `health_status: healthy`, …
    public var action: String
    public var actor: Actor
    /// Unix seconds and nanoseconds.
    public var time: Int64
    public var timeNano: Int64?

    enum CodingKeys: String, CodingKey {
        case type = "Type", action = "Action", actor = "Actor", time, timeNano
    }
}
