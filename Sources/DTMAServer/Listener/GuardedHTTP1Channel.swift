import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 connection with dtma's guard in front: each accepted connection is
/// counted against the caps first (over them it gets a 503 and is closed), then lives by
/// `ConnectionGuard`'s rules (head size, head, body and idle deadlines).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration
    let limits: ConnectionLimits
    let admission: ConnectionAdmission

    static func builder(limits: ConnectionLimits, admission: ConnectionAdmission) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(responder: responder, configuration: .init(), limits: limits, admission: admission)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let peer = channel.remoteAddress?.ipAddress ?? "unknown"
        let refusal: ByteBuffer?
        switch admission.admit(peer: peer) {
        case .admitted:
            refusal = nil
            let admission = self.admission
            channel.closeFuture.whenComplete { _ in admission.release(peer: peer) }
        case .overTotal:
            refusal = Self.refusal("dtma has \(admission.limits.total) connections open, its limit")
        case .overPeer:
            refusal = Self.refusal("this address has \(admission.limits.perPeer) connections open, the limit for one address")
        }
        let guardHandler = ConnectionGuardHandler(limits: limits, refusal: refusal)
        do {
            try channel.pipeline.syncOperations.addHandler(guardHandler, position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Built on the channel's loop during this setup, so the handler never crosses threads.
        let observer = NIOLoopBound(guardHandler.makePartsObserver(), eventLoop: channel.eventLoop)
        var configuration = self.configuration
        configuration.additionalChannelHandlers = { [observer.value] }
        return HTTP1Channel(responder: responder, configuration: configuration).setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder, configuration: configuration).handle(value: value, logger: logger)
    }

    private static func refusal(_ why: String) -> ByteBuffer {
        ConnectionGuardHandler.rawResponse(
            status: .serviceUnavailable, json: #"{"success":false,"error":"\#(why)","code":"too_many_connections"}"#)
    }
}
