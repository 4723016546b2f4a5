import IoUring
import Scenario
import Testing
@testable import Checker

/// Feeds a `CheckerCore` as the runner does for dense requests: instances reported with `queuedDense`,
/// CQEs handed to `completedDense` first and to `completed` when it leaves them (no event, no record).
struct DenseFeed {
    var core: CheckerCore
    let scenario: Scenario
    private(set) var arrival = 0

    init(_ scenario: Scenario) {
        self.scenario = scenario
        core = CheckerCore(scenario: scenario)
    }

    /// Queues the instance of `node` at `iterations`, which must be dense.
    mutating func queue(_ node: NodeID, _ iterations: [Int] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(core.isDense(node), "node \(node) is not dense", sourceLocation: sourceLocation)
        let userData = scenario.graph.request(node)!.userData.value(iterations: iterations)
        let taken = core.queuedDense(firstUserData: userData, count: 1, firstNode: node, length: 1, lastIterations: iterations)
        #expect(taken, sourceLocation: sourceLocation)
    }

    mutating func complete(userData: UInt64, res: Int32, flags: UInt32 = 0) {
        let cqes = CompletionBatch([CompletionQueueEntry(userData: userData, res: res, flags: CompletionFlags(rawValue: flags))])
        let elapsed = Duration.microseconds(100 + 10 * Int64(arrival))
        let handled = core.completedDense(cqes, from: 0, to: 1, arrival: arrival) { elapsed }
        if handled == 0 { core.completed(cqes[0], arrival: arrival, elapsed: elapsed) }
        arrival += 1
    }

    func report() -> String {
        TextReporter(useColor: false).render(core.finish(facts: PostRunFacts(),
                                                         ending: RunEnding(deadlineExpired: false, duration: .milliseconds(3))))
    }
}

/// The dense path of the checker (`CheckerCore.queuedDense`, `completedDense`) against the event path,
/// on the same made-up trace: every report must be the same, whatever the CQEs do.
@Suite struct DenseTrackingTests {
    /// Runs `steps` (queue: node and iterations; complete: user_data, res, flags) through a harness fed
    /// events and through a dense feed, and expects the same report; returns it and the dense feed.
    func same(_ yaml: String, _ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) throws -> (String, DenseFeed) {
        let events = try CheckerHarness(yaml)
        var dense = DenseFeed(events.scenario)
        for step in steps {
            switch step {
            case .queue(let id, let iterations):
                events.queue(events.node(id), iterations)
                dense.queue(events.node(id), iterations, sourceLocation: sourceLocation)
            case .complete(let userData, let res, let flags):
                events.complete(userData: userData, res: res, flags: flags)
                dense.complete(userData: userData, res: res, flags: flags)
            }
        }
        let report = events.report()
        #expect(dense.report() == report, sourceLocation: sourceLocation)
        return (report, dense)
    }

    enum Step {
        case queue(String, [Int])
        case complete(UInt64, Int32, UInt32)
    }

    static let repeated = """
        name: dense
        steps:
          - repeat: 6
            steps:
              - nop: {}
                id: "n{i}"
        expect:
          "n{i}": 0
        """

    /// With `allow_duplicate_user_data` CQEs may have to be matched to requests (SharedUserDataTests),
    /// which the dense path does not do: nothing is dense, whatever the user_data; nor without fast paths.
    @Test func nothingIsDenseWhenUserDataMayBeSharedOrFastPathsAreOff() throws {
        let shared = try CheckerHarness("""
            name: shared
            allow_duplicate_user_data: true
            steps:
              - repeat: 6
                steps:
                  - nop: {}
                    id: "n{i}"
              - nop: {}
                user_data: 100
            expect:
              "n{i}": 0
            """)
        let node = shared.node("n{i}")
        #expect(!CheckerCore(scenario: shared.scenario).isDense(node))
        let plain = try CheckerHarness(Self.repeated)
        #expect(CheckerCore(scenario: plain.scenario).isDense(plain.node("n{i}")))
        #expect(!CheckerCore(scenario: plain.scenario, fastPaths: false).isDense(plain.node("n{i}")))
    }

