import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// Requests whose every instance is checked the same way are tracked densely when the checker runs
/// alone: queued in bulk from their templates, their CQEs checked in batches against their node's pattern,
/// with no record of their own (`CheckerCore.isDense`). What the checker reports about them must not
/// change: each scenario here runs that way and with the checker fed events (no dense tracking), the
/// outcomes and text reports must be the same, and the failures are the ones the kernel really produced.
extension CheckerFeedTests {
    @Test func aFailingIterationOfABulkBlockIsReportedWithItsDetail() throws {
        // 4 KiB-aligned random offsets over 20 KiB of a file of 16 KiB + 10 bytes: the reads that land on
        // the last unit get 10 bytes, not 16.
        let (outcome, statistics) = try expectSame("""
            name: random reads, some past the end of the file
            resources:
              data: { file: { path: d.bin, pattern: "0123456789abcdef", size: 16394 } }
              buf:  { buffer: { size: 16 } }
            steps:
              - repeat: 300
                steps:
                  - read: { fd: data, buf: buf, len: 16, offset: { random: 20480, align: 4096, seed: 3 } }
                    id: "r{i}"
            expect:
              "r{i}": 16
            """, verdict: .fail)
        let random = RandomOffset(range: 20480, align: 4096, seed: 3)
        // r{i} has the automatic user_data 1 + i.
        let short = (0..<300).filter { random.value(userData: UInt64(1 + $0)) == 16384 }
        try #require(short.count > 1)
        #expect(outcome.mismatches == [Mismatch(mark: SourceMark(file: "feed.yaml", line: 11, column: 3),
                                                subject: "r\(short[0]): res (and \(short.count - 1) more of r{i})",
                                                expected: "16", actual: "10")])
        #expect(outcome.neverCompleted.isEmpty && outcome.unclaimed.isEmpty)
        // Every read was tracked densely, and all but the first (which made the template) queued in bulk.
        #expect(statistics.requests == 300 && statistics.denseRequests == 300 && statistics.bulkRequests == 299)
    }

    @Test func aRunOfStepsInABodyIsQueuedInBulkAndItsFailuresReported() throws {
        let (outcome, statistics) = try expectSame("""
            name: two nops and a submit, repeated
            steps:
              - repeat: 50
                steps:
                  - nop: {}
                    id: "a{i}"
                  - nop: { result: 3 }
                    id: "b{i}"
                  - submit: { wait: 2 }
            expect:
              "a{i}": 0
              "b{i}": 2
            """, verdict: .fail)
        #expect(outcome.mismatches.map(\.subject) == ["b0: res (and 49 more of b{i})"])
        #expect(outcome.mismatches.map(\.actual) == ["3"])
        #expect(statistics.denseRequests == 100 && statistics.bulkRequests == 98)
    }

    @Test func aRunLongerThanTheSQIsQueuedInPieces() throws {
        // 40 nops a body, 16 SQ entries: each iteration is queued 16, 16 and 8 at a time.
        var steps = ""
        for index in 0..<40 { steps += "          - nop: {}\n            id: \"n\(index)-{i}\"\n" }
        let (outcome, statistics) = try expectSame("""
            name: a body longer than the SQ
            ring: { entries: 16 }
            steps:
              - repeat: 30
                steps:
            \(steps)  - submit
            expect:
              "n7-{i}": 0
              "n39-{i}": 1
            """, verdict: .fail)
        #expect(outcome.mismatches.map(\.subject) == ["n39-0: res (and 29 more of n39-{i})"])
        #expect(statistics.requests == 1200 && statistics.denseRequests == 1200 && statistics.bulkRequests > 1000)
    }

    @Test func bulkRequestsThatNeverCompleteAreReported() throws {
        // 16 bytes in the pipe: two reads of 8 complete, the other three wait until the deadline.
        let (outcome, statistics) = try expectSame("""
            name: reads from a pipe that runs dry
            deadline: 200ms
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - peer_write: { fd: p.write, data: "abcdefghijklmnop" }
              - repeat: 5
                steps:
                  - read: { fd: p.read, buf: buf, len: 8 }
                    id: "r{i}"
            expect:
              "r{i}": 8
            """, verdict: .timeout)
        #expect(outcome.neverCompleted.map(\.id) == ["r2 (and 2 more of r{i})"])
        #expect(outcome.mismatches.isEmpty && outcome.unclaimed.isEmpty)
        #expect(statistics.denseRequests == 5)
    }

    @Test func anOldRequestThatNeverCompletesDoesNotHoldTheWindowOpen() throws {
        // The stuck read keeps the oldest dense user_data outstanding while thousands of nops complete
        // after it: it is moved out of the checker's window, and still reported.
        let (outcome, statistics) = try expectSame("""
            name: a read that never completes, then many nops
            deadline: 500ms
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf }
                id: stuck
              - repeat: 5000
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              stuck: 8
              "n{i}": 0
            """, verdict: .timeout)
        #expect(outcome.neverCompleted.map(\.id) == ["stuck"])
        #expect(outcome.mismatches.isEmpty && outcome.unclaimed.isEmpty)
        #expect(statistics.denseRequests == 5001)
        #expect(statistics.peakOutstanding <= 2 * 64 + 1)
    }

    @Test func aDeadlineInTheMiddleOfABulkBlockCountsEveryMissingInstance() throws {
        // Far more nops than 30 ms allow: the run is cut short while queuing them in bulk. Whatever was
        // queued and not reaped, and whatever was never queued, is one never-completed group that starts
        // at the first nop whose CQE was not checked.
        let yaml = """
            name: cut short
            deadline: 30ms
            ring: { entries: 64 }
            steps:
              - repeat: 20000000
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              "n{i}": 0
            """
        let scenario = try ScenarioLoader.load(yaml, file: "cut.yaml").get()
        let checker = ExpectationChecker(scenario: scenario, fastPaths: true)
        let result = ScenarioExecution(scenario: scenario, plan: try Planner.plan(scenario).get(), observer: checker).run()
        let ending = try #require(result.ending)
        #expect(ending.deadlineExpired)
        #expect(result.statistics.requests < 20_000_000 && result.statistics.bulkRequests + 1 == result.statistics.requests)
        let outcome = checker.finish(facts: PostRunFacts(), ending: ending)
        #expect(outcome.verdict == .timeout && outcome.mismatches.isEmpty && outcome.unclaimed.isEmpty)
        let missing = try #require(outcome.neverCompleted.first?.id)
        #expect(outcome.neverCompleted.count == 1)
        // "n<first> (and <rest> more of n{i})": the first missing one and the rest cover every nop after
        // those checked.
        let words = missing.split(separator: " ")
        let first = try #require(Int(words[0].dropFirst()))
        let rest = try #require(words.count == 6 ? Int(words[2]) : nil)
        #expect(missing == "n\(first) (and \(rest) more of n{i})")
        #expect(first + 1 + rest == 20_000_000)
        #expect(first > 0 && UInt64(first) <= result.statistics.requests)
    }

    @Test func waitStepsSeeDenseRequests() throws {
        // `wait` for one instance (its user_data) and for every instance of a request outside its block
        // (the node): both must see the dense reads finish, or the run would wait until the deadline.
        let (outcome, statistics) = try expectSame("""
            name: waits for dense reads
            deadline: 2s
            resources:
              p:   { pipe: {} }
              q:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf, len: 4 }
                id: a
              - repeat: 2
                steps:
                  - read: { fd: q.read, buf: { buffer: buf, offset: 4 }, len: 2 }
                    id: "r{i}"
              - peer_write: { fd: p.write, data: "abcd" }
              - wait: [a]
              - peer_write: { fd: q.write, data: "wxyz" }
              - wait: ["r{i}"]
              - nop: {}
                id: last
            expect:
              a: 4
              "r{i}": 2
              last: 0
            """, verdict: .pass)
        #expect(outcome.neverCompleted.isEmpty)
        #expect(statistics.denseRequests == 4)
    }

    @Test func linkChainsAndNestedBlocksOfDenseRequests() throws {
        let (outcome, statistics) = try expectSame("""
            name: chains and nested blocks
            steps:
              - repeat: 6
                steps:
                  - repeat: 4
                    as: j
                    steps:
                      - nop: {}
                        id: "n{i}-{j}"
                  - nop: { result: -5 }
                    id: "a{i}"
                    link: true
                  - nop: {}
                    id: "b{i}"
            expect:
              "n{i}-{j}": 0
              "a{i}": -EIO
              "b{i}": 0
            """, verdict: .fail)
        // The chain's second request is cancelled when the first fails.
        #expect(outcome.mismatches.map(\.subject) == ["b0: res (and 5 more of b{i})"])
        #expect(outcome.mismatches.map(\.actual) == ["-ECANCELED"])
        #expect(statistics.denseRequests == 36 && statistics.bulkRequests == 23)
    }

    @Test func requestsThatAreNotAllCheckedAlikeAreNotDense() throws {
        // One instance of n{i} has its own expectation; the other nop may post nothing: neither is dense.
        let (_, statistics) = try expectSame("""
            name: not dense
            steps:
              - repeat: 10
                steps:
                  - nop: {}
                    id: "n{i}"
                  - nop: {}
                    skip_success: true
            expect:
              "n{i}": 0
              n3: 0
            """, verdict: .pass)
        #expect(statistics.denseRequests == 0)
    }
}
