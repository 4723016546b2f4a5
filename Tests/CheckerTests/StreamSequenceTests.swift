import Testing
@testable import Checker

/// `cqes:` lists: CQE-by-CQE matching of multishot streams and zero-copy sends.
@Suite struct StreamSequenceTests {
    static let yaml = """
        name: cqes
        resources:
          s:  { socketpair: {} }
          br: { buffer_ring: { group: 4, entries: 4, size: 16 } }
          c:  { tcp_pair: {} }
          p:  { pipe: {} }
        steps:
          - recv: { fd: s.b, buffer_group: br, multishot: true }
            id: rx
          - timeout: { after: 1ms, count: 5, multishot: true }
            id: tick
          - send_zc: { fd: c.client, data: "abc" }
            id: zc
          - poll_add: { fd: p.read, events: POLLIN, multishot: true }
            id: poll
        expect:
          rx:
            cqes:
              - { res: 3, flags: [more, buffer], buffer: 0 }
              - { res: 3, flags: [more, buffer], buffer: 1 }
              - { res: 0, flags: 0 }
          tick: { cqes: [ { res: -ETIME, flags: [more], times: "2.." }, { res: -ETIME, flags: 0 } ] }
          zc: { cqes: [ { res: 3, flags: [more] }, { res: 0, flags: [notif] } ] }
          poll: { cqes: [ { res: 1, flags: [more] }, ... ] }
        """

    /// Feeds a run whose CQEs all fit; `change` replaces some of them.
    func run(rx: [(Int32, UInt32)] = [(3, more | buffer(0)), (3, more | buffer(1)), (0, 0)],
             tick: Int = 4, zc: [(Int32, UInt32)] = [(3, more), (0, notif)],
             poll: [(Int32, UInt32)] = [(1, more), (1, more)]) throws -> String {
        let harness = try CheckerHarness(Self.yaml)
        harness.queueAll()
        for (res, flags) in rx { harness.complete("rx", res: res, flags: flags) }
        for n in 0..<tick { harness.complete("tick", res: -62, flags: n < tick - 1 ? more : 0) }
        for (res, flags) in zc { harness.complete("zc", res: res, flags: flags) }
        for (res, flags) in poll { harness.complete("poll", res: res, flags: flags) }
        harness.teardown()
        harness.complete("poll", res: -125)
        return harness.report()
    }

    @Test func listsThatFitPass() throws {
        #expect(try run() == "PASS  cqes (3.0 ms)")
        // `times: "2.."` takes any number from 2; the open end takes any further CQEs.
        #expect(try run(tick: 3) == "PASS  cqes (3.0 ms)")
        #expect(try run(tick: 40, poll: [(1, more)]) == "PASS  cqes (3.0 ms)")
    }

    /// The failing CQE is named by its 1-based number, with what the list allowed there and the stream so far.
    @Test func aCQEThatDiffersIsNamedWithTheStream() throws {
        let report = try run(rx: [(3, more | buffer(0)), (2, more | buffer(1)), (0, 0)])
        #expect(report.contains("t.yaml:19:9: rx: CQE 2"))
        #expect(report.contains("element 2: res 3, flags exactly more|buffer, buffer id 1"))
        #expect(report.contains("res 2, flags more|buffer (bid 1) (#1); the stream: 1: res 3 more|buffer (bid 0), 2: res 2 more|buffer (bid 1)"))
    }

    @Test func aStreamThatEndsEarlyOrRunsOnFails() throws {
        let early = try run(rx: [(3, more | buffer(0)), (0, 0)])
        #expect(early.contains("rx: CQE 2"))
        #expect(early.contains("res 0, flags none (#1); the stream: 1: res 3 more|buffer (bid 0), 2: res 0 none"))
        let short = try run(tick: 1)
        #expect(short.contains("tick: CQE 1"))
        #expect(short.contains("element 1: res -ETIME, flags exactly more"))
        let longer = try run(rx: [(3, more | buffer(0)), (3, more | buffer(1)), (3, more | buffer(2)), (0, 0)])
        #expect(longer.contains("rx: CQE 3"))
        #expect(longer.contains("element 3: res 0, flags exactly none"))
        // The zero-copy notification is a CQE of the list like the result.
        let noNotification = try run(zc: [(3, 0)])
        #expect(noNotification.contains("zc: CQE 1"))
        #expect(noNotification.contains("element 1: res 3, flags exactly more"))
        let missingNotification = try run(zc: [(3, more), (0, 0)])
        #expect(missingNotification.contains("zc: CQE 2"))
        #expect(missingNotification.contains("element 2: res 0, flags exactly notif"))
    }

    /// An open-ended list still wants its elements before the `...`, even if the stream stays open.
    @Test func anOpenEndStillNeedsItsElements() throws {
        let report = try run(poll: [])
        #expect(report.contains("poll: CQE 1"))
        #expect(report.contains("none: the stream was still open when the steps ended; it posted no CQE"))
    }

    /// Constant memory: a stream of 100,000 CQEs keeps one match with a few states and a tail of 16.
    @Test func longStreamsKeepABoundedState() throws {
        let harness = try CheckerHarness(Self.yaml)
        harness.queueAll()
        for _ in 0..<100_000 { harness.complete("tick", res: -62, flags: more) }
        let matches = harness.checker.core.sequenceMatches.values.flatMap { $0 }
        #expect(matches.count == 1)
        #expect(matches.allSatisfy { $0.tail.count == CheckerCore.sequenceTailLimit && $0.states.count <= 3 })
        harness.complete("tick", res: 0, flags: more)
        let report = harness.report()
        #expect(report.contains("tick: CQE 100001"))
        #expect(report.contains("the stream (CQEs 99986–100001 of 100001)"))
    }
}
