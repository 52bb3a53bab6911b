import Foundation
import SpoolKit
import Testing

/// The settings file, tmpfiles.d and sysusers.d entries agree with the units
/// and with the spool layout SpoolKit uses.
@Suite("deployment files")
struct DeploymentFilesTests {
    static func settings() throws -> [(String, String)] {
        try EnvironmentFile.parse(
            String(contentsOfFile: Repository.path("deploy/ocrspool.env"), encoding: .utf8))
    }

    /// The variables a unit's ExecStart= expands (`${NAME}` or a bare `$NAME`).
    static func referencedVariables(_ unit: UnitFile) throws -> Set<String> {
        let line = unit.value("Service", "ExecStart") ?? ""
        var names: Set<String> = []
        for (word, splits) in try UnitFile.words(line) {
            if splits { names.insert(String(word.dropFirst())) }
            var rest = Substring(word)
            while let open = rest.range(of: "${"), let close = rest[open.upperBound...]
                .firstIndex(of: "}") {
                names.insert(String(rest[open.upperBound..<close]))
                rest = rest[rest.index(after: close)...]
            }
        }
        return names
    }

    @Test("every key in ocrspool.env is used by a unit, documented, and the unit's default")
    func settingsKeysMatchUnits() throws {
        let units = try Repository.services.map(Repository.unit)
        let text = try String(
            contentsOfFile: Repository.path("deploy/ocrspool.env"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (key, value) in try Self.settings() {
            let users = try units.filter { try Self.referencedVariables($0).contains(key) }
            #expect(!users.isEmpty, "\(key) is in ocrspool.env but no unit's ExecStart= uses it")
            for unit in users {
                let defaults = Dictionary(try unit.environmentAssignments()) { $1 }
                let got = defaults[key] ?? "unset"
                #expect(defaults[key] == value,
                        "\(unit.name) default \(key): got \(got), want \(value)")
            }
            // Documented: the line above the key (or above its group) is a comment.
            let index = try #require(lines.firstIndex { $0.hasPrefix("\(key)=") })
            let above = lines[..<index].last { !$0.contains("=") || $0.hasPrefix("#") } ?? ""
            #expect(above.hasPrefix("#"), "\(key) has no comment above it")
        }
    }

    @Test("every variable a unit's ExecStart= expands has a default in the unit and a key",
          arguments: Repository.services)
    func unitVariablesHaveSettings(_ name: String) throws {
        let unit = try Repository.unit(name)
        let keys = Set(try Self.settings().map(\.0))
        let defaults = Set(try unit.environmentAssignments().map(\.0))
        for variable in try Self.referencedVariables(unit) {
            #expect(keys.contains(variable), "\(name) uses \(variable), not in ocrspool.env")
            #expect(defaults.contains(variable), "\(name) uses \(variable) with no Environment=")
        }
    }

    @Test("tmpfiles.d creates the spool and every SpoolKit queue, group-writable, never aged")
    func tmpfilesCreatesSpoolLayout() throws {
        let entries = try TmpfilesEntry.repositoryEntries()
        let spool = Spool(root: "/var/spool/ocrspool")
        let want = [spool.root] + Queue.allCases.map(spool.directory)
        #expect(entries.map(\.path).sorted() == want.sorted())
        for entry in entries {
            #expect(entry.mode == "2770", "\(entry.path) mode: got \(entry.mode), want 2770")
            #expect(entry.user == "ocrspool" && entry.group == "ocrspool")
            #expect(entry.age == "-", "\(entry.path) age: got \(entry.age), want - (no cleaning)")
        }
    }

    @Test("sysusers.d declares the one user the units run as")
    func sysusersDeclaresServiceUser() throws {
        let text = try String(
            contentsOfFile: Repository.path("systemd/ocrspool.sysusers"), encoding: .utf8)
        let users = text.split(separator: "\n").filter { $0.hasPrefix("u ") }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true)[1] }
        #expect(users == ["ocrspool"], "sysusers users: got \(users)")
        for name in Repository.services {
            #expect(try Repository.unit(name).value("Service", "User") == "ocrspool")
        }
    }
}
