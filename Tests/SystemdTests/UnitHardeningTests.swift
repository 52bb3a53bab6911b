import Foundation
import Testing

/// What issue 6 asks of every service unit, setting by setting. The exposure
/// score (checked by .ci/systemd-checks) sums many settings; these pin the ones
/// the design depends on, so none can be traded away for another.
@Suite("unit hardening")
struct UnitHardeningTests {
    static let spool = "/var/spool/ocrspool"
    /// Services that must have no network at all.
    static let offline: Set<String> = [
        "ocrspool-upload.service", "ocrspool-ocr.service", "ocrspool-ocr@2.service",
        "ocrspool-result.service",
    ]

    @Test("every service sets the required value", arguments: Repository.services)
    func requiredSettings(_ name: String) throws {
        let unit = try Repository.unit(name)
        let required: [(String, String)] = [
            ("Type", "notify"), ("NotifyAccess", "main"), ("Restart", "on-failure"),
            ("User", "ocrspool"), ("Group", "ocrspool"),
            ("ProtectSystem", "strict"), ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
            ("ProtectHome", "yes"), ("PrivateDevices", "yes"), ("CapabilityBoundingSet", ""),
        ]
        for (key, want) in required {
            let got = unit.value("Service", key)
            #expect(got == want, "\(name) \(key)=: got \(got ?? "unset"), want \(want)")
        }
        #expect(unit.value("Service", "DynamicUser") == nil,
                "\(name): DynamicUser= would give each daemon its own user; they share the spool")
        #expect(unit.values("Service", "ReadWritePaths") == [Self.spool],
                "\(name) ReadWritePaths: got \(unit.values("Service", "ReadWritePaths"))")
        #expect(unit.values("Service", "SystemCallFilter").first == "@system-service")
        for key in ["WatchdogSec", "TimeoutStopSec", "TimeoutStartSec"] {
            let seconds = unit.value("Service", key).flatMap(UnitFile.seconds) ?? 0
            #expect(seconds > 0, "\(name) \(key)=: got \(seconds)s, want a positive time")
        }
        #expect(Int(unit.value("Service", "LimitNOFILE") ?? "") ?? 0 >= 1024)
        #expect(try unit.environmentFiles().map(\.path).contains("/etc/ocrspool/ocrspool.env"))
        #expect(unit.values("Unit", "PartOf") == ["ocrspool.target"])
    }

    @Test(
        "the spool the daemon is given is the one path it may write",
        arguments: Repository.services)
    func spoolArgumentIsTheWritablePath(_ name: String) throws {
        let unit = try Repository.unit(name)
        let argv = try unit.execStart(environment: [:])
        let index = try #require(argv.firstIndex(of: "--spool"), "\(name): no --spool in \(argv)")
        #expect(argv.dropFirst(index + 1).first == Self.spool)
        #expect(argv[0].hasPrefix("/usr/local/bin/"), "\(name) program: got \(argv[0])")
    }

    @Test("network: none for OCR, result and upload; only IP and local for the bridge",
          arguments: Repository.services)
    func networkAccess(_ name: String) throws {
        let unit = try Repository.unit(name)
        let families = unit.values("Service", "RestrictAddressFamilies")
            .flatMap { $0.split(separator: " ").map(String.init) }
        if Self.offline.contains(name) {
            #expect(unit.value("Service", "PrivateNetwork") == "yes")
            #expect(unit.value("Service", "IPAddressDeny") == "any")
            #expect(families == ["AF_UNIX"], "\(name) address families: got \(families)")
        } else {
            #expect(Set(families) == ["AF_UNIX", "AF_INET", "AF_INET6"],
                    "\(name) address families: got \(families)")
        }
    }

    @Test("OCR units cap memory and keep Tesseract's OpenMP to one thread",
          arguments: ["ocrspool-ocr.service", "ocrspool-ocr@2.service"])
    func ocrResources(_ name: String) throws {
        let unit = try Repository.unit(name)
        #expect(unit.value("Service", "MemoryMax") != nil, "\(name): no MemoryMax=")
        let environment = Dictionary(try unit.environmentAssignments()) { $1 }
        #expect(environment["OMP_THREAD_LIMIT"] == "1",
                "\(name) OMP_THREAD_LIMIT: got \(environment["OMP_THREAD_LIMIT"] ?? "unset")")
    }

    @Test("the OCR template runs exactly what ocrspool-ocr.service runs")
    func templateMatchesMainOCRUnit() throws {
        let main = try Repository.unit("ocrspool-ocr.service").lines("Service")
        let template = try Repository.unit("ocrspool-ocr@2.service").lines("Service")
        #expect(main == template, "[Service] differs: \(Set(main).symmetricDifference(template))")
    }

    @Test("the upload service takes its socket from ocrspool-upload.socket, reachable by nginx")
    func uploadSocket() throws {
        let service = try Repository.unit("ocrspool-upload.service")
        #expect(service.values("Unit", "Requires") == ["ocrspool-upload.socket"])
        let socket = try Repository.unit("ocrspool-upload.socket")
        let listen = socket.value("Socket", "ListenStream")
        #expect(listen == "/run/ocrspool/upload.sock")
        // Binding the path itself would unlink systemd's socket from under nginx.
        let argv = try service.execStart(environment: [:])
        let index = try #require(argv.firstIndex(of: "--listen"))
        #expect(argv.dropFirst(index + 1).first == "systemd", "upload --listen: got \(argv)")
        #expect(socket.value("Socket", "SocketGroup") == "www-data")
        #expect(socket.value("Socket", "SocketMode") == "0660")
    }

    @Test("the target pulls in the daemons every installation runs")
    func targetWantsDaemons() throws {
        let target = try Repository.unit("ocrspool.target")
        let wants = Set(target.values("Unit", "Wants").flatMap { $0.split(separator: " ") }
            .map(String.init))
        let want: Set = [
            "ocrspool-upload.socket", "ocrspool-upload.service", "ocrspool-ocr.service",
            "ocrspool-result.service",
        ]
        #expect(wants == want, "ocrspool.target Wants: got \(wants.sorted())")
        #expect(target.value("Install", "WantedBy") == "multi-user.target")
    }
}
