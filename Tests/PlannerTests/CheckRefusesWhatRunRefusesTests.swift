import Foundation
import Testing
import Scenario
@testable import Planner

/// `check` refuses every file that `plan` or `run` would refuse for what its text says (issue 12): each
/// fixture in Fixtures/check-refuses names, in its first line, the one diagnostic `check` must give.
@Suite struct CheckRefusesWhatRunRefusesTests {
    static let directory = Bundle.module.url(forResource: "check-refuses", withExtension: nil, subdirectory: "Fixtures")!.path
    static let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()

    @Test func thereAreFixtures() {
        #expect(CheckRefusesWhatRunRefusesTests.names.count >= 7)
    }

    @Test(arguments: names)
    func checkGivesTheRefusal(name: String) throws {
        let path = CheckRefusesWhatRunRefusesTests.directory + "/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let firstLine = try #require(text.split(separator: "\n").first)
        let expected = String(try #require(firstLine.split(separator: "# refused: ", maxSplits: 1).last))
        var report = ScenarioChecker.check(paths: [path])
        report.planValidFiles()
        #expect(report.exitCode == 2)
        #expect(report.diagnostics.map { "\($0.mark.line):\($0.mark.column): \($0.message)" } == [expected])
    }

    @Test func planningKeepsValidFilesValidAndTimesThem() throws {
        let path = Bundle.module.url(forResource: "issue-sketch", withExtension: "yaml", subdirectory: "Fixtures")!.path
        var report = ScenarioChecker.check(paths: [path])
        report.planValidFiles()
        #expect(report.isValid)
        #expect(report.files[0].planDuration != nil)
    }
}
