import Testing
@testable import Scenario

/// Every fixture under Fixtures/valid loads, and its model (nodes, flags, user_data, edges, expectations)
/// is exactly its `.graph` golden; every fixture under Fixtures/invalid is rejected with exactly the
/// diagnostics of its `.expected` golden, line:column and caret included.
@Suite struct FixtureTests {
    @Test func thereAreEnoughFixtures() {
        #expect(Fixtures.validNames.count >= 31)
        #expect(Fixtures.invalidNames.count >= 40)
    }

    @Test(arguments: Fixtures.validNames)
    func validFixtureBuildsItsGraph(_ name: String) throws {
        let text = try Fixtures.text("valid", name + ".yaml")
        let scenario = try load(text, file: name + ".yaml")
        let dump = scenario.dump()
        if Fixtures.updateGoldens {
            try Fixtures.write(dump, "valid", name + ".graph")
            return
        }
        let golden = try Fixtures.text("valid", name + ".graph")
        #expect(dump == golden, "model of \(name).yaml differs from \(name).graph")
    }

    @Test(arguments: Fixtures.invalidNames)
    func invalidFixtureReportsExactly(_ name: String) throws {
        let text = try Fixtures.text("invalid", name + ".yaml")
        let rendered = diagnostics(text, file: name + ".yaml") + "\n"
        #expect(rendered != "valid\n", "\(name).yaml should be rejected")
        if Fixtures.updateGoldens {
            try Fixtures.write(rendered, "invalid", name + ".expected")
            return
        }
        let golden = try Fixtures.text("invalid", name + ".expected")
        #expect(rendered == golden, "diagnostics of \(name).yaml differ from \(name).expected")
    }

    /// `ringscript check` on the fixture folders: valid ones pass, each invalid one fails on its own.
    @Test func checkerAgreesWithTheFixtures() {
        let valid = ScenarioChecker.check(paths: [Fixtures.directory.appendingPathComponent("valid").path])
        #expect(valid.files.count == Fixtures.validNames.count)
        #expect(valid.isValid)
        #expect(valid.exitCode == 0)
        #expect(valid.renderedDiagnostics == "no errors")
        let invalid = ScenarioChecker.check(paths: [Fixtures.directory.appendingPathComponent("invalid").path])
        #expect(invalid.files.count == Fixtures.invalidNames.count)
        #expect(invalid.files.allSatisfy { $0.scenario == nil && !$0.diagnostics.isEmpty })
        #expect(invalid.exitCode == 2)
    }
}
