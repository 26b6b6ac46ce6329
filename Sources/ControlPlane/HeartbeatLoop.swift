import FoundationEssentials
import Logging
import ServiceLifecycle

/// Sends a heartbeat at once, then every `interval` ± 10 %; after a failure it retries sooner, with
/// exponential backoff capped at `maxBackoff`, and returns to the interval after a success. On
/// graceful shutdown it sends one last beat with status `stopping`.
public struct HeartbeatLoop: Service {
    public struct Outcome: Sendable {
        public var sequence: UInt64
        public var at: Date
        /// Nil on success.
        public var error: String?
        public var consecutiveFailures: Int
    }

    public static let path = "/heartbeat"

    let client: ControlPlaneClient
    let interval: Duration
    let firstBackoff: Duration
    let maxBackoff: Duration
    let makeBody: @Sendable (_ sequence: UInt64, _ status: String) throws -> [UInt8]
    let record: @Sendable (Outcome) -> Void
    let beforeFirstBeat: @Sendable () async -> Void
    let logger: Logger

    /// `beforeFirstBeat` lets the first beat wait until there is something true to say.
    public init(
        client: ControlPlaneClient, interval: Duration = .seconds(60), firstBackoff: Duration = .seconds(5),
        maxBackoff: Duration = .seconds(300), logger: Logger, beforeFirstBeat: @escaping @Sendable () async -> Void = {},
        makeBody: @escaping @Sendable (_ sequence: UInt64, _ status: String) throws -> [UInt8],
        record: @escaping @Sendable (Outcome) -> Void
    ) {
        self.client = client
        self.interval = interval
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
        self.makeBody = makeBody
        self.record = record
        self.beforeFirstBeat = beforeFirstBeat
        self.logger = logger
    }

    public func run() async throws {
        let (lastSequence, failures) = await cancelWhenGracefulShutdown {
            await beforeFirstBeat()
            var sequence: UInt64 = 0
            var failures = 0
            while !Task.isCancelled {
                sequence += 1
                let delivered = await beat(sequence: sequence, status: "running", failuresSoFar: &failures)
                let wait = delivered ? Self.jittered(interval) : min(maxBackoff, firstBackoff * (1 << min(failures - 1, 16)))
                try? await Task.sleep(for: wait)
            }
            return (sequence, failures)
        }
        // The group is shutting down: one last beat says so (the client's timeouts bound it).
        var ignored = failures
        _ = await beat(sequence: lastSequence + 1, status: "stopping", failuresSoFar: &ignored)
    }

    private func beat(sequence: UInt64, status: String, failuresSoFar failures: inout Int) async -> Bool {
        do {
            let response = try await client.post(Self.path, json: try makeBody(sequence, status))
            guard (200..<300).contains(response.status) else {
                throw ControlPlaneError.httpStatus(url: client.configuration.baseURL + Self.path, status: response.status)
            }
            if failures > 0 { logger.info("heartbeat delivered again", metadata: ["after_failures": "\(failures)"]) }
            failures = 0
            record(Outcome(sequence: sequence, at: Date(), error: nil, consecutiveFailures: 0))
            return true
        } catch {
            failures += 1
            logger.warning("heartbeat failed", metadata: ["sequence": "\(sequence)", "failures": "\(failures)", "error": "\(error)"])
            record(Outcome(sequence: sequence, at: Date(), error: "\(error)", consecutiveFailures: failures))
            return false
        }
    }

    /// ± 10 %, so that many droplets started together do not beat in step.
    static func jittered(_ interval: Duration) -> Duration {
        interval * Double.random(in: 0.9...1.1)
    }
}
