/// An Engine API version such as `1.41`; requests go to `/v1.41/…`.
public struct APIVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0
        else { return nil }
        self.init(major, minor)
    }

    /// The newest version this client was written against (Docker Engine 28.3).
    public static let newestSupported = APIVersion(1, 51)
    /// What an engine that does not announce its version is assumed to speak (the engine's own rule).
    public static let assumedWhenUnannounced = APIVersion(1, 24)

    public static func < (a: APIVersion, b: APIVersion) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }

    public var description: String { "\(major).\(minor)" }
}
