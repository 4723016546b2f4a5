import IoUring
import Testing
@testable import Checker

@Suite struct RepeatedExpectationTests {
    static let yaml = """
        name: repeated
        steps:
          - repeat: 1000
            steps:
              - nop: {}
                id: "r{i}"
        expect:
          "r{i}": ">= 0"
          r3: 3
        """

    @Test func everyIterationMatches() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        for i in 0..<1000 { run.complete("r{i}", [i], res: Int32(i)) }
        #expect(run.report() == "PASS  repeated (3.0 ms)")
    }

    @Test func failingIterationsAreAggregatedUnderTheFirst() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        for i in 0..<1000 { run.complete("r{i}", [i], res: i % 100 == 7 ? -9 : Int32(i)) }
        #expect(run.report() == """
            FAIL  repeated (3.0 ms)
              t.yaml:8:3: r7: res (and 9 more of r{i})  (first divergence)
                expected | actual
                >= 0     ≠ -EBADF
            """)
    }

    @Test func oneInstanceHasItsOwnExpectation() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        for i in 0..<1000 { run.complete("r{i}", [i], res: i == 3 ? 4 : Int32(i)) }
        #expect(run.report() == """
            FAIL  repeated (3.0 ms)
              t.yaml:9:3: r3: res  (first divergence)
                expected | actual
                3        ≠ 4
            """)
    }

    @Test func iterationsCutShortByTheDeadlineNeverCompleted() throws {
        let run = try CheckerHarness(Self.yaml)
        for i in 0..<600 { run.queue("r{i}", [i]) }
        for i in 0..<500 { run.complete("r{i}", [i], res: Int32(i)) }
        run.teardown(deadlineExpired: true)
        #expect(run.report(deadlineExpired: true) == """
            TIMEOUT repeated (3.0 ms)
              t.yaml:8:3: r500 (and 499 more of r{i}): never completed
            """)
    }

    @Test func aMillionEventStreamIsCheckedInConstantMemory() throws {
        let run = try CheckerHarness("""
            name: a million nops
            steps:
              - repeat: 1000000
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              "n{i}": 0
              n500000: { res: ">= 0" }
            """)
        let node = run.node("n{i}")
        let rule = run.scenario.graph.request(node)!.userData
        var sqe = RawSQE(opcode: 0)
        var largest = 0
        for i in 0..<1_000_000 {
            let userData = rule.value(iterations: [i])
            sqe.userData = userData
            run.checker.observe(.queued(QueuedRequest(node: node, iterations: [i], id: nil, userData: userData,
                                                      sqe: sqe, elapsed: .zero)))
            // Every 100,000th iteration fails: those are counted, not stored.
            let res: Int32 = i % 100_000 == 99_999 ? -11 : 0
            run.checker.observe(.completed(ObservedCQE(cqe: CompletionQueueEntry(userData: userData, res: res, flags: []),
                                                       arrival: i, elapsed: .zero)))
            if i % 1000 == 0 { largest = max(largest, run.checker.retainedStateCount) }
        }
        #expect(largest <= 2)
        #expect(run.checker.outstandingCount == 0)
        #expect(run.checker.failures.records.count == 1)
        #expect(run.checker.retainedStateCount == 1)
        #expect(run.report() == """
            FAIL  a million nops (3.0 ms)
              t.yaml:8:3: n99999: res (and 9 more of n{i})  (first divergence)
                expected | actual
                0        ≠ -EAGAIN
            """)
    }
}

@Suite struct UserDataExpectationTests {
    static let yaml = """
        name: shared user_data
        allow_duplicate_user_data: true
        steps:
          - nop: {}
            user_data: 0x1000
          - nop: {}
            user_data: 0x1000
          - nop: {}
            id: named
            user_data: 42
        expect:
          0x1000: 0
          42: { res: 0, before: [0x1000] }
        """

    @Test func everyCQEWithTheNumberMatches() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete(userData: 42, res: 0)
        run.complete(userData: 0x1000, res: 0)
        run.complete(userData: 0x1000, res: 0)
        #expect(run.report() == "PASS  shared user_data (3.0 ms)")
    }

    @Test func aMismatchNamesTheNumber() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete(userData: 0x1000, res: 0)
        run.complete(userData: 42, res: 0)
        run.complete(userData: 0x1000, res: -22)
        run.complete(userData: 0x1000, res: 0)   // a third CQE with the number: claimed, and checked
        #expect(run.report() == """
            FAIL  shared user_data (3.0 ms)
              t.yaml:13:26: order  (first divergence)
                expected                           | actual
                user_data 42 before user_data 4096 ≠ user_data 4096 (#0) before user_data 42 (#1)
              t.yaml:12:3: user_data 4096: res
                expected | actual
                0        ≠ -EINVAL
            """)
    }
}

@Suite struct OrderTests {
    static let yaml = """
        name: order
        steps:
          - nop: {}
            id: a
          - nop: {}
            id: b
          - nop: {}
            id: c
          - repeat: 10
            steps:
              - nop: {}
                id: "x{i}"
              - nop: {}
                id: "y{i}"
        expect:
          order: [a, [b, c]]
          "y{i}": { after: ["x{i}"] }
        """

    @Test func aPartialOrderAllowsAnyOrderInsideAGroup() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("a", res: 0)
        run.complete("c", res: 0)
        run.complete("b", res: 0)
        // Per iteration: x{i} before y{i}; iterations may overlap.
        for i in stride(from: 0, to: 10, by: 2) {
            run.complete("x{i}", [i], res: 0)
            run.complete("x{i}", [i + 1], res: 0)
            run.complete("y{i}", [i + 1], res: 0)
            run.complete("y{i}", [i], res: 0)
        }
        #expect(run.report() == "PASS  order (3.0 ms)")
    }

    @Test func aViolatedConstraintNamesBoth() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("b", res: 0)
        run.complete("a", res: 0)
        run.complete("c", res: 0)
        for i in 0..<10 {
            if i != 4 { run.complete("x{i}", [i], res: 0) }
            run.complete("y{i}", [i], res: 0)
        }
        run.complete("x{i}", [4], res: 0)
        #expect(run.report() == """
            FAIL  order (3.0 ms)
              t.yaml:16:15: order  (first divergence)
                expected   | actual
                a before b ≠ b (#0) before a (#1)
              t.yaml:17:21: order
                expected         | actual
                x{i} before y{i} ≠ y4 (#11) before x4 (#22)
            """)
    }

    @Test func anEarlierSideThatNeverCompletedIsNamed() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("b", res: 0)
        run.complete("c", res: 0)
        for i in 0..<10 {
            run.complete("x{i}", [i], res: 0)
            run.complete("y{i}", [i], res: 0)
        }
        #expect(run.report() == """
            FAIL  order (3.0 ms)
              t.yaml:16:15: order  (first divergence)
                expected   | actual
                a before b ≠ b (#0) before a (not completed)
              t.yaml:16:18: order
                expected   | actual
                a before c ≠ c (#1) before a (not completed)
              t.yaml:3:5: a: never completed
            """)
    }

    @Test func pendingOrderStateStaysBoundedOverManyIterations() throws {
        let run = try CheckerHarness("""
            name: ordered iterations
            steps:
              - repeat: 20000
                steps:
                  - nop: {}
                    id: "x{i}"
                  - nop: {}
                    id: "y{i}"
            expect:
              order: ["x{i}", "y{i}"]
            """)
        var largest = 0
        for i in 0..<20000 {
            run.queue("x{i}", [i])
            run.queue("y{i}", [i])
            run.complete("x{i}", [i], res: 0)
            run.complete("y{i}", [i], res: 0)
            largest = max(largest, run.checker.retainedStateCount)
        }
        #expect(largest <= 2)
        #expect(run.report() == "PASS  ordered iterations (3.0 ms)")
    }
}
