import Checker
import Planner
import Scenario
import Testing
@testable import Runner

/// Two reads share a user_data and a cancel by that user_data hits one of them, on the real kernel. The
/// kernel cancels the newest; the CQEs (both with user_data 5) cannot say which read each is, so the
/// checker matches them to the reads' expectations, and the buffers tell the truth.
@Suite struct SharedUserDataRunTests {
    static func scenario(oldResult: String, newResult: String, oldBuffer: String, newBuffer: String) -> String {
        """
        name: a cancel by user_data
        allow_duplicate_user_data: true
        resources:
          p:       { pipe: {} }
          old_buf: { buffer: { size: 5 } }
          new_buf: { buffer: { size: 5 } }
        steps:
          - read: { fd: p.read, buf: old_buf }
            id: old
            user_data: 5
          - read: { fd: p.read, buf: new_buf }
            id: new
            user_data: 5
          - submit
          - cancel: { target: 5 }
            id: cancel
          - submit: { wait: 2 }
          - peer_write: { fd: p.write, data: "hello" }
        expect:
          old: \(oldResult)
          new: \(newResult)
          cancel: 0
          buffers:
            old_buf: \(oldBuffer)
            new_buf: \(newBuffer)
        """
    }

    func outcome(_ yaml: String) throws -> ScenarioOutcome {
        let scenario = try ScenarioLoader.load(yaml, file: "shared.yaml").get()
        let checker = ExpectationChecker(scenario: scenario)
        let result = ScenarioExecution(scenario: scenario, plan: try Planner.plan(scenario).get(), observer: checker).run()
        guard case .ran(let facts, let ending) = result.outcome else {
            Issue.record("did not run: \(result.outcome)")
            return ScenarioOutcome(name: "", file: "", verdict: .error, duration: .zero)
        }
        return checker.finish(facts: facts, ending: ending)
    }

    @Test func theNewestReadIsCancelledAndTheOlderGetsTheData() throws {
        let truth = try outcome(Self.scenario(oldResult: "5", newResult: "-ECANCELED",
                                              oldBuffer: "{ equals: \"hello\" }", newBuffer: "{ unchanged: true }"))
        #expect(truth.verdict == .pass, "\(TextReporter(useColor: false).render(truth))")
    }

    /// The story of submission order: its CQE expectations are met by matching (-ECANCELED to `old`, 5 to
    /// `new`), so no res mismatch is reported; what fails is what the buffers show.
    @Test func theScenarioAssumingSubmissionOrderFailsOnlyWhereTheBuffersShowTheTruth() throws {
        let wrong = try outcome(Self.scenario(oldResult: "-ECANCELED", newResult: "5",
                                              oldBuffer: "{ unchanged: true }", newBuffer: "{ equals: \"hello\" }"))
        #expect(wrong.verdict == .fail)
        #expect(wrong.mismatches.map(\.subject) == ["buffer old_buf", "buffer new_buf"])
        #expect(wrong.neverCompleted.isEmpty && wrong.unclaimed.isEmpty && wrong.notes.isEmpty)
    }
}
