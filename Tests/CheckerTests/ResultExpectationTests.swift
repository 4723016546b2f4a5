import Testing
@testable import Checker

/// One single-shot request `r` with the expectation `pattern`.
private func scenario(_ pattern: String) -> String {
    """
    name: result form
    steps:
      - nop: {}
        id: r
    expect:
      r: \(pattern)
    """
}

/// A result form, a res that matches it, one that does not, and the expected | actual table (header, row)
/// the report gives for that one, exactly as the reporter aligns it.
struct ResultForm: CustomTestStringConvertible, Sendable {
    var pattern: String
    var passing: Int32
    var failing: Int32
    var table: (header: String, row: String)
    var testDescription: String { pattern }

    /// The whole report of the failing res: `r`'s first divergence, with `table`.
    var report: String {
        """
        FAIL  result form (3.0 ms)
          t.yaml:6:3: r: res  (first divergence)
            \(table.header)
            \(table.row)
        """
    }
}

@Suite struct ResultExpectationTests {
    static let forms: [ResultForm] = [
        ResultForm(pattern: "{ res: 11 }", passing: 11, failing: 12, table: ("expected | actual", "11       ≠ 12")),
        ResultForm(pattern: "0", passing: 0, failing: 1, table: ("expected | actual", "0        ≠ 1")),
        ResultForm(pattern: "{ res: -EBADF }", passing: -9, failing: -2, table: ("expected | actual", "-EBADF   ≠ -ENOENT")),
        ResultForm(pattern: "{ res: 0..64 }", passing: 64, failing: 65, table: ("expected | actual", "0..64    ≠ 65")),
        ResultForm(pattern: "{ res: \"1..\" }", passing: 1, failing: 0, table: ("expected | actual", "1..      ≠ 0")),
        ResultForm(pattern: "{ res: { min: -EAGAIN, max: 10 } }", passing: -11, failing: -12, table: ("expected    | actual", "-EAGAIN..10 ≠ -ENOMEM")),
        ResultForm(pattern: "{ res: \">= 0\" }", passing: 0, failing: -1, table: ("expected | actual", ">= 0     ≠ -EPERM")),
        ResultForm(pattern: "\"!= -EINTR\"", passing: -5, failing: -4, table: ("expected  | actual", "!= -EINTR ≠ -EINTR")),
        ResultForm(pattern: "{ res: [0, -EALREADY, \"> 100\"] }", passing: -114, failing: 100, table: ("expected              | actual", "[0, -EALREADY, > 100] ≠ 100")),
    ]

    @Test(arguments: forms) func resultFormPasses(_ form: ResultForm) throws {
        let run = try CheckerHarness(scenario(form.pattern))
        run.queueAll()
        run.complete("r", res: form.passing)
        #expect(run.report() == "PASS  result form (3.0 ms)")
    }

    @Test(arguments: forms) func resultFormFailsWithTheExactReport(_ form: ResultForm) throws {
        let run = try CheckerHarness(scenario(form.pattern))
        run.queueAll()
        run.complete("r", res: form.failing)
        #expect(run.report() == form.report)
    }

