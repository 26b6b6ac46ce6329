extension DockerEngineClient {
    /// `POST /containers/{id}/exec`; returns the exec's ID.
    public func createExec(in containerID: String, config: ExecConfig) async throws -> String {
        let response = try await send("POST", "/containers/\(pathSegment(containerID))/exec", body: try encode(config))
        return try decode(IDResponse.self, from: response).id
    }

    /// `POST /exec/{id}/start`, hijacked: write the command's stdin, read its output frames.
    public func startExec(_ execID: String, tty: Bool = false) async throws -> DockerHijackedStream {
        struct StartBody: Encodable {
            var detach = false
            var tty: Bool
            enum CodingKeys: String, CodingKey { case detach = "Detach", tty = "Tty" }
        }
        let streamed = try await openStream(
            "POST", "/exec/\(pathSegment(execID))/start", body: try encode(StartBody(tty: tty)), upgrade: true)
        return DockerHijackedStream(stream: streamed, output: DockerOutputFrameStream(bytes: EngineByteStream(streamed.body), raw: tty))
    }

    /// `GET /exec/{id}/json`: whether it still runs, and its exit code.
    public func inspectExec(_ execID: String) async throws -> ExecInspect {
        try decode(ExecInspect.self, from: try await send("GET", "/exec/\(pathSegment(execID))/json"))
    }
}
