import HTTP1Client
import FoundationEssentials

extension DockerEngineClient {
    /// `GET /images/json`.
    public func listImages(filters: [String: [String]] = [:]) async throws -> [ImageSummary] {
        var query = EngineQuery()
        query.add("filters", filters: filters)
        return try decode([ImageSummary].self, from: try await send("GET", "/images/json", query: query))
    }

    /// `GET /images/{name}/json`, by the reference with its tag made explicit (`ImageReference`).
    public func inspectImage(_ reference: String) async throws -> ImageInspect {
        try decode(ImageInspect.self, from: try await send("GET", "/images/\(try imagePath(try parsed(reference).description))/json"))
    }

    /// `DELETE /images/{name}`.
    public func removeImage(_ reference: String, force: Bool = false) async throws {
        var query = EngineQuery()
        query.add("force", force)
        _ = try await send("DELETE", "/images/\(try imagePath(reference))", query: query)
    }

    /// `POST /images/create?fromImage=…`: the pull's progress as the engine reports it. A failure
    /// the engine reports inside the stream arrives as a line with `error` set; `pullImage` throws it.
    public func pullImageProgress(_ reference: String, auth: RegistryAuth? = nil) async throws
        -> JSONLineStream<PullProgress>
    {
        let image = try parsed(reference)
        guard !image.isID else { throw DockerEngineError.invalidArgument("an image ID cannot be pulled") }
        var headers: [(String, String)] = []
        if let auth {
            // base64url of the JSON credentials (Engine API "Authentication").
            let encoded = try encode(auth)
            let base64 = String(Data(encoded).base64EncodedString().map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
            headers.append(("X-Registry-Auth", base64))
        }
        let query: EngineQuery = [("fromImage", image.name), ("tag", image.tagOrDigest)]
        let streamed = try await openStream("POST", "/images/create", query: query, headers: .init(headers))
        return JSONLineStream(bytes: EngineByteStream(streamed.body))
    }

    private func parsed(_ reference: String) throws -> ImageReference {
        guard let image = ImageReference(parsing: reference) else {
            throw DockerEngineError.invalidArgument("not an image reference in Docker's grammar")
        }
        return image
    }

    /// Pulls an image, handing each progress line to `onProgress`; throws the engine's error if the pull fails.
    public func pullImage(
        _ reference: String, auth: RegistryAuth? = nil, onProgress: (PullProgress) -> Void = { _ in }
    ) async throws {
        for try await progress in try await pullImageProgress(reference, auth: auth) {
            if let error = progress.errorDetail?.message ?? progress.error {
                throw DockerEngineError.streamError(message: error)
            }
            onProgress(progress)
        }
    }
}
