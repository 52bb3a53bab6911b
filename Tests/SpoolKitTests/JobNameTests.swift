import Testing
@testable import SpoolKit

@Suite struct JobNameTests {
    @Test(arguments: [
        ("20261203T195400-k3f9a2bq", true),
        ("20261203T195400-k3f9a2bq.png", true),
        ("20261203T195400-k3f9a2bq.meter-1.png", true),
        ("20261203T195400-k3f9a2bq.", false),
        ("20261203T195400-k3f9a2bq..png", false),
        ("20261203T195400-K3F9A2BQ", false),
        ("../x", false),
        ("%2e%2e", false),
        ("20261203T195400-k3f9a2bq/../../etc/passwd", false),
        ("20261203T195400-k3f9a2bq.a/b", false),
        (".hidden", false),
        ("", false),
        ("2026120XT195400-k3f9a2bq", false),
    ])
    func validatesIdsBeforeAnyPathIsBuilt(text: String, valid: Bool) {
        #expect((JobName(text) != nil) == valid, "JobName(\(text)): got \(!valid), want \(valid)")
    }

    @Test func freshNamesAreUniqueAndKeepTheDroppedName() {
        let names = (0..<1000).map { _ in JobName.fresh(tail: "a b/../c.png").string }
        #expect(Set(names).count == 1000, "got duplicates among 1000 fresh names")
        for name in names {
            #expect(JobName(name) != nil, "fresh name \(name) does not validate")
            #expect(name.hasSuffix(".a_b_._c.png") || name.hasSuffix("a_b___c.png"),
                    "got \(name), want the sanitised dropped name at the end")
            #expect(!name.contains("/"))
        }
    }

    @Test(arguments: [".x", "a.part", "a.tmp", "a~", ".a.png"])
    func inProgressNamesAreRecognised(name: String) {
        #expect(JobName.isInProgress(name), "got not in progress for \(name)")
    }
}
