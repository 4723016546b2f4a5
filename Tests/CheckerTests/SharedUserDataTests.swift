import IoUring
import Scenario
import Testing
@testable import Checker

/// CQEs of a user_data several requests share (`allow_duplicate_user_data`) belong to whichever request
/// the kernel completed, not to the oldest: they are assigned by matching them to the requests'
/// expectations, and the report says when that assignment was ambiguous.
@Suite struct SharedUserDataTests {
    /// Two reads under user_data 5 and a cancel of 5: the kernel cancels the newest read, so the first
    /// CQE with 5 (-ECANCELED) is the second read's and the data goes to the first one.
    static func reads(old: String, new: String) -> String {
        """
        name: shared reads
        allow_duplicate_user_data: true
        resources:
          p: { pipe: {} }
          a: { buffer: { size: 5 } }
          b: { buffer: { size: 5 } }
        steps:
          - read: { fd: p.read, buf: a }
            id: old
            user_data: 5
          - read: { fd: p.read, buf: b }
            id: new
            user_data: 5
          - cancel: { target: 5 }
            id: cancel
        expect:
          old: \(old)
          new: \(new)
          cancel: 0
        """
    }

    /// What the kernel posts: the cancel's CQE, the newest read's -ECANCELED, then the older read's data.
    func runTheTruth(_ run: CheckerHarness) {
        run.queueAll()
        run.complete("cancel", res: 0)
        run.complete(userData: 5, res: -125)
        run.complete(userData: 5, res: 5)
    }

    @Test func theCancelledNewestReadAndTheOlderReadThatGotTheDataPass() throws {
        // Attributed oldest first, this failed: old got -ECANCELED and new got 5.
        let run = try CheckerHarness(Self.reads(old: "5", new: "-ECANCELED"))
        runTheTruth(run)
        run.teardown()
        #expect(run.report() == "PASS  shared reads (3.0 ms)")
        #expect(run.finish().notes.isEmpty)
    }

    @Test func theAssignmentIsMadeBeforeTeardownOnceEveryRequestHasItsCQE() throws {
        let run = try CheckerHarness(Self.reads(old: "5", new: "-ECANCELED"))
        run.queueAll()
        run.complete(userData: 5, res: -125)
        // One CQE, two reads waiting for one: held, and the run still waits for one.
        #expect(run.checker.awaitedCompletions == 2)
        run.complete("cancel", res: 0)
        run.complete(userData: 5, res: 5)
        #expect(run.checker.awaitedCompletions == 0)
        #expect(run.checker.outstandingCount == 0)
    }

    /// The scenario that assumes submission order (the older read cancelled) is judged by the same
    /// matching: its CQE expectations are met by the assignment that gives -ECANCELED to `old`. The CQEs
    /// cannot tell the two stories apart; on the kernel, the buffers do (RunnerTests' `SharedUserDataRunTests`).
    @Test func theScenarioAssumingSubmissionOrderIsJudgedByMatchingToo() throws {
        let run = try CheckerHarness(Self.reads(old: "-ECANCELED", new: "5"))
        runTheTruth(run)
        run.teardown()
        #expect(run.report() == "PASS  shared reads (3.0 ms)")
    }

