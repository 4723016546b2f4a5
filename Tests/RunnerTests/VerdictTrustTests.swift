import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// Loads `yaml` and runs it as `ringscript run` does, down to the outcome a report shows.
func reportedOutcome(_ yaml: String, file: String = "trust.yaml") throws -> ScenarioOutcome {
    let scenario = try ScenarioLoader.load(yaml, file: file).get()
    return RunSession.executeOne(scenario, iteration: 1, options: RunSessionOptions(), writeError: { _ in })
}

/// The messages of the diagnostics loading `yaml` gives (empty when it loads).
func loadErrors(_ yaml: String) -> [String] {
    switch ScenarioLoader.load(yaml, file: "trust.yaml") {
    case .success: return []
    case .failure(let list): return list.diagnostics.map { "\($0.mark.line):\($0.mark.column): \($0.message)" }
    }
}

/// Ring-setup refusals: a skip only where `requires:` explains them, else a FAIL naming the call; a
/// scenario can expect one (`ring.expect`).
@Suite struct RingSetupVerdictTests {
    @Test func aRefusedSetupWithoutRequiresFailsNamingTheCallErrnoAndFlags() throws {
        let outcome = try reportedOutcome("""
            name: a bad flag combination
            ring: { entries: 8, flags: [defer_taskrun] }
            steps:
              - nop: {}
            """)
        #expect(outcome.verdict == .fail)
        let mismatch = try #require(outcome.mismatches.first)
        #expect(mismatch.subject == "ring setup")
        #expect(mismatch.actual.hasPrefix("io_uring_setup(entries: 8, flags: DEFER_TASKRUN): EINVAL"))
        #expect(mismatch.mark.line == 2)
    }

    @Test func aRefusalThatRequiresExplainsIsASkip() throws {
        // 0x40000000 is a feature bit no kernel reports: the kernel lacks what the scenario declares.
        let outcome = try reportedOutcome("""
            name: needs what the kernel lacks
            requires: { features: 0x40000000 }
            ring: { entries: 8, flags: [defer_taskrun] }
            steps:
              - nop: {}
            """)
        #expect(outcome.verdict == .skip)
        #expect(outcome.reason?.contains("0x40000000") == true)
        #expect(outcome.reason?.contains("io_uring_setup(entries: 8, flags: DEFER_TASKRUN): EINVAL") == true)
    }

    @Test func anExpectedRefusalPassesAndRunsNothing() throws {
        let outcome = try reportedOutcome("""
            name: setup validation
            ring: { entries: 8, flags: [defer_taskrun], expect: -EINVAL }
            """)
        #expect(outcome.verdict == .pass)
        #expect(outcome.mismatches.isEmpty)
        #expect(outcome.reason == "io_uring_setup(entries: 8, flags: DEFER_TASKRUN): EINVAL, as 'ring.expect' says")
    }

    @Test func anExpectedRefusalThatDoesNotComeFails() throws {
        let outcome = try reportedOutcome("""
            name: setup validation that the kernel does not refuse
            ring: { entries: 8, flags: [single_issuer, defer_taskrun], expect: -EINVAL }
            """)
        #expect(outcome.verdict == .fail)
        #expect(outcome.mismatches.first?.expected == "io_uring_setup to fail with -EINVAL")
        #expect(outcome.mismatches.first?.actual == "io_uring_setup(entries: 8, flags: SINGLE_ISSUER|DEFER_TASKRUN) set up a ring")
    }

    @Test func anotherErrnoThanExpectedFailsNamingWhatCame() throws {
        let outcome = try reportedOutcome("""
            name: the wrong refusal
            ring: { entries: 8, flags: [sq_aff], expect: -EPERM }
            """)
        #expect(outcome.verdict == .fail)
        #expect(outcome.mismatches.first?.expected == "io_uring_setup to fail with -EPERM")
        #expect(outcome.mismatches.first?.actual == "io_uring_setup(entries: 8, flags: SQ_AFF): EINVAL")
    }

    @Test func anExpectedFailingRingIsAnXFailWhenMarkedSoAndDiffers() throws {
        let outcome = try reportedOutcome("""
            name: marked expected to fail
            xfail: a known difference
            ring: { entries: 8, flags: [sq_aff], expect: -EPERM }
            """)
        #expect(outcome.verdict == .xfail)
    }

