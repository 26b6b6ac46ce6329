import Hummingbird
import NIOCore

/// Per-request context: Hummingbird's core storage, the connection, and dtma's body limit.
public struct DTMARequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on: a stream closes it when its client stops reading.
    public let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// A deploy carries at most 256 KiB of environment; 1 MiB leaves room and stops floods.
    public var maxUploadSize: Int { 1 << 20 }
}