    @Test func failuresExtrasDuplicatesAndMissingCQEs() throws {
        // n{i} has user_data 1 + i.
        let (report, dense) = try same(Self.repeated, (0..<6).map { .queue("n{i}", [$0]) } + [
            .complete(1, 0, 0),
            .complete(3, 0, 0),       // out of order
            .complete(3, 0, 0),       // a second CQE, while an older instance is outstanding
            .complete(2, 5, 0),       // a wrong res
            .complete(99, 0, 0),      // a CQE of no request
            .complete(2, 0, 0),       // a second CQE of a single-shot request
            .complete(4, 0, more),    // a flag no expectation mentions (n3)
            .complete(5, -22, 0),     // n4; n5 never completes
        ])
        #expect(report == """
            FAIL  dense (3.0 ms)
              t.yaml:8:3: n1: res (and 1 more of n{i})  (first divergence)
                expected | actual
                0        ≠ 5
              t.yaml:8:3: n5: never completed
              CQEs no expectation claimed:
                n2 (user_data 3): res 0, flags none, #2 at 120 µs
                user_data 99 (no step): res 0, flags none, #4 at 140 µs
                n1 (user_data 2): res 0, flags none, #5 at 150 µs
            """)
        #expect(dense.core.denseOutstanding == 1 && dense.core.outstandingCount == 1)
    }

    /// `flags: 0` is exact on the dense path too: a CQE with IORING_CQE_F_SOCK_NONEMPTY fails it there
    /// exactly as on the event path.
    @Test func exactZeroFlagsFailAStrayFlagDensely() throws {
        let yaml = """
            name: exact
            steps:
              - repeat: 3
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              "n{i}": { res: 0, flags: 0 }
            """
        let (report, _) = try same(yaml, (0..<3).map { .queue("n{i}", [$0]) } + [
            .complete(1, 0, 0), .complete(2, 0, 0x4), .complete(3, 0, 0x4),
        ])
        #expect(report == """
            FAIL  exact (3.0 ms)
              t.yaml:8:3: n1: flags (and 1 more of n{i})  (first divergence)
                expected     | actual
                exactly none ≠ sock_nonempty
            """)
    }

    @Test func patternsOfSeveralExpectationsAndFlags() throws {
        let yaml = """
            name: several
            steps:
              - repeat: 4
                steps:
                  - read: { fd: -1, buf: b, len: 8 }
                    id: "r{i}"
            resources:
              b: { buffer: { size: 8 } }
            expect:
              "r{i}": { res: ">= 2", flags: [buffer] }
            """
        _ = try same(yaml, (0..<4).map { .queue("r{i}", [$0]) } + [
            .complete(1, 2, buffer(3)),
            .complete(2, 1, buffer(3)),   // res too small
            .complete(3, 8, 0),           // no buffer flag
            .complete(4, 8, buffer(1) | notif),
        ])
    }

    static let stuck = """
        name: stuck
        steps:
          - nop: {}
            id: stuck
          - repeat: 3000
            steps:
              - nop: {}
                id: "n{i}"
        expect:
          stuck: 0
          "n{i}": 0
        """

    @Test func anOldOutstandingInstanceIsSpilledNotKeptInAGrowingWindow() throws {
        // `stuck` (user_data 1) stays outstanding while 3000 later instances complete, 64 at a time.
        var steps: [Step] = [.queue("stuck", [])]
        for batch in stride(from: 0, to: 3000, by: 64) {
            let range = batch..<min(batch + 64, 3000)
            steps += range.map { .queue("n{i}", [$0]) }
            steps += range.map { .complete(UInt64(2 + $0), 0, 0) }
        }
        steps.append(.complete(1, 7, 0))
        let (report, dense) = try same(Self.stuck, steps)
        #expect(report.contains("stuck: res"))
        #expect(dense.core.dense.capacity == DenseWindow.spillFloor)
        #expect(dense.core.denseSpilled.isEmpty && dense.core.denseOutstanding == 0 && dense.core.outstandingCount == 0)
    }

    @Test func aSpilledInstanceThatNeverCompletesIsReported() throws {
        var steps: [Step] = [.queue("stuck", [])]
        for batch in stride(from: 0, to: 3000, by: 100) {
            steps += (batch..<batch + 100).map { .queue("n{i}", [$0]) }
            steps += (batch..<batch + 100).reversed().map { .complete(UInt64(2 + $0), 0, 0) }
        }
        let (report, dense) = try same(Self.stuck, steps)
        #expect(report.hasSuffix("t.yaml:10:3: stuck: never completed"))
        #expect(dense.core.denseSpilled.count == 1 && dense.core.denseOutstanding == 1)
    }

    @Test func aWindowOfManyOutstandingInstancesGrows() throws {
        // 3000 outstanding at once: the window grows to hold them, and they complete in reverse order.
        var steps: [Step] = [.queue("stuck", [])]
        steps += (0..<3000).map { .queue("n{i}", [$0]) }
        steps += (0..<3000).reversed().map { .complete(UInt64(2 + $0), $0 == 1234 ? 1 : 0, 0) }
        steps.append(.complete(1, 0, 0))
        let (report, dense) = try same(Self.stuck, steps)
        #expect(report.contains("n1234: res"))
        #expect(dense.core.dense.capacity >= 4096 && dense.core.denseSpilled.isEmpty)
        #expect(dense.core.denseOutstanding == 0)
    }
}
