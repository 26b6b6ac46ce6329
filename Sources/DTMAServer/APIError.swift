import DTMACore
import DockerEngine
import FoundationEssentials
import Hummingbird
import NIOHTTP1

/// Every failure the API reports, as a status and the contract's JSON body:
/// `{"success": false, "error": "<words>", "code": "<machine code>", "field": "<field>"}`
/// (5xx answers also carry `message`, as the contract's 500 shape does).
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?
    var headers: HTTPFields = [:]
    /// An unknown `/mcp/…` path lists the routes there are.
    var availableEndpoints: [String]? = nil

    static let unauthorized = APIError(
        status: .unauthorized, code: "unauthorized", message: "missing or invalid bearer token",
        headers: [.wwwAuthenticate: "Bearer realm=\"dtma\""])

    /// Over the cap of streams served at once (`kind`: "log", "event").
    static func tooManyStreams(_ kind: String, limit: Int) -> APIError {
        APIError(
            status: .tooManyRequests, code: "too_many_streams", message: "\(limit) \(kind) streams are being served, the most at once; try again later",
            headers: [.retryAfter: "5"])
    }

    static func missingInstance() -> APIError {
        APIError(status: .badRequest, code: "missing_field", message: "instanceNameOnToolbox is required", field: "instanceNameOnToolbox")
    }

    /// Maps what a handler threw; anything unforeseen becomes a 500 without internals.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ToolSpecError:
            return APIError(status: error.code == .tooLarge ? .contentTooLarge : .badRequest, code: error.code.rawValue, message: error.message, field: error.field)
        case let error as ToolError:
            return from(error)
        case is HTTPParserError:
            // A request body NIO's decoder could not read: a chunk size that overflows, a connection
            // closed before its Content-Length. The sender's fault, not dtma's.
            return APIError(status: .badRequest, code: "malformed_request", message: "the request body is malformed or incomplete")
        case let error as any HTTPResponseError:
            // Hummingbird's own: unknown route, wrong method, body over the limit (NIOTooManyBytesError), …
            switch error.status {
            case .contentTooLarge: return APIError(status: error.status, code: "body_too_large", message: "the request body is larger than 1 MiB")
            case .notFound: return APIError(status: .notFound, code: "no_such_route", message: "no such route")
            case .methodNotAllowed: return APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "method not allowed on this route")
            default: return APIError(status: error.status, code: "http_error", message: error.status.reasonPhrase)
            }
        default:
            return APIError(status: .internalServerError, code: "internal_error", message: "internal error")
        }
    }

    private static func from(_ error: ToolError) -> APIError {
        let message = error.description
        switch error {
        case .invalidSpec(let specError): return from(specError)
        case .notManaged: return APIError(status: .notFound, code: "not_managed", message: message)
        case .specConflict: return APIError(status: .conflict, code: "spec_conflict", message: message)
        case .nameTaken: return APIError(status: .conflict, code: "name_taken", message: message)
        case .portConflict: return APIError(status: .conflict, code: "port_conflict", message: message)
        case .imagePullFailed: return APIError(status: .badGateway, code: "image_pull_failed", message: message)
        case .imageNotFound: return APIError(status: .unprocessableContent, code: "image_not_found", message: message, field: "dockerImageUrl")
        case .imageDigestMismatch: return APIError(status: .unprocessableContent, code: "image_digest_mismatch", message: message, field: "dockerImageUrl")
        case .secretsUnavailable: return APIError(status: .badGateway, code: "secrets_unavailable", message: message)
        case .diskLimitUnsupported: return APIError(status: .badRequest, code: "not_supported", message: message, field: "resources.diskMB")
        case .toolNetworkUnsafe: return APIError(status: .serviceUnavailable, code: "tool_network_unsafe", message: message)
        case .noControlPlane: return APIError(status: .conflict, code: "no_control_plane", message: message)
        case .groupNotFound: return APIError(status: .notFound, code: "no_such_group", message: message)
        case .restartCoolingDown(_, let seconds):
            return APIError(status: .tooManyRequests, code: "restart_cooling_down", message: message, headers: [.retryAfter: "\(seconds)"])
        case .engine(let engineError):
            switch engineError {
            case .unreachable, .connectionLost, .clientShutDown:
                return APIError(status: .serviceUnavailable, code: "engine_unreachable", message: "the Docker engine is not reachable")
            case .timedOut:
                return APIError(status: .gatewayTimeout, code: "engine_timeout", message: message)
            default:
                return APIError(status: .internalServerError, code: "engine_error", message: message)
            }
        }
    }

    var response: Response {
        struct Body: Encodable {
            var success = false
            var error: String
            var code: String
            var field: String?
            var message: String?
            var availableEndpoints: [String]?
        }
        let body = Body(
            error: message, code: code, field: field, message: status.code >= 500 ? message : nil, availableEndpoints: availableEndpoints)
        var response = Response.json(status, body)
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// Turns every thrown error into its JSON answer, and logs the unforeseen ones.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = APIError.from(error)
            if apiError.code == "no_such_route", request.uri.path.hasPrefix("/mcp/") {
                apiError.message = "MCP endpoint not found"
                apiError.availableEndpoints = APIRoutes.mcpEndpoints
            }
            if apiError.code == "internal_error" {
                context.logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(type(of: error))"])
            }
            return apiError.response
        }
    }
}

extension Response {
    static func encodeJSON(_ body: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data(#"{"success":false,"error":"cannot encode the answer"}"#.utf8)
        return ByteBuffer(bytes: data)
    }

    static func json(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        json(status, encoded: encodeJSON(body))
    }

    static func json(_ status: HTTPResponse.Status, encoded body: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }
}