    @Test func aRingExpectedToFailRunsNothingSoStepsAreRefused() {
        let errors = loadErrors("""
            name: steps after a refused setup
            ring: { entries: 8, flags: [sq_aff], expect: -EINVAL }
            steps:
              - nop: {}
            expect:
              a: 0
            """)
        #expect(errors == [
            "4:5: a ring expected to fail ('ring.expect') runs nothing: 'steps' has no place in this scenario",
            "5:1: a ring expected to fail ('ring.expect') runs nothing: 'expect' has no place in this scenario",
        ])
    }

    @Test func aRingExpectationThatAdmitsSuccessIsRefused() {
        for pattern in ["0", "\">= -22\"", "any", "[-EINVAL, 3]"] {
            let errors = loadErrors("""
                name: a ring expect that a ring meets
                ring: { entries: 8, expect: \(pattern) }
                """)
            #expect(errors.first?.hasPrefix("2:29: 'ring.expect' is the error io_uring_setup must fail with") == true
                    && errors.first?.contains("admits a ring that sets up") == true, "\(pattern): \(errors)")
        }
        #expect(loadErrors("name: a list of errors\nring: { expect: [-EINVAL, -EPERM] }") == [])
    }
}

/// A failing io_uring_enter(2): a result a `submit` step can expect, else a FAIL at the step.
@Suite struct FailingEnterVerdictTests {
    static func disabledRing(expect: String?) -> String {
        """
        name: submissions to a disabled ring
        ring: { entries: 8, flags: [r_disabled] }
        steps:
          - nop: {}
            id: queued
          - submit: {}
        \(expect.map { "    expect: \($0)" } ?? "")
        expect:
          queued: never
        """
    }

