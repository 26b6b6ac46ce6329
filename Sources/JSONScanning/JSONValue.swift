/// Any JSON value, as a tree: for small parts only (request params, `_meta`, message ids).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}
