@testable import DTMACore
import Foundation
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test("env files: comments, export, quotes")
    func envFile() throws {
        let values = try EnvFile.parse("""
            # dtma
            BACKEND_TO_DTMA_API_KEY=abc
            export DTMA_PORT=31000
            AGENTOPIA_API_BASE_URL="https://x.supabase.co/functions/v1"
            EMPTY=

            QUOTED='a b'
            """)
        #expect(values == [
            "BACKEND_TO_DTMA_API_KEY": "abc", "DTMA_PORT": "31000",
            "AGENTOPIA_API_BASE_URL": "https://x.supabase.co/functions/v1", "EMPTY": "", "QUOTED": "a b",
        ])
        #expect(throws: EnvFile.ParseError(line: 1, reason: "expected KEY=value")) { try EnvFile.parse("garbage") }
        #expect(throws: EnvFile.ParseError.self) { try EnvFile.parse("1X=2") }
    }

    @Test("no inbound key: refuse to start")
    func missingKey() {
        #expect(throws: DTMAConfig.LoadError.missingInboundKey) {
            try DTMAConfig.load(environment: ["DTMA_BEARER_TOKEN": "t"], envFile: nil, legacyFile: nil)
        }
    }

    @Test("environment over dtma.env over the original's dtma.conf; a short key warns")
    func precedence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtma-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let envFile = directory.appendingPathComponent("dtma.env").path
        let legacy = directory.appendingPathComponent("dtma.conf").path
        try "BACKEND_TO_DTMA_API_KEY=from-env-file-0123456789abcdefghij\nDTMA_PORT=31000\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        try "DTMA_AUTH_TOKEN=droplet-token\nAGENTOPIA_API_BASE_URL=https://old\n".write(toFile: legacy, atomically: true, encoding: .utf8)

        let config = try DTMAConfig.load(environment: ["DTMA_PORT": "32000"], envFile: envFile, legacyFile: legacy)
        #expect(config.inboundKeys == ["from-env-file-0123456789abcdefghij"])
        #expect(config.listenPort == 32000)
        #expect(config.outboundToken == "droplet-token", "the original's DTMA_AUTH_TOKEN is the droplet's own token")
        #expect(config.controlPlaneURL == "https://old")
        #expect(config.warnings.isEmpty)

        let short = try DTMAConfig.load(environment: ["BACKEND_TO_DTMA_API_KEY": "short", "BACKEND_TO_DTMA_API_KEY_SECONDARY": "next"], envFile: nil, legacyFile: nil)
        #expect(short.inboundKeys == ["short", "next"])
        #expect(short.warnings.count == 2)
        #expect(!short.warnings.joined().contains("short "), "warnings never quote a key")
        #expect(short.listenPort == 30000)
    }

    @Test("a bad port or engine address is a clear error")
    func invalidValues() {
        #expect(throws: DTMAConfig.LoadError.invalidValue(name: "DTMA_PORT", reason: "'http' is not a port number")) {
            try DTMAConfig.load(environment: ["BACKEND_TO_DTMA_API_KEY": "k", "DTMA_PORT": "http"], envFile: nil, legacyFile: nil)
        }
        #expect(throws: DTMAConfig.LoadError.self) {
            try DTMAConfig.load(environment: ["BACKEND_TO_DTMA_API_KEY": "k", "DOCKER_HOST": "ssh://x"], envFile: nil, legacyFile: nil)
        }
    }

    @Test("the listener's limits have defaults, and a value out of range names its setting and the range")
    func listenerLimits() throws {
        let defaults = try DTMAConfig.load(environment: ["BACKEND_TO_DTMA_API_KEY": "k"], envFile: nil, legacyFile: nil)
        #expect(defaults.maxConnections == 1024)
        #expect(defaults.maxConnectionsPerPeer == 128)
        #expect(defaults.maxRequestHeadBytes == 8192)
        #expect(defaults.requestBodyTimeout == .seconds(30))
        #expect(defaults.streamBufferBytes == 4 << 20)
        #expect(throws: DTMAConfig.LoadError.invalidValue(name: "DTMA_MAX_CONNECTIONS", reason: "'0' is not a whole number between 1 and 65536")) {
            try DTMAConfig.load(environment: ["BACKEND_TO_DTMA_API_KEY": "k", "DTMA_MAX_CONNECTIONS": "0"], envFile: nil, legacyFile: nil)
        }
        #expect(throws: DTMAConfig.LoadError.invalidValue(name: "DTMA_MAX_REQUEST_HEAD_BYTES", reason: "'lots' is not a whole number between 1024 and 65536")) {
            try DTMAConfig.load(environment: ["BACKEND_TO_DTMA_API_KEY": "k", "DTMA_MAX_REQUEST_HEAD_BYTES": "lots"], envFile: nil, legacyFile: nil)
        }
    }
}
