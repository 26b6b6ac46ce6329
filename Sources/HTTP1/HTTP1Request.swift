/// A request to send; `serialized()` renders it as HTTP/1.1 bytes.
public struct HTTP1Request: Sendable, Equatable {
    public var method: String
    /// The origin-form target: an absolute path with an optional query (`/v1.41/containers/json?all=1`).
    public var target: String
    public var headers: HTTP1Headers
    public var body: [UInt8]?

    public init(method: String, target: String, headers: HTTP1Headers = [:], body: [UInt8]? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    public var isHEAD: Bool { method == "HEAD" }

    /// Renders the request, adding `Host` and `Content-Length` when absent.
    ///
    /// Refuses anything that would let a caller's string split the message (CR, LF or NUL in the
    /// target or a header value, a method or header name that is not a token).
    public func serialized(host: String) throws(HTTP1RequestError) -> [UInt8] {
        guard ASCII.isToken(method) else { throw .invalidMethod(method) }
        guard target.utf8.first == UInt8(ascii: "/"),
            target.utf8.allSatisfy({ $0 > ASCII.space && $0 != 0x7F })
        else { throw .invalidTarget(target) }

        var out: [UInt8] = []
        out.reserveCapacity(128 + target.utf8.count + (body?.count ?? 0))
        out.append(contentsOf: method.utf8)
        out.append(ASCII.space)
        out.append(contentsOf: target.utf8)
        out.append(contentsOf: " HTTP/1.1\r\n".utf8)

        var headers = headers
        if !headers.contains("Host") { headers.replaceOrAdd(name: "Host", value: host) }
        if let body, !headers.contains("Content-Length"), !headers.contains("Transfer-Encoding") {
            headers.add(name: "Content-Length", value: String(body.count))
        }
        for field in headers {
            guard ASCII.isToken(field.name) else { throw .invalidHeader(name: field.name) }
            guard field.value.utf8.allSatisfy(ASCII.isFieldValueByte) else { throw .invalidHeader(name: field.name) }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if let body { out.append(contentsOf: body) }
        return out
    }
}

public enum HTTP1RequestError: Error, Equatable, Sendable {
    case invalidMethod(String)
    case invalidTarget(String)
    case invalidHeader(name: String)
}
