import Testing
@testable import Checker

@Suite struct StreamExpectationTests {
    static let yaml = """
        name: streams
        resources:
          p:  { pipe: {} }
          l:  { tcp_listener: {} }
          s:  { socketpair: {} }
          br: { buffer_ring: { group: 4, entries: 4, size: 16 } }
        steps:
          - poll_add: { fd: p.read, events: POLLIN, multishot: true }
            id: poll
          - accept_multishot: { fd: l }
            id: acc
          - timeout: { after: 1ms, count: 3, multishot: true }
            id: tick
          - recv: { fd: s.b, buffer_group: br, multishot: true }
            id: rx
        expect:
          poll: { stream: { count: 1..5, each: { res: "> 0" }, final: none } }
          acc: { res: ">= 0", stream: { more: 2, final: none } }
          tick: { stream: { more: 2, count: 3, each: -ETIME, final: -ETIME } }
          rx:
            flags: [buffer]
            stream:
              more: 2..
              each: { res: 3, flags: [more, buffer] }
              final: { res: 0, flags: { clear: [more] } }
        """

    @Test func streamsOfTheRightShapePass() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("poll", res: 1, flags: more)
        run.complete("acc", res: 5, flags: more)
        run.complete("tick", res: -62, flags: more)
        run.complete("rx", res: 3, flags: more | buffer(0))
        run.complete("acc", res: 6, flags: more)
        run.complete("tick", res: -62, flags: more)
        run.complete("rx", res: 3, flags: more | buffer(1))
        run.complete("poll", res: 1, flags: more)
        run.complete("tick", res: -62)
        run.complete("rx", res: 0, flags: buffer(2))
        run.teardown()
        run.complete("poll", res: -125)
        run.complete("acc", res: -125)
        #expect(run.report() == "PASS  streams (3.0 ms)")
    }

    /// `each` and `final` are exact like any bare flag list: a CQE of the stream with
    /// IORING_CQE_F_SOCK_NONEMPTY fails `each: { flags: [more, buffer] }` and `final: { flags: 0 }`; the
    /// stream-wide `flags: [buffer]` leaves `more` to them.
    @Test func streamPatternsAreExact() throws {
        let yaml = """
            name: exact stream
            resources:
              s:  { socketpair: {} }
              br: { buffer_ring: { group: 4, entries: 4, size: 16 } }
            steps:
              - recv: { fd: s.b, buffer_group: br, multishot: true }
                id: rx
            expect:
              rx:
                flags: [buffer]
                stream: { each: { flags: [more, buffer] }, final: { res: 0, flags: [buffer] } }
            """
        // `each` need not list `more`: every CQE it applies to has it.
        let eachWithoutMore = try CheckerHarness(yaml.replacing("each: { flags: [more, buffer] }", with: "each: { flags: [buffer] }"))
        eachWithoutMore.queueAll()
        eachWithoutMore.complete("rx", res: 3, flags: more | buffer(0))
        eachWithoutMore.complete("rx", res: 0, flags: buffer(1))
        #expect(eachWithoutMore.report() == "PASS  exact stream (3.0 ms)")
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("rx", res: 3, flags: more | buffer(0))
        passing.complete("rx", res: 0, flags: buffer(1))
        #expect(passing.report() == "PASS  exact stream (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("rx", res: 3, flags: more | buffer(0) | 0x4)
        failing.complete("rx", res: 0, flags: buffer(1) | 0x4)
        #expect(failing.report() == """
            FAIL  exact stream (3.0 ms)
              t.yaml:9:3: rx: flags (2 times)  (first divergence)
                expected                         | actual
                exactly buffer (more either way) ≠ more|buffer|sock_nonempty (bid 0)
              t.yaml:11:21: rx: each CQE: flags
                expected            | actual
                exactly more|buffer ≠ more|buffer|sock_nonempty (bid 0)
              t.yaml:11:55: rx: final CQE: flags
                expected       | actual
                exactly buffer ≠ buffer|sock_nonempty (bid 1)
            """)
    }

    /// An expectation keyed by the user_data of a multishot request is about its stream's CQEs too: its
    /// exact flags leave `more` alone as well.
    @Test func exactFlagsByUserDataOfAStreamLeaveMoreAlone() throws {
        let run = try CheckerHarness("""
            name: by number
            resources:
              s:  { socketpair: {} }
              br: { buffer_ring: { group: 4, entries: 4, size: 16 } }
            steps:
              - recv: { fd: s.b, buffer_group: br, multishot: true }
                user_data: 700
            expect:
              700: { flags: [buffer] }
            """)
        run.queueAll()
        run.complete(userData: 700, res: 3, flags: more | buffer(0))
        run.complete(userData: 700, res: 2, flags: buffer(1))
        #expect(run.report() == "PASS  by number (3.0 ms)")
    }

    @Test func everyPartOfAStreamIsChecked() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("poll", res: 1, flags: more)
        run.complete("poll", res: 0, flags: more)        // each: > 0
        run.complete("acc", res: 5, flags: more)
        run.complete("acc", res: -11, flags: more)       // res: >= 0
        run.complete("acc", res: 6, flags: more)
        run.complete("acc", res: -125)                   // res again, final: none, more: 2
        run.complete("tick", res: -62, flags: more)
        run.complete("tick", res: 0, flags: more)        // each: -ETIME
        run.complete("tick", res: 0)                     // final: -ETIME, more: 2, count: 3
        run.complete("rx", res: 3, flags: more | buffer(0))
        run.complete("rx", res: -105)                    // flags: buffer, final, more: 2..
        #expect(run.report() == """
            FAIL  streams (3.0 ms)
              t.yaml:17:40: poll: each CQE: res  (first divergence)
                expected | actual
                > 0      ≠ 0
              t.yaml:18:3: acc: res (2 times)
                expected | actual
                >= 0     ≠ -EAGAIN
              t.yaml:18:31: acc: final CQE
                expected                     | actual
                none (the stream stays open) ≠ res -ECANCELED, flags none (#5)
              t.yaml:18:31: acc: CQEs with more
                expected | actual
                2        ≠ 3
              t.yaml:19:46: tick: each CQE: res
                expected | actual
                -ETIME   ≠ 0
              t.yaml:19:61: tick: final CQE: res
                expected | actual
                -ETIME   ≠ 0
              t.yaml:20:3: rx: flags
                expected                         | actual
                exactly buffer (more either way) ≠ none
              t.yaml:25:14: rx: final CQE: res
                expected | actual
                0        ≠ -ENOBUFS
              t.yaml:23:7: rx: CQEs with more
                expected   | actual
                at least 2 ≠ 1
            """)
    }

    @Test func theCountOfAStreamThatStaysOpenIsCheckedAtTeardown() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        for _ in 0..<6 { run.complete("poll", res: 1, flags: more) }
        run.complete("acc", res: 5, flags: more)
        run.complete("tick", res: -62, flags: more)
        run.complete("tick", res: -62, flags: more)
        run.complete("tick", res: -62)
        run.complete("rx", res: 3, flags: more | buffer(0))
        run.complete("rx", res: 3, flags: more | buffer(1))
        run.complete("rx", res: 0, flags: buffer(2))
        run.teardown()
        #expect(run.report() == """
            FAIL  streams (3.0 ms)
              t.yaml:17:19: poll: CQE count  (first divergence)
                expected | actual
                1 to 5   ≠ 6
              t.yaml:18:31: acc: CQEs with more
                expected | actual
                2        ≠ 1
            """)
    }

    @Test func aStreamWhoseFinalCQENeverCameNeverCompleted() throws {
        let run = try CheckerHarness(Self.yaml)
        run.queueAll()
        run.complete("poll", res: 1, flags: more)
        run.complete("acc", res: 5, flags: more)
        run.complete("acc", res: 6, flags: more)
        run.complete("tick", res: -62, flags: more)
        run.complete("tick", res: -62, flags: more)
        run.complete("rx", res: 3, flags: more | buffer(0))
        run.complete("rx", res: 3, flags: more | buffer(1))
        run.teardown(deadlineExpired: true)
        run.complete("tick", res: -125)
        run.complete("rx", res: -125)
        #expect(run.report(deadlineExpired: true) == """
            TIMEOUT streams (3.0 ms)
              t.yaml:19:3: tick: never completed
              t.yaml:20:3: rx: never completed
            """)
    }
}

/// `data` on a CQE pattern and on a stream: the bytes CQEs delivered into buffer-ring buffers.
@Suite struct BufferDataExpectationTests {
    static let yaml = """
        name: data
        resources:
          s:  { socketpair: {} }
          br: { buffer_ring: { group: 1, entries: 4, size: 8 } }
        steps:
          - recv: { fd: s.b, buffer_group: br }
            id: one
          - recv: { fd: s.b, buffer_group: br, multishot: true }
            id: stream
        expect:
          one: { res: 3, data: "abc" }
          stream: { stream: { each: { data: { hex: "78" } }, data: "xx" } }
        """

    @Test func matchingDataPasses() throws {
        let h = try CheckerHarness(Self.yaml)
        h.queueAll()
        h.complete("one", res: 3, flags: 1, data: Array("abc".utf8))
        h.complete("stream", res: 1, flags: 3, data: Array("x".utf8))
        h.complete("stream", res: 1, flags: 3 | (1 << 16), data: Array("x".utf8))
        h.complete("stream", res: 0, flags: 0)
        #expect(h.report() == "PASS  data (3.0 ms)")
    }

    @Test func wrongMissingAndReorderedDataFail() throws {
        let h = try CheckerHarness(Self.yaml)
        h.queueAll()
        h.complete("one", res: 3, flags: 1)
        h.complete("stream", res: 1, flags: 3, data: Array("x".utf8))
        h.complete("stream", res: 1, flags: 3, data: Array("y".utf8))
        h.complete("stream", res: 0, flags: 0)
        #expect(h.report() == """
            FAIL  data (3.0 ms)
              t.yaml:11:3: one: data  (first divergence)
                expected | actual
                3 bytes  ≠ no data: the CQE has no buffer from a buffer ring
              t.yaml:12:29: stream: each CQE: data
                expected     | actual
                "x" (1 byte) ≠ "y" (1 byte)
              t.yaml:12:21: stream: data
                expected       | actual
                "xx" (2 bytes) ≠ "xy" (2 bytes), differs from byte 1
            """)
    }
}
