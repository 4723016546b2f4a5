import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

@Suite struct ExecutionTests {
    /// The issue's sketch, with the read asking for exactly the file's 11 bytes.
    static func sketch(readLength: Int) -> String {
        """
        name: a failing link member cancels the rest of the chain
        requires: { ops: [openat, read, write] }
        ring: { entries: 8 }
        resources:
          data: { file: { content: "hello world" } }
          buf:  { buffer: { size: 64 } }
        steps:
          - read:  { fd: data, buf: buf, len: \(readLength), offset: 0 }
            id: r1
            link: true
          - write: { fd: -1, buf: buf, len: 5 }
            id: bad
            link: true
          - nop: {}
            id: after
        expect:
          r1:    { res: 11 }
          bad:   { res: -EBADF }
          after: { res: -ECANCELED }
          order: [r1, bad, after]
          buffers: { buf: { prefix: "hello world" } }
        """
    }

    @Test func theIssueSketchCancelsTheRestOfTheChain() throws {
        let observer = RecordingObserver()
        let result = try execute(ExecutionTests.sketch(readLength: 11), observer: observer)
        #expect(result.error == nil && result.skipReason == nil)
        #expect(observer.results == ["r1: 11", "bad: -EBADF", "after: -ECANCELED"])
        #expect(observer.checkedCompletions.map(\.arrival) == [0, 1, 2])
        #expect(observer.queued.map(\.userData) == [1, 2, 3])
        #expect(observer.queued.map(\.id) == ["r1", "bad", "after"])
        #expect(observer.queued.map { $0.sqe.flags } == [SubmissionFlags.link.rawValue, SubmissionFlags.link.rawValue, 0])
        #expect(observer.queued.map { $0.sqe.opcode } == [Opcode.read.rawValue, Opcode.write.rawValue, Opcode.nop.rawValue])
        // One submission of the whole chain.
        #expect(observer.enters.first?.toSubmit == 3 && observer.enters.first?.result == 3)
        #expect(result.ending?.deadlineExpired == false)
        #expect(result.facts?.buffers["buf"]?.prefix(11) == ArraySlice(Array("hello world".utf8)))
        #expect(observer.teardownCompletions.isEmpty)
        #expect(result.drained)
    }

    /// The sketch as the issue writes it reads 64 bytes of an 11-byte file: the kernel counts that short
    /// read as a failure of the link (io_uring/rw.c, __io_complete_rw_common: res != the length asked
    /// for → req_set_fail), so `bad` never runs and is cancelled like `after`.
    @Test func aShortReadBreaksTheLinkChainAsWell() throws {
        let observer = RecordingObserver()
        try execute(ExecutionTests.sketch(readLength: 64), observer: observer)
        #expect(observer.results == ["r1: 11", "bad: -ECANCELED", "after: -ECANCELED"])
    }
}

@Suite struct DeadlineAndSkipTests {
    @Test func aRequestThatNeverCompletesStopsAtTheDeadline() throws {
        let observer = RecordingObserver()
        let clock = ContinuousClock()
        let started = clock.now
        let result = try execute("""
            name: waits forever
            deadline: 300ms
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf }
                id: stuck
            expect:
              stuck: 0
            """, observer: observer)
        let took = clock.now - started
        #expect(result.ending?.deadlineExpired == true)
        // Nothing came back before the deadline; the cancel in teardown brings the read back.
        #expect(observer.checkedCompletions.isEmpty)
        #expect(observer.teardownCompletions.map { $0.cqe.res } == [-Errno.ECANCELED.rawValue])
        #expect(took < .milliseconds(600))
        #expect(result.ending!.duration >= .milliseconds(300))
        #expect(result.drained)
    }

    @Test func theDeadlineOptionOverridesTheScenario() throws {
        let result = try execute("""
            name: waits forever
            deadline: 30s
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf }
            """, options: ExecutionOptions(deadline: .milliseconds(100)))
        #expect(result.ending?.deadlineExpired == true)
        #expect(result.duration < .seconds(1))
    }

