import DTMACore
import DockerEngine
import FoundationEssentials
import Hummingbird
import JSONScanning
import NIOConcurrencyHelpers

/// `POST /images/pull {"image": "…"}`: pulls an image ahead of its deploys, its progress as
/// newline-delimited JSON. A pull of an image already under way is joined, not started again.
/// The answer's status waits for the engine's first word: a pull refused at once (an unknown tag,
/// no registry) is a plain JSON error; one that fails later ends its stream with a `failed` line.
struct ImagesAPI: Sendable {
    /// Progress lines kept for a client that reads slowly; older ones give way (each is at most
    /// `PullLine.maxBytes`, so a client holds at most 64 KiB here, then what the pump queues).
    static let linesKept = 64
    /// Pull streams served at once (each holds a task until its pull ends).
    static let maxStreams = 8

    let api: ToolAPI
    let streams: BoundedCount

    @Sendable func pull(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let image = try Self.image(Array(buffer: try await request.body.collect(upTo: context.maxUploadSize)), requireDigest: api.config.requireImageDigest)
        guard let slot = streams.slot() else { throw APIError.tooManyStreams("pull", limit: streams.limit) }
        let (lines, feed) = AsyncStream.makeStream(of: PullLine.self, bufferingPolicy: .bufferingNewest(Self.linesKept))
        // The engine's first word decides the status: a line (200, streamed) or a failure (its error).
        let (firstWord, announce) = AsyncStream.makeStream(of: APIError?.self)
        let spoke = NIOLockedValueBox(false)
        @Sendable func say(_ line: PullLine) {
            if case .failed(let error) = line, !spoke.withLockedValue({ $0 }) {
                announce.yield(error)
            } else {
                feed.yield(line)
                announce.yield(nil)
            }
            spoke.withLockedValue { $0 = true }
            announce.finish()
        }
        let manager = api.manager
        let pulling = Task {
            do {
                try await manager.pull(image, joined: { say(.joined) }, listener: { say(.progress($0)) })
                say(.pulled(image: image, digest: try? await manager.imageDigest(image)))
            } catch {
                say(.failed(APIError.from(error)))
            }
            feed.finish()
        }
        for await refusal in firstWord {
            if let refusal { throw refusal }
        }
        let (bounds, channel, logger) = (api.streamBounds, context.channel, context.logger)
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                // The body was read, so a client that leaves is noticed by its connection's close.
                try await ToolAPI.pump(lines, keepAlive: nil, bounds: bounds, farewell: nil, channel: channel, logger: logger, into: &writer) {
                    { $0.line }
                }
                withExtendedLifetime((slot, pulling)) {}
                try await writer.finish(nil)
            })
    }

    /// The body's `image`, a reference in Docker's grammar (with a digest when they are required).
    static func image(_ body: [UInt8], requireDigest: Bool) throws -> String {
        var image: String?
        do {
            try JSONScanner.document(body) { scanner in
                let isObject = try scanner.members { key, scanner in
                    guard key == "image" else { throw APIError(status: .badRequest, code: "not_supported", message: "\(key.prefix(64)) is not a field of a pull", field: String(key.prefix(64))) }
                    image = try scanner.stringIfPresent()
                }
                guard isObject else { throw JSONScanner.Malformed() }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(status: .badRequest, code: "invalid_json", message: "the body is not a JSON object")
        }
        guard let image else { throw APIError(status: .badRequest, code: "missing_field", message: "image is required", field: "image") }
        try DeployRequest.checkImage(image, field: "image", requireDigest: requireDigest)
        return image
    }
}

/// One line of a pull's stream.
enum PullLine: Sendable {
    case joined
    case progress(PullProgress)
    case pulled(image: String, digest: String?)
    case failed(APIError)

    /// Each text is clipped in bytes and at most doubled by escaping (`\"`, `\\`, `\/`).
    static let maxBytes = 1024

    var line: ByteBuffer {
        var fields: [String: String] = [:]
        var counts: [String: Int64] = [:]
        switch self {
        case .joined:
            fields = ["status": "joined", "message": "this image is already being pulled: following that pull"]
        case .progress(let progress):
            fields["status"] = progress.status?.clipped(toUTF8Bytes: 300)
            fields["id"] = progress.id?.clipped(toUTF8Bytes: 100)
            counts["current"] = progress.progressDetail?.current
            counts["total"] = progress.progressDetail?.total
        case .pulled(let image, let digest):
            fields = ["status": "pulled", "image": image.clipped(toUTF8Bytes: 300)]
            fields["digest"] = digest
        case .failed(let error):
            fields = ["status": "failed", "error": error.message.clipped(toUTF8Bytes: 300), "code": error.code]
        }
        var json = fields.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }
        json += counts.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\($0.value)" }
        return ByteBuffer(string: "{" + json.joined(separator: ",") + "}\n")
    }

    private static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
