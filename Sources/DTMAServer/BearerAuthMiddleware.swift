import Hummingbird

/// Lets a request through only with `Authorization: Bearer <key>` for one of the configured keys.
/// Keys are compared in constant time, and a refusal never says which part was wrong.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: [[UInt8]]

    init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let headers = request.headers[values: .authorization]
        guard headers.count == 1, let token = Self.bearerToken(headers[0]), accepts(token) else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }

    /// The token of `Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive, RFC 9110 §11.1).
    static func bearerToken(_ header: String) -> [UInt8]? {
        let bytes = Array(header.utf8)
        guard bytes.count > 7, String(decoding: bytes[0..<6], as: UTF8.self).lowercased() == "bearer", bytes[6] == 0x20 else {
            return nil
        }
        let token = bytes[7...].drop { $0 == 0x20 }
        guard !token.isEmpty, !token.contains(0x20), !token.contains(0x09) else { return nil }
        return Array(token)
    }

    /// Checks every key, each over its whole length, so timing says nothing about how close a guess was.
    func accepts(_ token: [UInt8]) -> Bool {
        var matched = false
        for key in keys {
            matched = Self.constantTimeEquals(token, key) || matched
        }
        return matched
    }

    static func constantTimeEquals(_ candidate: [UInt8], _ key: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: candidate.count ^ key.count)
        for index in key.indices {
            let other = index < candidate.count ? candidate[index] : ~key[index]
            difference |= other ^ key[index]
        }
        return difference == 0 && !key.isEmpty
    }
}
