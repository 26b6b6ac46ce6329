import CCurl
import FoundationEssentials
import NIOConcurrencyHelpers

/// One libcurl easy handle and what a transfer needs around it. Used from one queue at a time.
final class CurlHandle: @unchecked Sendable {
    private static let initialization: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    static func initializeLibraryOnce() { _ = initialization }

    private let curl: UnsafeMutableRawPointer?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    init() {
        curl = curl_easy_init()
    }

    deinit {
        curl_easy_cleanup(curl)
        errorBuffer.deallocate()
    }

    /// Collects the answer's body, refusing more than `limit` bytes, and tells curl to stop when cancelled.
    private final class Transfer {
        var body: [UInt8] = []
        let limit: Int
        let isCancelled: () -> Bool
        init(limit: Int, isCancelled: @escaping () -> Bool) {
            self.limit = limit
            self.isCancelled = isCancelled
        }
    }

    func post(
        url: String, body: [UInt8], configuration: ControlPlaneClient.Configuration, isCancelled: @escaping () -> Bool
    ) -> Result<ControlPlaneClient.Response, any Error> {
        guard let curl else { return .failure(ControlPlaneError.transport(url: ControlPlaneError.redacted(url), code: -1, reason: "curl_easy_init failed")) }
        curl_easy_reset(curl)
        errorBuffer.initialize(to: 0)
        let transfer = Transfer(limit: configuration.maxResponseBytes, isCancelled: isCancelled)
        let context = Unmanaged.passRetained(transfer)
        defer { context.release() }

        var headers: UnsafeMutablePointer<curl_slist>?
        for header in ["Content-Type: application/json", "Accept: application/json", "Authorization: Bearer \(configuration.bearerToken)"] {
            headers = curl_slist_append(headers, header)
        }
        defer { curl_slist_free_all(headers) }

        _ = dtma_curl_setopt_string(curl, CURLOPT_URL, url)
        _ = dtma_curl_setopt_slist(curl, CURLOPT_HTTPHEADER, headers)
        _ = dtma_curl_setopt_string(curl, CURLOPT_USERAGENT, configuration.userAgent)
        _ = dtma_curl_setopt_long(curl, CURLOPT_POST, 1)
        _ = dtma_curl_setopt_long(curl, CURLOPT_POSTFIELDSIZE, body.count)
        // With the size set first, curl copies exactly that many bytes: no NUL terminator needed.
        let postBytes = body.isEmpty ? [0] : body
        _ = postBytes.withUnsafeBufferPointer {
            dtma_curl_setopt_string(curl, CURLOPT_COPYPOSTFIELDS, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self))
        }
        _ = dtma_curl_setopt_long(curl, CURLOPT_SSL_VERIFYPEER, 1)
        _ = dtma_curl_setopt_long(curl, CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = configuration.caFile { _ = dtma_curl_setopt_string(curl, CURLOPT_CAINFO, caFile) }
        _ = dtma_curl_setopt_long(curl, CURLOPT_FOLLOWLOCATION, 0)
        _ = dtma_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = dtma_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.milliseconds)
        _ = dtma_curl_setopt_long(curl, CURLOPT_TIMEOUT_MS, configuration.totalTimeout.milliseconds)
        _ = dtma_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = dtma_curl_setopt_write_function(curl) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let bytes = size * count
            guard transfer.body.count + bytes <= transfer.limit else { return 0 }  // 0 aborts the transfer
            transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: bytes))
            return bytes
        }
        _ = dtma_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, context.toOpaque())
        _ = dtma_curl_setopt_long(curl, CURLOPT_NOPROGRESS, 0)
        _ = dtma_curl_setopt_xferinfo_function(curl) { context, _, _, _, _ in
            Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue().isCancelled() ? 1 : 0
        }
        _ = dtma_curl_setopt_pointer(curl, CURLOPT_XFERINFODATA, context.toOpaque())

        let code = curl_easy_perform(curl)
        guard code == CURLE_OK else {
            if code == CURLE_ABORTED_BY_CALLBACK, transfer.isCancelled() { return .failure(ControlPlaneError.cancelled) }
            let detail = String(cString: errorBuffer)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .failure(ControlPlaneError.transport(url: ControlPlaneError.redacted(url), code: Int(code.rawValue), reason: reason))
        }
        var status = 0
        _ = dtma_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return .success(ControlPlaneClient.Response(status: status, body: transfer.body))
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
