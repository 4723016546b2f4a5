import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// When the checker is the only observer, the runner feeds its state directly (no events) and queues
/// repeated requests from a template of their first SQE. Both must be invisible: every scenario here
/// runs once that way and once with the checker fed events next to another observer (no template
/// shortcut for ids, events for everything), and the outcomes must be the same.
@Suite struct CheckerFeedTests {
    /// The outcome with the checker alone, the one with the checker fed events, and the run statistics of
    /// the first.
    func outcomes(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (direct: ScenarioOutcome, events: ScenarioOutcome, statistics: ExecutionStatistics) {
        let scenario = try ScenarioLoader.load(yaml, file: "feed.yaml").get()
        let plan = try Planner.plan(scenario).get()
        func run(_ checker: ExpectationChecker, _ observer: any TraceObserver) -> (ScenarioOutcome, ExecutionStatistics) {
            let result = ScenarioExecution(scenario: scenario, plan: plan, observer: observer).run()
            guard case .ran(let facts, let ending) = result.outcome else {
                Issue.record("the scenario did not run: \(result.outcome)", sourceLocation: sourceLocation)
                return (ScenarioOutcome(name: "", file: "", verdict: .error, duration: .zero), result.statistics)
            }
            return (checker.finish(facts: facts, ending: RunEnding(deadlineExpired: ending.deadlineExpired, duration: .zero)),
                    result.statistics)
        }
        let alone = ExpectationChecker(scenario: scenario, fastPaths: true)   // the fast paths, whatever the environment
        let (direct, directStatistics) = run(alone, alone)
        let fed = ExpectationChecker(scenario: scenario)
        let (events, eventStatistics) = run(fed, TraceFanOut([fed, RecordingObserver()]))
        #expect(directStatistics.requests == eventStatistics.requests, sourceLocation: sourceLocation)
        #expect(directStatistics.instances == eventStatistics.instances, sourceLocation: sourceLocation)
        // With events, no request is tracked densely.
        #expect(eventStatistics.denseRequests == 0, sourceLocation: sourceLocation)
        return (direct, events, directStatistics)
    }

    /// Runs `yaml` both ways (`outcomes`) and expects the same outcome and report; returns the outcome and
    /// the statistics of the run with the checker alone.
    @discardableResult
    func expectSame(_ yaml: String, verdict: Verdict, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (outcome: ScenarioOutcome, statistics: ExecutionStatistics) {
        let (direct, events, statistics) = try outcomes(yaml, sourceLocation: sourceLocation)
        #expect(direct.verdict == verdict, "\(direct)", sourceLocation: sourceLocation)
        #expect(events.verdict == verdict, "\(events)", sourceLocation: sourceLocation)
        #expect(direct.mismatches == events.mismatches, sourceLocation: sourceLocation)
        #expect(direct.neverCompleted.map(\.id) == events.neverCompleted.map(\.id), sourceLocation: sourceLocation)
        #expect(direct.unclaimed.map { [$0.id ?? "-", String($0.userData), String($0.res), String($0.arrival)] }
                == events.unclaimed.map { [$0.id ?? "-", String($0.userData), String($0.res), String($0.arrival)] },
                sourceLocation: sourceLocation)
        let rendered = TextReporter(useColor: false).render(direct)
        #expect(rendered == TextReporter(useColor: false).render(events), sourceLocation: sourceLocation)
        return (direct, statistics)
    }

    @Test func repeatedNopsWithOneInstanceExpectedOtherwise() throws {
        try expectSame("""
            name: repeated nops
            steps:
              - repeat: 200
                steps:
                  - repeat: 3
                    steps:
                      - nop: {}
                        id: "n{i}-{j}"
                  - submit: { wait: 3 }
            expect:
              "n{i}-{j}": 0
              n42-1: 1
              n7-2: { res: ">= 1" }
            """, verdict: .fail)
    }

    @Test func randomReadsFromACapturedDescriptor() throws {
        try expectSame("""
            name: random reads through a captured descriptor
            resources:
              data: { file: { path: d.bin, pattern: "0123456789abcdef", size: 65536 } }
              buf:  { buffer: { size: 64 } }
            steps:
              - openat: { path: d.bin }
                id: open
                capture: fd
              - repeat: 100
                steps:
                  - read: { fd: $fd, buf: buf, len: 16, offset: { random: 65536, align: 16, seed: 9 } }
                    id: "r{i}"
                  - read: { fd: $fd, buf: { buffer: buf, offset: 16 }, len: 16, offset: { random: 65536, align: 4096 } }
              - close: { fd: $fd }
            expect:
              "r{i}": 16
              r99: 15
              buffers: { buf: { prefix: "0123456789abcdef0123456789abcdef" } }
            """, verdict: .fail)
    }

    @Test func ordersChainsAndFailuresInARepeat() throws {
        try expectSame("""
            name: ordered, linked and failing requests
            resources:
              data: { file: { content: "0123456789" } }
              buf:  { buffer: { size: 10 } }
            steps:
              - repeat: 50
                steps:
                  - read: { fd: data, buf: buf, offset: 0 }
                    id: "x{i}"
                    link: true
                  - write: { fd: -1, buf: buf, len: 1 }
                    id: "y{i}"
                    link: true
                  - nop: {}
                    id: "z{i}"
                  - nop: {}
                    skip_success: true
            expect:
              "x{i}": 10
              "y{i}": -EBADF
              "z{i}": -ECANCELED
              orders: [["x{i}", "y{i}", "z{i}"], [z5, x1]]
              x10: { before: [z3] }
            """, verdict: .fail)
    }

    @Test func sharedUserDataAndStrayCQEs() throws {
        try expectSame("""
            name: explicit user_data shared by several requests
            allow_duplicate_user_data: true
            steps:
              - repeat: 20
                steps:
                  - nop: {}
                    user_data: 7
                  - nop: { result: 3 }
                    user_data: 8
            expect:
              7: 0
              8: 3
            """, verdict: .pass)
    }

    @Test func requestsThatNeverComplete() throws {
        try expectSame("""
            name: reads that wait forever on an empty pipe
            deadline: 100ms
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - repeat: 40
                steps:
                  - read: { fd: p.read, buf: buf }
                    id: "r{i}"
                  - nop: {}
                    id: "n{i}"
            expect:
              "r{i}": 8
              "n{i}": 0
            """, verdict: .timeout)
    }

    @Test func sharedUserDataOutOfOrder() throws {
        try expectSame("""
            name: a CQE for shared user_data goes to the oldest request with it
            deadline: 100ms
            allow_duplicate_user_data: true
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - repeat: 3
                steps:
                  - read: { fd: p.read, buf: buf }
                    user_data: 7
                  - nop: {}
                  - nop: {}
                    user_data: 7
                  - nop: { result: 2 }
            expect:
              7: 0
            """, verdict: .timeout)
    }
}
