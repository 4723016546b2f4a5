import Checker
import Planner
import Scenario
import Testing
@testable import Checker
@testable import Runner

/// On the real kernel: a `repeat:` block of IOSQE_CQE_SKIP_SUCCESS requests linked before a visible one
/// leaves no checker state behind per iteration, and reports the same with and without fast paths.
@Suite(.serialized) struct SilentChainRunTests {
    static func yaml(iterations: Int, silentExpectation: String) -> String {
        """
        name: silent chains
        steps:
          - repeat: \(iterations)
            steps:
              - nop: {}
                id: "q{i}"
                skip_success: true
                link: true
              - nop: {}
              - submit: {}
        expect:
          "q{i}": 0
          \(silentExpectation)
        """
    }

    /// Runs `yaml` one way; the outcome, and the checker's outstanding records once the run is over.
    static func run(_ yaml: String, fastPaths: Bool) throws -> (outcome: ScenarioOutcome, outstanding: Int) {
        let scenario = try ScenarioLoader.load(yaml, file: "silent.yaml").get()
        let plan = try Planner.plan(scenario).get()
        let checker = ExpectationChecker(scenario: scenario, fastPaths: fastPaths)
        let result = ScenarioExecution(scenario: scenario, plan: plan, options: ExecutionOptions(), observer: checker).run()
        let outstanding = checker.outstandingCount
        var outcome = ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker, expectedFailure: nil,
                                                iteration: 1)
        outcome.duration = .zero
        return (outcome, outstanding)
    }

    @Test func provenSilentMembersLeaveNothingAndReportTheSameBothWays() throws {
        for (expectation, verdict) in [("q1999: 0", Verdict.pass), ("q1999: -EBADF", .fail)] {
            let yaml = Self.yaml(iterations: 2000, silentExpectation: expectation)
            let fast = try Self.run(yaml, fastPaths: true)
            let slow = try Self.run(yaml, fastPaths: false)
            #expect(fast.outcome.verdict == verdict)
            // Every silent member was proved done by the nop after it: no record waits for teardown.
            #expect(fast.outstanding == 0)
            #expect(slow.outstanding == 0)
            let text = TextReporter(useColor: false).render(fast.outcome)
            #expect(text == TextReporter(useColor: false).render(slow.outcome))
            #expect(JSONReporter().render([fast.outcome], duration: .zero) == JSONReporter().render([slow.outcome], duration: .zero))
            if verdict == .fail {
                #expect(text.contains("silent.yaml:13:3: q1999: res"))
                #expect(text.contains("no CQE: with IOSQE_CQE_SKIP_SUCCESS that means it succeeded"))
            }
        }
    }
}
