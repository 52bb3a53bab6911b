#if canImport(Glibc)
import Glibc
#endif
import CSpoolSys
import DaemonKit

/// The spool's thin layer over the file system calls it makes.
///
/// Every call retries `EINTR` and throws `SystemError` with the operation and
/// paths. Callers decide what is harmless: `ENOENT` from a rename is a lost race.
enum FileSystem {
    /// `lstat(2)`: the entry itself, never what a symlink points to.
    static func lstat(_ path: String) throws -> stat {
        var info = stat()
        try Syscall.retrying("lstat", path) { Glibc.lstat(path, &info) }
        return info
    }

    /// `fstat(2)` on an open descriptor; `path` only names it in errors.
    static func fstat(_ fd: Int32, path: String) throws -> stat {
        var info = stat()
        try Syscall.retrying("fstat", path) { Glibc.fstat(fd, &info) }
        return info
    }

    /// Opens an existing entry for reading without following a final symlink and
    /// without blocking on a FIFO.
    static func openForReading(_ path: String) throws -> Int32 {
        try Syscall.retrying("open", path) {
            Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        }
    }

    /// Creates a new file that must not exist yet (`O_EXCL`), for writing.
    static func createExclusive(_ path: String, mode: mode_t = 0o640) throws -> Int32 {
        try Syscall.retrying("create", path) {
            Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes all of `bytes`, looping over short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = try Syscall.retrying("write", path) {
                Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }
            offset += written
        }
    }

    /// Reads the whole file from offset 0 with `pread`, refusing more than `limit` bytes.
    static func readAll(_ fd: Int32, path: String, limit: Int) throws -> [UInt8] {
        let size = Int(try fstat(fd, path: path).st_size)
        guard size <= limit else { throw SystemError("read", paths: [path], errno: EFBIG) }
        var buffer = [UInt8](repeating: 0, count: size)
        var offset = 0
        var failure: (any Error)?
        buffer.withUnsafeMutableBytes { raw in
            while offset < size {
                do {
                    let count = try Syscall.retrying("read", path) {
                        Glibc.pread(fd, raw.baseAddress! + offset, size - offset, off_t(offset))
                    }
                    if count == 0 { break }
                    offset += count
                } catch {
                    failure = error
                    return
                }
            }
        }
        if let failure { throw failure }
        return Array(buffer.prefix(offset))
    }

    static func fsync(_ fd: Int32, path: String) throws {
        try Syscall.retrying("fsync", path) { Glibc.fsync(fd) }
    }

