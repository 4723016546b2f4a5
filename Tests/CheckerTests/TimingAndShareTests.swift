import IoUring
import Scenario
import Testing
@testable import Checker

/// Timing bounds (`after`, `within`) and outcome shares, fed made-up times: queue, an enter that submits
/// (its start is the submission time), CQEs reaped at chosen times.
@Suite struct TimingAndShareTests {
    /// Events with explicit times, on top of `CheckerHarness` (which queues).
    final class TimedRun {
        let harness: CheckerHarness
        var arrival = 0

        init(_ yaml: String) throws { harness = try CheckerHarness(yaml) }

        func enter(atMilliseconds started: Double, toSubmit: UInt32 = 1) {
            harness.checker.observe(.entered(EnterCall(toSubmit: toSubmit, minComplete: 0, flags: [], result: Int32(toSubmit),
                                                       elapsed: .microseconds(Int64(started * 1000) + 5),
                                                       started: .microseconds(Int64(started * 1000)))))
        }

        func complete(_ id: String, _ iterations: [Int] = [], res: Int32, atMilliseconds time: Double) {
            let userData = harness.userData(harness.node(id), iterations)
            harness.checker.observe(.completed(ObservedCQE(cqe: CompletionQueueEntry(userData: userData, res: res, flags: []),
                                                           arrival: arrival, elapsed: .microseconds(Int64(time * 1000)))))
            arrival += 1
        }

        func report() -> String {
            harness.teardown()
            return harness.report()
        }
    }

    static let yaml = """
        name: timed
        steps:
          - timeout: { after: 20ms }
            id: t
          - nop: {}
            id: n
        expect:
          t: { res: -ETIME, after: ">= 20ms", within: 2s }
          n: { res: 0, after: { t: "> 5ms" }, within: { t: 50ms } }
        """

    @Test func intervalsWithinTheirBoundsPass() throws {
        let run = try TimedRun(Self.yaml)
        run.harness.queueAll()
        run.enter(atMilliseconds: 1)
        run.complete("t", res: -62, atMilliseconds: 21.5)
        run.complete("n", res: 0, atMilliseconds: 30)
        #expect(run.report() == "PASS  timed (3.0 ms)")
    }

    @Test func aTimeoutReapedTooEarlyFailsWithTheObservedInterval() throws {
        let run = try TimedRun(Self.yaml)
        run.harness.queueAll()
        run.enter(atMilliseconds: 1)
        run.complete("t", res: -62, atMilliseconds: 15)
        run.complete("n", res: 0, atMilliseconds: 80)
        let report = run.report()
        #expect(report.contains("t.yaml:8:28: t: time since its submission"))
        #expect(report.contains(">= 20ms  ≠ reaped 14.0 ms after its submission"))
        #expect(report.contains("t.yaml:9:52: n: time since t's CQE"))
        #expect(report.contains("<= 50ms  ≠ reaped 65.0 ms after t's CQE"))
        #expect(report.hasPrefix("FAIL"))
    }

    /// The submission time is the enter's start, not the time the SQE was queued.
    @Test func theSubmissionIsTheEnterNotTheQueueing() throws {
        let run = try TimedRun(Self.yaml)
        run.harness.queueAll()   // queued at 10 µs
        run.enter(atMilliseconds: 10)
        run.complete("t", res: -62, atMilliseconds: 25)
        run.complete("n", res: 0, atMilliseconds: 31)
        #expect(run.report().contains(">= 20ms  ≠ reaped 15.0 ms after its submission"))
    }

    /// A CQE that comes before the CQE it is measured from is checked when that arrives: negative.
    @Test func aReferenceThatComesLaterGivesANegativeInterval() throws {
        let run = try TimedRun(Self.yaml)
        run.harness.queueAll()
        run.enter(atMilliseconds: 0)
        run.complete("n", res: 0, atMilliseconds: 1)
        run.complete("t", res: -62, atMilliseconds: 20)
        #expect(run.report().contains("> 5ms    ≠ reaped 19.0 ms before t's CQE"))
    }

    @Test func aReferenceThatNeverPostsFailsAtTheEnd() throws {
        let run = try TimedRun(Self.yaml)
        run.harness.queueAll()
        run.enter(atMilliseconds: 0)
        run.complete("n", res: 0, atMilliseconds: 1)
        let report = run.report()
        #expect(report.contains("n: time since t's CQE"))
        #expect(report.contains("t posted no CQE during the run"))
    }

