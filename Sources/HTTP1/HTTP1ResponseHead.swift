/// The status line and header fields of a response.
public struct HTTP1ResponseHead: Sendable, Equatable {
    public var status: Int
    public var reason: String
    /// The minor version: `HTTP/1.0` or `HTTP/1.1`.
    public var minorVersion: Int
    public var headers: HTTP1Headers

    public init(status: Int, reason: String = "", minorVersion: Int = 1, headers: HTTP1Headers = [:]) {
        self.status = status
        self.reason = reason
        self.minorVersion = minorVersion
        self.headers = headers
    }

    /// Whether the server lets the connection carry another request (RFC 9112 §9.3).
    public var allowsKeepAlive: Bool {
        let connection = headers.listValues("Connection")
        if connection.contains(where: { $0.equalsIgnoringASCIICase("close") }) { return false }
        return minorVersion >= 1 || connection.contains(where: { $0.equalsIgnoringASCIICase("keep-alive") })
    }
}

/// A response read in full, for endpoints whose bodies are small documents.
public struct HTTP1Response: Sendable, Equatable {
    public var head: HTTP1ResponseHead
    public var body: [UInt8]
    public var trailers: HTTP1Headers

    public init(head: HTTP1ResponseHead, body: [UInt8] = [], trailers: HTTP1Headers = [:]) {
        self.head = head
        self.body = body
        self.trailers = trailers
    }

    public var status: Int { head.status }
}

/// Folds parser parts into one `HTTP1Response`, refusing bodies larger than `maxBodyBytes`.
public struct HTTP1ResponseCollector: Sendable {
    public let maxBodyBytes: Int
    private var head: HTTP1ResponseHead?
    private var body: [UInt8] = []

    public init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Takes the next part; returns the response once it is complete.
    public mutating func collect(_ part: HTTP1ResponsePart) throws(HTTP1ParseError) -> HTTP1Response? {
        switch part {
        case .head(let h):
            head = h
            body = []
            if h.status == 101 { return HTTP1Response(head: h) }
        case .body(let bytes):
            guard body.count + bytes.count <= maxBodyBytes else { throw .bodyTooLarge(limit: maxBodyBytes) }
            body.append(contentsOf: bytes)
        case .end(let trailers):
            guard let head else { return nil }
            defer { self.head = nil; body = [] }
            return HTTP1Response(head: head, body: body, trailers: trailers)
        case .upgradedBytes:
            break
        }
        return nil
    }
}