    /// Makes a directory's entries durable: the step that makes a rename survive a power cut.
    static func fsyncDirectory(_ path: String) throws {
        let fd = try Syscall.retrying("open", path) {
            Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Takes an exclusive `flock` without waiting; false when another process holds it.
    static func tryLock(_ fd: Int32, path: String) throws -> Bool {
        do {
            try Syscall.retrying("flock", path) { ocrspool_flock(fd, LOCK_EX | LOCK_NB) }
            return true
        } catch let error as SystemError where error.errno == EWOULDBLOCK {
            return false
        }
    }

    /// `renameat2(RENAME_NOREPLACE)`: moves `from` to `to` unless `to` exists.
    ///
    /// Falls back to a checked plain rename on file systems without the flag.
    static func renameNoReplace(_ from: String, _ to: String) throws {
        do {
            try Syscall.retrying("rename", from, to) { ocrspool_rename_noreplace(from, to) }
        } catch let error as SystemError where error.errno == EINVAL || error.errno == ENOSYS {
            // XXX: without RENAME_NOREPLACE (some network file systems) the check and
            // the rename are two steps; names are unique, so only a retry can collide.
            if Glibc.access(to, F_OK) == 0 {
                throw SystemError("rename", paths: [from, to], errno: EEXIST)
            }
            try rename(from, to)
        }
    }

    /// `rename(2)`, replacing `to` if it exists.
    static func rename(_ from: String, _ to: String) throws {
        try Syscall.retrying("rename", from, to) { Glibc.rename(from, to) }
    }

    static func unlink(_ path: String) throws {
        try Syscall.retrying("unlink", path) { Glibc.unlink(path) }
    }

    /// Removes an empty directory, or an entry that is not a directory.
    static func remove(_ path: String) throws {
        let info = try lstat(path)
        if (info.st_mode & S_IFMT) == S_IFDIR {
            try Syscall.retrying("rmdir", path) { Glibc.rmdir(path) }
        } else {
            try unlink(path)
        }
    }

    static func makeDirectory(_ path: String, mode: mode_t = 0o2770) throws {
        do {
            try Syscall.retrying("mkdir", path) { Glibc.mkdir(path, mode) }
        } catch let error as SystemError where error.errno == EEXIST {
            let info = try lstat(path)
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw error }
        }
    }

    /// The names in a directory, without `.` and `..`.
    static func list(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else {
            throw SystemError("opendir", paths: [path], errno: errno)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Renames the entries of `directory` whose names are not UTF-8, which no
    /// Swift string can name, to names that are: each byte that does not decode
    /// becomes `_`, and `_` goes in front while the name is taken. Entries for
    /// which `skip` holds (decoded) are left alone.
    ///
    /// - Returns: the new names.
    static func renameUndecodable(
        in directory: String, skip: (String) -> Bool
    ) throws -> [String] {
        guard let stream = opendir(directory) else {
            throw SystemError("opendir", paths: [directory], errno: errno)
        }
        var undecodable: [[CChar]] = []
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.bindMemory(to: CChar.self).prefix { $0 != 0 })
            }
            if String(validatingCString: bytes + [0]) == nil { undecodable.append(bytes) }
        }
        closedir(stream)

        var renamed: [String] = []
        for bytes in undecodable {
            let decoded = String(decoding: bytes.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                .replacingOccurrences(of: "\u{FFFD}", with: "_")
            guard !skip(decoded) else { continue }
            let from = Array(directory.utf8CString.dropLast()) + [CChar(UInt8(ascii: "/"))]
                + bytes + [0]
            var name = decoded
            attempts: while true {
                let to = "\(directory)/\(name)"
                if ocrspool_rename_noreplace(from, to) == 0 {
                    renamed.append(name)
                    break
                }
                switch errno {
                case EINTR: continue
                case EEXIST: name = "_" + name
                // Another process renamed it or took it first.
                case ENOENT: break attempts
                default:
                    throw SystemError(
                        "rename", paths: ["\(directory)/\(decoded)", to], errno: errno)
                }
            }
        }
        return renamed
    }

    /// True when the path exists (as any kind of entry).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return Glibc.lstat(path, &info) == 0
    }

    /// Writes `bytes` into a new hidden file in `directory`, fsyncs it and renames it
    /// to `target`: the file appears whole or not at all.
    static func writeAtomically(
        _ bytes: [UInt8], stagingIn directory: String, to target: String, replace: Bool
    ) throws {
        var suffix = SystemRandomNumberGenerator()
        let staging = "\(directory)/.\(suffix.next() % 1_000_000_000).json.tmp"
        let fd = try createExclusive(staging)
        do {
            try bytes.withUnsafeBytes { (raw) in try writeAll(fd, raw, path: staging) }
            try fsync(fd, path: staging)
        } catch {
            close(fd)
            _ = Glibc.unlink(staging)
            throw error
        }
        close(fd)
        do {
            if replace {
                try rename(staging, target)
            } else {
                try renameNoReplace(staging, target)
            }
        } catch {
            _ = Glibc.unlink(staging)
            throw error
        }
    }
}

extension stat {
    var isRegularFile: Bool { (st_mode & S_IFMT) == S_IFREG }
    var modificationTime: Double {
        Double(st_mtim.tv_sec) + Double(st_mtim.tv_nsec) / 1e9
    }
}
