import Foundation
import Testing
import IoUring
@testable import Scenario

/// The corpus under scenarios/ must exercise every SQE op and registration step of the op table.
@Suite struct CoverageTests {
    static let scenarios = Fixtures.repository.appendingPathComponent("scenarios").path

    @Test func everyOpAndRegistrationHasAScenario() {
        let coverage = OpCoverage.measure(paths: [CoverageTests.scenarios])
        #expect(coverage.scenarioCount > 0, "no scenario files under \(CoverageTests.scenarios)")
        #expect(coverage.invalid.isEmpty, "invalid scenario files: \(coverage.invalid.map(\.path).joined(separator: ", "))")
        #expect(coverage.uncovered.isEmpty, "ops and registrations without a scenario: \(coverage.uncovered.joined(separator: ", "))")
    }

    @Test func coverageCountsFilesPerStepNameIncludingRegistrationsAndRepeatBodies() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coverage-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            name: one
            resources:
              efd: { eventfd: {} }
            steps:
              - register_files: { sparse: 2 }
              - register_eventfd_async: { eventfd: efd }
              - repeat: 2
                steps:
                  - nop: {}
                    id: "n{i}"
            """.write(to: directory.appendingPathComponent("one.yaml"), atomically: true, encoding: .utf8)
        try """
            name: two
            steps:
              - nop
            """.write(to: directory.appendingPathComponent("sub/two.yaml"), atomically: true, encoding: .utf8)
        try "name: broken\n".write(to: directory.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)

        let coverage = OpCoverage.measure(paths: [directory.path])
        func files(_ name: String) -> [String] {
            coverage.entries.first { $0.spec.name == name }?.files.map { String($0.dropFirst(directory.path.count + 1)) } ?? ["?"]
        }
        #expect(files("nop") == ["one.yaml", "sub/two.yaml"])
        #expect(files("register_files") == ["one.yaml"])
        #expect(files("register_eventfd_async") == ["one.yaml"])
        #expect(files("register_eventfd") == [])
        #expect(coverage.scenarioCount == 2)
        #expect(coverage.invalid.map { String($0.path.dropFirst(directory.path.count + 1)) } == ["broken.yaml"])
        #expect(coverage.uncovered.first == "read" && !coverage.uncovered.contains("nop"))
        // Control steps are not the kernel's: they are not counted.
        #expect(!coverage.entries.contains { $0.spec.name == "submit" || $0.spec.name == "replenish_buffers" })
        #expect(coverage.entries.count == OpTable.operations.count + OpTable.registrations.count)
        let text = coverage.text(withCounts: true)
        #expect(text.hasPrefix("nop ") && text.contains("2 files\n") && text.contains("NO SCENARIO"))
        #expect(text.contains("\nwithout a scenario: " + coverage.uncovered.joined(separator: ", ") + "\n"))
    }

    /// Before the typed ops for FUTEX_*, MSG_RING, PIPE, READV/WRITEV_FIXED, the xattr ops, MADVISE and
    /// RECV_ZC, 13 opcodes had only `raw` while the coverage of the op table said "77 of 77".
    @Test func everyKernelOpcodeHasATypedOp() {
        let untyped = Opcode.allCases.filter { OpCoverage.typedOps(of: $0).isEmpty }
        #expect(untyped.isEmpty, "opcodes with only raw: \(untyped.map(\.kernelName).joined(separator: ", "))")
        #expect(Opcode.allCases.count == 63 && Opcode.allCases.last == .pipe)
    }

    @Test func everyKernelOpcodeHasACorpusScenario() {
        let coverage = OpCoverage.measure(paths: [CoverageTests.scenarios])
        #expect(coverage.opcodes.count == Opcode.allCases.count)
        #expect(coverage.uncoveredOpcodes.isEmpty,
                "opcodes without a typed op or a scenario: \(coverage.uncoveredOpcodes.map(\.opcode.kernelName).joined(separator: ", "))")
    }

    /// Opcodes are counted from the SQE's opcode byte: a typed variant (`read` with `iovecs` is READV) and
    /// a `raw` step count for their opcode; one without any scenario is listed, and is what exit 1 reports.
    @Test func coverageCountsKernelOpcodesNotOnlyTheTable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("opcodes-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            name: vectored and raw
            resources:
              f:   { file: { content: "abc" } }
              a:   { buffer: { size: 3 } }
              vec: { iovecs: [a] }
            steps:
              - read: { fd: f, iovecs: vec }
              - raw: { opcode: IORING_OP_MADVISE, addr: a, len: 0 }
            """.write(to: directory.appendingPathComponent("one.yaml"), atomically: true, encoding: .utf8)
        let coverage = OpCoverage.measure(paths: [directory.path])
        func entry(_ opcode: Opcode) -> OpCoverage.OpcodeEntry? { coverage.opcodes.first { $0.opcode == opcode } }
        #expect(entry(.readv)?.files.count == 1 && entry(.readv)?.typedOps == ["read", "readv"])
        #expect(entry(.read)?.files.isEmpty == true)
        #expect(entry(.madvise)?.files.count == 1 && entry(.madvise)?.typedOps == ["madvise"])
        #expect(entry(.pipe)?.typedOps == ["pipe", "pipe_direct"])
        #expect(coverage.uncoveredOpcodes.contains { $0.opcode == .read } && !coverage.uncoveredOpcodes.contains { $0.opcode == .readv })
        let text = coverage.text(withCounts: true)
        #expect(text.contains("\n2 of 63 kernel opcodes (IORING_OP_*, Linux 6.18) have a typed op and a scenario\n"))
        #expect(text.contains("kernel opcodes without a typed op or a scenario: IORING_OP_NOP (no scenario), IORING_OP_WRITEV (no scenario),"))
        #expect(text.contains("\nIORING_OP_READV "))
    }

    @Test func everyRegistrationNamesItsStep() {
        let registrations: [Registration] = [
            .files([]), .sparseFiles(count: 1), .filesUpdate(offset: 0, []), .fileAllocRange(offset: 0, count: 1),
            .unregisterFiles, .buffers([]), .unregisterBuffers, .eventfd(.empty, async: false), .eventfd(.empty, async: true),
            .unregisterEventfd, .napi(busyPollTimeoutNanoseconds: 0, preferBusyPoll: false), .unregisterNAPI,
            .bufferRing(BufferRingSpec(group: 0, entries: 1, size: 1, incremental: false)), .unregisterBufferRing(group: 0),
            .probe(supported: [], unsupported: []), .enableRings,
        ]
        #expect(Set(registrations.map(\.stepName)) == Set(OpTable.registrations.map(\.name)))
    }
}
