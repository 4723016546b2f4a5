import Foundation
import Testing
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
        #expect(text.hasSuffix("without a scenario: " + coverage.uncovered.joined(separator: ", ") + "\n"))
    }

    @Test func everyRegistrationNamesItsStep() {
        let registrations: [Registration] = [
            .files([]), .sparseFiles(count: 1), .filesUpdate(offset: 0, []), .fileAllocRange(offset: 0, count: 1),
            .unregisterFiles, .buffers([]), .unregisterBuffers, .eventfd(.empty, async: false), .eventfd(.empty, async: true),
            .unregisterEventfd, .napi(busyPollTimeoutNanoseconds: 0, preferBusyPoll: false), .unregisterNAPI,
            .bufferRing(BufferRingSpec(group: 0, entries: 1, size: 1, incremental: false)), .unregisterBufferRing(group: 0),
            .probe(supported: [], unsupported: []),
        ]
        #expect(Set(registrations.map(\.stepName)) == Set(OpTable.registrations.map(\.name)))
    }
}
