import Foundation

/// The service manager's end of `NOTIFY_SOCKET`: a unix datagram socket that records every
/// message with the time it arrived.
final class NotifySocket: @unchecked Sendable {
    struct Message {
        var fields: [String]
        var at: ContinuousClock.Instant
    }

    let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [Message] = []
    private var closed = false

    init() throws {
        path = NSTemporaryDirectory() + "dtma-notify-\(UUID().uuidString.prefix(8)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() where index < buffer.count - 1 { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in receive() }
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !lock.withLock({ closed }) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let fields = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").map(String.init)
            lock.withLock { received.append(Message(fields: fields, at: .now)) }
        }
    }

    var messages: [Message] { lock.withLock { received } }

    func count(_ field: String, since: ContinuousClock.Instant) -> Int {
        messages.filter { $0.at >= since && $0.fields.contains(field) }.count
    }

    func first(where predicate: (String) -> Bool) -> Message? {
        messages.first { $0.fields.contains(where: predicate) }
    }

    func close() {
        lock.withLock { closed = true }
        usleep(150_000)
        Foundation.close(descriptor)
        unlink(path)
    }
}
