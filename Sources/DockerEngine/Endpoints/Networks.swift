extension DockerEngineClient {
    /// `POST /networks/create`; returns the network's ID.
    public func createNetwork(_ config: NetworkConfig) async throws -> String {
        try decode(IDResponse.self, from: try await send("POST", "/networks/create", body: try encode(config))).id
    }

    /// `GET /networks/{id}`.
    public func inspectNetwork(_ id: String) async throws -> NetworkInspect {
        try decode(NetworkInspect.self, from: try await send("GET", "/networks/\(pathSegment(id))"))
    }

    /// `POST /networks/{id}/connect`.
    public func connectNetwork(_ id: String, container: String) async throws {
        struct Body: Encodable {
            var container: String
            enum CodingKeys: String, CodingKey { case container = "Container" }
        }
        _ = try await send("POST", "/networks/\(pathSegment(id))/connect", body: try encode(Body(container: container)))
    }

    /// `DELETE /networks/{id}`.
    public func removeNetwork(_ id: String) async throws {
        _ = try await send("DELETE", "/networks/\(pathSegment(id))")
    }
}