    @Test func anAmbiguousAssignmentIsANote() throws {
        // Either read may have either CQE: two assignments meet every expectation.
        let run = try CheckerHarness(Self.reads(old: "[5, -ECANCELED]", new: "{ res: [5, -ECANCELED], flags: 0 }"))
        runTheTruth(run)
        run.teardown()
        #expect(run.report() == """
            PASS  shared reads (3.0 ms)
              t.yaml:18:3: note: the 2 CQEs with user_data 5 meet the expectations of its requests in more than one \
            assignment; used: new ← #1 (res -ECANCELED), old ← #2 (res 5)
            """)
        let json = JSONReporter().render([run.finish()], duration: .zero)
        #expect(json.contains(#""location": "t.yaml:18:3","#))
        #expect(json.contains(#""text": "the 2 CQEs with user_data 5 meet the expectations"#))
    }

    @Test func aPartialAssignmentShowsTheBestOneAndWhatIsLeftOver() throws {
        let run = try CheckerHarness(Self.reads(old: "5", new: "-ECANCELED"))
        run.queueAll()
        run.complete("cancel", res: 0)
        run.complete(userData: 5, res: -4)   // neither read expects -EINTR
        run.complete(userData: 5, res: 5)
        run.teardown()
        #expect(run.report() == """
            FAIL  shared reads (3.0 ms)
              t.yaml:18:3: user_data 5: CQEs shared by 2 requests  (first divergence)
                expected                                                          | actual
                each of its 2 CQEs meets the expectations of a request of its own ≠ the best assignment meets 1: old ← #2 (res 5); left over: CQE res -EINTR, flags none (#1), new (t.yaml:18:3)
              t.yaml:18:3: new: res
                expected   | actual
                -ECANCELED ≠ -EINTR
            """)
    }

    /// A CQE only one request can have posted is that request's when it comes: an order constraint on
    /// it sees it then, not when the other CQE with the number arrives.
    @Test func aCQEOnlyOneRequestFitsIsItsAtOnceForOrderConstraints() throws {
        let yaml = """
            name: order
            allow_duplicate_user_data: true
            resources:
              p: { pipe: {} }
              a: { buffer: { size: 5 } }
              b: { buffer: { size: 5 } }
            steps:
              - read: { fd: p.read, buf: a }
                id: old
                user_data: 5
              - read: { fd: p.read, buf: b }
                id: new
                user_data: 5
              - nop: {}
                id: later
            expect:
              old: 5
              new: -ECANCELED
              later: { res: 0, after: [new] }
            """
        let run = try CheckerHarness(yaml)
        run.queueAll()
        run.complete(userData: 5, res: -125)
        run.complete("later", res: 0)
        run.complete(userData: 5, res: 5)
        run.teardown()
        #expect(run.report() == "PASS  order (3.0 ms)")
    }

    @Test func aCQEOnlyGoesToARequestQueuedBeforeItArrived() throws {
        let yaml = """
            name: later request
            allow_duplicate_user_data: true
            steps:
              - nop: {}
                id: first
                user_data: 9
              - nop: {}
                id: second
                user_data: 9
              - nop: {}
                id: third
                user_data: 9
            expect:
              first: 1
              second: 0
              third: 2
            """
        let run = try CheckerHarness(yaml)
        run.queue("first")
        run.queue("second")
        // `1` arrives before `third` is queued: only `first` can have posted it; `second` takes the 0.
        run.complete(userData: 9, res: 0)
        run.complete(userData: 9, res: 1)
        run.queue("third")
        run.complete(userData: 9, res: 2)
        run.teardown()
        #expect(run.report() == "PASS  later request (3.0 ms)")
    }

    /// Requests checked alike need no matching: their CQEs go to the oldest, as before.
    @Test func requestsCheckedAlikeTakeTheirCQEsOldestFirst() throws {
        let yaml = """
            name: alike
            allow_duplicate_user_data: true
            steps:
              - repeat: 3
                steps:
                  - nop: {}
                    id: "n{i}"
                    user_data: 7
            expect:
              "n{i}": 0
            """
        let run = try CheckerHarness(yaml)
        run.queueAll()
        run.complete(userData: 7, res: 0)
        run.complete(userData: 7, res: -22)
        run.complete(userData: 7, res: 0)
        run.teardown()
        #expect(run.report() == """
            FAIL  alike (3.0 ms)
              t.yaml:10:3: n1: res  (first divergence)
                expected | actual
                0        ≠ -EINVAL
            """)
        #expect(run.finish().notes.isEmpty)
    }

    @Test func aHeldCQEWhoseRequestNeverCameIsAssignedAtTeardown() throws {
        let run = try CheckerHarness(Self.reads(old: "5", new: "-ECANCELED"))
        run.queueAll()
        run.complete("cancel", res: 0)
        run.complete(userData: 5, res: -125)
        run.teardown()
        #expect(run.report() == """
            FAIL  shared reads (3.0 ms)
              t.yaml:17:3: old: never completed
            """)
    }

    /// Matching costs CQEs × requests: beyond `sharedMatchingLimit` requests outstanding under one number,
    /// CQEs go to the oldest, and a note says so.
    @Test func tooManyRequestsUnderOneNumberAreNotMatchedAndTheReportSaysSo() throws {
        let yaml = """
            name: many
            allow_duplicate_user_data: true
            steps:
              - repeat: 70
                steps:
                  - nop: {}
                    id: "n{i}"
                    user_data: 9
            expect:
              "n{i}": 0
              n3: ">= 0"
            """
        let run = try CheckerHarness(yaml)
        run.queueAll()
        // Oldest first: once n3 (checked otherwise) has its CQE, the rest are alike and need no matching.
        for _ in 0..<70 { run.complete(userData: 9, res: 0) }
        run.teardown()
        #expect(run.report() == """
            PASS  many (3.0 ms)
              t.yaml:10:3: note: 70 requests with user_data 9 were outstanding at once, more than the 64 whose CQEs \
            are matched to their expectations: its CQEs went to the oldest (and 3 more times)
            """)
    }

    @Test func matchingFindsAnAssignmentGreedyChoiceWouldMiss() {
        // CQE 0 fits requests 0 and 1, CQE 1 only request 0: a greedy pick of 0 for CQE 0 is undone.
        #expect(CheckerCore.maximumMatching([[0, 1], [0]], right: 2) == [1, 0])
        #expect(CheckerCore.maximumMatching([[0], [0]], right: 2) == [0, nil])
        #expect(CheckerCore.maximumMatching([], right: 0) == [])
    }
}
