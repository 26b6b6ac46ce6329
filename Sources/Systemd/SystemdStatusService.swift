import ServiceLifecycle

/// Keeps `systemctl status` truthful: a `STATUS=` line every `interval`, and `STOPPING=1` as soon
/// as a graceful shutdown (SIGTERM) begins.
public struct SystemdStatusService: Service {
    let notifier: SystemdNotifier
    let interval: Duration
    let describe: @Sendable () -> String

    public init(notifier: SystemdNotifier, interval: Duration = .seconds(10), describe: @escaping @Sendable () -> String) {
        self.notifier = notifier
        self.interval = interval
        self.describe = describe
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                notifier.status(describe())
                try? await Task.sleep(for: interval)
            }
        }
        notifier.stopping(status: "stopping: sending the last heartbeat, closing connections")
    }
}
