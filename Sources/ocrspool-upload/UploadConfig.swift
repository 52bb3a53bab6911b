import DaemonKit
import Foundation
import HTTPKit
import ResultStore
import SpoolKit

/// The daemon's settings, from its command line.
struct UploadConfig: Sendable {
    static let usage = """
        usage: ocrspool-upload [options]
          --spool DIR           the spool (default $OCRSPOOL_SPOOL, else ./spool)
          --db FILE             the result daemon's database, read for jobs pruned
                                from the spool (default SPOOL/results.sqlite)
          --listen ADDRESS      HOST:PORT, unix:/PATH or systemd (default 127.0.0.1:8080,
                                or the socket systemd passed when LISTEN_FDS is set)
          --www DIR             the upload page (default $OCRSPOOL_WWW, else
                                <executable dir>/../share/ocrspool/www, else ./www)
          --max-bytes SIZE      largest request body accepted (default 10M)
          --min-free SIZE       refuse uploads (507) below this free disk space (default 64M)
          --max-queue N         refuse uploads (503) while incoming/ holds more (default 10000)
          --max-wait DURATION   cap on ?wait= (default 60s)
          --threads N           server threads (default 4)
          --max-connections N   connections held at once, shared out between the
                                threads (default 1024)
          --max-per-ip N        connections per client address, 0 = no limit (default 0)
          --idle-timeout DUR    close connections silent this long (default 30s)
          --body-timeout DUR    cut off a request whose body takes longer (default 120s)
          --allow-origin URL    an origin allowed cross-origin requests (repeatable)
          --poll                watch the spool by scanning only (no inotify)
          --log-level LEVEL     debug, info, notice, warning or error (default info)
        """

    var spool: Spool
    var databasePath: String
    var listen: ListenAddress
    var www: String
    var maxBytes: Int
    var minFree: Int
    var maxQueue: Int
    var maxWait: Double
    var allowedOrigins: Set<String>
    var polling: Bool
    var logLevel: Logger.Level
    var server = HTTPServer.Settings()

    init(_ arguments: [String]) throws {
        let options = try Options(
            arguments,
            valued: [
                "spool", "db", "listen", "www", "max-bytes", "min-free", "max-queue", "max-wait",
                "threads", "max-connections", "max-per-ip", "idle-timeout", "body-timeout",
                "allow-origin",
                "log-level",
            ],
            flags: ["poll", "help"])
        if options.has("help") { throw Options.UsageError(UploadConfig.usage) }
        guard options.positional.isEmpty else {
            throw Options.UsageError("unexpected argument \(options.positional[0])")
        }

        spool = Spool.resolve(options.value("spool"))
        databasePath = options.value("db") ?? ResultStore.defaultPath(for: spool)
        let environment = ProcessInfo.processInfo.environment
        if let text = options.value("listen") {
            guard let address = ListenAddress(text) else {
                throw Options.UsageError(
                    "--listen must be HOST:PORT, unix:/PATH or systemd, got \(text)")
            }
            listen = address
        } else {
            listen = environment["LISTEN_FDS"] != nil
                ? .systemd : .tcp(host: "127.0.0.1", port: 8080)
        }
        www = options.value("www") ?? UploadConfig.defaultWWW(environment)
        maxBytes = try UploadConfig.size(options, "max-bytes", default: 10 << 20)
        minFree = try UploadConfig.size(options, "min-free", default: 64 << 20)
        maxQueue = try options.integer("max-queue", default: 10_000, in: 0...100_000_000)
        maxWait = try options.duration("max-wait", default: 60)
        allowedOrigins = Set(options.all("allow-origin"))
        guard !allowedOrigins.contains("*") else {
            throw Options.UsageError("--allow-origin takes one origin, never *")
        }
        polling = options.has("poll")
        let levelName = options.value("log-level") ?? "info"
        guard let level = Logger.Level(name: levelName) else {
            throw Options.UsageError("--log-level must be debug, info, notice, warning or error")
        }
        logLevel = level

        server.threads = try options.integer("threads", default: 4, in: 1...256)
        server.connectionLimit = try options.integer(
            "max-connections", default: 1024, in: 1...1_000_000)
        server.perAddressLimit = try options.integer("max-per-ip", default: 0, in: 0...1_000_000)
        server.idleTimeout = max(1, Int(try options.duration("idle-timeout", default: 30)))
        server.bodyTimeout = max(1, Int(try options.duration("body-timeout", default: 120)))
        server.discardLimit = maxBytes + (1 << 20)
    }

    /// `$OCRSPOOL_WWW`, else `share/ocrspool/www` beside the binary's directory,
    /// else `./www`.
    static func defaultWWW(_ environment: [String: String]) -> String {
        if let directory = environment["OCRSPOOL_WWW"] { return directory }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let installed = executable.deletingLastPathComponent()
            .appendingPathComponent("../share/ocrspool/www").standardized.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: installed, isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            return installed
        }
        return "www"
    }

    private static func size(_ options: Options, _ name: String, default fallback: Int) throws
        -> Int
    {
        guard let text = options.value(name) else { return fallback }
        guard let size = Options.parseSize(text) else {
            throw Options.UsageError("--\(name) must be a size like 512K, 10M or 2G, got \(text)")
        }
        return size
    }
}
