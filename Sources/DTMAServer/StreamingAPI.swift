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
        guard let slot = logStreams.slot() else { throw APIError.tooManyStreams("log", limit: logStreams.limit) }
        let lines = try await manager.logs(instance, query: query)
        guard query.follow else {
            let collected = try await collectedLogs(lines, holding: slot)
            struct Logs: Encodable {
                var instanceName: String
                var lines: [ToolLogLine]
                var truncated: Bool
                enum CodingKeys: String, CodingKey { case instanceName = "instance_name_on_toolbox", lines, truncated }
            }
            let message = collected.dropped == 0
                ? "\(collected.lines.count) lines"
                : "\(collected.lines.count) lines (the \(collected.dropped) older lines asked for are over \(streamBounds.bufferBytes) bytes)"
            return Response.json(
                .ok, Envelope(message: message, data: Logs(instanceName: instance, lines: collected.lines, truncated: collected.dropped > 0)))
        }
        let (bounds, channel, logger) = (streamBounds, context.channel, context.logger)
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await Self.untilClientLeaves(request, channel: channel) {
                    try await Self.pump(
                        lines, keepAlive: (Self.followKeepAlive, "\n"), bounds: bounds, farewell: nil,
                        channel: channel, logger: logger, into: &writer
                    ) {
                        let encoder = JSONEncoder()
                        return { line in
                            var bytes = try encoder.encode(line)
                            bytes.append(0x0A)
                            return ByteBuffer(bytes: bytes)
                        }
                    }
                }
                withExtendedLifetime(slot) {}
                try await writer.finish(nil)
            })
    }

    /// The newest lines that fit one stream's buffer; the log-stream slot is held until they are read.
    func collectedLogs(_ lines: ToolLogStream, holding slot: BoundedCount.Slot) async throws -> ToolLogTail {
        defer { withExtendedLifetime(slot) {} }
        return try await ToolLogTail.collect(lines, budgetBytes: streamBounds.bufferBytes)
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
        guard let slot = eventStreams.slot() else { throw APIError.tooManyStreams("event", limit: eventStreams.limit) }
        let events = state.toolEvents()
        let farewell = "event: overflow\ndata: \(streamBounds.farewellJSON)\n\n"
        let (bounds, channel, logger) = (streamBounds, context.channel, context.logger)
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": dtma tool events\n\n"))
                try await Self.untilClientLeaves(request, channel: channel) {
                    try await Self.pump(
                        events, keepAlive: (Self.eventsKeepAlive, ": keep-alive\n\n"), bounds: bounds, farewell: ByteBuffer(string: farewell),
                        channel: channel, logger: logger, into: &writer
                    ) {
                        let encoder = JSONEncoder()
                        return { event in
                            ByteBuffer(string: "event: \(event.event)\ndata: \(String(decoding: try encoder.encode(event), as: UTF8.self))\n\n")
                        }
                    }
                }
                withExtendedLifetime(slot) {}
                try await writer.finish(nil)
            })
    }
}
