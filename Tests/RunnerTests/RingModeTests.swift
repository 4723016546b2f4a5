#if canImport(Glibc)
import Glibc
#endif
import Checker
import IoUring
import Scenario
import Testing
@testable import Runner

@Suite struct RingModeTests {
    @Test(arguments: [
        "sqpoll: { idle: 10ms }",
        "flags: [single_issuer, defer_taskrun]",
        "flags: [coop_taskrun, taskrun_flag, submit_all]",
        "flags: [sqe128, cqe32], entries: 4, cq_entries: 16",
    ])
    func ringSetupsRunTheSameScenario(_ ring: String) throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: one scenario, several rings
            ring: { \(ring) }
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - nop: {}
                id: a
              - read: { fd: p.read, buf: buf }
                id: r
              - submit
              - peer_write: { fd: p.write, data: "ok" }
              - repeat: 20
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              a: 0
              r: 2
              "n{i}": 0
            """, observer: observer)
        #expect(result.skipReason == nil && result.error == nil)
        #expect(result.ending?.deadlineExpired == false)
        #expect(observer.checkedCompletions.count == 22)
        // With DEFER_TASKRUN the read's completion waits for the next GETEVENTS, after the nops.
        #expect(observer.results.contains("a: 0") && observer.results.contains("r: 2"))
    }

    @Test func openStreamsAndSkippedSuccessesDoNotHoldTheRunOpen() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: streams that stay open
            deadline: 5s
            resources:
              p: { pipe: {} }
              l: { tcp_listener: {} }
            steps:
              - poll_add: { fd: p.read, events: POLLIN, multishot: true }
                id: poll
              - accept_multishot: { fd: l }
                id: acc
              - nop: {}
                id: quiet
                skip_success: true
              - timeout: { after: 30s }
                id: long
              - submit
              - peer_write: { fd: p.write, data: "x" }
              - peer_connect: { to: l, count: 2 }
              - nop: {}
                id: last
              - submit
              - sleep: 20ms
            expect:
              poll: { stream: { count: 1.., final: none } }
              acc: { stream: { more: 2, final: none } }
              long: never
              last: 0
              allow_other_cqes: true
            """, observer: observer)
        #expect(result.ending?.deadlineExpired == false)
        #expect(result.duration < .seconds(2))
        let ids = observer.ids
        let checked = observer.checkedCompletions.map { ids[$0.cqe.userData] ?? "?" }
        #expect(checked.contains("poll") && checked.filter { $0 == "acc" }.count == 2 && checked.contains("last"))
        #expect(!checked.contains("quiet") && !checked.contains("long"))
        // Teardown cancels the poll, the accept and the timeout.
        let cancelled = Set(observer.teardownCompletions.filter { $0.cqe.res == -Errno.ECANCELED.rawValue }.map { ids[$0.cqe.userData] ?? "?" })
        #expect(cancelled == ["poll", "acc", "long"])
        // The ring has seen IOSQE_CQE_SKIP_SUCCESS, so the kernel refuses the drained barrier: nothing proves
        // it idle, and its request memory is kept rather than freed.
        #expect(!result.drained)
    }

    @Test func aPollUpdateMovesTheRequestToItsNewUserData() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: poll_update renames
            deadline: 3s
            resources:
              p: { pipe: {} }
            steps:
              - poll_add: { fd: p.read, events: POLLIN }
                id: poll
              - poll_update: { target: poll, new_user_data: 500 }
                id: update
              - submit
              - peer_write: { fd: p.write, data: "x" }
            expect:
              update: 0
              500: { res: "> 0" }
            """, observer: observer)
        #expect(result.ending?.deadlineExpired == false)
        #expect(observer.checkedCompletions.map { $0.cqe.userData }.sorted() == [2, 500])
        #expect(result.duration < .seconds(2))
    }

    @Test func theDeadlineCanStopTheWalkItself() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: sleeps past its deadline
            deadline: 50ms
            steps:
              - nop: {}
                id: a
              - sleep: 10s
              - nop: {}
                id: never_queued
            """, observer: observer)
        #expect(result.ending?.deadlineExpired == true)
        #expect(result.duration < .seconds(1))
        #expect(observer.queued.map(\.id) == ["a"])
    }

    @Test func aResourceTheRunnerCannotMakeFailsWithItsLocation() throws {
        let result = try execute("""
            name: over-aligned
            resources:
              buf: { buffer: { size: 16, align: 8192 } }
            steps:
              - nop
            """)
        #expect(result.error?.description == "test.yaml:3:3: error: resource 'buf': an alignment of 8192 bytes: buffers are page-aligned (4096), no more")
    }

    @Test func anOperandTheRunnerCannotResolveFailsWithTheStepsLocation() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: closes a descriptor it does not own
            allow_outside_sandbox: true
            steps:
              - nop: {}
                id: first
              - peer_close: 5
            """, observer: observer)
        #expect(result.error?.description == "test.yaml:6:5: error: peer_close of the bare descriptor 5 could close one of ringscript's own; name a resource or a capture")
        // What was queued before still ran and was drained.
        #expect(observer.events.contains { if case .teardown = $0 { return true } else { return false } })
        #expect(result.drained)
    }
}
