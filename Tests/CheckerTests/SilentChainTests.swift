import IoUring
import Scenario
import Testing
@testable import Checker

/// IOSQE_CQE_SKIP_SUCCESS members of a link chain are concluded when a later visible member of the chain
/// posts its first CQE (a member starts only once the one before it completed), and their records dropped.
@Suite struct SilentChainTests {
    /// The steps most chains here start with: the nop `quiet` (IOSQE_CQE_SKIP_SUCCESS), linked by `link` to the nop `loud`.
    static func quietThenLoud(_ link: String = "link") -> String {
        """
          - nop: {}
            id: quiet
            skip_success: true
            \(link): true
          - nop: {}
            id: loud
        """
    }

    static let chain = """
        name: proven silent
        steps:
        \(quietThenLoud())
        expect:
          quiet: -EBADF
          loud: 0
        """

    /// The report lines of `id`, expected to fail with -EBADF, that posted no CQE (so succeeded).
    static func silentSuccess(line: Int, _ id: String = "quiet") -> String {
        """
          t.yaml:\(line):3: \(id): res  (first divergence)
            expected | actual
            -EBADF   ≠ no CQE: with IOSQE_CQE_SKIP_SUCCESS that means it succeeded
        """
    }

    static let failure = silentSuccess(line: 10)

    /// `iterations` times a silent nop `q{i}` linked to a nop `n{i}`, every one expected to succeed.
    static func silentChains(_ name: String, iterations: Int, expect more: String = "") -> String {
        """
        name: \(name)
        steps:
          - repeat: \(iterations)
            steps:
              - nop: {}
                id: "q{i}"
                skip_success: true
                link: true
              - nop: {}
                id: "n{i}"
        expect:
          "q{i}": 0
          "n{i}": 0
        \(more)
        """
    }

    @Test func aLaterMembersCQEConcludesTheSilentMemberAtOnce() throws {
        let run = try CheckerHarness(Self.chain)
        run.queueAll()
        #expect(run.checker.outstandingCount == 2)
        run.complete("loud", res: 0)
        // Concluded at the proof, not at teardown: no record left, the failure recorded already.
        #expect(run.checker.outstandingCount == 0)
        #expect(run.checker.failures.records.count == 1)
        run.teardown()
        #expect(run.report() == "FAIL  proven silent (3.0 ms)\n" + Self.failure)
    }

    @Test func theMessageIsTheOneGivenForAnUnprovenSilentRequest() throws {
        // The same scenario without the link: the silent request is concluded only when the run ends.
        let unlinked = try CheckerHarness(Self.chain.replacing("    link: true\n", with: "    link: false\n"))
        unlinked.queueAll()
        unlinked.complete("loud", res: 0)
        #expect(unlinked.checker.outstandingCount == 1)
        unlinked.teardown()
        #expect(unlinked.report() == "FAIL  proven silent (3.0 ms)\n" + Self.failure)
    }

    @Test func aSilentMemberThatPostedIsCheckedByItsCQE() throws {
        let run = try CheckerHarness(Self.chain.replacing("link: true", with: "hardlink: true"))
        run.queueAll()
        run.complete("quiet", res: -9)
        run.complete("loud", res: 0)
        #expect(run.checker.outstandingCount == 0)
        #expect(run.report() == "PASS  proven silent (3.0 ms)")
    }

    @Test func aReusedSlotIsNotTakenForTheMemberThatHeldIt() throws {
        let run = try CheckerHarness("""
            name: reused slot
            steps:
            \(Self.quietThenLoud("hardlink"))
              - nop: {}
                id: later
                skip_success: true
            expect:
              quiet: -EBADF
              loud: 0
              later: -EBADF
            """)
        run.queue("quiet")
        run.queue("loud")
        run.complete("quiet", res: -9)
        // `later` takes the slot `quiet` left; the proof of `quiet` must not conclude it.
        run.queue("later")
        run.complete("loud", res: 0)
        #expect(run.checker.outstandingCount == 1)
        run.complete("later", res: -9)
        #expect(run.checker.outstandingCount == 0)
        #expect(run.report() == "PASS  reused slot (3.0 ms)")
    }

