#if canImport(Glibc)
import Glibc
#endif
import Checker
@testable import IoUring
import Scenario
import Testing
@testable import Runner

@Suite struct CaptureTests {
    @Test func aDescriptorCapturedFromOpenatFeedsTheRead() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: captures flow
            resources:
              buf: { buffer: { size: 32 } }
              src: { file: { path: input.txt, content: "captured", open: false } }
              out: { file: { size: 0 } }
            steps:
              - openat: { path: input.txt, flags: O_RDONLY }
                id: open
                capture: fd
              - read: { fd: $fd, buf: buf }
                id: r
                capture: n
              - write: { fd: out, buf: buf, len: $n }
                id: w
              - close: { fd: $fd }
                id: c
            expect:
              open: ">= 0"
              r: 8
              w: 8
              c: 0
              files: { out: { content: "captured" } }
            """, observer: observer)
        #expect(result.error == nil)
        // The write and the close go in one submission; either may complete first.
        #expect(Array(observer.results.dropFirst().prefix(1)) == ["r: 8"])
        #expect(Set(observer.results.dropFirst(2)) == ["w: 8", "c: 0"])
        let open = try #require(observer.checkedCompletions.first)
        let opened = open.cqe.res
        #expect(opened >= 0)
        // The read was queued only after the openat's CQE, with its descriptor in the SQE.
        let read = try #require(observer.queued.first { $0.id == "r" })
        #expect(read.sqe.fd == opened)
        #expect(observer.queued.first { $0.id == "w" }?.sqe.len == 8)
        // Each capture waited for its producer: openat, read, then write and close together.
        #expect(observer.enters.map(\.toSubmit).filter { $0 > 0 } == [1, 1, 2])
        #expect(result.facts?.files["out"]?.content == Array("captured".utf8))
    }

    @Test func aChainWhoseMembersUseAnEarlierCaptureIsSubmittedWhole() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: open, then write and close in one chain
            steps:
              - openat: { path: made.txt, flags: [O_CREAT, O_WRONLY] }
                id: open
                capture: fd
              - write: { fd: $fd, data: "chained" }
                id: w
                link: true
              - close: { fd: $fd }
                id: c
            expect:
              open: ">= 0"
              w: 7
              c: 0
              order: [w, c]
              files: { made.txt: { content: "chained" } }
            """, observer: observer)
        #expect(result.error == nil)
        // The runner waited for $fd before queuing the chain's head, then submitted both SQEs at once.
        #expect(observer.enters.map(\.toSubmit).filter { $0 > 0 } == [1, 2])
        let opened = try #require(observer.checkedCompletions.first).cqe.res
        #expect(observer.queued.filter { $0.id == "w" || $0.id == "c" }.map(\.sqe.fd) == [opened, opened])
        #expect(observer.results.dropFirst() == ["w: 7", "c: 0"])
        #expect(result.facts?.files["made.txt"]?.content == Array("chained".utf8))
    }

    @Test func statxAndWaitidWriteTheirStructsIntoBuffers() throws {
        let result = try execute("""
            name: struct results
            resources:
              data:  { file: { content: "hello world" } }
              st:    { buffer: { size: 256, fill: 0xff } }
              child: { child_process: { exit_code: 3 } }
              info:  { buffer: { size: 128 } }
            steps:
              - statx: { path: data, buf: st }
                id: stat
              - waitid: { id: child, buf: info }
                id: reaped
            expect:
              stat: 0
              reaped: 0
              buffers:
                st: { at: 40, hex_prefix: "0b 00 00 00 00 00 00 00" }
                info: { at: 24, hex_prefix: "03 00 00 00" }
            """)
        #expect(result.error == nil)
        let st = try #require(result.facts?.buffers["st"])
        #expect(st[40..<48].elementsEqual([11, 0, 0, 0, 0, 0, 0, 0]))   // stx_size
        let info = try #require(result.facts?.buffers["info"])
        #expect(info[8..<12].elementsEqual([1, 0, 0, 0]))    // si_code CLD_EXITED
        #expect(info[24..<28].elementsEqual([3, 0, 0, 0]))   // si_status
    }

    @Test func capturedSlotsAndPeerSocketsResolve() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: slots and peers
            resources:
              table: { file_table: { sparse: 4 } }
              l:     { tcp_listener: {} }
              buf:   { buffer: { size: 16 } }
              data:  { file: { path: d.txt, content: "direct" } }
            steps:
              - openat_direct: { path: d.txt, slot: 2 }
                id: open
                capture: slot
              - read: { fd: $slot, buf: buf, len: 6 }
                id: r
              - close_direct: { slot: $slot }
                id: close
              - accept: { fd: l }
                id: acc
                capture: conn
              - peer_connect: { to: l }
                capture: client
              - peer_write: { fd: $client, data: "ping" }
              - recv: { fd: $conn, buf: buf, len: 4 }
                id: rx
              - close: { fd: $conn }
                id: c
            expect:
              open: 0
              r: 6
              close: 0
              acc: ">= 0"
              rx: 4
              c: 0
            """, observer: observer)
        #expect(result.error == nil)
        #expect(observer.results.filter { !$0.hasPrefix("acc") } == ["open: 0", "r: 6", "close: 0", "rx: 4", "c: 0"])
        // The slot named in openat_direct (res 0) is what $slot holds: the read uses slot 2, fixed.
        let read = try #require(observer.queued.first { $0.id == "r" })
        #expect(read.sqe.fd == 2 && read.sqe.flags & SubmissionFlags.fixedFile.rawValue != 0)
        #expect(observer.controlSummaries.contains { $0.hasPrefix("peer_write $client: 4 of 4 bytes") })
    }
}

@Suite struct ControlStepTests {
    @Test func submitPointsWaitsSleepsAndPeersRunInOrder() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: control steps
            resources:
              p:   { pipe: {} }
              efd: { eventfd: {} }
              buf: { buffer: { size: 16 } }
            steps:
              - nop: {}
                id: a
              - submit
              - read: { fd: p.read, buf: buf }
                id: r
              - submit
              - peer_write: { fd: p.write, data: "xyz" }
              - wait: r
              - timeout: { after: 5ms }
                id: t
              - submit: { wait: 1 }
              - read: { fd: efd, buf: buf, len: 8 }
                id: ev
              - submit
              - sleep: 2ms
              - peer_signal: { eventfd: efd, value: 5 }
              - wait: { ids: [ev], timeout: 1s }
              - peer_close: p.write
              - read: { fd: p.read, buf: buf }
                id: eof
            expect:
              a: 0
              r: 3
              t: -ETIME
              ev: 8
              eof: 0
            """, observer: observer)
        #expect(result.error == nil && result.ending?.deadlineExpired == false)
        #expect(observer.results == ["a: 0", "r: 3", "t: -ETIME", "ev: 8", "eof: 0"])
        #expect(observer.controlSummaries == [
            "submit 1 SQE", "submit 1 SQE", "peer_write p.write: 3 of 3 bytes", "wait for r: done",
            "submit 1 SQE, 1 of 1 CQE arrived", "submit 1 SQE", "sleep 2ms", "peer_signal efd +5",
            "wait for ev: done", "peer_close p.write",
        ])
        // submit: { wait: 1 } is one io_uring_enter with min_complete 1.
        #expect(observer.enters.contains { $0.toSubmit == 1 && $0.minComplete == 1 })
        #expect(result.facts != nil)
    }

    @Test(arguments: [(flags: "[submit_all]", taken: 3 as Int32), (flags: "[]", taken: 2 as Int32)])
    func aSubmitStepReportsHowManySQEsTheKernelTook(flags: String, taken: Int32) throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: a rejected SQE in the middle
            ring: { flags: \(flags) }
            steps:
              - nop: {}
              - raw: { opcode: 250 }
              - nop: {}
              - submit: {}
                expect: \(taken)
            """, observer: observer)
        #expect(result.error == nil)
        // The step's own io_uring_enter(2): without SUBMIT_ALL the kernel stops at the bad SQE.
        #expect(observer.registrations.map(\.result) == [taken])
        #expect(observer.registrations.allSatisfy { $0.isSubmit })
        #expect(observer.enters.map(\.result) == (taken == 3 ? [3] : [2, 1]))
        #expect(observer.results.count == 3)
    }

    @Test func submitWaitCountsCQEsNotYetConsumed() throws {
        // The nop's CQE arrived after the first submit; `submit: 1` finds it like io_uring_enter's
        // min_complete would in a program that has not reaped yet, and does not wait for another.
        let observer = RecordingObserver()
        let result = try execute("""
            name: min_complete
            deadline: 2s
            steps:
              - nop
              - submit
              - submit: 1
              - nop
              - submit: 1
            """, observer: observer)
        #expect(result.ending?.deadlineExpired == false)
        #expect(observer.controlSummaries == ["submit 1 SQE", "submit 0 SQEs, 1 of 1 CQE arrived", "submit 1 SQE, 1 of 1 CQE arrived"])
    }

    @Test func peerReadTakesWhatIsThereWithoutWaiting() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: peer reads
            deadline: 2s
            resources:
              s: { socketpair: {} }
            steps:
              - peer_read: { fd: s.b, len: 16 }
              - send: { fd: s.a, data: "hello" }
                id: tx
              - wait: tx
              - peer_read: { fd: s.b, len: 16 }
            """, observer: observer)
        #expect(result.duration < .seconds(1))
        #expect(observer.controlSummaries == ["peer_read s.b: nothing to read", "wait for tx: done", "peer_read s.b: 5 bytes"])
    }

    @Test func aWaitThatTimesOutMovesOn() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: gives up waiting
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf }
                id: r
              - wait: { ids: [r], timeout: 20ms }
              - cancel: { target: r }
                id: stop
            expect:
              r: -ECANCELED
              stop: 0
            """, observer: observer)
        #expect(result.ending?.deadlineExpired == false)
        #expect(observer.controlSummaries == ["wait for r: gave up after 20ms"])
        #expect(Set(observer.results) == ["r: -ECANCELED", "stop: 0"])
    }

    @Test func registrationsReportTheKernelsResult() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: registrations
            resources:
              data: { file: { content: "abc" } }
              buf:  { buffer: { size: 8 } }
            steps:
              - register_files: { files: [data] }
              - read: { fd: { slot: 0 }, buf: buf, len: 3 }
                id: r
              - register_files: { files: [data] }
                expect: -EBUSY
              - unregister_files
            expect:
              r: 3
            """, observer: observer)
        #expect(result.error == nil)
        #expect(observer.registrations.map(\.result) == [0, -Errno.EBUSY.rawValue, 0])
        #expect(observer.results == ["r: 3"])
    }
}