    @Test func anyResultAcceptsErrorsButTheCQEMustCome() throws {
        let passing = try CheckerHarness(scenario("{ res: any }"))
        passing.queueAll()
        passing.complete("r", res: -125)
        #expect(passing.report() == "PASS  result form (3.0 ms)")

        let failing = try CheckerHarness(scenario("{ res: any }"))
        failing.queueAll()
        #expect(failing.report() == """
            FAIL  result form (3.0 ms)
              t.yaml:6:3: r: never completed
            """)
    }

    @Test func requiredAndForbiddenFlags() throws {
        let yaml = """
            name: flags
            steps:
              - nop: {}
                id: r
            expect:
              r: { flags: { set: [buffer], clear: [more, IORING_CQE_F_SOCK_NONEMPTY] } }
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("r", res: 0, flags: buffer(3))
        #expect(passing.report() == "PASS  flags (3.0 ms)")

        let missing = try CheckerHarness(yaml)
        missing.queueAll()
        missing.complete("r", res: 0, flags: 0)
        #expect(missing.report() == """
            FAIL  flags (3.0 ms)
              t.yaml:6:3: r: flags  (first divergence)
                expected                                | actual
                with buffer, without more|sock_nonempty ≠ none
            """)

        let forbidden = try CheckerHarness(yaml)
        forbidden.queueAll()
        forbidden.complete("r", res: 0, flags: buffer(5) | 0x4)
        #expect(forbidden.report() == """
            FAIL  flags (3.0 ms)
              t.yaml:6:3: r: flags  (first divergence)
                expected                                | actual
                with buffer, without more|sock_nonempty ≠ buffer|sock_nonempty (bid 5)
            """)
    }

    @Test func flagsShorthandRequiresThem() throws {
        let yaml = """
            name: flags
            steps:
              - nop: {}
                id: r
            expect:
              r: { res: 0, flags: [more] }
            """
        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("r", res: 0)
        #expect(failing.report() == """
            FAIL  flags (3.0 ms)
              t.yaml:6:3: r: flags  (first divergence)
                expected     | actual
                exactly more ≠ none
            """)
    }

    /// `flags: 0` and `flags: []` mean "no flag at all", not "no flag required".
    @Test(arguments: ["0", "[]"]) func bareZeroFlagsAreExact(_ written: String) throws {
        let yaml = """
            name: exact flags
            steps:
              - nop: {}
                id: r
            expect:
              r: { res: 0, flags: \(written) }
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("r", res: 0)
        #expect(passing.report() == "PASS  exact flags (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("r", res: 0, flags: 0x4)
        #expect(failing.report() == """
            FAIL  exact flags (3.0 ms)
              t.yaml:6:3: r: flags  (first divergence)
                expected     | actual
                exactly none ≠ sock_nonempty
            """)
    }

    /// A bare list is exact: every other bit must be clear, the buffer id (upper 16 bits) excepted when
    /// `buffer` is listed; unknown bits count too.
    @Test func bareFlagListsAreExactButLeaveTheBufferIDToBuffer() throws {
        func scenario(_ list: String) -> String {
            """
            name: exact list
            steps:
              - nop: {}
                id: r
            expect:
              r: { flags: \(list) }
            """
        }
        let yaml = scenario("[buffer]")
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("r", res: 0, flags: buffer(7))
        #expect(passing.report() == "PASS  exact list (3.0 ms)")

        for (extra, shown) in [(UInt32(0x4), "buffer|sock_nonempty (bid 7)"), (0x2, "more|buffer (bid 7)"),
                               (0x100, "buffer (bid 7) +0x100")] {
            let failing = try CheckerHarness(yaml)
            failing.queueAll()
            failing.complete("r", res: 0, flags: buffer(7) | extra)
            #expect(failing.report() == """
                FAIL  exact list (3.0 ms)
                  t.yaml:6:3: r: flags  (first divergence)
                    expected       | actual
                    exactly buffer ≠ \(shown)
                """)
        }

        // Without `buffer` in the list, the upper 16 bits must be clear as well.
        let noBuffer = try CheckerHarness(scenario("[more]"))
        noBuffer.queueAll()
        noBuffer.complete("r", res: 0, flags: 0x2 | 0x10000)
        #expect(noBuffer.checker.finish(facts: PostRunFacts(), ending: RunEnding(deadlineExpired: false, duration: .zero))
                    .mismatches.map(\.subject) == ["r: flags"])
    }

    /// `{ set, clear }` stays partial: bits it does not name are not checked.
    @Test func setAndClearArePartial() throws {
        let yaml = """
            name: partial
            steps:
              - nop: {}
                id: r
            expect:
              r: { flags: { set: [more] } }
            """
        let run = try CheckerHarness(yaml)
        run.queue("r")
        run.complete("r", res: 0, flags: 0x2 | 0x4)
        #expect(run.report() == "PASS  partial (3.0 ms)")
    }

    @Test func providedBufferIDs() throws {
        let yaml = """
            name: buffer ids
            resources:
              s:     { socketpair: {} }
              group: { provided_buffers: { group: 2, count: 4, size: 8 } }
            steps:
              - recv: { fd: s.b, buffer_group: group }
                id: rx
              - recv: { fd: s.b, buffer_group: group }
                id: one
            expect:
              rx: { res: 3, buffer: [0, 1] }
              one: { buffer: 2 }
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("rx", res: 3, flags: buffer(1))
        passing.complete("one", res: 5, flags: buffer(2))
        #expect(passing.report() == "PASS  buffer ids (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("rx", res: 3, flags: buffer(3))
        failing.complete("one", res: -105)
        #expect(failing.report() == """
            FAIL  buffer ids (3.0 ms)
              t.yaml:11:3: rx: buffer  (first divergence)
                expected         | actual
                buffer id 0 or 1 ≠ buffer id 3
              t.yaml:12:3: one: buffer
                expected    | actual
                buffer id 2 ≠ no buffer (flags none)
            """)
    }

    @Test func mustNotComplete() throws {
        let yaml = """
            name: must not complete
            steps:
              - timeout: { after: 10s }
                id: long
              - nop: {}
                id: quick
            expect:
              long: never
              quick: 0
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("quick", res: 0)
        passing.teardown()
        passing.complete("long", res: -125)
        #expect(passing.report() == "PASS  must not complete (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("long", res: -62)
        failing.complete("quick", res: 0)
        #expect(failing.report() == """
            FAIL  must not complete (3.0 ms)
              t.yaml:8:3: long: completes  (first divergence)
                expected | actual
                no CQE   ≠ res -ETIME, flags none (#0)
            """)
    }

    @Test func zeroCopyNotification() throws {
        let yaml = """
            name: zero copy
            resources:
              s: { socketpair: {} }
            steps:
              - send_zc: { fd: s.a, data: "zero copy" }
                id: zc
              - send_zc: { fd: s.a, data: "zero copy" }
                id: quiet
            expect:
              zc: { res: 9, flags: [more], notification: true }
              quiet: { notification: false }
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("zc", res: 9, flags: more)
        passing.complete("quiet", res: 9)
        passing.complete("zc", res: 0, flags: notif)
        #expect(passing.report() == "PASS  zero copy (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("zc", res: -32)
        failing.complete("quiet", res: 9, flags: more)
        failing.complete("quiet", res: 0, flags: notif)
        #expect(failing.report() == """
            FAIL  zero copy (3.0 ms)
              t.yaml:10:3: zc: res  (first divergence)
                expected | actual
                9        ≠ -EPIPE
              t.yaml:10:3: zc: flags
                expected     | actual
                exactly more ≠ none
              t.yaml:10:3: zc: notification
                expected                   | actual
                a notification CQE (notif) ≠ none; it ended with res -EPIPE, flags none (#0)
              t.yaml:11:3: quiet: notification
                expected            | actual
                no notification CQE ≠ a notification: res 0, flags notif (#2)
            """)
    }

    @Test func zeroCopyNotificationPattern() throws {
        let yaml = """
            name: zero copy usage
            resources:
              c: { tcp_pair: {} }
            steps:
              - send_zc: { fd: c.client, data: "copied", report_usage: true }
                id: zc
            expect:
              zc: { res: 6, notification: { res: 0x80000000, flags: [notif] } }
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("zc", res: 6, flags: more)
        passing.complete("zc", res: Int32.min, flags: notif)
        #expect(passing.report() == "PASS  zero copy usage (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("zc", res: 6, flags: more)
        failing.complete("zc", res: 0, flags: notif)
        #expect(failing.report() == """
            FAIL  zero copy usage (3.0 ms)
              t.yaml:8:31: zc: notification: res  (first divergence)
                expected    | actual
                -2147483648 ≠ 0
            """)
    }

    @Test func skipSuccessPostsNothingOnSuccess() throws {
        let yaml = """
            name: skip success
            steps:
              - nop: {}
                id: quiet
                skip_success: true
              - nop: {}
                id: failing
                skip_success: true
            expect:
              quiet: 0
              failing: -EBADF
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("failing", res: -9)
        #expect(passing.report() == "PASS  skip success (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        #expect(failing.report() == """
            FAIL  skip success (3.0 ms)
              t.yaml:11:3: failing: res  (first divergence)
                expected | actual
                -EBADF   ≠ no CQE: with IOSQE_CQE_SKIP_SUCCESS that means it succeeded
            """)
    }

    @Test func aSubmitStepChecksHowManySQEsTheKernelTook() throws {
        let yaml = """
            name: submit count
            steps:
              - nop: {}
              - nop: {}
              - submit: {}
                expect: 2
            """
        let harness = try CheckerHarness(yaml)
        harness.queueAll()
        harness.checker.observe(.registered(RegistrationOutcome(node: 2, iterations: [], result: 1, elapsed: .zero, isSubmit: true)))
        harness.complete(userData: 1, res: 0)
        harness.complete(userData: 2, res: 0)
        #expect(harness.report() == """
            FAIL  submit count (3.0 ms)
              t.yaml:6:5: submit: SQEs the kernel took  (first divergence)
                expected | actual
                2        ≠ 1
            """)
    }

    @Test func aSilentRequestStillRunningAtTeardownDidNotSucceed() throws {
        let yaml = """
            name: silent but unfinished
            steps:
              - write: { fd: -1, data: "x" }
                id: quiet
                skip_success: true
              - write: { fd: -1, data: "y" }
                skip_success: true
              - nop: {}
                id: loud
            expect:
              quiet: never
              loud: 0
            """
        // Finished silently before the steps ended: nothing after teardown.
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("loud", res: 0)
        passing.teardown()
        #expect(passing.report() == "PASS  silent but unfinished (3.0 ms)")

        // Teardown's cancel reached both writes: they had not finished, so their silence was no success.
        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("loud", res: 0)
        failing.teardown()
        failing.complete("quiet", res: -125)
        failing.complete(userData: 2, res: -125)
        #expect(failing.report() == """
            FAIL  silent but unfinished (3.0 ms)
              t.yaml:11:3: quiet: completes  (first divergence)
                expected                                      | actual
                no CQE: it succeeded (IOSQE_CQE_SKIP_SUCCESS) ≠ still running when the steps ended (it posted -ECANCELED in teardown); link it before a request the run waits for
              t.yaml:6:5: write at line 6: never completed
            """)
    }

    @Test func requestsWithoutExpectationsOnlyHaveToComplete() throws {
        let yaml = """
            name: unexpected results are fine
            steps:
              - nop: {}
                id: r
              - write: { fd: -1, data: "x" }
            expect:
              r: 0
            """
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("r", res: 0)
        passing.complete(userData: 2, res: -9)
        #expect(passing.report() == "PASS  unexpected results are fine (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("r", res: 0)
        #expect(failing.report() == """
            FAIL  unexpected results are fine (3.0 ms)
              t.yaml:5:5: write at line 5: never completed
            """)
    }

    @Test func registrationResults() throws {
        let yaml = """
            name: registrations
            resources:
              f: { file: {} }
            steps:
              - register_files: { files: [f] }
              - probe: { supported: [read] }
                expect: -EOPNOTSUPP
            """
        let passing = try CheckerHarness(yaml)
        passing.checker.observe(.registered(RegistrationOutcome(node: 0, iterations: [], result: 0, elapsed: .zero)))
        passing.checker.observe(.registered(RegistrationOutcome(node: 1, iterations: [], result: -95, elapsed: .zero)))
        #expect(passing.report() == "PASS  registrations (3.0 ms)")

        let failing = try CheckerHarness(yaml)
        failing.queueAll(registrationResult: -22)
        #expect(failing.report() == """
            FAIL  registrations (3.0 ms)
              t.yaml:5:5: register_files  (first divergence)
                expected | actual
                >= 0     ≠ -EINVAL
              t.yaml:7:5: probe
                expected    | actual
                -EOPNOTSUPP ≠ -EINVAL
            """)
    }
}
