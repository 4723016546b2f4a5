import Foundation
import IoUring
import Checker
import Planner
import Scenario
import Testing
@testable import Runner

/// One semantics: the fast paths (dense tracking, the checker's FIFO and quick checks, the runner's direct
/// feed, SQE templates, bulk runs and FIFO window) must change nothing a report says. The whole corpus and
/// the test fixtures run once with them and once without (`ExpectationChecker(fastPaths: false)`, what
/// `RINGSCRIPT_NO_FAST_PATHS=1` does), on the real kernel, and every verdict and every text and JSON
/// report must be the same, byte for byte, with durations masked.
@Suite(.serialized) struct FastPathEquivalenceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Plans, runs and checks one scenario as `RunSession.executeOne` does, with the fast paths on or off.
    static func execute(_ scenario: Scenario, fastPaths: Bool, deadline: Duration?) -> ScenarioOutcome {
        guard case .success(let plan) = Planner.plan(scenario) else {
            return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .error, duration: .zero, reason: "cannot plan")
        }
        var checked = scenario
        checked.expectedFailure = scenario.expectsFailure(on: KernelRelease.current)
        let checker = ExpectationChecker(scenario: checked, fastPaths: fastPaths)
        let result = ScenarioExecution(scenario: scenario, plan: plan, options: ExecutionOptions(deadline: deadline),
                                       observer: checker).run()
        switch result.outcome {
        case .ran(let facts, let ending): return checker.finish(facts: facts, ending: ending)
        case .skipped(let reason):
            return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .skip, duration: .zero, reason: reason)
        case .failed(let error):
            return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .error, duration: .zero,
                                   reason: error.description)
        }
    }

    /// Every scenario under `paths`, run one way, with its durations and CQE times zeroed.
    static func outcomes(_ paths: [String], fastPaths: Bool, deadline: Duration? = nil) throws -> [ScenarioOutcome] {
        let files = try ScenarioDiscovery.find(paths.map { repository.appendingPathComponent($0).path })
        let result = SuiteRunner(options: SuiteOptions()).run(files: files, execute: { scenario, _ in
            execute(scenario, fastPaths: fastPaths, deadline: deadline)
        }, emit: { _ in })
        return result.outcomes.map { outcome in
            var masked = outcome
            masked.duration = .zero
            masked.unclaimed = outcome.unclaimed.map { cqe in
                var copy = cqe
                copy.elapsed = .zero
                return copy
            }
            return masked
        }
    }

    /// A report with every duration (`1.2 ms`, `850 µs`, `"seconds": 0.0012`) masked.
    static func mask(_ report: String) -> String {
        report.replacing(/\d+(\.\d+)? (µs|ms|s)\b/, with: "TIME")
            .replacing(/"seconds" *: *[0-9.e+-]+/, with: "\"seconds\": TIME")
    }

    /// Runs `paths` both ways and expects the same verdicts and reports; returns the outcomes with fast paths.
    @discardableResult
    func expectSameBothWays(_ paths: [String], deadline: Duration? = nil, minimum: Int,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> [ScenarioOutcome] {
        let fast = try Self.outcomes(paths, fastPaths: true, deadline: deadline)
        let slow = try Self.outcomes(paths, fastPaths: false, deadline: deadline)
        #expect(fast.count >= minimum, "only \(fast.count) scenarios ran", sourceLocation: sourceLocation)
        #expect(fast.map(\.file) == slow.map(\.file), sourceLocation: sourceLocation)
        let text = TextReporter(useColor: false)
        for (one, other) in zip(fast, slow) {
            #expect(one.verdict == other.verdict, "\(one.file): \(one.verdict) with fast paths, \(other.verdict) without",
                    sourceLocation: sourceLocation)
            let withFast = Self.mask(text.render(one))
            let without = Self.mask(text.render(other))
            #expect(withFast == without, "\(one.file): the text reports differ", sourceLocation: sourceLocation)
        }
        let json = JSONReporter()
        #expect(Self.mask(json.render(fast, duration: .zero)) == Self.mask(json.render(slow, duration: .zero)),
                "the JSON reports differ", sourceLocation: sourceLocation)
        return fast
    }

    @Test func theCorpusGivesTheSameReportsWithAndWithoutFastPaths() throws {
        let outcomes = try expectSameBothWays(["scenarios"], minimum: 150)
        // The corpus is all-pass: the comparison is not between two broken runs.
        #expect(outcomes.allSatisfy { [.pass, .xfail, .skip].contains($0.verdict) },
                "\(outcomes.filter { ![.pass, .xfail, .skip].contains($0.verdict) }.map(\.file))")
    }

    /// The fixtures pass, fail, time out and error on purpose: every kind of report is compared. Those of
    /// ScenarioTests were written to load, not to run: several wait for the default 10 s deadline, here 1 s.
    @Test func theTestFixturesGiveTheSameReportsWithAndWithoutFastPaths() throws {
        try expectSameBothWays(["Tests/RunnerTests/RunFixtures"], minimum: 10)
        let outcomes = try expectSameBothWays(["Tests/ScenarioTests/Fixtures/valid", "Tests/PlannerTests/Fixtures"],
                                              deadline: .seconds(1), minimum: 40)
        #expect(outcomes.contains { $0.verdict == .fail } && outcomes.contains { $0.verdict == .timeout })
    }

    /// The switch really switches: with it off nothing is tracked densely or queued in bulk; on, the same
    /// scenario is.
    @Test func theSwitchTurnsDenseTrackingAndBulkQueuingOff() throws {
        let scenario = try ScenarioLoader.load("""
            name: repeated nops
            steps:
              - repeat: 500
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              "n{i}": 0
            """, file: "nops.yaml").get()
        let plan = try Planner.plan(scenario).get()
        func statistics(fastPaths: Bool) -> ExecutionStatistics {
            let checker = ExpectationChecker(scenario: scenario, fastPaths: fastPaths)
            let result = ScenarioExecution(scenario: scenario, plan: plan, observer: checker).run()
            if case .ran(let facts, let ending) = result.outcome {
                #expect(checker.finish(facts: facts, ending: ending).verdict == .pass)
            } else {
                Issue.record("did not run: \(result.outcome)")
            }
            return result.statistics
        }
        let fast = statistics(fastPaths: true)
        let slow = statistics(fastPaths: false)
        #expect(fast.denseRequests == 500 && fast.bulkRequests > 0)
        #expect(slow.requests == 500 && slow.denseRequests == 0 && slow.bulkRequests == 0)
    }
}
