import FoundationEssentials
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Pings systemd's watchdog at half of `WATCHDOG_USEC`, but only after proving that every NIO
/// event loop and the concurrency pool still answer: a stuck daemon stops pinging and systemd
/// restarts it, instead of being pinged forever by a timer that still works.
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let interval: Duration
    let group: any EventLoopGroup
    let logger: Logger

    public init(notifier: SystemdNotifier, interval: Duration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.notifier = notifier
        self.interval = interval
        self.group = group
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var missed = 0
            while !Task.isCancelled {
                if await eventLoopsAnswer(within: interval) {
                    notifier.watchdogPing()
                    missed = 0
                } else {
                    missed += 1
                    logger.error("event loops did not answer; not pinging the watchdog", metadata: ["missed": "\(missed)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Every event loop runs a no-op and the answers come back before `limit`.
    func eventLoopsAnswer(within limit: Duration) async -> Bool {
        let loops = Array(group.makeIterator())
        let answered = NIOLockedValueBox(0)
        let deadline = ContinuousClock.now + limit
        for loop in loops { loop.execute { answered.withLockedValue { $0 += 1 } } }
        while ContinuousClock.now < deadline {
            if answered.withLockedValue({ $0 }) == loops.count { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return answered.withLockedValue { $0 } == loops.count
    }
}
