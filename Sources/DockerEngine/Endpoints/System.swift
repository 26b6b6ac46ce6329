extension DockerEngineClient {
    /// `GET /_ping` (unversioned): is the engine there, and which API version does it speak.
    public func ping() async throws -> EnginePing {
        let response = try await send("GET", "/_ping", versioned: false)
        let headers = response.head.headers
        return EnginePing(
            apiVersion: headers["API-Version"].flatMap { APIVersion($0) },
            osType: headers["OSType"],
            experimental: headers["Docker-Experimental"] == "true")
    }

    /// `GET /version`.
    public func version() async throws -> EngineVersion {
        try decode(EngineVersion.self, from: try await send("GET", "/version"))
    }

    /// `GET /info`.
    public func info() async throws -> EngineInfo {
        try decode(EngineInfo.self, from: try await send("GET", "/info"))
    }
}
