import IoUring
import Scenario
import Testing
@testable import Runner

/// `sqe:` overrides and literal timespecs on the real kernel: the overridden field reaches the SQE and the
/// kernel's answer changes with it; a `len` override past the op's memory is refused before submission.
@Suite(.serialized) struct SQEOverrideRunTests {
    static func scenario(_ steps: String) -> String {
        """
        name: overrides
        resources:
          f:  { file: { content: "hello" } }
          b:  { buffer: { size: 8 } }
          ft: { file_table: { files: [f] } }
        steps:
        \(steps)
        """
    }

    func results(_ steps: String) throws -> [String] {
        let observer = RecordingObserver()
        let result = try execute(Self.scenario(steps), observer: observer)
        #expect(result.error == nil, "\(result.outcome)")
        return observer.results
    }

    @Test func eachOverriddenFieldChangesTheKernelsAnswer() throws {
        // Without overrides the same reads succeed: the overrides are what the kernel refuses.
        #expect(try results("  - read: { fd: f, buf: b }\n    id: r\n  - read: { fd: { slot: 0 }, buf: b }\n    id: s") == ["r: 5", "s: 5"])
        #expect(try results("""
              - read: { fd: f, buf: b, sqe: { ioprio: 89 } }
                id: ioprio
              - read: { fd: f, buf: b, sqe: { addr: 0 } }
                id: nul
              - read: { fd: f, buf: b, sqe: { op_flags: 0x80000000 } }
                id: rwf
              - read: { fd: { slot: 0 }, buf: b, sqe: { fd: { slot: 7 } } }
                id: slot
              - read: { fd: f, buf: b, sqe: { len: 2 } }
                id: short
              - link_timeout: { after: 1s, alone: true }
                id: lone
            """) == ["ioprio: -EINVAL", "nul: -EFAULT", "rwf: -EOPNOTSUPP", "slot: -EBADF", "short: 2", "lone: -EINVAL"])
    }

    @Test func theOverriddenFieldsAreInTheQueuedSQE() throws {
        let observer = RecordingObserver()
        _ = try execute(Self.scenario("  - nop: { sqe: { ioprio: 7, personality: 0, buf_index: 9, addr3: 0, file_index: 3 } }\n    id: n"),
                        observer: observer)
        let queued = observer.events.compactMap { event -> RawSQE? in
            if case .queued(let request) = event { return request.sqe }
            return nil
        }
        let sqe = try #require(queued.first)
        #expect(sqe.ioprio == 7)
        #expect(sqe.bufIndex == 9)
        #expect(sqe.spliceFDIn == 3)
    }

    @Test func aLenOverridePastTheOpsMemoryIsRefused() throws {
        let result = try execute(Self.scenario("  - read: { fd: f, buf: b, sqe: { len: 4096 } }\n    id: r"))
        let error = try #require(result.error)
        #expect("\(error)".contains("test.yaml:7:5: error: 'read': the 'sqe' override 'len' 4096 is more than the 8 the op's memory holds"), "\(error)")
    }

    @Test func literalTimespecsReachTheKernelAsWritten() throws {
        #expect(try results("""
              - timeout: { after: { sec: -1 } }
                id: negative
              - timeout: { after: { sec: 0, nsec: 1000000 } }
                id: one_ms
              - timeout: { at: { sec: 0, nsec: 1 }, clock: boottime }
                id: past
            """).sorted() == ["negative: -EINVAL", "one_ms: -ETIME", "past: -ETIME"])
    }
}
