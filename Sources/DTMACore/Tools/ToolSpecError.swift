/// Why a request was refused, in the shape the API returns: a machine-readable code, the field at
/// fault, and words for the operator. Never contains a value the request carried in `Env`.
public struct ToolSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case missingField = "missing_field"
        case invalidField = "invalid_field"
        case tooLarge = "too_large"
        case notSupported = "not_supported"
        case invalidJSON = "invalid_json"
    }

    public var code: Code
    public var field: String?
    public var message: String

    public init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { message }

    static func missing(_ field: String) -> ToolSpecError {
        .init(.missingField, field: field, "\(field) is required")
    }

    static func invalid(_ field: String, _ reason: String) -> ToolSpecError {
        .init(.invalidField, field: field, "\(field): \(reason)")
    }
}
