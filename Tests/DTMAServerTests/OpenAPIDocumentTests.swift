import DTMAServer
import Foundation
import Testing

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    /// `METHOD path` for every operation in openapi.yaml (its layout: paths at two spaces, methods at four).
    static func documentedRoutes() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        var routes = Set<String>()
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n") {
            if !line.hasPrefix(" ") { inPaths = line == "paths:" }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" })
            {
                routes.insert("\(method.uppercased()) \(path)")
            }
        }
        return routes
    }

    @Test("documents exactly the routes the router serves")
    func matchesRouter() throws {
        let documented = try Self.documentedRoutes()
        let served = Set(DTMAServer.routeTable)
        #expect(documented.count >= 11, "the parser found the document's routes")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served))")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented))")
    }
}
