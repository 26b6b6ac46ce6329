import HTTP1
import HTTPTypes
import Hummingbird
import MCPGateway
import MCPStdio
import NIOCore

/// `POST|GET|DELETE /mcp/servers/{instance}`: the MCP gateway on the API listener. The request is
/// handed to `MCPGateway` as plain values; what comes back streams to the client with the same
/// bounds as every other stream here (bytes queued, a write that waits too long ends it).
struct GatewayAPI: Sendable {
    /// The largest JSON-RPC message a client may post.
    static let maxMessageBytes = 4 << 20

    let gateway: MCPGateway
    /// `GET` streams served at once: each may hold a connection to its server for hours.
    let streams: BoundedCount
    let streamBounds: StreamBounds

    @Sendable func serve(_ request: Request, context: DTMARequestContext) async throws -> Response {
        let instance = context.parameters.get("instance") ?? ""
        var body: [UInt8] = []
        if request.method == .post {
            do {
                body = Array(buffer: try await request.body.collect(upTo: Self.maxMessageBytes))
            } catch {
                return Self.response(.error(
                    413, id: nil, code: JSONRPCErrorBody.invalidRequest, "a message is at most \(Self.maxMessageBytes) bytes"))
            }
        }
        var slot: BoundedCount.Slot?
        if request.method == .get {
            guard let taken = streams.slot() else {
                var refused = GatewayResponse.error(
                    429, id: nil, code: JSONRPCErrorBody.serverUnavailable, "the gateway serves \(streams.limit) GET streams at once: try later")
                refused.headers.append(("Retry-After", "5"))
                return Self.response(refused)
            }
            slot = taken
        }
        let headers = HTTP1Headers(request.headers.map { ($0.name.canonicalName, $0.value) })
        let answer = await gateway.handle(GatewayRequest(method: request.method.rawValue, instance: instance, headers: headers, body: body))
        guard case .stream(let stream) = answer.body else { return Self.response(answer) }
        let (bounds, channel, logger, streamSlot, isGET) = (streamBounds, context.channel, context.logger, slot, request.method == .get)
        return Response(
            status: .init(code: answer.status), headers: Self.fields(answer.headers),
            body: ResponseBody { writer in
                defer {
                    stream.close()
                    withExtendedLifetime(streamSlot) {}  // the stream's slot comes back with it
                }
                // No keep-alive of our own: a comment between two chunks could split an event.
                func pump() async throws {
                    try await ToolAPI.pump(
                        stream.body, keepAlive: nil, bounds: bounds, farewell: nil, channel: channel, logger: logger, into: &writer
                    ) { { ByteBuffer(bytes: $0) } }
                }
                if isGET {
                    // A GET stream may stay quiet for hours: a client that leaves must end it now.
                    try await ToolAPI.untilClientLeaves(request, channel: channel, pump)
                } else {
                    try await pump()  // the body was read; the answer to one message ends by itself
                }
                try await writer.finish(nil)
            })
    }

    static func response(_ answer: GatewayResponse) -> Response {
        var bytes: [UInt8] = []
        if case .bytes(let whole) = answer.body { bytes = whole }
        return Response(status: .init(code: answer.status), headers: fields(answer.headers), body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func fields(_ headers: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return fields
    }
}
