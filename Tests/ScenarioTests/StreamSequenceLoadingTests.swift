import Testing
@testable import Scenario

/// Loading `cqes:` lists and the errors for their misuse.
@Suite struct StreamSequenceLoadingTests {
    static func scenario(_ expectation: String) -> String {
        """
        name: t
        resources:
          p: { pipe: {} }
          c: { tcp_pair: {} }
        steps:
          - poll_add: { fd: p.read, events: POLLIN, multishot: true }
            id: poll
          - send_zc: { fd: c.client, data: "abc" }
            id: zc
          - nop: {}
            id: one
        expect:
        \(expectation)
        """
    }

    @Test func aListLoadsWithRepeatsAndAnOpenEnd() throws {
        let scenario = try load(Self.scenario("  poll: { cqes: [ { res: 1, flags: [more], times: \"1..3\" }, -ECANCELED, ... ] }"))
        let sequence = try #require(scenario.expectation("poll")?.stream?.cqes)
        #expect(sequence.elements.count == 2)
        #expect(sequence.elements[0].times == CountRange(lower: 1, upper: 3))
        #expect(sequence.elements[1].times == .exactly(1))
        #expect(sequence.elements[1].pattern.result == .errno(.ECANCELED))
        #expect(sequence.isOpenEnded)
        // The open end lets the run end without the final CQE.
        #expect(try load(Self.scenario("  zc: { cqes: [ { res: 3, flags: [more] }, { res: 0, flags: [notif] } ] }"))
            .expectation("zc")?.stream?.cqes?.isOpenEnded == false)
    }

    @Test(arguments: [
        ("  poll: { stream: { count: 1 }, cqes: [ 1 ] }", "13:11: error: 'stream' and 'cqes' both describe the CQEs of 'poll': use one"),
        ("  zc: { notification: true, cqes: [ 3 ] }", "13:9: error: 'cqes' already lists the notification CQE (flags [notif]) of 'zc': drop 'notification'"),
        ("  poll: { res: 1, cqes: [ 1 ] }", "13:11: error: 'res' beside 'cqes' is ambiguous: put it in the elements of the list"),
        ("  one: { cqes: [ 0 ] }", "13:10: error: 'cqes' lists the CQEs of a multishot request or zero-copy send, but 'one' (nop) posts one CQE"),
        ("  poll: { cqes: [ ..., 1 ] }", "13:19: error: '...' (any further CQEs) can only be the last element of 'cqes'"),
        ("  poll: { cqes: [ { res: 1, times: 0 } ] }", "13:36: error: 'times: 0' matches no CQE: drop the element"),
        ("  poll: { cqes: [] }", "13:17: error: 'cqes' needs at least one CQE pattern (or '...' for any CQEs)"),
        ("  poll: { cqes: [ { res: 1, count: 2 } ] }", "13:29: error: unknown key 'count' in an element of 'cqes'"),
        ("  poll: { cqes: [ [1] ] }", "13:19: error: an element of 'cqes' is a CQE pattern"),
    ])
    func misuseIsRefusedWhereItIs(expectation: String, message: String) {
        let rendered = diagnostics(Self.scenario(expectation))
        #expect(rendered.contains("test.yaml:" + message), "\(rendered)")
    }
}
