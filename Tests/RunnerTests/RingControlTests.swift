import Foundation
import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// `ring: { reap: manual }`, `reap`, `enter`, `ring_state` and `enable_rings` on the real kernel: what
/// passes passes, and what differs is reported at the line that said it, with expected and observed.
@Suite struct RingControlTests {
    /// Runs `yaml` with the checker as the observer; the outcome includes the runner's own mismatches.
    func outcome(_ yaml: String) throws -> ScenarioOutcome {
        let scenario = try ScenarioLoader.load(yaml, file: "ring.yaml").get()
        let checker = ExpectationChecker(scenario: scenario)
        let result = ScenarioExecution(scenario: scenario, plan: try Planner.plan(scenario).get(), observer: checker).run()
        return ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker, expectedFailure: nil, iteration: 0)
    }

    func rendered(_ outcome: ScenarioOutcome) -> String { TextReporter(useColor: false).render(outcome) }

    /// Four nops into a CQ of two: with submissions that do not reap, two wait in the overflow list.
    static func overflowing(state: String, reap: String = "  - reap") -> String {
        """
        name: overflow under the scenario's control
        ring: { entries: 4, cq_entries: 4, reap: manual }
        steps:
          - repeat: 4
            steps:
              - nop: {}
                id: "a{i}"
          - submit
          - repeat: 2
            steps:
              - nop: {}
                id: "b{i}"
          - submit
          - ring_state: \(state)
        \(reap)
        expect:
          "a{i}": 0
          "b{i}": 0
          order: [a0, a1, a2, a3, b0, b1]
        """
    }

    @Test func submissionsThatDoNotReapOverflowTheCQAndEveryCQEArrivesInOrder() throws {
        let truth = try outcome(Self.overflowing(state: "{ cq_ready: 4, sq_flags: [cq_overflow], cq_overflow: 0 }"))
        #expect(truth.verdict == .pass, "\(rendered(truth))")
    }

    /// The default mode still reaps before every submission: only the last batch's CQEs are in the CQ,
    /// and it never overflows.
    @Test func theDefaultModeStillReapsAtEverySubmission() throws {
        let yaml = Self.overflowing(state: "{ cq_ready: 2, sq_flags: [] }", reap: "  - nop").replacingOccurrences(of: ", reap: manual", with: "")
        let truth = try outcome(yaml)
        #expect(truth.verdict == .pass, "\(rendered(truth))")
    }

    @Test func aRingStateThatDiffersIsReportedAtItsKeyWithExpectedAndObserved() throws {
        let failed = try outcome(Self.overflowing(state: "{ cq_ready: 3, sq_flags: [] }"))
        #expect(failed.verdict == .fail)
        let byKey = Dictionary(failed.mismatches.map { ($0.subject, $0) }, uniquingKeysWith: { first, _ in first })
        let ready = try #require(byKey["ring_state: cq_ready"])
        #expect(ready.mark == SourceMark(file: "ring.yaml", line: 14, column: 29))
        #expect(ready.expected == "3" && ready.actual == "4")
        let flags = try #require(byKey["ring_state: sq_flags"])
        #expect(flags.expected == "exactly []" && flags.actual == "[cq_overflow]")
    }

    @Test func reapingExactlyNLeavesTheRestInTheCQ() throws {
        let truth = try outcome(Self.overflowing(state: "{ cq_ready: 4 }", reap: """
              - reap: 3
              - ring_state: { cq_ready: 1, sq_flags: [cq_overflow] }
              - reap: { count: 3, timeout: 1s }
              - ring_state: { cq_ready: 0, sq_flags: [] }
            """))
        #expect(truth.verdict == .pass, "\(rendered(truth))")
    }

    /// Six CQEs with a CQ of four: the reap takes the four in the CQ, lets the kernel flush the two that
    /// overflowed, and takes those (before: it waited for six in a CQ that holds four, and failed).
    @Test func aReapOfMoreThanTheCQHoldsTakesTheOverflowedCQEsToo() throws {
        let start = ContinuousClock.now
        let truth = try outcome(Self.overflowing(state: "{ cq_ready: 4, sq_flags: [cq_overflow] }", reap: """
              - reap: { count: 6, timeout: 1s }
              - ring_state: { cq_ready: 0, sq_flags: [] }
            """))
        #expect(truth.verdict == .pass, "\(rendered(truth))")
        #expect(ContinuousClock.now - start < .milliseconds(500), "the reap waited for more than the CQ holds")
    }

    @Test func aReapWhoseCQEsDoNotComeInTimeFailsAtTheStep() throws {
        let start = ContinuousClock.now
        let failed = try outcome("""
            name: a reap that waits for too much
            ring: { reap: manual }
            steps:
              - nop: {}
                id: a
              - submit
              - reap: { count: 2, timeout: 20ms }
            expect:
              a: 0
            """)
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(failed.verdict == .fail)
        let reap = try #require(failed.mismatches.first { $0.subject == "reap" })
        #expect(reap.mark.line == 7)
        #expect(reap.expected == "2 CQEs within 20ms" && reap.actual == "1 arrived")
    }

    @Test func anEnterWithATimeoutIsCheckedLikeASubmit() throws {
        let failed = try outcome("""
            name: enter results
            ring: { reap: manual }
            steps:
              - enter: { min_complete: 1, flags: [getevents], timeout: 5ms }
                expect: 0
              - nop: {}
                id: a
              - enter: { to_submit: 1 }
                expect: 1
              - reap: 1
            expect:
              a: 0
            """)
        #expect(failed.verdict == .fail)
        let enter = try #require(failed.mismatches.first { $0.subject.hasPrefix("enter") })
        #expect(enter.mark.line == 5)
        #expect(enter.expected == "0" && enter.actual.contains("ETIME"), "\(enter)")
        #expect(failed.mismatches.count == 1, "\(rendered(failed))")
    }

    @Test func anEnterThatWaitsWithoutATimeoutStopsAtTheDeadline() throws {
        let start = ContinuousClock.now
        let result = try outcome("""
            name: an enter that would wait forever
            deadline: 200ms
            ring: { reap: manual }
            steps:
              - enter: { min_complete: 1, flags: [getevents] }
                expect: -ETIME
            """)
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(result.verdict == .timeout, "\(rendered(result))")
    }

    @Test func aDisabledRingTakesSubmissionsOnceEnabled() throws {
        let truth = try outcome("""
            name: enable_rings
            ring: { entries: 8, flags: [r_disabled] }
            steps:
              - nop: {}
                id: early
              - submit: {}
                expect: -EBADFD
              - enable_rings
              - submit: {}
                expect: 1
            expect:
              early: 0
            """)
        #expect(truth.verdict == .pass, "\(rendered(truth))")
    }
}

/// The examples of Grammar.md's section on reaping under the scenario's control pass on the real kernel:
/// the document shows what the kernel does.
@Suite struct RingControlGrammarExampleTests {
    static let grammar = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Grammar.md")

    @Test func theSectionsExamplesPassOnTheKernel() throws {
        let text = try String(contentsOf: Self.grammar, encoding: .utf8)
        let start = try #require(text.range(of: "### Reaping under the scenario's control"))
        let end = try #require(text.range(of: "\n## ", range: start.upperBound..<text.endIndex))
        let blocks = text[start.upperBound..<end.lowerBound].components(separatedBy: "```yaml\n").dropFirst()
            .map { String($0.prefix { _ in true }.components(separatedBy: "```")[0]) }
        #expect(blocks.count == 3)
        for yaml in blocks {
            let scenario = try ScenarioLoader.load(yaml, file: "Grammar.md").get()
            let checker = ExpectationChecker(scenario: scenario)
            let result = ScenarioExecution(scenario: scenario, plan: try Planner.plan(scenario).get(), observer: checker).run()
            let outcome = ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker, expectedFailure: nil, iteration: 0)
            #expect(outcome.verdict == .pass, "\(TextReporter(useColor: false).render(outcome))")
        }
    }
}
