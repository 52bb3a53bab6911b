import CSystemd
import Foundation

/// Tells systemd about the service's state through `sd_notify(3)`.
///
/// Outside systemd (`NOTIFY_SOCKET` unset) every call does nothing, so the same
/// binary runs in a terminal and as a `Type=notify` unit.
public struct ServiceNotifier: Sendable {
    /// The watchdog interval systemd asked for, halved, or nil when it asked for none.
    public let watchdogInterval: Double?

    public init() {
        var microseconds: UInt64 = 0
        if sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 {
            watchdogInterval = Double(microseconds) / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    /// `READY=1` with a status line: the service now really serves.
    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    /// `STATUS=…`: a one-line view shown by `systemctl status`.
    public func status(_ text: String) { send("STATUS=\(text)") }

    /// `WATCHDOG=1`: the main loop is alive.
    public func watchdog() { send("WATCHDOG=1") }

    /// `STOPPING=1`: a graceful stop has begun.
    public func stopping() { send("STOPPING=1") }

    /// Sends a raw notification; wraps `sd_notify(0, state)`.
    public func send(_ state: String) {
        _ = sd_notify(0, state)
    }
}
