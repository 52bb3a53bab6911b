import Foundation

/// A real nginx (Debian's `nginx-light`) started for one test on a loopback
/// port, with its own prefix, configuration and logs; killed on release.
///
/// It runs as a single process (`master_process off`) in the foreground, so
/// killing it leaves no worker behind.
public final class NginxServer: @unchecked Sendable {
    /// The port nginx listens on, on 127.0.0.1.
    public let port: UInt16
    public let prefix: String
    private let child: ChildProcess

    /// Starts nginx with `serverBlock` (the text of a `server { … }` file, already
    /// pointed at this test's port, root and upstream) inside an `http` block.
    public init(serverBlock: String, port: UInt16, directory: TemporaryDirectory) throws {
        self.port = port
        prefix = directory.file("nginx")
        for sub in ["", "/logs", "/temp"] {
            try FileManager.default.createDirectory(
                atPath: prefix + sub, withIntermediateDirectories: true)
        }
        // Workers run as nobody when nginx starts as root; let them use the temp paths.
        _ = chmod(prefix + "/temp", 0o777)
        try serverBlock.write(toFile: "\(prefix)/server.conf", atomically: true, encoding: .utf8)
        let main = """
            master_process off;
            daemon off;
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/logs/error.log warn;
            events { worker_connections 1024; }
            http {
                include /etc/nginx/mime.types;
                access_log \(prefix)/logs/access.log;
                client_body_temp_path \(prefix)/temp/body;
                proxy_temp_path \(prefix)/temp/proxy;
                fastcgi_temp_path \(prefix)/temp/fastcgi;
                uwsgi_temp_path \(prefix)/temp/uwsgi;
                scgi_temp_path \(prefix)/temp/scgi;
                include \(prefix)/server.conf;
            }
            """
        try main.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
        child = try ChildProcess(
            "/usr/sbin/nginx",
            ["-p", prefix, "-c", "\(prefix)/nginx.conf", "-e", "\(prefix)/logs/error.log"],
            logDirectory: directory.path)
        let up = waitUntil(timeout: 10) {
            guard let fd = try? RawHTTP.connect(.tcp(port), timeout: 1) else { return false }
            close(fd)
            return true
        }
        guard up else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: errorLog])
        }
    }

    deinit {
        child.kill9()
    }

    /// nginx's error log so far.
    public var errorLog: String {
        (try? String(contentsOfFile: "\(prefix)/logs/error.log", encoding: .utf8)) ?? ""
    }
}
