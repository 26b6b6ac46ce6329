@testable import DockerEngine
import Foundation
import JSONScanning
import Testing

/// The models read with the scanner must read exactly what JSONDecoder reads from the same bytes:
/// the engine's real answers (recorded from dockerd 20.10, API 1.41, in `Recorded/`) and JSON's corners.
@Suite("Engine models read with the scanner")
struct ScannedModelTests {
    static func recorded(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Recorded/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    static func scanned<Model: ScannedModel>(_ type: Model.Type, _ bytes: [UInt8]) throws -> Model {
        try JSONScanner.document(bytes) { try Model(scanning: &$0) }
    }

    @Test("a container's inspect, running and exited, and a sized list read as JSONDecoder reads them", arguments: [
        "container-inspect.json", "container-inspect-exited.json",
    ])
    func recordedInspect(name: String) throws {
        let bytes = try Self.recorded(name)
        let scanned = try Self.scanned(ContainerInspect.self, bytes)
        #expect(scanned == (try JSONDecoder().decode(ContainerInspect.self, from: Data(bytes))))
        #expect(scanned.config.labels?["dtma.note"] == #"quote " and \ and é and 😀"#)
        #expect(scanned.hostConfig?.restartPolicy == RestartPolicy(name: "on-failure", maximumRetryCount: 3))
        #expect(scanned.hostConfig?.capDrop == ["ALL"])
    }

    @Test("a sized container list reads as JSONDecoder reads it")
    func recordedList() throws {
        let bytes = try Self.recorded("container-list.json")
        let scanned = try Self.scanned([ContainerSummary].self, bytes)
        #expect(!scanned.isEmpty)
        #expect(scanned == (try JSONDecoder().decode([ContainerSummary].self, from: Data(bytes))))
        #expect(scanned.contains { $0.ports?.first?.publicPort == 30556 })
    }

    static let corners = #"""
        { "Names": ["/a\"b", "/\u00e9\ud83d\ude00"], "Id": "x", "Image": "i", "Created": 1.7e9, "State": "running",
          "Status": "Up", "Labels": {"k\\ey": "v\/"}, "Ports": [{"PrivatePort": 80, "Type": "tcp", "PublicPort": null}],
          "Unread": {"deep": [[{"}": "]"}]], "n": -1.5e-3}, "SizeRw": null, "Command": null }
        """#

    @Test("escapes, unicode, nulls, whole numbers with an exponent, members nobody reads")
    func corners() throws {
        let bytes = Array(Self.corners.utf8)
        let scanned = try Self.scanned(ContainerSummary.self, bytes)
        #expect(scanned == (try JSONDecoder().decode(ContainerSummary.self, from: Data(bytes))))
        #expect(scanned.names == [#"/a"b"#, "/é😀"])
        #expect(scanned.created == 1_700_000_000)
        #expect(scanned.labels == [#"k\ey"#: "v/"])
    }

    @Test("what JSONDecoder refuses, the scanner refuses", arguments: [
        #"{"Names": [], "Image": "i", "Created": 1, "State": "s", "Status": "u"}"#,  // no Id
        #"{"Id": "x", "Names": [], "Image": "i", "Created": 1.5, "State": "s", "Status": "u"}"#,  // not whole
        #"{"Id": "x", "Names": [], "Image": "i", "Created": 1, "State": "s", "Status": "u", "Labels": {"a": 1}}"#,
        #"{"Id": "x", "Names": [], "Image": "i", "Created": 1, "State": "s", "Status": "u"} trailing"#,
        #"{"Id": "x", "Names": [], "Image": "i", "Created": 1, "State": "s", "Status": "u""#,
    ])
    func refusals(json: String) {
        #expect(throws: (any Error).self) { try Self.scanned(ContainerSummary.self, Array(json.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(ContainerSummary.self, from: Data(json.utf8)) }
    }

    @Test("nesting deeper than 512 is refused, not a stack overflow")
    func depth() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let json = #"{"Id": "x", "Names": [], "Image": "i", "Created": 1, "State": "s", "Status": "u", "X": \#(deep)}"#
        #expect(throws: JSONScanner.Malformed.self) { try Self.scanned(ContainerSummary.self, Array(json.utf8)) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try Self.scanned(ContainerSummary.self, Array(json.replacingOccurrences(of: deep, with: fine).utf8)).id == "x")
    }
}
