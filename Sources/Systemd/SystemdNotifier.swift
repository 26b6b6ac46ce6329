import CSystemd
import FoundationEssentials

/// Tells the service manager what dtma is doing (sd_notify(3)). Outside systemd (no
/// `NOTIFY_SOCKET`) every call is a no-op, so the daemon runs the same from a shell.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// True when a service manager listens.
    public var isActive: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil }

    /// `READY=1`: the API listens; `Type=notify` units become active now.
    public func ready(status: String? = nil) {
        send(["READY=1", status.map { "STATUS=\($0)" }].compactMap { $0 })
    }

    /// `STATUS=…`: one line `systemctl status` shows.
    public func status(_ text: String) {
        send(["STATUS=\(text)"])
    }

    /// `WATCHDOG=1`: dtma is alive; systemd restarts it when these stop for `WatchdogSec`.
    public func watchdogPing() {
        send(["WATCHDOG=1"])
    }

    /// `STOPPING=1`: a graceful shutdown has begun.
    public func stopping(status: String? = nil) {
        send(["STOPPING=1", status.map { "STATUS=\($0)" }].compactMap { $0 })
    }

    /// Half of `WATCHDOG_USEC`, the ping interval sd_watchdog_enabled(3) recommends; nil when off.
    public func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds / 2))
    }

    /// Sockets systemd passed for socket activation (sd_listen_fds(3)), starting at fd 3.
    public func listenFileDescriptors() -> [Int32] {
        let count = sd_listen_fds(0)
        guard count > 0 else { return [] }
        return (0..<count).map { SD_LISTEN_FDS_START + $0 }
    }

    private func send(_ fields: [String]) {
        guard isActive else { return }
        // Newlines would start a new field: a status line is one line.
        let state = fields.map { String($0.map { $0 == "\n" ? " " : $0 }) }.joined(separator: "\n")
        _ = sd_notify(0, state)
    }
}
