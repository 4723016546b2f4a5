import Checker
import Planner
import Scenario
import Testing
@testable import Runner

/// On the real kernel: no user_data is the engine's, and `$ring` is the ring's own descriptor.
@Suite struct RingUserDataRunTests {
    /// Runs `yaml` with the checker; its verdict, the report's lines, and whether teardown proved the ring idle.
    static func run(_ yaml: String) throws -> (verdict: Verdict, report: String, drained: Bool) {
        let scenario = try ScenarioLoader.load(yaml, file: "rings.yaml").get()
        let plan = try Planner.plan(scenario).get()
        let checker = ExpectationChecker(scenario: scenario, fastPaths: true)
        let result = ScenarioExecution(scenario: scenario, plan: plan, options: ExecutionOptions(), observer: checker).run()
        var outcome = ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker, expectedFailure: nil,
                                                iteration: 1)
        outcome.duration = .zero
        return (outcome.verdict, TextReporter(useColor: false).render(outcome), result.drained)
    }

    @Test func theFormerReservedValuesCheckOutExactlyThroughTeardown() throws {
        let yaml = """
            name: every 64-bit user_data is a scenario's
            steps:
              - nop: {}
                id: top
                user_data: 0xFFFFFFFFFFFFFFFF
              - nop: {}
                id: helper
              - timeout: { after: 10s }
                id: stuck
                user_data: 0xFFFFFFFFFFFFFFFE
              - submit
              - wait: [top, helper]
            expect:
              top: 0
              helper: 0
              stuck: never
            """
        let (verdict, report, drained) = try Self.run(yaml)
        #expect(verdict == .pass, "\(report)")
        // The timeout's -ECANCELED arrived in teardown, and the engine's drained barrier proved the ring idle.
        #expect(drained)
        // The CQE with 0xFFFFFFFFFFFFFFFF is checked like any other: expecting another result fails.
        let failing = try Self.run(yaml.replacingOccurrences(of: "top: 0", with: "top: -EINVAL"))
        #expect(failing.verdict == .fail)
        #expect(failing.report.contains("top"), "\(failing.report)")
    }

    @Test func theRingsOwnDescriptorIsAFile() throws {
        let (verdict, report, _) = try Self.run("""
            name: $ring as a file
            resources:
              b: { buffer: { size: 16 } }
            steps:
              - read: { fd: $ring, buf: b }
                id: read_ring
              - poll_add: { fd: $ring, events: [POLLOUT] }
                id: poll_ring
              - submit: { wait: 2 }
              - register_files: { files: [$ring] }
                expect: -EBADF
            expect:
              read_ring: -EINVAL
              poll_ring: 4
            """)
        #expect(verdict == .pass, "\(report)")
    }
}
