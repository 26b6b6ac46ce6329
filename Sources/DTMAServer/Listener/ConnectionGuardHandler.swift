import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Carries out `ConnectionGuard`'s decisions for one connection. It sits first in the pipeline, so
/// it sees the bytes before the HTTP decoder buffers them; its parts observer, placed after the
/// decoder, reports the heads, request ends and response ends the machine also needs.
final class ConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: ConnectionGuard
    /// An answer written instead of serving the connection (over a connection cap), then closed.
    private let refusal: ByteBuffer?
    private var deadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// The handler to place after the HTTP decoder (it keeps this one alive, not the other way round).
    func makePartsObserver() -> HTTPPartsObserver { HTTPPartsObserver(owner: self) }

    init(limits: ConnectionLimits, refusal: ByteBuffer? = nil) {
        machine = ConnectionGuard(limits: limits)
        self.refusal = refusal
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        switch bytes.withUnsafeReadableBytes({ machine.received($0) }) {
        case .forward:
            context.fireChannelRead(data)
        case .drop:
            break
        case .refuseHead(let answer):
            guard answer else { return context.close(promise: nil) }
            let body = #"{"success":false,"error":"the request head is longer than \#(machine.limits.maxHeadBytes) bytes","code":"head_too_large"}"#
            answerAndClose(context, Self.rawResponse(status: .requestHeaderFieldsTooLarge, json: body))
        }
    }

    /// An answer written below the HTTP encoder (which is not yet serving this connection, or will never be).
    static func rawResponse(status: HTTPResponse.Status, json: String) -> ByteBuffer {
        ByteBuffer(string: "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\ncontent-type: application/json; charset=utf-8\r\n"
            + "content-length: \(json.utf8.count)\r\nconnection: close\r\n\r\n\(json)")
    }

    private var started = false

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if let refusal {
            // Deferred: this may run while the rest of the pipeline is still being set up.
            let loopBound = context.loopBound
            context.eventLoop.assumeIsolated().execute { self.answerAndClose(loopBound.value, refusal) }
            return
        }
        perform(machine.opened())
    }

    private func answerAndClose(_ context: ChannelHandlerContext, _ answer: ByteBuffer) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in channel.close(promise: nil) }
    }

    fileprivate func perform(_ action: ConnectionGuard.Action) {
        switch action {
        case .none:
            break
        case .disarm:
            deadline?.cancel()
            deadline = nil
        case .arm(let kind, let after):
            deadline?.cancel()
            guard let context else { return }
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: after) { [weak self] in
                guard let self else { return }
                self.deadline = nil
                self.perform(self.machine.fired(kind))
            }
        case .close:
            context?.close(promise: nil)
        }
    }

    fileprivate func headParsed() { perform(machine.headParsed()) }
    fileprivate func requestEnded() { perform(machine.requestEnded()) }
    fileprivate func responseEnded() { perform(machine.responseEnded()) }
}

/// Reports a connection's HTTP parts to its `ConnectionGuardHandler`; passes everything on unchanged.
final class HTTPPartsObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let owner: ConnectionGuardHandler

    fileprivate init(owner: ConnectionGuardHandler) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: owner.headParsed()
        case .end: owner.requestEnded()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { owner.responseEnded() }
        context.write(data, promise: promise)
    }
}
