#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation
import Synchronization

/// What one run of a hook command did.
struct HookOutcome: Sendable {
    /// The exit code, when the command exited by itself.
    var exitCode: Int32?
    /// The signal that ended it, when one did.
    var signal: Int32?
    /// True when it outlived its timeout and was killed.
    var timedOut: Bool
    /// Bytes it wrote to stdout and stderr together.
    var outputBytes: Int
    /// The first bytes of that output, for the log.
    var outputHead: String
    var milliseconds: Double

    var succeeded: Bool { exitCode == 0 && !timedOut }
}

/// Runs one command with `posix_spawnp(3)`: argv as given, never through a
/// shell; input from an unlinked temporary file, complete before the command
/// starts (so a command never reads a half-written result, even when the daemon
/// dies meanwhile); stdout and stderr drained together into a counter and a
/// short head, so a command printing megabytes costs no memory.
///
/// The child gets its own process group, default SIGPIPE/SIGTERM/SIGINT (which
/// the daemon ignores or handles) and an empty signal mask. At the timeout the
/// whole group gets SIGTERM, then SIGKILL a grace period later.
///
/// This type is the daemon's only caller of spawn, pipe, poll, kill and waitpid.
/// `EINTR` is retried; `EAGAIN` on the pipe is waited out with poll.
enum HookProcess {
    static let headLimit = 300
    static let killGrace = 1.0

    /// Runs `argv` with `input` on stdin and `environment` (`KEY=value`).
    ///
    /// - Throws: `SystemError` when the command cannot start (`ENOENT` for a
    ///   missing program, `EACCES` for one that is not executable) or its input
    ///   cannot be staged.
    static func run(
        _ argv: [String], input: [UInt8], environment: [String], timeout: Double
    ) throws -> HookOutcome {
        precondition(!argv.isEmpty, "empty hook command")
        let started = Date()
        let inputFile = try stageInput(input)
        defer { close(inputFile) }

        // Pipe and spawn under one lock: a pipe end not yet close-on-exec must
        // not leak into a hook spawned by another thread.
        spawnLock.lock()
        let spawned = Result { try startChild(argv, environment: environment, input: inputFile) }
        spawnLock.unlock()
        let (pid, output) = try spawned.get()
        running.withLock { _ = $0.insert(pid) }
        defer { running.withLock { _ = $0.remove(pid) } }

        var pump = Pump(output: output)
        let finished = pump.run(until: started.addingTimeInterval(timeout), pid: pid)
        let status: Int32
        if let exited = pump.exitStatus {
            // Whatever the hook left running in its group is not ours to keep.
            if !pump.outputClosed { kill(-pid, SIGKILL) }
            status = exited
        } else {
            status = terminateGroup(pid)
        }
        pump.close()

        let milliseconds = Date().timeIntervalSince(started) * 1000
        let head = String(decoding: pump.head, as: UTF8.self)
        return HookOutcome(
            exitCode: status & 0x7f == 0 ? (status >> 8) & 0xff : nil,
            signal: status & 0x7f == 0 ? nil : status & 0x7f, timedOut: !finished,
            outputBytes: pump.outputBytes, outputHead: head, milliseconds: milliseconds)
    }

    private static let spawnLock = NSLock()

    /// Hooks running now, each the leader of its own process group.
    private static let running = Mutex<Set<pid_t>>([])

    /// Kills every running hook's process group (a stop past its grace); each
    /// `run` then returns as for a killed hook. Returns how many were running.
    static func killAll() -> Int {
        running.withLock { pids in
            for pid in pids { kill(-pid, SIGKILL) }
            return pids.count
        }
    }

    /// Writes `input` to an unlinked temporary file and rewinds it.
    private static func stageInput(_ input: [UInt8]) throws -> Int32 {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/ocrspool-hook-XXXXXX"
            .utf8CString)
        let fd = try template.withUnsafeMutableBufferPointer { buffer in
            try Syscall.retrying("mkstemp") { mkstemp(buffer.baseAddress!) }
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                          as: UTF8.self)
        unlink(path)
        do {
            var written = 0
            while written < input.count {
                written += try input.withUnsafeBytes { bytes in
                    try Syscall.retrying("write", path) {
                        write(fd, bytes.baseAddress! + written, bytes.count - written)
                    }
                }
            }
            try Syscall.retrying("lseek", path) { lseek(fd, 0, SEEK_SET) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Makes the output pipe and spawns the child; returns it with the pipe's
    /// read end.
    private static func startChild(
        _ argv: [String], environment: [String], input: Int32
    ) throws -> (pid_t, output: Int32) {
        let outputPipe = try makePipe()
        markInheritedDescriptorsCloseOnExec()
        defer { close(outputPipe.write) }
        do {
            let pid = try spawn(
                argv, environment: environment, stdin: input, output: outputPipe.write)
            return (pid, outputPipe.read)
        } catch {
            close(outputPipe.read)
            throw error
        }
    }

    /// Spawns the child with its stdin and output wired to `stdin` and `output`.
    private static func spawn(
        _ argv: [String], environment: [String], stdin: Int32, output: Int32
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGTERM, SIGINT, SIGCHLD] { sigaddset(&defaults, number) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup($0) } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let code = posix_spawnp(&pid, argv[0], &actions, &attributes, arguments, variables)
        guard code == 0 else { throw SystemError("spawn", paths: [argv[0]], errno: code) }
        return pid
    }

    /// A close-on-exec pipe (`pipe2` needs `_GNU_SOURCE`, so `pipe` and `fcntl`).
    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        try Syscall.retrying("pipe") { pipe(&ends) }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Descriptors other libraries opened without `O_CLOEXEC` (inotify, sockets)
    /// would leak into the hook; this marks every one of them close-on-exec.
    ///
    /// XXX: a descriptor opened by another thread between this pass and the
    /// spawn can still leak; glibc's `addclosefrom_np` would close the gap but
    /// Swift's Glibc module does not declare it (it needs `_GNU_SOURCE`).
    private static func markInheritedDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// SIGTERM to the child's group, SIGKILL if the child outlives the grace;
    /// returns the child's wait status.
    private static func terminateGroup(_ pid: pid_t) -> Int32 {
        kill(-pid, SIGTERM)
        let deadline = Date().addingTimeInterval(killGrace)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                kill(-pid, SIGKILL)
                return status
            }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        return reap(pid)
    }

    /// Waits for the child and returns its raw wait status.
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return 0x7f }
        }
        return status
    }
}