    @Test func unmetRequirementsSkipWithTheReasonBeforeAnythingRuns() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: needs a future kernel
            requires: { kernel: "99.1", ops: [nop] }
            resources:
              f: { file: { content: "x" } }
            steps:
              - nop
            """, observer: observer)
        #expect(result.skipReason == "requires kernel 99.1 or newer (running \(KernelRelease.current))")
        #expect(observer.events.isEmpty)
    }

    @Test func napiIsRequiredByTryingIt() throws {
        // The kernel here (6.9 or newer, built with busy polling) takes the registration, so nothing is
        // skipped; where it refuses, the reason names the refusal.
        let result = try execute("""
            name: needs napi
            requires: { napi: true }
            steps:
              - register_napi: {}
            """)
        let refusal = RequirementCheck.tryNapi()
        if let refusal {
            #expect(result.skipReason == "requires NAPI busy polling (IORING_REGISTER_NAPI), which this kernel refuses: \(refusal)")
        } else {
            #expect(result.skipReason == nil && result.error == nil)
        }
    }

    @Test func aRingSetupTheKernelRefusesWithoutRequiresDiffersNamingTheCall() throws {
        // IORING_SETUP_DEFER_TASKRUN without SINGLE_ISSUER: io_uring_setup(2) answers EINVAL. Nothing in
        // `requires:` explains it, so it is no skip: the setup differed from what the scenario says.
        let result = try execute("""
            name: defer_taskrun alone
            ring: { flags: [defer_taskrun] }
            steps:
              - nop
            """)
        #expect(result.skipReason == nil)
        guard case .setupDecided(let mismatch?, let call) = result.outcome else {
            Issue.record("expected a setup that differed, got \(result.outcome)")
            return
        }
        #expect(call.hasPrefix("io_uring_setup(entries: 64, flags: DEFER_TASKRUN): EINVAL"))
        #expect(mismatch.subject == "ring setup" && mismatch.mark.line == 2)
    }

    @Test func aRingSetupRefusedForWhatRequiresDeclaresIsASkip() throws {
        let result = try execute("""
            name: needs a feature bit no kernel has
            requires: { features: 0x40000000 }
            ring: { flags: [defer_taskrun] }
            steps:
              - nop
            """)
        #expect(result.skipReason?.hasPrefix("requires 0x40000000, which this kernel does not offer") == true, "\(result.outcome)")
    }

    /// `address: $srv` is where the captured socket is bound: a server the ring bound to port 0 can be
    /// connected to. The linked listen uses $srv too, which bind (the chain's head) waited for.
    @Test func aCapturedSocketStandsForTheAddressItIsBoundTo() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: connect to a captured socket
            steps:
              - socket: {}
                id: server
                capture: srv
              - bind: { fd: $srv, address: "127.0.0.1:0" }
                id: bound
                link: true
              - listen: { fd: $srv }
                id: listening
                link: true
              - accept: { fd: $srv }
                id: accepted
              - socket: {}
                id: client
                capture: cli
              - connect: { fd: $cli, address: $srv }
                id: connected
            expect:
              bound: 0
              listening: 0
              connected: 0
              accepted: ">= 0"
            """, observer: observer)
        #expect(result.error == nil && result.skipReason == nil)
        #expect(Set(observer.results).isSuperset(of: ["bound: 0", "listening: 0", "connected: 0"]))
        #expect(observer.results.contains { $0.hasPrefix("accepted: ") && !$0.hasPrefix("accepted: -") })
        // bind, listen and accept went to the kernel in one submission, as one chain.
        let bind = try #require(observer.queued.first { $0.id == "bound" })
        #expect(bind.sqe.flags == SubmissionFlags.link.rawValue)
    }

    /// replenish_buffers gives ring buffers back: the receive after it gets buffer 0 again.
    @Test func replenishedRingBuffersAreUsedAgain() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: replenish
            resources:
              s:  { socketpair: { type: SOCK_SEQPACKET } }
              br: { buffer_ring: { group: 1, entries: 1, size: 16 } }
            steps:
              - peer_write: { fd: s.a, data: "one" }
              - peer_write: { fd: s.a, data: "two" }
              - recv: { fd: s.b, buffer_group: br }
                id: first
              - wait: [first]
              - recv: { fd: s.b, buffer_group: br }
                id: dry
              - wait: [dry]
              - replenish_buffers: { group: br, first: 0 }
              - recv: { fd: s.b, buffer_group: br }
                id: again
            """, observer: observer)
        #expect(result.error == nil)
        #expect(observer.results == ["first: 3", "dry: -ENOBUFS", "again: 3"])
        #expect(observer.checkedCompletions.last?.cqe.flags.bufferID == 0)
    }

    /// A multishot recvmsg reserves exactly `name_len` bytes of each provided buffer for the address:
    /// 16 (struct io_uring_recvmsg_out) + 16 (sockaddr_in) + 5 payload bytes = 37, which fits a 64-byte
    /// buffer. (With a sockaddr_storage's 128 bytes reserved instead, every receive failed with EFAULT.)
    @Test func multishotRecvmsgReservesExactlyNameLenForTheAddress() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: recvmsg name_len
            resources:
              u:  { udp_socket: {} }
              br: { buffer_ring: { group: 1, entries: 2, size: 64 } }
            steps:
              - recvmsg: { fd: u, buffer_group: br, multishot: true, name_len: 16 }
                id: rx
              - submit
              - peer_send: { to: u, data: "hello" }
              - sleep: 5ms
              - cancel: { target: rx }
                id: stop
              - wait: [rx, stop]
            """, observer: observer)
        #expect(result.error == nil)
        #expect(observer.results.first == "rx: 37")
        #expect(observer.results.contains("rx: -ECANCELED"))
    }
}

