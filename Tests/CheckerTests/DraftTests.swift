import IoUring
import Scenario
import Testing
@testable import Checker

/// A scenario with steps and nothing to check is a draft for `ringscript record`: `run` fails it, so
/// that a golden nobody recorded cannot pass CI by accident.
@Suite struct DraftTests {
    @Test func aScenarioWithOnlyStepsFailsWithNothingToCheck() throws {
        let run = try CheckerHarness("""
            name: a draft
            steps:
              - nop: {}
                id: n
            """)
        run.queueAll()
        run.complete("n", res: 0)
        run.teardown()
        let outcome = run.finish()
        #expect(outcome.verdict == .fail)
        #expect(run.report() == """
            FAIL  a draft (3.0 ms)
              t.yaml:1:1: nothing to check  (first divergence)
                expected                                                    | actual
                expectations ('ringscript record' writes them into a draft) ≠ none: the scenario has only steps
            """)
    }

    @Test func oneExpectationIsSomethingToCheck() throws {
        let run = try CheckerHarness("""
            name: checked
            steps:
              - nop: {}
                id: n
              - nop: {}
            expect:
              n: 0
            """)
        run.queueAll()
        run.complete("n", res: 0)
        run.complete(userData: 2, res: 0)
        run.teardown()
        #expect(run.finish().verdict == .pass)
    }

    @Test(arguments: [
        "steps:\n  - probe: { supported: [nop] }",
        "steps:\n  - nop: {}\n  - submit: {}\n    expect: 1",
        "steps:\n  - nop: {}\n    id: n\n    expect: 0",
        "steps:\n  - nop: {}\nexpect:\n  allow_other_cqes: true",
    ])
    func stepExpectationsProbesAndAllowOtherCQEsAreSomethingToCheck(_ body: String) throws {
        let scenario = try ScenarioLoader.load("name: x\n" + body, file: "t.yaml").get()
        #expect(!scenario.hasNothingToCheck)
    }

    @Test func aDraftHasNothingToCheck() throws {
        let scenario = try ScenarioLoader.load("name: x\nsteps:\n  - nop: {}\n  - register_files: { sparse: 2 }", file: "t.yaml").get()
        #expect(scenario.hasNothingToCheck)
    }
}
