import Foundation
import Testing
import TestKit

/// scripts/install and .ci/systemd-checks, run for real into temporary roots.
@Suite("install script and CI check")
struct DeploymentScriptTests {
    static let programs = [
        "ocrspool", "ocrspool-upload", "ocrspool-ocr", "ocrspool-result", "ocrspool-amqp",
    ]

    /// A directory of stand-in programs, for tests about files rather than daemons.
    static func stubPrograms(in directory: TemporaryDirectory) throws -> String {
        let bin = directory.file("stub-bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for program in programs {
            let path = "\(bin)/\(program)"
            _ = FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8))
            chmod(path, 0o755)
        }
        return bin
    }

    @Test("install --destdir puts every file in its standard place under the root")
    func installIntoDestdir() throws {
        let directory = try TemporaryDirectory("systemd-install")
        let root = directory.file("root")
        let (status, output) = try Repository.run(Repository.path("scripts/install"), [
            "--destdir", root, "--bin-dir", try Self.stubPrograms(in: directory),
        ])
        #expect(status == 0, "install exit: got \(status), want 0; output:\n\(output)")
        var want = Self.programs.map { "/usr/local/bin/\($0)" }
        want += Repository.unitFiles.map { "/etc/systemd/system/\($0)" }
        want += [
            "/etc/tmpfiles.d/ocrspool.conf", "/etc/sysusers.d/ocrspool.conf",
            "/etc/ocrspool/ocrspool.env", "/usr/local/share/doc/ocrspool/deploy.md",
        ]
        if FileManager.default.fileExists(atPath: Repository.path("www")) {
            want.append("/usr/local/share/ocrspool/www")
        }
        for path in want {
            #expect(FileManager.default.fileExists(atPath: root + path), "missing \(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(root)/var/spool/ocrspool"),
                "a --destdir install created the spool; tmpfiles.d does that on the host")
    }

    @Test("the installed nginx site proxies to the upload socket, serves the page, and loads")
    func installedNginxSite() throws {
        let sites = (try? FileManager.default.contentsOfDirectory(
            atPath: Repository.path("deploy/nginx"))) ?? []
        try #require(sites.contains("ocrspool.conf"), "deploy/nginx/ocrspool.conf is missing")
        let directory = try TemporaryDirectory("systemd-install")
        let root = directory.file("root")
        let (status, output) = try Repository.run(Repository.path("scripts/install"), [
            "--destdir", root, "--bin-dir", try Self.stubPrograms(in: directory),
        ])
        #expect(status == 0, "install exit: got \(status); output:\n\(output)")
        let site = "\(root)/etc/nginx/sites-available/ocrspool"
        let text = try String(contentsOfFile: site, encoding: .utf8)
        let socket = try Repository.unit("ocrspool-upload.socket").value("Socket", "ListenStream")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("server unix:\(socket ?? "");"), "site upstream: want the socket")
        #expect(lines.contains("root /usr/local/share/ocrspool/www;"), "site root: want the page")
        #expect(FileManager.default.fileExists(
            atPath: "\(root)/usr/local/share/ocrspool/www/index.html"))

        // nginx itself judges the installed site, inside a throwaway main config.
        let config = directory.file("nginx.conf")
        try """
            pid \(directory.file("nginx.pid"));
            error_log stderr;
            events {}
            http { include /etc/nginx/mime.types; access_log off; include \(site); }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let (nginxStatus, nginxOutput) = try Repository.run(
            "/usr/sbin/nginx", ["-t", "-q", "-c", config, "-p", directory.path + "/"])
        #expect(nginxStatus == 0, "nginx -t on the installed site:\n\(nginxOutput)")
    }

    @Test("install --prefix /usr points units at /usr/bin and keeps a changed settings file")
    func installWithPrefixKeepsSettings() throws {
        let directory = try TemporaryDirectory("systemd-install")
        let root = directory.file("root")
        let arguments = [
            "--prefix", "/usr", "--destdir", root,
            "--bin-dir", try Self.stubPrograms(in: directory),
        ]
        #expect(try Repository.run(Repository.path("scripts/install"), arguments).0 == 0)
        let unit = try UnitFile(path: "\(root)/usr/lib/systemd/system/ocrspool-ocr.service")
        let program = try unit.execStart(environment: [:]).first
        #expect(program == "/usr/bin/ocrspool-ocr", "ExecStart program: got \(program ?? "none")")

        let settings = "\(root)/etc/ocrspool/ocrspool.env"
        try "OCRSPOOL_OCR_WORKERS=7\n".write(toFile: settings, atomically: true, encoding: .utf8)
        #expect(try Repository.run(Repository.path("scripts/install"), arguments).0 == 0)
        let kept = try String(contentsOfFile: settings, encoding: .utf8)
        #expect(kept == "OCRSPOOL_OCR_WORKERS=7\n", "settings after reinstall: got \(kept)")
        #expect(FileManager.default.fileExists(atPath: settings + ".dist"))
    }

    @Test("the CI check passes on the repository's units with the built daemons")
    func ciCheckPassesOnRepositoryUnits() throws {
        let (status, output) = try Repository.run(Repository.path(".ci/systemd-checks"), [
            "--bin-dir", ChildProcess.productsDirectory,
        ])
        #expect(status == 0, "systemd-checks exit: got \(status), want 0; output:\n\(output)")
        // The check runs a template as its instance 1.
        for name in Repository.services.map({ $0.replacingOccurrences(of: "@2.", with: "@1.") }) {
            #expect(output.contains("ok   security \(name) exposure="), "no score for \(name)")
        }
    }

    @Test("the CI check fails on an unknown setting and on a weakly sandboxed service")
    func ciCheckFailsOnBrokenUnits() throws {
        let directory = try TemporaryDirectory("systemd-check")
        let units = directory.file("units")
        try FileManager.default.copyItem(atPath: Repository.path("systemd"), toPath: units)
        let bin = try Self.stubPrograms(in: directory)

        let ocr = "\(units)/ocrspool-ocr.service"
        let original = try String(contentsOfFile: ocr, encoding: .utf8)
        let typo = original.replacingOccurrences(of: "PrivateTmp=yes", with: "PrivateTemp=yes")
        try typo.write(toFile: ocr, atomically: true, encoding: .utf8)
        let (typoStatus, typoOutput) = try Repository.run(
            Repository.path(".ci/systemd-checks"), ["--bin-dir", bin, "--units", units])
        #expect(typoStatus != 0 && typoOutput.contains("FAIL verify ocrspool-ocr.service"),
                "unknown key: got exit \(typoStatus), output:\n\(typoOutput)")

        try original.write(toFile: ocr, atomically: true, encoding: .utf8)
        let result = "\(units)/ocrspool-result.service"
        let weakened = try String(contentsOfFile: result, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("SystemCallFilter=") && !$0.hasPrefix("PrivateNetwork=")
                && !$0.hasPrefix("CapabilityBoundingSet=") && !$0.hasPrefix("PrivateUsers=")
                && !$0.hasPrefix("RestrictNamespaces=") && !$0.hasPrefix("ProtectKernel") }
            .joined(separator: "\n")
        try weakened.write(toFile: result, atomically: true, encoding: .utf8)
        let (weakStatus, weakOutput) = try Repository.run(
            Repository.path(".ci/systemd-checks"), ["--bin-dir", bin, "--units", units])
        #expect(weakStatus != 0 && weakOutput.contains("FAIL security ocrspool-result.service"),
                "weak sandbox: got exit \(weakStatus), output:\n\(weakOutput)")
        #expect(weakOutput.contains("ok   verify ocrspool-result.service"))
    }

    @Test("the CI check fails when a daemon is not built")
    func ciCheckFailsWithoutDaemon() throws {
        let directory = try TemporaryDirectory("systemd-check")
        let bin = try Self.stubPrograms(in: directory)
        try FileManager.default.removeItem(atPath: "\(bin)/ocrspool-result")
        let (status, output) = try Repository.run(
            Repository.path(".ci/systemd-checks"), ["--bin-dir", bin])
        #expect(status != 0, "missing daemon: got exit 0; output:\n\(output)")
    }
}