/// `xfail: { reason, fixed_in }` is an expected failure only on kernels without the fix.
@Suite struct BoundedExpectedFailureTests {
    static func outcome(fixedIn: String, result: Int) throws -> ScenarioOutcome {
        let scenario = try ScenarioLoader.load("""
            name: bounded xfail
            xfail: { reason: "known bug", fixed_in: [\(fixedIn)] }
            steps:
              - nop: { result: \(result) }
                id: n
            expect:
              n: 0
            """, file: "x.yaml").get()
        return RunSession.executeOne(scenario, iteration: 0, options: RunSessionOptions(), writeError: { _ in })
    }

    @Test func onAKernelWithTheFixTheScenarioMustPass() throws {
        #expect(try Self.outcome(fixedIn: "\"1.0\"", result: 0).verdict == .pass)
        #expect(try Self.outcome(fixedIn: "\"1.0\"", result: 1).verdict == .fail)
    }

    @Test func onAKernelWithoutTheFixItIsExpectedToFail() throws {
        let failing = try Self.outcome(fixedIn: "\"99.0\"", result: 1)
        #expect(failing.verdict == .xfail && failing.reason == "known bug")
        #expect(try Self.outcome(fixedIn: "\"99.0\"", result: 0).verdict == .xpass)
    }
}

/// What CQEs delivered into buffer-ring buffers reaches the checker, incremental heads followed.
@Suite struct BufferDataTests {
    @Test func incrementalReadsDeliverTheirOwnBytesAndReplenishStartsAfresh() throws {
        let observer = RecordingObserver()
        _ = try execute("""
            name: data
            resources:
              p:   { pipe: {} }
              inc: { buffer_ring: { group: 5, entries: 1, size: 16, incremental: true } }
            steps:
              - peer_write: { fd: p.write, data: "12345" }
              - read: { fd: p.read, buffer_group: inc }
                id: a
              - wait: [a]
              - peer_write: { fd: p.write, data: "678" }
              - read: { fd: p.read, buffer_group: inc }
                id: b
              - wait: [b]
              - peer_write: { fd: p.write, data: "abcdefghijkl" }
              - read: { fd: p.read, buffer_group: inc }
                id: c
              - wait: [c]
              - replenish_buffers: { group: inc, first: 0 }
              - read: { fd: p.read, buffer_group: inc }
                id: d
            expect:
              a: { data: "12345" }
            """, observer: observer)
        let data = observer.checkedCompletions.map { $0.data.map { String(decoding: $0, as: UTF8.self) } }
        #expect(data == ["12345", "678", "abcdefgh", "ijkl"])
    }

    @Test func withoutDataExpectationsNothingIsRead() throws {
        let observer = RecordingObserver()
        _ = try execute("""
            name: no data
            resources:
              s:  { socketpair: {} }
              br: { buffer_ring: { group: 1, entries: 1, size: 8 } }
            steps:
              - peer_write: { fd: s.a, data: "x" }
              - recv: { fd: s.b, buffer_group: br }
                id: r
            """, observer: observer)
        #expect(observer.checkedCompletions.map(\.data) == [nil])
    }
}