    static let repeated = """
        name: per iteration
        steps:
          - repeat: 3
            steps:
              - nop: {}
                id: "a{i}"
              - nop: {}
                id: "b{i}"
        expect:
          "b{i}": { after: { "a{i}": "<= 1ms" } }
        """

    /// `b{i}` measures from `a{i}` of its own iteration, and nothing is kept once used.
    @Test func repeatedRequestsPairByIteration() throws {
        let run = try TimedRun(Self.repeated)
        run.harness.queueAll()
        run.enter(atMilliseconds: 0, toSubmit: 6)
        run.complete("a{i}", [0], res: 0, atMilliseconds: 1)
        run.complete("a{i}", [1], res: 0, atMilliseconds: 10)
        run.complete("b{i}", [0], res: 0, atMilliseconds: 10)
        run.complete("b{i}", [1], res: 0, atMilliseconds: 10.5)
        run.complete("a{i}", [2], res: 0, atMilliseconds: 20)
        run.complete("b{i}", [2], res: 0, atMilliseconds: 20)
        #expect(run.harness.checker.core.timing.stamps.isEmpty)
        let report = run.report()
        #expect(report.contains("b0: time since a0's CQE"))
        #expect(report.contains("<= 1ms   ≠ reaped 9.0 ms after a0's CQE"))
        #expect(!report.contains("b1:"))
    }

    static let shares = """
        name: shares
        steps:
          - repeat: 100
            steps:
              - timeout: { after: 1ms }
                id: "t{i}"
        expect:
          "t{i}": { res: [-ETIME, 0], share: { -ETIME: ">= 99%", 0: "<= 1%" } }
        """

    @Test func sharesWithinTheirBoundsPassAndNoteTheDistribution() throws {
        let run = try TimedRun(Self.shares)
        run.harness.queueAll()
        for i in 0..<100 { run.complete("t{i}", [i], res: i == 42 ? 0 : -62, atMilliseconds: 1) }
        let report = run.report()
        #expect(report.hasPrefix("PASS"))
        #expect(report.contains("note: t{i}: res -ETIME 99, 0 1 (of 100)"))
        #expect(run.harness.checker.core.shares.tallies.values.first?.counts.count == 2)
    }

    @Test func aShareOutOfBoundsFailsWithTheDistribution() throws {
        let run = try TimedRun(Self.shares)
        run.harness.queueAll()
        for i in 0..<100 { run.complete("t{i}", [i], res: i % 10 == 0 ? 0 : -62, atMilliseconds: 1) }
        let report = run.report()
        #expect(report.contains("t.yaml:8:40: t{i}: share of -ETIME"))
        #expect(report.contains(">= 99%   ≠ 90.0% (90 of 100); res: -ETIME 90, 0 10 (of 100)"))
        #expect(report.contains("t{i}: share of 0"))
    }

    /// Per-instance checks still apply next to the shares.
    @Test func anOutcomeTheResultRulesOutStillFailsItsInstance() throws {
        let run = try TimedRun(Self.shares)
        run.harness.queueAll()
        for i in 0..<100 { run.complete("t{i}", [i], res: i == 7 ? -9 : -62, atMilliseconds: 1) }
        let report = run.report()
        #expect(report.contains("t7: res"))
        #expect(report.contains("-ETIME 99, -EBADF 1 (of 100)"))
    }

    /// A flood of timed requests measured from each other keeps no time once each instance is checked.
    @Test func timedFloodsRetainNothing() throws {
        let run = try TimedRun("""
            name: flood
            steps:
              - repeat: 1000
                steps:
                  - nop: {}
                    id: "a{i}"
                  - nop: {}
                    id: "b{i}"
            expect:
              "a{i}": { res: 0, within: 2s }
              "b{i}": { res: 0, after: { "a{i}": "..1s" } }
            """)
        var peak = 0
        for i in 0..<1000 {
            run.harness.queue("a{i}", [i])
            run.harness.queue("b{i}", [i])
            run.enter(atMilliseconds: Double(i), toSubmit: 2)
            run.complete("a{i}", [i], res: 0, atMilliseconds: Double(i) + 0.5)
            run.complete("b{i}", [i], res: 0, atMilliseconds: Double(i) + 0.6)
            peak = max(peak, run.harness.checker.retainedStateCount)
        }
        #expect(peak == 0)
        #expect(run.report() == "PASS  flood (3.0 ms)")
    }
}
