import DockerEngine
import Foundation
import HTTP1Client
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A stand-in engine on a unix socket that answers each request with the next scripted reply, for the
/// failure modes a healthy dockerd will not produce on demand: silence, garbage, a dropped keep-alive.
final class ScriptedEngine: Sendable {
    enum Reply: Sendable {
        /// Send these bytes; close the connection afterwards when `close` is set.
        case bytes(String, close: Bool = false)
        /// Never answer.
        case silence
        /// Close the connection without answering, as a server whose keep-alive just ran out.
        case hangUp
    }

    let socketPath: String
    private let channel: any Channel
    private let state: NIOLockedValueBox<(replies: [Reply], connections: Int, closed: Int)>

    init(_ replies: [Reply]) async throws {
        socketPath = NSTemporaryDirectory() + "dtma-scripted-\(UInt32.random(in: 0...UInt32.max)).sock"
        let state = NIOLockedValueBox((replies: replies, connections: 0, closed: 0))
        self.state = state
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ReplyHandler(state: state))
                }
            }
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).get()
    }

    var client: DockerEngineClient {
        var configuration = DockerEngineClient.Configuration()
        configuration.fixedAPIVersion = APIVersion(1, 41)
        configuration.requestTimeout = .milliseconds(300)
        configuration.maxResponseBytes = 1024
        return DockerEngineClient(endpoint: .unixSocket(path: socketPath), configuration: configuration)
    }

    /// A bare HTTP client of this endpoint, for the connection layer's own behaviour.
    var httpClient: HTTP1Client {
        var configuration = HTTP1Client.Configuration()
        configuration.requestTimeout = .milliseconds(500)
        return HTTP1Client(endpoint: .unixSocket(path: socketPath), configuration: configuration)
    }

    var connectionsAccepted: Int { state.withLockedValue { $0.connections } }
    var connectionsClosed: Int { state.withLockedValue { $0.closed } }

    func stop() async throws {
        try await channel.close()
        try? FileManager.default.removeItem(atPath: socketPath)
    }

    private final class ReplyHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let state: NIOLockedValueBox<(replies: [Reply], connections: Int, closed: Int)>
        var received = ""

        init(state: NIOLockedValueBox<(replies: [Reply], connections: Int, closed: Int)>) {
            self.state = state
        }

        func channelActive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.connections += 1 }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed += 1 }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            // Requests in these tests carry no body: one request per blank line.
            while let end = received.range(of: "\r\n\r\n") {
                received.removeSubrange(..<end.upperBound)
                let reply = state.withLockedValue { $0.replies.isEmpty ? Reply.silence : $0.replies.removeFirst() }
                switch reply {
                case .bytes(let text, let close):
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
                    if close { context.close(promise: nil) }
                case .silence: continue
                case .hangUp: context.close(promise: nil)
                }
            }
        }
    }
}

/// A minimal valid answer with a JSON body.
func jsonReply(_ json: String, status: String = "200 OK") -> String {
    "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)"
}
