@testable import DTMACore
import Logging
import NIOConcurrencyHelpers
import Testing

@Suite("Log lines cannot be forged by what tools print")
struct ControlEscapingLogHandlerTests {
    /// Keeps what reaches it.
    struct Recorder: LogHandler {
        let events: NIOLockedValueBox<[LogEvent]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        func log(event: LogEvent) { events.withLockedValue { $0.append(event) } }
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }

    @Test("CR, LF, ANSI escapes and other controls in messages and metadata arrive escaped")
    func escapes() throws {
        let events = NIOLockedValueBox<[LogEvent]>([])
        var logger = Logger(label: "t") { _ in ControlEscapingLogHandler(Recorder(events: events)) }
        logger[metadataKey: "tool"] = "a\u{1B}[31mb"
        let stderr = "boom\r\n2026-12-01T00:00:00+0000 critical dtma: FORGED-LINE\u{1B}[2J\u{7F}\u{85}\u{2028}"
        logger.error("stdio server failed: \(stderr)", metadata: ["stderr": "\(stderr)", "lines": .array([.string("x\ny")])])
        let event = try #require(events.withLockedValue { $0.first })
        let message = event.message.description
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(message == #"stdio server failed: boom\r\n2026-12-01T00:00:00+0000 critical dtma: FORGED-LINE\u{1B}[2J\u{7F}\u{85}\u{2028}"#)
        #expect(event.metadata?["stderr"] == .string(message.replacingOccurrences(of: "stdio server failed: ", with: "")))
        #expect(event.metadata?["lines"] == .array([.string(#"x\ny"#)]))
        #expect(logger[metadataKey: "tool"] == .string(#"a\u{1B}[31mb"#))
    }

    @Test("plain text passes unchanged, tabs aside")
    func plain() {
        #expect(ControlEscapingLogHandler.escaped("instance weather-1 is healthy (ü, 東京)") == "instance weather-1 is healthy (ü, 東京)")
        #expect(ControlEscapingLogHandler.escaped("a\tb") == #"a\tb"#)
    }
}
