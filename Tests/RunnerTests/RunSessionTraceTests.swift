import Foundation
import Checker
import IoUring
import Scenario
import Synchronization
import Testing
@testable import Runner

/// `--trace`: what one line says about an SQE, and what a whole run logs.
@Suite struct RunSessionTraceTests {
    @Test func everyFlagBitIsNamedAndOffsetsAreSigned() {
        var sqe = RawSQE(opcode: Opcode.read.rawValue)
        sqe.flags = 0x01 | 0x04 | 0x80  // FIXED_FILE, IO_LINK and a bit no IOSQE_* name covers
        sqe.off = UInt64.max             // -1: "read at the file position"
        let line = TraceLog.line(for: .queued(QueuedRequest(node: 0, iterations: [], id: "r", userData: 7, sqe: sqe, elapsed: .zero)))
        #expect(line.contains(" flags=IOSQE_FIXED_FILE|IOSQE_IO_LINK|0x80 "), "\(line)")
        #expect(line.contains(" off=-1 "), "\(line)")
        #expect(!line.contains("18446744073709551615"))
    }

    @Test func timeoutsShowTheirTimespecAndASingleScenarioHasNoPrefix() throws {
        let file = NSTemporaryDirectory() + "ringscript-trace-\(getpid()).yaml"
        try """
        name: a timeout fires
        steps:
          - timeout: { after: 1500us }
            id: t
          - nop: {}
            id: n
            user_data: 0xBEEF
        expect:
          t: -ETIME
          n: 0
        """.write(toFile: file, atomically: true, encoding: String.Encoding.utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let errors = Mutex<[String]>([])
        let status = RunSession.run(paths: [file], options: RunSessionOptions(trace: true), writeOutput: { _ in },
                                    writeError: { line in errors.withLock { $0.append(line) } })
        #expect(status == .success)
        let lines = errors.withLock { $0 }
        let sqe = try #require(lines.first { $0.contains("SQE t ") })
        #expect(sqe.contains("IORING_OP_TIMEOUT"))
        #expect(sqe.hasSuffix(" ts={tv_sec=0, tv_nsec=1500000}"), "\(sqe)")
        #expect(!lines.contains { $0.hasPrefix("[a timeout fires]") }, "one scenario: no name prefix")
        // user_data in the base the scenario wrote it, for the SQE and its CQE.
        #expect(lines.contains { $0.contains("SQE n user_data=0xbeef IORING_OP_NOP") }, "\(lines)")
        #expect(lines.contains { $0.contains("CQE #") && $0.contains("user_data=0xbeef res=0") }, "\(lines)")
    }
}
