import DTMACore
import FoundationEssentials
import Hummingbird
import ServiceLifecycle

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
                let encoder = JSONEncoder()
                try await Self.pump(lines, keepAlive: (Self.followKeepAlive, "\n"), into: &writer) { line in
                    var bytes = try encoder.encode(line)
                    bytes.append(0x0A)
                    return ByteBuffer(bytes: bytes)
                }
                try await writer.finish(nil)
            })
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

/// `GET /events`: dtma's own tool events as server-sent events (`event: crashed`, `data: {…}`),
/// so a control plane can react without polling. A comment line every 15 s keeps proxies open
/// and notices a client that left.
extension ToolAPI {
    static let eventsKeepAlive = Duration.seconds(15)

    @Sendable func events(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let events = state.toolEvents()
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": dtma tool events\n\n"))
                let encoder = JSONEncoder()
                try await Self.pump(events, keepAlive: (Self.eventsKeepAlive, ": keep-alive\n\n"), into: &writer) { event in
                    ByteBuffer(string: "event: \(event.event)\ndata: \(String(decoding: try encoder.encode(event), as: UTF8.self))\n\n")
                }
                try await writer.finish(nil)
            })
    }
}

extension ToolAPI {
    /// Writes each item of `source` as it comes, and `keepAlive.bytes` after each quiet
    /// `keepAlive.every`, until the source ends, a write fails (the client left: the source is
    /// cancelled, which closes what feeds it) or dtma shuts down gracefully.
    static func pump<Source: AsyncSequence & Sendable>(
        _ source: Source, keepAlive: (every: Duration, bytes: String), into writer: inout some ResponseBodyWriter,
        encode: (Source.Element) throws -> ByteBuffer
    ) async throws where Source.Element: Sendable {
        // A client more than 1024 items behind loses the oldest: memory stays bounded whatever it does.
        let (merged, feed) = AsyncStream.makeStream(of: Source.Element?.self, bufferingPolicy: .bufferingNewest(1024))
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { feed.finish() }
                    for try await item in source { feed.yield(item) }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: keepAlive.every)
                        feed.yield(nil)
                    }
                }
                defer { group.cancelAll() }
                for await item in merged {
                    try await writer.write(try item.map(encode) ?? ByteBuffer(string: keepAlive.bytes))
                }
            }
        } onGracefulShutdown: {
            feed.finish()
        }
    }
}
