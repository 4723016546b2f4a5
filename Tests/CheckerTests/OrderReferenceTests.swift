import Testing
@testable import Checker

/// Order constraints on a request's final, n-th (1-based) or notification CQE.
@Suite struct OrderReferenceTests {
    static let yaml = """
        name: refs
        resources:
          p: { pipe: {} }
          c: { tcp_pair: {} }
        steps:
          - poll_add: { fd: p.read, events: POLLIN, multishot: true }
            id: poll
          - poll_remove: { target: poll }
            id: remove
          - send_zc: { fd: c.client, data: "abc" }
            id: zc
          - nop: {}
            id: n
        expect:
          order: [poll, remove, poll.final]
          orders:
            - [zc, n, zc.notification]
            - - "poll[2]"
              - remove
        """

    func run(_ cqes: [(String, Int32, UInt32)]) throws -> String {
        let harness = try CheckerHarness(Self.yaml)
        harness.queueAll()
        for (id, res, flags) in cqes { harness.complete(id, res: res, flags: flags) }
        return harness.report()
    }

    @Test func constraintsOnLaterCQEsHold() throws {
        let report = try run([("poll", 1, more), ("poll", 1, more), ("zc", 3, more), ("remove", 0, 0), ("n", 0, 0),
                              ("poll", -125, 0), ("zc", 0, notif)])
        #expect(report == "PASS  refs (3.0 ms)")
    }

    @Test func aFinalCQETooEarlyFails() throws {
        let report = try run([("poll", 1, more), ("poll", 1, more), ("poll", -125, 0), ("remove", 0, 0),
                              ("zc", 3, more), ("n", 0, 0), ("zc", 0, notif)])
        #expect(report.contains("t.yaml:15:25: order  (first divergence)"))
        #expect(report.contains("remove before poll.final ≠ poll.final (#2) before remove (#3)"))
    }

    @Test func aNotificationBeforeItsLaterSideFails() throws {
        let report = try run([("poll", 1, more), ("poll", 1, more), ("remove", 0, 0), ("poll", -125, 0),
                              ("zc", 3, more), ("zc", 0, notif), ("n", 0, 0)])
        #expect(report.contains("n before zc.notification ≠ zc.notification (#5) before n (#6)"))
    }

    /// A side naming a CQE that never came fails at its constraint, with what the request did post.
    @Test func aNamedCQEThatNeverCameFails() throws {
        let report = try run([("remove", 0, 0), ("poll", -125, 0), ("zc", 3, more), ("n", 0, 0), ("zc", 0, notif)])
        #expect(report.contains("t.yaml:19:9: order: poll[2]"))
        #expect(report.contains("the CQE poll[2] names, for poll[2] before remove ≠ poll ended after 1 CQE (#1)"))
        #expect(report.contains("poll[2] before remove ≠ remove (#0) before poll[2] (not completed)"))
        let noNotification = try run([("poll", 1, more), ("poll", 1, more), ("remove", 0, 0), ("poll", -125, 0),
                                      ("zc", -32, 0), ("n", 0, 0)])
        #expect(noNotification.contains("order: zc.notification"))
        #expect(noNotification.contains("zc ended without a notification CQE (#4)"))
    }
}
