#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension HookProcess {
    /// Drains a child's output without blocking, noticing when the child exits.
    /// Owns the parent's end of the output pipe.
    struct Pump {
        private var output: Int32
        /// The child's wait status once it has been reaped.
        private(set) var exitStatus: Int32?
        private var exitedAt = Date.distantFuture
        private(set) var outputBytes = 0
        private(set) var head: [UInt8] = []

        /// Seconds to keep draining after the child exits, for output still in flight.
        static let drainAfterExit = 0.2

        init(output: Int32) {
            self.output = output
            _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
        }

        var outputClosed: Bool { output < 0 }

        /// Pumps until the child has exited and its output is drained (true), or
        /// until `deadline` (false).
        mutating func run(until deadline: Date, pid: pid_t) -> Bool {
            while true {
                checkExit(pid)
                if exitStatus != nil
                    && (outputClosed || Date().timeIntervalSince(exitedAt) > Pump.drainAfterExit)
                {
                    return true
                }
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { return false }
                wait(milliseconds: Int32(min(left * 1000, 50).rounded(.up)))
            }
        }

        mutating func close() {
            if output >= 0 { Glibc.close(output) }
            output = -1
        }

        private mutating func checkExit(_ pid: pid_t) {
            guard exitStatus == nil else { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                exitStatus = status
                exitedAt = Date()
            }
        }

        /// One poll on the output, then as much reading as it allows.
        private mutating func wait(milliseconds: Int32) {
            guard output >= 0 else {
                usleep(UInt32(milliseconds) * 1000)
                return
            }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, milliseconds) > 0 { drain() }
        }

        private mutating func drain() {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while output >= 0 {
                let count = read(output, &buffer, buffer.count)
                if count > 0 {
                    outputBytes += count
                    if head.count < HookProcess.headLimit {
                        head += buffer[0..<min(count, HookProcess.headLimit - head.count)]
                    }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    close()
                } else if errno == EAGAIN {
                    return
                }
            }
        }
    }
}