    @Test func aLinkTimeoutIsNeitherMemberNorProof() throws {
        let run = try CheckerHarness("""
            name: linked timeout
            steps:
              - nop: {}
                id: quiet
                skip_success: true
                link: true
              - link_timeout: { after: 1s }
                id: guard
              - nop: {}
                id: loud
            expect:
              quiet: 0
              guard: -ECANCELED
              loud: 0
            """)
        run.queueAll()
        run.complete("guard", res: -125)
        run.complete("loud", res: 0)
        // The chain ended at the timeout (no link flag): `loud` proves nothing, `quiet` stays outstanding.
        #expect(run.checker.outstandingCount == 1)
        run.teardown()
        #expect(run.report() == "PASS  linked timeout (3.0 ms)")
    }

    @Test func aSpilledMemberIsTakenOutOfTheUserDataTable() throws {
        let run = try CheckerHarness("""
            name: spilled member
            steps:
            \(Self.quietThenLoud())
              - repeat: 20
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              quiet: -EBADF
              loud: 0
            """)
        run.queueAll()
        // Beyond the FIFO window: every waiting record moves into the user_data table.
        run.complete("n{i}", [19], res: 0)
        run.complete("loud", res: 0)
        #expect(run.checker.outstandingCount == 19)
        for i in 0..<19 { run.complete("n{i}", [i], res: 0) }
        #expect(run.checker.outstandingCount == 0)
        #expect(run.report() == "FAIL  spilled member (3.0 ms)\n" + Self.silentSuccess(line: 14))
    }

    @Test func anUnlinkedSilentRequestStillFailsWhenItPostsInTeardown() throws {
        let run = try CheckerHarness("""
            name: unlinked silent
            steps:
              - nop: {}
                id: quiet
                skip_success: true
              - nop: {}
                id: loud
            expect:
              quiet: 0
              loud: 0
            """)
        run.queueAll()
        run.complete("loud", res: 0)
        #expect(run.checker.outstandingCount == 1)
        run.teardown()
        run.complete("quiet", res: -125)
        #expect(run.report() == """
            FAIL  unlinked silent (3.0 ms)
              t.yaml:9:3: quiet: completes  (first divergence)
                expected                                      | actual
                no CQE: it succeeded (IOSQE_CQE_SKIP_SUCCESS) ≠ still running when the steps ended (it posted -ECANCELED in teardown); link it before a request the run waits for
            """)
    }

    @Test func aChainOfTenThousandIterationsIsCheckedInConstantMemory() throws {
        let run = try CheckerHarness(Self.silentChains("silent chains", iterations: 10_000, expect: "  q9999: -EBADF"))
        var largest = 0
        for i in 0..<10_000 {
            run.queue("q{i}", [i])
            run.queue("n{i}", [i])
            run.complete("n{i}", [i], res: 0)
            largest = max(largest, run.checker.retainedStateCount)
        }
        #expect(largest <= 3)
        #expect(run.checker.outstandingCount == 0)
        run.teardown()
        #expect(run.report() == "FAIL  silent chains (3.0 ms)\n" + Self.silentSuccess(line: 14, "q9999"))
    }

    /// The next chain is queued before the last one is proven (as a submit loop does), so a silent record
    /// always waits near the FIFO's head: the ended records before it must still be dropped.
    @Test func chainsQueuedAheadOfTheirProofKeepTheFIFOBounded() throws {
        let run = try CheckerHarness(Self.silentChains("silent chains queued ahead", iterations: 20_000))
        var largest = 0
        run.queue("q{i}", [0])
        run.queue("n{i}", [0])
        for i in 1..<20_000 {
            run.queue("q{i}", [i])
            run.queue("n{i}", [i])
            run.complete("n{i}", [i - 1], res: 0)
            largest = max(largest, run.checker.retainedStateCount)
        }
        run.complete("n{i}", [19_999], res: 0)
        #expect(largest <= 2 * SlotQueue.compactionStart + 8)
        #expect(run.checker.outstandingCount == 0)
        run.teardown()
        #expect(run.report().hasPrefix("PASS  silent chains queued ahead"))
    }
}
