import DTMACore
import FoundationEssentials
import Hummingbird

/// `GET /tools/{instance}/logs?tail=&since=&timestamps=&follow=`: the tool's log lines as JSON, or
/// with `follow=true` as newline-delimited JSON until the client goes away.
extension ToolAPI {
    /// An idle followed stream writes an empty line this often, so a gone client is noticed (and
    /// its engine connection closed) even when the tool is silent.
    static let followKeepAlive = Duration.seconds(5)

    @Sendable func logs(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = try await instanceName(request, context: context)
        let query = try Self.logQuery(request.uri.queryParameters)
        let lines = try await manager.logs(instance, query: query)
        guard query.follow else {
            var collected: [ToolLogLine] = []
            for try await line in lines { collected.append(line) }
            struct Logs: Encodable {
                var instanceName: String
                var lines: [ToolLogLine]
                enum CodingKeys: String, CodingKey { case instanceName = "instance_name_on_toolbox", lines }
            }
            return Response.json(.ok, Envelope(message: "\(collected.count) lines", data: Logs(instanceName: instance, lines: collected)))
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await Self.follow(lines, into: &writer)
                try await writer.finish(nil)
            })
    }

    /// Writes every line as it comes, and an empty line after each quiet `followKeepAlive`; a
    /// failed write (the client left) ends both, which closes the engine stream.
    static func follow(_ lines: ToolLogStream, into writer: inout some ResponseBodyWriter) async throws {
        let (merged, feed) = AsyncStream.makeStream(of: ToolLogLine?.self, bufferingPolicy: .bufferingNewest(1024))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { feed.finish() }
                for try await line in lines { feed.yield(line) }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: followKeepAlive)
                    feed.yield(nil)
                }
            }
            defer { group.cancelAll() }
            let encoder = JSONEncoder()
            for await line in merged {
                var bytes = try line.map { try encoder.encode($0) } ?? Data()
                bytes.append(0x0A)
                try await writer.write(ByteBuffer(bytes: bytes))
            }
        }
    }

    static func logQuery(_ parameters: Parameters) throws -> ToolLogQuery {
        func invalid(_ name: String, _ why: String) -> APIError {
            APIError(status: .badRequest, code: "invalid_field", message: "\(name): \(why)", field: name)
        }
        func flag(_ name: String, default fallback: Bool) throws -> Bool {
            guard let text = parameters.get(name) else { return fallback }
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw invalid(name, "must be true or false")
            }
        }
        var query = ToolLogQuery()
        if let text = parameters.get("tail") {
            guard let tail = Int(text), (0...ToolLogQuery.maxTail).contains(tail) else {
                throw invalid("tail", "must be a whole number from 0 to \(ToolLogQuery.maxTail)")
            }
            query.tail = tail
        }
        if let text = parameters.get("since") {
            guard let since = Int64(text), since >= 0 else { throw invalid("since", "must be Unix seconds") }
            query.since = since
        }
        query.follow = try flag("follow", default: false)
        query.timestamps = try flag("timestamps", default: true)
        return query
    }
}
