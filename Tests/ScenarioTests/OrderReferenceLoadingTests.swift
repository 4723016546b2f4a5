import Testing
@testable import Scenario

/// Loading order sides that name a CQE (`poll.final`, `rx[2]`, `zc.notification`) and the contradictions.
@Suite struct OrderReferenceLoadingTests {
    static func scenario(_ order: String) -> String {
        """
        name: t
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
        expect:
          \(order)
        """
    }

    @Test func referencesLoad() throws {
        let scenario = try load(Self.scenario("order: [\"zc[1]\", remove, \"poll[3]\", zc.notification, poll.final]"))
        let order = scenario.expectations.order.map(\.description)
        // `zc[1]` is the bare id: its first CQE.
        #expect(order == ["zc before remove", "remove before poll[3]", "poll[3] before zc.notification",
                          "zc.notification before poll.final"])
        #expect(scenario.expectations.order[1].laterCQE == .number(3))
    }

    /// The first CQE before the final one is no contradiction; the final one before the first is.
    @Test(arguments: [
        ("order: [poll.final, poll]", "13:23: error: the order contradicts itself: poll.final before poll before poll.final"),
        ("orders: [[remove, poll], [poll.final, remove]]", "13:41: error: the order contradicts itself: remove before poll before poll.final before remove"),
        ("order: [zc.notification, \"zc[1]\"]", "13:28: error: the order contradicts itself: zc.notification before zc before zc.notification"),
        ("order: [remove.notification, poll]", "13:11: error: 'remove.notification': only a zero-copy send posts a notification CQE, and 'remove' is poll_remove"),
        ("order: [\"remove[2]\", poll]", "13:11: error: 'remove[2]': 'remove' (poll_remove) posts one CQE, so it has no CQE 2"),
        ("order: [\"poll[0]\", remove]", "13:11: error: 'poll[0]': a CQE number is 1 or more in brackets"),
        ("order: [pol.final, remove]", "13:11: error: unknown id 'pol' in an order constraint"),
        ("order: [poll.final, poll.final]", "13:23: error: 'poll.final' appears twice in this order"),
    ])
    func misuseIsRefused(order: String, message: String) {
        let rendered = diagnostics(Self.scenario(order))
        #expect(rendered.contains("test.yaml:" + message), "\(rendered)")
    }

    @Test func theFirstAndTheFinalCQEOfOneRequestCanBeOrdered() throws {
        _ = try load(Self.scenario("order: [poll, remove, poll.final]"))
        _ = try load(Self.scenario("orders: [[poll, remove], [remove, poll.final], [zc, zc.notification]]"))
    }
}
