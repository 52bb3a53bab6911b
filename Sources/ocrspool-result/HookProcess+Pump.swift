#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension HookProcess {
    /// Feeds a child's stdin and drains its output without blocking on either,
    /// noticing when the child exits. Owns the parent's two pipe ends.
    struct Pump {
        let input: [UInt8]
        private var written = 0
        private var stdin: Int32
        private var output: Int32
        /// The child's wait status once it has been reaped.
        private(set) var exitStatus: Int32?
        private var exitedAt = Date.distantFuture
        private(set) var outputBytes = 0
        private(set) var head: [UInt8] = []

        /// Seconds to keep draining after the child exits, for output still in flight.
        static let drainAfterExit = 0.2

        init(input: [UInt8], stdin: Int32, output: Int32) {
            self.input = input
            self.stdin = stdin
            self.output = output
            _ = fcntl(stdin, F_SETFL, fcntl(stdin, F_GETFL) | O_NONBLOCK)
            _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
            if input.isEmpty { closeStdin() }
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

        mutating func closeAll() {
            closeStdin()
            if output >= 0 { close(output) }
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

        /// One poll over the open ends, then as much writing and reading as they allow.
        private mutating func wait(milliseconds: Int32) {
            var descriptors: [pollfd] = []
            if stdin >= 0 {
                descriptors.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0))
            }
            if output >= 0 {
                descriptors.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0))
            }
            if descriptors.isEmpty {
                usleep(UInt32(milliseconds) * 1000)
                return
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            guard ready > 0 else { return }
            for descriptor in descriptors where descriptor.revents != 0 {
                if descriptor.fd == stdin { feed() } else { drain() }
            }
        }

        private mutating func feed() {
            let count = input.withUnsafeBytes { bytes in
                write(stdin, bytes.baseAddress! + written, bytes.count - written)
            }
            if count > 0 {
                written += count
                if written == input.count { closeStdin() }
            } else if count < 0 && errno != EAGAIN && errno != EINTR {
                // EPIPE: the command does not read its input, which is its business.
                closeStdin()
            }
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
                    close(output)
                    output = -1
                } else if errno == EAGAIN {
                    return
                }
            }
        }

        private mutating func closeStdin() {
            if stdin >= 0 { close(stdin) }
            stdin = -1
        }
    }
}