    @Test func anExpectedFailingEnterIsComparedLikeAnyResult() throws {
        let outcome = try reportedOutcome(FailingEnterVerdictTests.disabledRing(expect: "-EBADFD"))
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func anotherErrnoThanTheSubmitExpectsFails() throws {
        let outcome = try reportedOutcome(FailingEnterVerdictTests.disabledRing(expect: "-EBUSY"))
        #expect(outcome.verdict == .fail)
        #expect(outcome.mismatches.first?.expected == "-EBUSY")
        #expect(outcome.mismatches.first?.actual.contains("EBADFD") == true)
    }

    @Test func anUnexpectedFailingEnterIsAFailAtTheStepWithTheErrno() throws {
        let outcome = try reportedOutcome(FailingEnterVerdictTests.disabledRing(expect: nil))
        #expect(outcome.verdict == .fail, "\(outcome.reason ?? "")")
        let mismatch = try #require(outcome.mismatches.first { $0.subject == "io_uring_enter" })
        #expect(mismatch.actual.hasPrefix("io_uring_enter(to_submit: 1, min_complete: 0, flags: 0): EBADFD"))
        #expect(mismatch.mark.line == 6)
    }

    @Test func anUnexpectedFailingEnterAtTheEndIsAFailToo() throws {
        // No submit step: the runner's own submission at the end is refused.
        let outcome = try reportedOutcome("""
            name: the runner's submission to a disabled ring
            ring: { entries: 8, flags: [r_disabled] }
            steps:
              - nop: {}
                id: queued
            expect:
              queued: never
            """)
        #expect(outcome.verdict == .fail, "\(outcome.reason ?? "")")
        #expect(outcome.mismatches.contains { $0.subject == "io_uring_enter" && $0.actual.contains("EBADFD") })
    }
}

/// Every consumer of a capture waits for its producer's CQE: requests, registrations, control steps
/// and peer actions.
@Suite struct CaptureConsumerTests {
    @Test func aRequestWaitsForTheCaptureItUses() throws {
        let outcome = try reportedOutcome("""
            name: a read through a captured descriptor
            resources:
              data: { file: { content: "hello" } }
              buf: { buffer: { size: 8 } }
            steps:
              - openat: { path: data, flags: O_RDONLY }
                capture: fd
              - read: { fd: $fd, buf: buf, len: 5, offset: 0 }
                id: r
            expect:
              r: 5
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }

    @Test func aRegistrationWaitsForTheCaptureItUses() throws {
        let outcome = try reportedOutcome("""
            name: register_files with a captured descriptor
            resources:
              data: { file: { content: "hello" } }
              buf: { buffer: { size: 8 } }
            steps:
              - openat: { path: data, flags: O_RDONLY }
                capture: fd
              - register_files: { files: [$fd, -1] }
              - read: { fd: { slot: 0 }, buf: buf, len: 5, offset: 0 }
                id: r
            expect:
              r: 5
              buffers: { buf: { prefix: "hello" } }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }

    @Test func aFilesUpdateWaitsForTheCaptureItUses() throws {
        let outcome = try reportedOutcome("""
            name: register_files_update with a captured descriptor
            resources:
              data: { file: { content: "hello" } }
              buf: { buffer: { size: 8 } }
            steps:
              - register_files: { sparse: 2 }
              - openat: { path: data, flags: O_RDONLY }
                capture: fd
              - register_files_update: { offset: 1, files: [$fd] }
                expect: 1
              - read: { fd: { slot: 1 }, buf: buf, len: 5, offset: 0 }
                id: r
            expect:
              r: 5
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }

    @Test func aPeerActionWaitsForTheCaptureItUses() throws {
        let outcome = try reportedOutcome("""
            name: a peer write through a captured descriptor
            resources:
              out: { file: { content: "" } }
            steps:
              - openat: { path: out, flags: O_WRONLY }
                capture: fd
              - peer_write: { fd: $fd, data: "written by the peer" }
            expect:
              files: { out: { content: "written by the peer" } }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }

    @Test func aControlStepWaitsForTheCaptureItUses() throws {
        let outcome = try reportedOutcome("""
            name: a peer close of a captured descriptor
            resources:
              p: { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - socket: { domain: AF_UNIX, type: SOCK_STREAM }
                capture: sock
              - peer_close: { fd: $sock }
              - nop: {}
                id: after
            expect:
              after: 0
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }
}

/// A `probe` step whose lists the kernel does not match says which op differed.
@Suite struct ProbeMismatchReportTests {
    @Test func aProbeMismatchNamesTheOpThatDiffered() throws {
        let outcome = try reportedOutcome("""
            name: a probe that lists nop as unsupported
            steps:
              - probe: { supported: [read], unsupported: [nop, write] }
            """)
        #expect(outcome.verdict == .fail)
        #expect(outcome.mismatches.count == 1)
        let mismatch = try #require(outcome.mismatches.first)
        #expect(mismatch.subject == "probe")
        #expect(mismatch.actual == "EOPNOTSUPP: IORING_OP_NOP, IORING_OP_WRITE are supported")
        #expect(mismatch.mark.line == 3)
    }

    @Test func anExpectedProbeMismatchPasses() throws {
        let outcome = try reportedOutcome("""
            name: a probe mismatch the scenario expects
            steps:
              - probe: { unsupported: [nop] }
                expect: -EOPNOTSUPP
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches)")
    }
}

/// A run its deadline cuts short: TIMEOUT, with every expectation that never completed (queued or not)
/// listed, and a duration that is what the run took.
@Suite struct DeadlineVerdictTests {
    @Test func aRunCutShortListsWhatNeverCompletedWithAnHonestDuration() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try reportedOutcome("""
            name: stuck in the middle
            deadline: 200ms
            resources:
              p: { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf }
                id: stuck
                capture: n
              - write: { fd: p.write, buf: buf, len: $n }
                id: later
              - nop: {}
                id: last
            expect:
              stuck: 1
              later: 1
              last: 0
            """)
        let took = clock.now - started
        #expect(outcome.verdict == .timeout)
        #expect(outcome.neverCompleted.map(\.id) == ["stuck", "later", "last"])
        #expect(outcome.duration >= .milliseconds(200) && outcome.duration <= took, "\(outcome.duration) of \(took)")
    }

    @Test func aSleepPastTheDeadlineEndsAtTheDeadline() throws {
        let outcome = try reportedOutcome("""
            name: a sleep longer than the deadline
            deadline: 150ms
            steps:
              - nop: {}
                id: first
              - sleep: 5s
              - nop: {}
                id: second
            expect:
              first: 0
              second: 0
            """)
        #expect(outcome.verdict == .timeout)
        #expect(outcome.neverCompleted.map(\.id) == ["second"])
        #expect(outcome.duration >= .milliseconds(150) && outcome.duration < .seconds(1), "\(outcome.duration)")
    }
}

extension FailingEnterVerdictTests {
    /// SQEs a refused submit left fill the SQ: queuing more offers them to the kernel again, and its
    /// refusal, which no step expects, is a FAIL at the request that needed the room (not an error).
    @Test func aFullSQOfRefusedSQEsIsOfferedAgainWhenRoomIsNeeded() throws {
        let outcome = try reportedOutcome("""
            name: a disabled ring whose SQ fills up
            ring: { entries: 2, flags: [r_disabled] }
            steps:
              - nop: {}
                id: a
              - nop: {}
                id: b
              - submit: {}
                expect: -EBADFD
              - nop: {}
                id: c
            expect:
              a: never
              b: never
              c: never
            """)
        #expect(outcome.verdict == .fail, "\(outcome.reason ?? "")")
        let mismatch = try #require(outcome.mismatches.first { $0.subject == "io_uring_enter" })
        #expect(mismatch.mark.line == 10 && mismatch.actual.contains("EBADFD"))
    }
}
