import Testing

/// The unit reader behind the notify test follows systemd's rules, so that
/// "ExecStart= as written" means what systemd would run.
@Suite("unit file reading")
struct UnitFileTests {
    static let text = """
        [Unit]
        Description=x %i
        [Service]
        Environment=A=one B="two words"
        Environment=EMPTY=
        ExecStart=/bin/prog --a ${A} --b ${B} \\
        # a comment between continued lines is dropped
            $EMPTY $B x${A}y '$$literal' --n=%N
        """

    @Test("command lines expand ${X} as one word, $X split at spaces, $$ as $")
    func commandLineExpansion() throws {
        let unit = try UnitFile(name: "demo@7.service", text: Self.text)
        let environment = Dictionary(try unit.environmentAssignments()) { $1 }
        let argv = try unit.execStart(environment: environment)
        let want = [
            "/bin/prog", "--a", "one", "--b", "two words", "two", "words", "xoney",
            "$literal", "--n=demo@7",
        ]
        #expect(argv == want, "got \(argv), want \(want)")
    }

    @Test("Environment= words keep quoted spaces; an empty assignment resets the list")
    func environmentAssignments() throws {
        let unit = try UnitFile(name: "demo@7.service", text: Self.text)
        let assignments = try unit.environmentAssignments().map { "\($0.0)=\($0.1)" }
        #expect(assignments == ["A=one", "B=two words", "EMPTY="])
        let reset = try UnitFile(name: "r.service", text: """
            [Service]
            Environment=A=1
            Environment=
            Environment=B=2
            """)
        #expect(try reset.environmentAssignments().map(\.0) == ["B"])
    }

    @Test("time spans read as systemd writes them", arguments: [
        ("20s", 20.0), ("1min 30s", 90.0), ("500ms", 0.5), ("90", 90.0), ("2h", 7200.0),
    ])
    func timeSpans(_ text: String, _ seconds: Double) {
        #expect(UnitFile.seconds(text) == seconds,
                "\(text): got \(String(describing: UnitFile.seconds(text)))")
    }

    @Test("environment files: comments skipped, quotes removed, empty values kept")
    func environmentFile() throws {
        let parsed = try EnvironmentFile.parse("""
            # comment
            A=1
            ; other comment
            B="x y"
            C=
            """)
        #expect(parsed.map { "\($0.0)=\($0.1)" } == ["A=1", "B=x y", "C="])
    }
}