@Suite struct CapacityTests {
    @Test func moreSQEsThanTheSQHoldsAreSubmittedAsItFills() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: a batch longer than the SQ
            ring: { entries: 4 }
            steps:
              - repeat: 10
                steps:
                  - nop: {}
                    id: "n{i}"
              - nop: {}
                id: a
                link: true
              - nop: {}
                id: b
                link: true
              - nop: {}
                id: c
            """, observer: observer)
        #expect(result.error == nil)
        #expect(observer.checkedCompletions.count == 13)
        // 4 + 4 fill the SQ; then n8, n9 and the chain a-b-c would not fit: n8, n9 go alone.
        #expect(observer.enters.map(\.toSubmit) == [4, 4, 2, 3])
    }

    @Test func moreInFlightThanTheCQHoldsStillWorks() throws {
        // 40 reads wait on a pipe with a CQ of 4 entries; one write completes them all at once, and the
        // CQEs the CQ cannot hold wait in the kernel's overflow list until the runner reaps them.
        let observer = RecordingObserver()
        let result = try execute("""
            name: more in flight than the CQ holds
            ring: { entries: 2, cq_entries: 4 }
            resources:
              s:   { socketpair: { type: SOCK_DGRAM } }
              buf: { buffer: { size: 64 } }
            steps:
              - repeat: 40
                steps:
                  - recv: { fd: s.b, buf: buf, len: 1 }
                    id: "r{i}"
              - submit
              - repeat: 40
                steps:
                  - peer_write: { fd: s.a, data: "x" }
            expect:
              "r{i}": 1
            """, observer: observer)
        #expect(result.error == nil && result.ending?.deadlineExpired == false)
        #expect(observer.checkedCompletions.count == 40)
        #expect(observer.checkedCompletions.allSatisfy { $0.cqe.res == 1 })
    }

    @Test func aScenarioThatWantsOverflowGetsItWhileTheRunnerSleeps() throws {
        // The runner reaps only when it submits or waits, so a scenario overflows its CQ by letting
        // CQEs pile up during a `sleep`: here a multishot timeout ticks into a CQ of two. The kernel ends
        // a multishot request whose next CQE does not fit: two ticks with IORING_CQE_F_MORE fill the CQ,
        // the third is the final CQE, kept in the overflow list (IORING_FEAT_NODROP) until the runner
        // flushes it with an io_uring_enter(GETEVENTS) that submits nothing.
        let observer = RecordingObserver()
        let result = try execute("""
            name: overflow on purpose
            ring: { entries: 2, cq_entries: 2 }
            steps:
              - timeout: { after: 1ms, count: 10, multishot: true }
                id: tick
              - submit
              - sleep: 50ms
            expect:
              tick: { stream: { more: 2, count: 3, each: -ETIME, final: -ETIME } }
            """, observer: observer)
        #expect(result.ending?.deadlineExpired == false)
        let ticks = observer.checkedCompletions
        #expect(ticks.map { $0.cqe.res } == [-62, -62, -62])
        #expect(ticks.map { $0.cqe.flags.contains(.more) } == [true, true, false])
        #expect(observer.enters.dropFirst().first.map { $0.toSubmit == 0 && $0.minComplete == 0 && $0.flags == [.getEvents] } == true,
                "the overflowed CQE was flushed by an enter with GETEVENTS")
    }

    @Test func aMillionStyleRepeatRunsInConstantMemory() throws {
        // 200,000 nops: the engine's scratch arena and the runner's outstanding table must not grow with
        // the iterations; sizes are asserted, not time.
        let observer = CountingObserver()
        var arenaSizes: [Int] = []
        var retained: [Int] = []
        var peaks: [Int] = []
        let result = try execute("""
            name: many nops
            ring: { entries: 64 }
            deadline: 120s
            steps:
              - repeat: 200000
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              "n{i}": 0
            """, observer: observer) { execution in
            execution.inspectionInterval = 20_000
            execution.inspect = { ring, statistics in
                arenaSizes.append(ring.arena.capacity)
                retained.append(ring.retained.count)
                peaks.append(statistics.peakOutstanding)
            }
        }
        #expect(result.error == nil && result.ending?.deadlineExpired == false)
        #expect(observer.queued == 200_000 && observer.completed == 200_000)
        #expect(result.statistics.requests == 200_000)
        #expect(arenaSizes.count == 11)
        #expect(arenaSizes.allSatisfy { $0 <= 64 * 1024 })
        #expect(retained.allSatisfy { $0 == 0 })
        // Never more outstanding than the SQ holds plus what one submission adds.
        #expect(result.statistics.peakOutstanding <= 128)
        #expect(peaks.last == result.statistics.peakOutstanding)
    }
}
