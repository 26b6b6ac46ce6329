@testable import DTMACore
import Foundation
import JSONScanning
import MCPProbe
import MCPStdio
import NIOConcurrencyHelpers
import Testing

@Suite("Tool inventory")
struct ToolInventoryTests {
    static func tool(_ name: String, _ properties: [String: JSONValue] = [:]) -> MCPToolDefinition {
        MCPToolDefinition(.object([
            "name": .string(name), "description": .string("\(name) things"),
            "inputSchema": .object(["type": .string("object"), "properties": .object(properties)]),
        ]))!
    }

    static func inventory(_ tools: [MCPToolDefinition]) -> ToolInventory {
        ToolInventory(capabilities: .object(["tools": .object([:])]), tools: tools, listedAt: Date())
    }

    @Test("a schema hash per tool; the tools hash changes when any schema changes, not with their order")
    func hashes() {
        let a = Self.tool("a", ["x": .object(["type": .string("string")])])
        let b = Self.tool("b")
        let base = Self.inventory([a, b])
        #expect(base.tools.map(\.schemaHash.count) == [64, 64])
        #expect(base.tools[0].schemaHash != base.tools[1].schemaHash)
        #expect(Self.inventory([b, a]).toolsHash == base.toolsHash, "the server's order does not matter")
        let changed = Self.tool("a", ["x": .object(["type": .string("integer")])])
        #expect(Self.inventory([changed, b]).toolsHash != base.toolsHash, "one property's type changed")
        #expect(Self.inventory([a]).toolsHash != base.toolsHash, "a tool went")
        #expect(Self.inventory([a, b, Self.tool("c")]).toolsHash != base.toolsHash, "a tool came")
    }

    @Test("the canonical JSON has its keys in order, so equal definitions hash equal however they were written")
    func canonical() throws {
        let written = try JSONScanner.document(Array(#"{"name":"t","inputSchema":{"type":"object","b":1,"a":[true,null,2.5]}}"#.utf8)) { try $0.value() }
        let reordered = try JSONScanner.document(Array(#"{ "inputSchema": {"a": [true, null, 2.5], "type": "object", "b": 1}, "name": "t" }"#.utf8)) { try $0.value() }
        let first = try #require(MCPToolDefinition(written))
        #expect(String(decoding: first.canonicalJSON, as: UTF8.self) == #"{"inputSchema":{"a":[true,null,2.5],"b":1,"type":"object"},"name":"t"}"#)
        #expect(first.canonicalJSON == MCPToolDefinition(reordered)?.canonicalJSON)
        #expect(MCPToolDefinition(.object(["description": .string("no name")])) == nil)
    }

    @Test("kept from the last healthy listing, through failures and through probes that did not list")
    func keptInHealth() {
        var health = ToolHealth()
        health.record(
            MCPProbeResult(verdict: .healthy, latencyMilliseconds: 1, tools: [Self.tool("a")]), at: Date(), failureThreshold: 1, successThreshold: 1)
        let listed = health.inventory
        #expect(listed?.toolNames == ["a"])
        health.record(MCPProbeResult(verdict: .healthy, latencyMilliseconds: 1), at: Date(), failureThreshold: 1, successThreshold: 1)
        health.record(MCPProbeResult(verdict: .unhealthy, latencyMilliseconds: 1, error: "gone"), at: Date(), failureThreshold: 1, successThreshold: 1)
        #expect(health.state == .unhealthy)
        #expect(health.inventory == listed, "the last known inventory")
    }
}

/// A stdio MCP server in memory (legacy era): answers `initialize`, `ping` and `tools/list` with
/// its current tools, and says `notifications/tools/list_changed` when told to.
final class ScriptedStdioServer: StdioLink {
    private struct Inside {
        var tools: [String] = ["a"]
        var listings = 0
    }
    private let inside = NIOLockedValueBox(Inside())
    private let owner = NIOLockedValueBox<StdioMultiplexer?>(nil)
    /// The multiplexer over this server (made once; the two hold each other for the test's length).
    var multiplexer: StdioMultiplexer {
        owner.withLockedValue { owner in
            if let owner { return owner }
            owner = StdioMultiplexer(link: self)
            return owner!
        }
    }

    var stderrTail: [String] { [] }
    var listings: Int { inside.withLockedValue { $0.listings } }

    func send(_ line: [UInt8]) async throws {
        guard let envelope = JSONRPCEnvelope(line), let idRange = envelope.idRange else { return }
        let id = String(decoding: line[idRange], as: UTF8.self)
        let result: String
        switch envelope.method {
        case "initialize":
            result = #"{"protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":true}},"serverInfo":{"name":"scripted","version":"1"}}"#
        case "tools/list":
            let tools = inside.withLockedValue { inside in
                inside.listings += 1
                return inside.tools
            }
            result = #"{"tools":["# + tools.map { #"{"name":"\#($0)","inputSchema":{"type":"object"}}"# }.joined(separator: ",") + "]}"
        default: result = "{}"
        }
        owner.withLockedValue { $0 }?.receive(Array(#"{"jsonrpc":"2.0","id":\#(id),"result":\#(result)}"#.utf8))
    }

    func close() {}

    /// The server's tools change, and it says so.
    func changeTools(to tools: [String]) {
        inside.withLockedValue { $0.tools = tools }
        owner.withLockedValue { $0 }?.receive(Array(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#.utf8))
    }
}

@Suite("Tool listing by the prober")
struct ProberToolListingTests {
    static func prober(_ server: ScriptedStdioServer) -> Prober {
        let multiplexer = server.multiplexer
        let settings = ProbeSettings(
            transport: .stdio, periodSeconds: 10, timeoutSeconds: 5, initialDelaySeconds: 0, failureThreshold: 1, successThreshold: 1, action: .report)
        let route = ToolRoute(instanceName: "scripted", containerID: "c1", endpoint: .stdio)
        return Prober(target: .init(route: route, settings: settings), stdio: StdioServers(attach: { _ in multiplexer }))
    }

    @Test("tools listed on the first probe, then every tenth, and at the next probe after list_changed")
    func listing() async {
        let server = ScriptedStdioServer()
        var prober = Self.prober(server)
        let first = await prober.probe()
        #expect(first.verdict == .healthy, "\(first.error ?? "")")
        #expect(first.toolNames == ["a"])
        #expect(first.capabilities == .object(["tools": .object(["listChanged": .bool(true)])]))
        let second = await prober.probe()
        #expect(second.verdict == .healthy && second.tools == nil, "not listed again so soon")
        #expect(server.listings == 1)

        server.changeTools(to: ["a", "b"])
        #expect(server.multiplexer.toolListChanges == 1)
        let third = await prober.probe()
        #expect(third.toolNames == ["a", "b"], "listed again after list_changed")
        #expect(server.listings == 2)

        for _ in 0...Prober.toolListEvery { _ = await prober.probe() }
        #expect(server.listings == 3, "and again after \(Prober.toolListEvery) probes that did not list")
    }
}
