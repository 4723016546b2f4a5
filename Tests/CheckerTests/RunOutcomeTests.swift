import IoUring
import Scenario
import Testing
@testable import Checker

@Suite struct UnclaimedCompletionTests {
    static let yaml = """
        name: no other CQEs
        steps:
          - nop: {}
            id: r1
          - nop: {}
            id: r2
        expect:
          r1: 0
        """

    @Test func cqesThatBelongToNoRequestAreListed() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("r1", res: 0)
        run.complete(userData: 99, res: 0, flags: more)
        run.complete("r2", res: 0)
        run.complete("r1", res: 5)        // a second CQE of a single-shot request
        #expect(run.report() == """
            FAIL  no other CQEs (3.0 ms)
              CQEs no expectation claimed:
                user_data 99 (no step): res 0, flags more, #1 at 110 µs
                r1 (user_data 1): res 5, flags none, #3 at 130 µs
            """)
    }

    @Test func aSingleShotRequestEndsWithItsFirstCQEEvenWithMore() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("r1", res: 0, flags: more)
        run.complete("r1", res: 0)
        run.complete("r2", res: 0)
        #expect(run.report() == """
            FAIL  no other CQEs (3.0 ms)
              CQEs no expectation claimed:
                r1 (user_data 1): res 0, flags none, #1 at 110 µs
            """)
    }

    @Test func allowOtherCQEsAcceptsThem() throws {
        let run = try CheckerHarness(Self.yaml + "\n  allow_other_cqes: true")
        run.queueAll()
        run.complete("r1", res: 0)
        run.complete(userData: 99, res: 0)
        run.complete("r2", res: 0)
        run.complete("r1", res: 5)
        #expect(run.report() == "PASS  no other CQEs (3.0 ms)")
    }

    @Test func noUserDataIsTheEnginesToHide() throws {
        // The engine never hands out its own CQEs, so the checker hides none: the former reserved values
        // are a CQE like any other.
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("r1", res: 0)
        run.complete(userData: 0xFFFF_FFFF_FFFF_FFFE, res: 0)
        run.complete(userData: 0xFFFF_FFFF_FFFF_FFFF, res: 0)
        run.complete("r2", res: 0)
        #expect(run.report() == """
            FAIL  no other CQEs (3.0 ms)
              CQEs no expectation claimed:
                user_data 18446744073709551614 (no step): res 0, flags none, #1 at 110 µs
                user_data 18446744073709551615 (no step): res 0, flags none, #2 at 120 µs
            """)
    }

    @Test func aFloodOfUnclaimedCQEsIsCountedNotStored() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("r1", res: 0)
        run.complete("r2", res: 0)
        for _ in 0..<10_000 { run.complete(userData: 500, res: 0) }
        let outcome = run.finish()
        #expect(outcome.verdict == .fail)
        #expect(outcome.unclaimed.count == 100)
        #expect(outcome.mismatches == [Mismatch(mark: SourceMark(file: "t.yaml", line: 1, column: 1),
                                                subject: "CQEs no expectation claimed", expected: "none",
                                                actual: "10000 in all; the first 100 are listed")])
    }

    @Test func cqesAfterTeardownAreNeitherCheckedNorUnclaimed() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("r1", res: 0)
        run.complete("r2", res: 0)
        run.teardown()
        run.complete("r1", res: -125)
        run.complete(userData: 7, res: -125)
        #expect(run.report() == "PASS  no other CQEs (3.0 ms)")
    }
}

@Suite struct DeadlineTests {
    @Test func theRunnerKnowsWhenNothingIsAwaited() throws {
        let run = try CheckerHarness("""
            name: awaited
            steps:
              - nop: {}
                id: a
              - nop: {}
                id: quiet
                skip_success: true
              - timeout: { after: 10s }
                id: long
              - poll_add: { fd: -1, events: POLLIN, multishot: true }
                id: poll
            expect:
              long: never
              poll: { stream: { final: none } }
            """)
        #expect(run.checker.awaitedCompletions == 0)
        run.queueAll()
        #expect(run.checker.awaitedCompletions == 1)
        run.complete("poll", res: 1, flags: more)
        #expect(run.checker.awaitedCompletions == 1)
        run.complete("a", res: 0)
        #expect(run.checker.awaitedCompletions == 0)
    }

    @Test func aRequestThatWaitsForeverNeverCompleted() throws {
        let run = try CheckerHarness("""
            name: waits forever
            deadline: 200ms
            resources:
              p: { pipe: {} }
              b: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: b, len: 8 }
                id: stuck
              - nop: {}
                id: quick
            expect:
              stuck: { res: 8 }
              quick: 0
            """)
        run.queueAll()
        run.complete("quick", res: 0)
        run.teardown(deadlineExpired: true)
        run.complete("stuck", res: -125)      // cancelled during teardown: not a result
        #expect(run.report(deadlineExpired: true) == """
            TIMEOUT waits forever (3.0 ms)
              t.yaml:12:3: stuck: never completed
            """)
    }

    @Test func stepsTheDeadlineCutOffNeverCompleted() throws {
        let run = try CheckerHarness("""
            name: cut short
            steps:
              - nop: {}
                id: first
              - sleep: 20s
              - nop: {}
                id: second
            expect:
              first: 0
            """)
        run.queue("first")
        run.complete("first", res: 0)
        run.teardown(deadlineExpired: true)
        #expect(run.report(deadlineExpired: true) == """
            TIMEOUT cut short (3.0 ms)
              t.yaml:6:5: second: never completed
            """)
    }

    @Test func anExpiredDeadlineNeverPasses() throws {
        let run = try CheckerHarness("""
            name: sleeps too long
            deadline: 1s
            steps:
              - nop: {}
                id: first
              - sleep: 20s
            expect:
              first: 0
            """)
        run.queueAll()
        run.complete("first", res: 0)
        run.teardown(deadlineExpired: true)
        #expect(run.report(deadlineExpired: true) == """
            TIMEOUT sleeps too long (3.0 ms)
              t.yaml:1:1: deadline  (first divergence)
                expected                  | actual
                the run ends within 1.0 s ≠ cut short after 3.0 ms
            """)
    }
}

@Suite struct VerdictTests {
    static let yaml = """
        name: known kernel bug
        xfail: "fixed in 6.19"
        steps:
          - nop: {}
            id: r
        expect:
          r: -EBADF
        """

    @Test func anExpectedFailureThatFailsIsXFAIL() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("r", res: 0)
        let outcome = run.finish()
        #expect(outcome.verdict == .xfail)
        #expect(outcome.reason == "fixed in 6.19")
        #expect(outcome.mismatches.count == 1)
        #expect(TextReporter(useColor: false).render(outcome) == "XFAIL known kernel bug (3.0 ms): fixed in 6.19")
    }

    @Test func anExpectedFailureThatPassesIsXPASS() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("r", res: -9)
        let outcome = run.finish()
        #expect(outcome.verdict == .xpass)
        #expect(outcome.verdict.isFailure)
        #expect(TextReporter(useColor: false).render(outcome) == """
            XPASS known kernel bug (3.0 ms)
              expected to fail (fixed in 6.19), but every expectation held
            """)
    }

    @Test func theOutcomeCarriesTheScenarioAndTheRunTime() throws {
        let run = try CheckerHarness(Self.yaml, file: "scenarios/bugs/known.yaml")
        run.queueAll()
        run.complete("r", res: 0)
        let outcome = run.checker.finish(facts: PostRunFacts(), ending: RunEnding(deadlineExpired: false, duration: .milliseconds(42)))
        #expect(outcome.name == "known kernel bug")
        #expect(outcome.file == "scenarios/bugs/known.yaml")
        #expect(outcome.duration == .milliseconds(42))
        #expect(outcome.mismatches.first?.mark == SourceMark(file: "scenarios/bugs/known.yaml", line: 7, column: 3))
    }

    @Test func mismatchesAreInTheOrderTheTraceDiverged() throws {
        let run = try CheckerHarness("""
            name: first divergence
            steps:
              - nop: {}
                id: r1
              - nop: {}
                id: r2
            expect:
              r1: { res: 11 }
              r2: -EBADF
            """)
        run.queueAll()
        run.complete("r2", res: 3)
        run.complete("r1", res: -9)
        #expect(run.report() == """
            FAIL  first divergence (3.0 ms)
              t.yaml:9:3: r2: res  (first divergence)
                expected | actual
                -EBADF   ≠ 3
              t.yaml:8:3: r1: res
                expected | actual
                11       ≠ -EBADF
            """)
    }

    @Test func finishingTwiceGivesTheSameOutcome() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        let first = run.report()
        #expect(run.report() == first)
        #expect(first == "XFAIL known kernel bug (3.0 ms): fixed in 6.19")
    }
}

@Suite struct PollUpdateTests {
    static let yaml = """
        name: poll update
        resources:
          p: { pipe: {} }
        steps:
          - poll_add: { fd: p.read, events: POLLIN }
            id: poll
          - poll_update: { target: poll, events: POLLIN, new_user_data: 77 }
            id: upd
        expect:
          poll: 1
          upd: 0
          77: { res: 1 }
        """

    @Test func cqesUnderTheNewUserDataBelongToThePoll() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("upd", res: 0)
        run.complete(userData: 77, res: 1)
        #expect(run.report() == "PASS  poll update (3.0 ms)")
    }

    @Test func thePollsExpectationsStillApply() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("upd", res: 0)
        run.complete(userData: 77, res: 4)
        #expect(run.report() == """
            FAIL  poll update (3.0 ms)
              t.yaml:10:3: poll: res  (first divergence)
                expected | actual
                1        ≠ 4
              t.yaml:12:3: user_data 77: res
                expected | actual
                1        ≠ 4
            """)
    }
}
