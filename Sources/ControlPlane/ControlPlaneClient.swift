import CCurl
import Dispatch
import FoundationEssentials
import NIOConcurrencyHelpers

/// HTTPS to the control plane through libcurl. Transfers block in curl, so they run on this
/// client's own dispatch queue, never on Swift's cooperative pool: up to `maxConcurrentTransfers`
/// at once, each on a pooled curl handle whose TLS connection survives between uses (a heartbeat's
/// every minute). TLS verification is always on.
public final class ControlPlaneClient: Sendable {
    public struct Configuration: Sendable {
        /// The functions URL, e.g. `https://<project>.supabase.co/functions/v1`.
        public var baseURL: String
        /// `DTMA_BEARER_TOKEN`: how the control plane recognises this droplet.
        public var bearerToken: String
        /// Extra CA bundle for a private control plane.
        public var caFile: String?
        public var connectTimeout: Duration = .seconds(10)
        public var totalTimeout: Duration = .seconds(30)
        /// Plain `http://` only for development; refused otherwise.
        public var allowInsecureHTTP = false
        public var userAgent = "dtma"
        public var maxResponseBytes = 1 << 20

        public init(baseURL: String, bearerToken: String) {
            self.baseURL = baseURL
            self.bearerToken = bearerToken
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    public let configuration: Configuration
    public static let maxConcurrentTransfers = 4
    private let queue: DispatchQueue
    private let handles: CurlHandlePool

    public init(configuration: Configuration) throws(ControlPlaneError) {
        try Self.validate(url: configuration.baseURL, allowInsecureHTTP: configuration.allowInsecureHTTP)
        CurlHandle.initializeLibraryOnce()
        self.configuration = configuration
        queue = DispatchQueue(label: "dtma.control-plane.curl", attributes: .concurrent)
        handles = CurlHandlePool(limit: Self.maxConcurrentTransfers)
    }

    /// An `https://` URL, or `http://` when allowed.
    public static func validate(url: String, allowInsecureHTTP: Bool) throws(ControlPlaneError) {
        guard let scheme = url.split(separator: ":").first?.lowercased(), url.contains("://") else {
            throw .invalidURL(ControlPlaneError.redacted(url))
        }
        guard scheme == "https" || scheme == "http" && allowInsecureHTTP else {
            throw .insecureURL(ControlPlaneError.redacted(url))
        }
    }

    /// POSTs JSON to `baseURL + path`; any status is returned, transport failures throw.
    public func post(_ path: String, json body: [UInt8]) async throws -> Response {
        let url = configuration.baseURL.trimmingSlashSuffix() + path
        let cancelled = NIOLockedValueBox(false)
        let curl = try await handles.acquire()
        defer { handles.release(curl) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async { [configuration] in
                    continuation.resume(with: curl.post(url: url, body: body, configuration: configuration, isCancelled: { cancelled.withLockedValue { $0 } }))
                }
            }
        } onCancel: {
            cancelled.withLockedValue { $0 = true }
        }
    }

    /// POSTs an encodable value and decodes a 2xx answer; other statuses are `ControlPlaneError.httpStatus`.
    public func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, expecting: Answer.Type) async throws -> Answer {
        let response = try await post(path, json: [UInt8](try JSONEncoder().encode(body)))
        let url = ControlPlaneError.redacted(configuration.baseURL.trimmingSlashSuffix() + path)
        guard (200..<300).contains(response.status) else {
            throw ControlPlaneError.httpStatus(url: url, status: response.status)
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body))
        } catch {
            throw ControlPlaneError.invalidResponse(url: url, reason: "the answer is not the expected JSON")
        }
    }
}

public enum ControlPlaneError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidURL(String)
    /// `http://` without `allowInsecureHTTP`.
    case insecureURL(String)
    /// curl could not complete the transfer: DNS, refused, TLS, timeout, …
    case transport(url: String, code: Int, reason: String)
    case httpStatus(url: String, status: Int)
    case invalidResponse(url: String, reason: String)
    case cancelled

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid control plane URL \(url)"
        case .insecureURL(let url): "refusing plain HTTP to the control plane (\(url)); use https:// or allow insecure HTTP for development"
        case .transport(let url, _, let reason): "\(url): \(reason)"
        case .httpStatus(let url, let status): "\(url): HTTP \(status)"
        case .invalidResponse(let url, let reason): "\(url): \(reason)"
        case .cancelled: "cancelled"
        }
    }

    /// The URL without its query, which may carry secrets.
    public static func redacted(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }
}

extension String {
    fileprivate func trimmingSlashSuffix() -> String {
        var url = self
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
