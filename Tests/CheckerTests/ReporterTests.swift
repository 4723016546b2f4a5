import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Checker
import Scenario

let mark = SourceMark(file: "scenarios/links/x.yaml", line: 14, column: 7)

let sampleOutcomes: [ScenarioOutcome] = [
    ScenarioOutcome(name: "nop completes", file: "a.yaml", verdict: .pass, duration: .milliseconds(2)),
    ScenarioOutcome(name: "link & <cancel>", file: "scenarios/links/x.yaml", verdict: .fail, duration: .microseconds(850),
                    mismatches: [Mismatch(mark: mark, subject: "bad: res", expected: "-EBADF", actual: "5")],
                    unclaimed: [ObservedCompletion(id: nil, userData: 99, res: 0, flags: 2, arrival: 3, elapsed: .microseconds(120))]),
    ScenarioOutcome(name: "needs sqpoll", file: "c.yaml", verdict: .skip, duration: .zero, reason: "setup flag sqpoll: EPERM"),
    ScenarioOutcome(name: "known bug", file: "d.yaml", verdict: .xfail, duration: .milliseconds(1), reason: "fixed in 6.19"),
    ScenarioOutcome(name: "waits # forever", file: "e.yaml", verdict: .fail, duration: .seconds(1),
                    neverCompleted: [(id: "r1", mark: mark)]),
]

@Suite struct TextReporterTests {
    @Test func failureShowsLocationSideBySideAndUnclaimedCQEs() {
        let text = TextReporter(useColor: false).render(sampleOutcomes[1])
        #expect(text == """
        FAIL  link & <cancel> (850 µs)
          scenarios/links/x.yaml:14:7: bad: res  (first divergence)
            expected | actual
            -EBADF   ≠ 5
          CQEs no expectation claimed:
            user_data 99 (no step): res 0, flags more, #3 at 120 µs
        """)
    }

    @Test func skipsAndPassesAreOneLine() {
        let reporter = TextReporter(useColor: false)
        #expect(reporter.render(sampleOutcomes[0]) == "PASS  nop completes (2.0 ms)")
        #expect(reporter.render(sampleOutcomes[2]) == "SKIP  needs sqpoll (0 µs): setup flag sqpoll: EPERM")
        #expect(reporter.render(sampleOutcomes[3]) == "XFAIL known bug (1.0 ms): fixed in 6.19")
    }

    @Test func colourOnlyWhenAsked() {
        #expect(TextReporter(useColor: true).render(sampleOutcomes[0]).hasPrefix("\u{1B}[32mPASS "))
        #expect(!TextReporter(useColor: false).render(sampleOutcomes[0]).contains("\u{1B}"))
    }

    @Test func summaryLineCountsVerdicts() {
        #expect(RunSummary(sampleOutcomes).line == "1 passed, 2 failed, 1 skipped, 1 xfailed")
        #expect(RunSummary(sampleOutcomes).hasFailures)
        #expect(!RunSummary([sampleOutcomes[0], sampleOutcomes[2]]).hasFailures)
    }

    @Test func flagsAndResultsAreNamed() {
        #expect(describeResult(-125) == "-ECANCELED")
        #expect(describeResult(Int32.min) == "-2147483648")
        #expect(describeResult(-4096) == "-4096")
        #expect(describeFlags(0x0003_0003) == "more|buffer (bid 3)")
        #expect(describeFlags(0) == "none")
    }
}

/// Collects element names and attributes, to check the JUnit document's structure.
final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

@Suite struct MachineReporterTests {
    @Test func junitIsWellFormedWithCountsSkipsAndFailures() throws {
        let xml = JUnitReporter().render(sampleOutcomes, duration: .seconds(2))
        let parser = XMLParser(data: Data(xml.utf8))
        let collector = XMLCollector()
        parser.delegate = collector
        #expect(parser.parse(), "JUnit XML does not parse: \(String(describing: parser.parserError))")
        let root = try #require(collector.elements.first { $0.name == "testsuites" })
        #expect(root.attributes["tests"] == "5")
        #expect(root.attributes["failures"] == "2")
        #expect(root.attributes["skipped"] == nil)  // junit-10.xsd has no such attribute on <testsuites>
        // One <testsuite> per scenario file, with the run's properties.
        #expect(collector.elements.filter { $0.name == "testsuite" }.map { $0.attributes["name"] } == ["a.yaml", "scenarios/links/x.yaml", "c.yaml", "d.yaml", "e.yaml"])
        #expect(collector.elements.first { $0.name == "testcase" && $0.attributes["name"] == "link & <cancel>" }?.attributes["classname"] == "scenarios_links_x")
        #expect(collector.elements.contains { $0.name == "property" && $0.attributes["name"] == "kernel.release" })
        #expect(collector.elements.filter { $0.name == "testcase" }.count == 5)
        #expect(collector.elements.first { $0.name == "skipped" }?.attributes["message"] == "setup flag sqpoll: EPERM")
        let failure = try #require(collector.elements.first { $0.name == "failure" })
        #expect(failure.attributes["message"] == "scenarios/links/x.yaml:14:7: bad: res: expected -EBADF, got 5")
        #expect(collector.elements.first { $0.name == "testcase" && $0.attributes["name"] == "link & <cancel>" } != nil)
    }

    @Test func tapHasPlanDirectivesAndDiagnostics() {
        let tap = TAPReporter().render(sampleOutcomes)
        let lines = tap.split(separator: "\n").map(String.init)
        #expect(lines[0] == "TAP version 13")
        #expect(TAPReporter(version: .v14).header(count: 5) == "TAP version 14\n1..5")
        #expect(lines[1] == "1..5")
        #expect(lines.contains("ok 1 - nop completes"))
        #expect(lines.contains("ok 3 - needs sqpoll # SKIP setup flag sqpoll: EPERM"))
        #expect(lines.contains("not ok 4 - known bug # TODO fixed in 6.19"))
        #expect(lines.contains("not ok 5 - waits \\# forever"))  // TAP's escape for # in a description
        #expect(lines.contains("    expected: '-EBADF'"))
        #expect(lines.filter { $0.hasPrefix("  never_completed:") }.count == 1)
        // Every test point line is numbered in order.
        let points = lines.filter { $0.hasPrefix("ok ") || $0.hasPrefix("not ok ") }
        #expect(points.count == 5)
        for (index, point) in points.enumerated() {
            #expect(point.contains(" \(index + 1) - "))
        }
    }

    @Test func jsonEscapesAndCounts() {
        let json = JSONReporter().render([sampleOutcomes[1]], duration: .seconds(1))
        #expect(json.contains("\"name\": \"link & <cancel>\""))
        #expect(json.contains("\"location\": \"scenarios/links/x.yaml:14:7\""))
        #expect(json.contains("\"fail\": 1"))
        #expect(JSONValue.string("a\"b\n\u{1}").serialized() == "\"a\\\"b\\n\\u0001\"")
    }
}
