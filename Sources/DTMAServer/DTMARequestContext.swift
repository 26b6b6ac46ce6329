import Hummingbird

/// Per-request context: Hummingbird's core storage and dtma's body limit.
public struct DTMARequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// A deploy carries at most 256 KiB of environment; 1 MiB leaves room and stops floods.
    public var maxUploadSize: Int { 1 << 20 }
}
