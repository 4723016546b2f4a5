import Foundation
import IoUring
import Checker
import Planner
import Scenario
import Synchronization
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
        return ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker,
                                         expectedFailure: checked.expectedFailure, iteration: 1)
    }

    /// Every scenario under `paths`, run one way, with its durations and CQE times zeroed.
    static func outcomes(_ paths: [String], fastPaths: Bool, deadline: Duration? = nil, jobs: Int = 1) throws -> [ScenarioOutcome] {
        let files = try ScenarioDiscovery.find(paths.map { $0.hasPrefix("/") ? $0 : repository.appendingPathComponent($0).path })
        let result = SuiteRunner(options: SuiteOptions(jobs: jobs)).run(files: files, execute: { scenario, _ in
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

    /// The text report of one outcome and the JSON report of it, masked.
    static func reports(_ outcome: ScenarioOutcome) -> (text: String, json: String) {
        (mask(TextReporter(useColor: false).render(outcome)), mask(JSONReporter().render([outcome], duration: .zero)))
    }

    /// Runs `paths` both ways and expects the same verdicts and reports; returns the outcomes with fast
    /// paths. `attempts` > 1 is for scenarios racy by nature (two CQEs racing, a read racing a close):
    /// a scenario whose reports differ is run both ways again, until one run each way gives the same
    /// reports, up to `attempts` times. A fast path that changes a report changes it every time.
    @discardableResult
    func expectSameBothWays(_ paths: [String], deadline: Duration? = nil, minimum: Int, attempts: Int = 1, jobs: Int = 1,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> [ScenarioOutcome] {
        // With `jobs` > 1, both ways at once too: most of such a run is waiting for deadlines.
        let runs = Mutex<[Bool: Result<[ScenarioOutcome], any Error>]>([:])
        let ways = jobs > 1 ? 2 : 1
        DispatchQueue.concurrentPerform(iterations: ways) { way in
            for fastPaths in ways == 2 ? [way == 0] : [true, false] {
                let outcomes = Result { try Self.outcomes(paths, fastPaths: fastPaths, deadline: deadline, jobs: jobs) }
                runs.withLock { $0[fastPaths] = outcomes }
            }
        }
        var fast = try runs.withLock { $0[true]! }.get()
        let slow = try runs.withLock { $0[false]! }.get()
        #expect(fast.count >= minimum, "only \(fast.count) scenarios ran", sourceLocation: sourceLocation)
        try #require(fast.map(\.file) == slow.map(\.file), sourceLocation: sourceLocation)
        for index in fast.indices {
            var one = fast[index]
            var other = slow[index]
            var attempt = 1
            while Self.reports(one) != Self.reports(other) && attempt < attempts {
                attempt += 1
                one = try Self.outcomes([one.file], fastPaths: true, deadline: deadline)[0]
                other = try Self.outcomes([other.file], fastPaths: false, deadline: deadline)[0]
            }
            fast[index] = one
            #expect(one.verdict == other.verdict, "\(one.file): \(one.verdict) with fast paths, \(other.verdict) without",
                    sourceLocation: sourceLocation)
            #expect(Self.reports(one).text == Self.reports(other).text, "\(one.file): the text reports differ",
                    sourceLocation: sourceLocation)
            #expect(Self.reports(one).json == Self.reports(other).json, "\(one.file): the JSON reports differ",
                    sourceLocation: sourceLocation)
        }
        return fast
    }

    @Test func theCorpusGivesTheSameReportsWithAndWithoutFastPaths() throws {
        let outcomes = try expectSameBothWays(["scenarios"], minimum: 150)
        // The corpus is all-pass: the comparison is not between two broken runs.
        #expect(outcomes.allSatisfy { [.pass, .xfail, .skip].contains($0.verdict) },
                "\(outcomes.filter { ![.pass, .xfail, .skip].contains($0.verdict) }.map(\.file))")
    }

    /// The fixtures pass, fail, time out and error on purpose: every kind of report is compared. Those of
    /// ScenarioTests and PlannerTests were written to load and plan, not to run: several wait for the
    /// default 10 s deadline (here 3 s), and some race by nature (PlannerTests' captures-in-repeat reads
    /// and closes one descriptor in one submission: the read gets 4 or -EBADF), so they get 5 attempts (and run 6 at a time, most of them waiting).
    @Test func theTestFixturesGiveTheSameReportsWithAndWithoutFastPaths() throws {
        try expectSameBothWays(["Tests/RunnerTests/RunFixtures"], minimum: 10)
        let outcomes = try expectSameBothWays(["Tests/ScenarioTests/Fixtures/valid", "Tests/PlannerTests/Fixtures"],
                                              deadline: .seconds(3), minimum: 40, attempts: 5, jobs: 6)
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
