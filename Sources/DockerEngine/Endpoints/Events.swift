import HTTP1Client
extension DockerEngineClient {
    /// `GET /events`: a stream that lasts until the engine stops, `until` passes, or the consumer
    /// drops it. `since` (unix seconds) replays what happened while nobody was listening.
    public func events(since: Int64? = nil, until: Int64? = nil, filters: [String: [String]] = [:]) async throws
        -> JSONLineStream<EngineEvent>
    {
        var query = EngineQuery()
        query.add("since", since.map(String.init))
        query.add("until", until.map(String.init))
        query.add("filters", filters: filters)
        let streamed = try await openStream("GET", "/events", query: query)
        return JSONLineStream(bytes: EngineByteStream(streamed.body))
    }
}
