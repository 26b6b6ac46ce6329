import HTTP1
import NIOCore

/// Moves bytes between one connection and the `HTTP1` parser, one exchange at a time.
///
/// It lives on the connection's event loop and only relays: parsing is `HTTP1ResponseParser`'s job,
/// deciding what a response means is the client's. For streamed responses it pauses socket reads
/// while the consumer is behind (an event stream never ends, so it must not buffer without bound).
/// A pooled stream whose consumer leaves before the end is drained, briefly, so that the connection
/// can go back to the pool (an MCP server ends its event stream just after the reply).
final class HTTP1ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = HTTP1Outbound
    typealias OutboundOut = ByteBuffer

    private enum Pending {
        case none
        case collected(EventLoopPromise<CollectedResponse>)
        case streamHead(EventLoopPromise<StreamedResponse>, keepAlive: StreamLease?)
        case streamBody(HTTP1ByteStream.Producer.Source, keepAlive: StreamLease?)
        /// The consumer left a pooled stream before its end: the rest is read and thrown away.
        case draining(StreamLease, discarded: Int)
    }

    /// How long and how much a left stream is drained before the connection is given up.
    static let drainTime = TimeAmount.milliseconds(200)
    static let drainBytes = 64 << 10

    private static let streamBackPressure = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(
        lowWatermark: 4, highWatermark: 32)

    private var parser = HTTP1ResponseParser()
    private var collector = HTTP1ResponseCollector(maxBodyBytes: 0)
    private var pending = Pending.none
    private var exchangeNumber = 0
    private var timeout: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var readingPaused = false
    private var readDeferred = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failPending(HTTP1ClientError.closedByPeer)
        self.context = nil
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .raw(let bytes):
            context.write(wrapOutboundOut(bytes), promise: promise)
        case .exchange(let exchange):
            guard case .none = pending else {
                exchange.fail(HTTP1ClientError.busy)
                promise?.fail(HTTP1ClientError.busy)
                return
            }
            start(exchange, context: context)
            context.write(wrapOutboundOut(exchange.request), promise: promise)
        }
    }

    func read(context: ChannelHandlerContext) {
        if readingPaused {
            readDeferred = true
        } else {
            context.read()
        }
    }

    private func start(_ exchange: HTTP1Exchange, context: ChannelHandlerContext) {
        exchangeNumber += 1
        parser.expectResponse(toHEAD: exchange.isHEAD)
        switch exchange.delivery {
        case .collected(let maxBodyBytes, let promise):
            collector = HTTP1ResponseCollector(maxBodyBytes: maxBodyBytes)
            pending = .collected(promise)
        case .streamed(let promise, let keepAlive):
            pending = .streamHead(promise, keepAlive: keepAlive)
        }
        if let limit = exchange.timeout {
            let number = exchangeNumber
            timeout = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in
                guard number == exchangeNumber else { return }
                failPending(HTTP1ClientError.timedOut(seconds: Double(limit.nanoseconds) / 1e9))
                self.context?.close(promise: nil)
            }
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        parser.feed(buffer.readableBytesView)
        deliverParts(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        parser.feedEndOfStream()
        deliverParts(context: context)
        failPending(HTTP1ClientError.closedByPeer)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failPending(error)
        context.close(promise: nil)
    }

    /// Consumer of a streamed body wants more.
    func resumeReading(exchange: Int) {
        guard exchange == exchangeNumber else { return }  // a stream that ended; the connection moved on
        resumeAfterPause()
    }

    private func resumeAfterPause() {
        readingPaused = false
        if readDeferred, let context {
            readDeferred = false
            context.read()
        }
    }

    /// The consumer of a streamed body is gone (finished, dropped its iterator, was cancelled or
    /// closed the stream). The unread rest of a pooled body is drained; any other stream closes.
    func consumerTerminated(exchange: Int) {
        guard exchange == exchangeNumber, case .streamBody(let source, let keepAlive) = pending, let context else { return }
        source.finish()
        guard let keepAlive, !parser.isUpgraded else {
            pending = .none
            context.close(promise: nil)
            keepAlive?.abandoned()
            return
        }
        pending = .draining(keepAlive, discarded: 0)
        resumeAfterPause()
        let number = exchangeNumber
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: Self.drainTime) { [self] in
            guard number == exchangeNumber, case .draining(let lease, _) = pending, let context = self.context else { return }
            giveUp(lease, context: context)
        }
    }

    private func deliverParts(context: ChannelHandlerContext) {
        var chunks: [[UInt8]] = []
        do {
            while let part = try parser.next() {
                try deliver(part, chunks: &chunks, context: context)
            }
        } catch let error as HTTP1ParseError {
            failPending(HTTP1ClientError.malformedResponse(error), yieldingFirst: chunks)
            context.close(promise: nil)
            return
        } catch {
            failPending(error, yieldingFirst: chunks)
            context.close(promise: nil)
            return
        }
        yield(chunks)
    }

    private func deliver(_ part: HTTP1ResponsePart, chunks: inout [[UInt8]], context: ChannelHandlerContext) throws {
        switch pending {
        case .none:
            throw HTTP1ClientError.unsolicitedResponse
        case .collected(let promise):
            guard let response = try collector.collect(part) else { return }
            cancelTimeout()
            pending = .none
            let reusable = parser.canReuseConnection && response.status != 101
            promise.succeed(CollectedResponse(response: response, connectionReusable: reusable))
        case .streamHead(let promise, let keepAlive):
            guard case .head(let head) = part else { throw HTTP1ClientError.unsolicitedResponse }
            cancelTimeout()
            let delegate = HTTP1StreamDelegate(handler: NIOLoopBound(self, eventLoop: context.eventLoop), exchange: exchangeNumber)
            let stream = HTTP1ByteStream.Producer.makeSequence(
                backPressureStrategy: Self.streamBackPressure, finishOnDeinit: false, delegate: delegate)
            pending = .streamBody(stream.source, keepAlive: keepAlive)
            keepAlive?.streamStarted(delegate)
            promise.succeed(StreamedResponse(head: head, body: HTTP1ByteStream(producer: stream.sequence)))
        case .streamBody(let source, let keepAlive):
            switch part {
            case .body(let bytes), .upgradedBytes(let bytes):
                chunks.append(bytes)
            case .end:
                // The connection is free before the consumer sees the last bytes, so that a consumer
                // that stops reading there finds it reusable at once.
                let last = chunks
                chunks = []
                pending = .none
                finishKeepAlive(keepAlive, context: context)
                if !last.isEmpty { _ = source.yield(contentsOf: last) }
                source.finish()
            case .head:
                throw HTTP1ClientError.unsolicitedResponse
            }
        case .draining(let lease, let discarded):
            switch part {
            case .body(let bytes), .upgradedBytes(let bytes):
                guard discarded + bytes.count <= Self.drainBytes else {
                    giveUp(lease, context: context)
                    return
                }
                pending = .draining(lease, discarded: discarded + bytes.count)
            case .end:
                cancelTimeout()
                pending = .none
                finishKeepAlive(lease, context: context)
            case .head:
                throw HTTP1ClientError.unsolicitedResponse
            }
        }
    }

    /// After a streamed body's end: a pooled connection that may carry another request stays open.
    private func finishKeepAlive(_ lease: StreamLease?, context: ChannelHandlerContext) {
        if let lease, parser.canReuseConnection, !parser.isUpgraded {
            resumeAfterPause()
            lease.bodyEnded()
        } else {
            context.close(promise: nil)
            lease?.abandoned()
        }
    }

    private func giveUp(_ lease: StreamLease, context: ChannelHandlerContext) {
        cancelTimeout()
        pending = .none
        context.close(promise: nil)
        lease.abandoned()
    }

    private func yield(_ chunks: [[UInt8]]) {
        guard !chunks.isEmpty, case .streamBody(let source, _) = pending else { return }
        switch source.yield(contentsOf: chunks) {
        case .produceMore: break
        case .stopProducing: readingPaused = true
        case .dropped: consumerTerminated(exchange: exchangeNumber)
        }
    }

    private func failPending(_ error: any Error, yieldingFirst chunks: [[UInt8]] = []) {
        cancelTimeout()
        switch pending {
        case .none: break
        case .collected(let promise): promise.fail(error)
        case .streamHead(let promise, _): promise.fail(error)
        case .streamBody(let source, let keepAlive):
            yield(chunks)
            // The peer closing a stream that has no length (an upgraded or close-delimited one) is its end.
            if case HTTP1ClientError.closedByPeer = error { source.finish() } else { source.finish(error) }
            keepAlive?.abandoned()
        case .draining(let lease, _):
            lease.abandoned()
        }
        pending = .none
    }

    private func cancelTimeout() {
        timeout?.cancel()
        timeout = nil
    }
}

extension HTTP1Exchange {
    func fail(_ error: any Error) {
        switch delivery {
        case .collected(_, let promise): promise.fail(error)
        case .streamed(let promise, _): promise.fail(error)
        }
    }
}
