import IoUring
import Testing
@testable import Scenario

/// `ring.reap`, `reap`, `enter`, `ring_state` and `enable_rings` as the loader reads them, and every
/// misuse refused at its line and column.
@Suite struct RingControlLoadingTests {
    @Test func theStepsLoadIntoTheirModel() throws {
        let scenario = try load("""
            name: ring control
            ring: { entries: 4, reap: manual }
            steps:
              - nop: {}
                id: a
              - ring_state: { sq_ready: 1, sq_flags: [], features: [nodrop], features_lacking: 0x80000000 }
              - enter: { to_submit: 1, min_complete: 1, flags: [getevents], timeout: 10ms }
                expect: 1
              - reap
              - reap: 2
              - reap: { count: 1, timeout: 1s }
              - enable_rings
            expect:
              a: 0
            """)
        #expect(scenario.ring.reapsManually)
        var actions: [RingControl] = []
        var registrations: [Registration] = []
        for node in scenario.graph.nodes {
            if case .control(let step) = node.kind, case .ring(let control) = step.action { actions.append(control) }
            if case .registration(let step) = node.kind { registrations.append(step.registration) }
        }
        #expect(registrations == [.enableRings])
        try #require(actions.count == 5)
        guard case .state(let checks) = actions[0] else { Issue.record("not a ring_state: \(actions[0])"); return }
        #expect(checks.map(\.field) == [.sqReady, .sqFlags, .features, .featuresLacking])
        #expect(checks[0].expected == .count(1) && checks[0].mark.line == 6 && checks[0].mark.column == 29)
        #expect(checks[1].expected == .exactBits(NamedValue(value: 0, names: [])))
        if case .hasBits(let bits) = checks[2].expected { #expect(bits.value == UInt64(Features.noDrop.rawValue)) }
        #expect(actions[1] == .enter(EnterStep(toSubmit: 1, minComplete: 1, flags: .getEvents, timeoutNanoseconds: 10_000_000)))
        #expect(actions[2] == .reap(count: nil, timeoutNanoseconds: nil))
        #expect(actions[3] == .reap(count: 2, timeoutNanoseconds: nil))
        #expect(actions[4] == .reap(count: 1, timeoutNanoseconds: 1_000_000_000))
    }

    @Test(arguments: [
        ("ring: { reap: sometimes }\nsteps:\n  - nop", "2:15: error: 'reap' must be auto (every submission reaps) or manual"),
        ("steps:\n  - reap: 1", "3:5: error: 'reap' needs 'ring: { reap: manual }'"),
        ("ring: { reap: manual }\nsteps:\n  - reap: 0", "4:11: error: 'count' must be at least 1"),
        ("ring: { reap: manual }\nsteps:\n  - reap: { timeout: 1s }", "4:22: error: 'timeout' bounds the wait for 'count' CQEs"),
        ("steps:\n  - enter: { min_complete: 1 }", "3:28: error: 'min_complete' waits only with 'flags: [getevents]'"),
        ("steps:\n  - enter: { timeout: 1ms }", "3:23: error: 'timeout' bounds a wait, which needs 'flags: [getevents]'"),
        ("steps:\n  - enter: { flags: [getevents, ext_arg] }", "3:21: error: 'ext_arg' is set by 'timeout'"),
        ("steps:\n  - ring_state: {}", "3:5: error: 'ring_state' needs at least one of 'sq_ready'"),
        ("steps:\n  - ring_state: { cq_ready: 1 }\n    expect: 1", "4:5: error: 'expect' does not apply to 'ring_state'"),
        ("steps:\n  - ring_state: { sq_flags: [cq_overflo] }", "3:30: error: unknown SQ ring flag 'cq_overflo' (did you mean 'cq_overflow'?)"),
        ("steps:\n  - ring_state: { cq_overflow: -1 }", "3:32: error: 'cq_overflow' must be between 0 and 4294967295, not -1"),
    ])
    func misuseIsRefusedWhereItIsWritten(_ body: String, _ message: String) {
        let text = "name: misuse\n" + body + "\n"
        let rendered = diagnostics(text)
        #expect(rendered.contains("test.yaml:" + message), "\(rendered)")
    }

    /// Before: the validator required a file table for these steps even when they expect the kernel's
    /// refusal of a ring without one.
    @Test func fileTableStepsThatExpectARefusalNeedNoTable() {
        #expect(diagnostics("""
            name: refusals without a table
            resources:
              f: { file: {} }
            steps:
              - register_files_update: { files: [f] }
                expect: -ENXIO
              - register_file_alloc_range: { offset: 0, count: 4 }
                expect: -EINVAL
            """) == "valid")
        #expect(diagnostics("""
            name: an update that must succeed still needs a table
            resources:
              f: { file: {} }
            steps:
              - register_files_update: { files: [f] }
            """).contains("no file table is registered at this point"))
    }

    @Test func aScenarioWhoseOnlyChecksAreRingStatesHasSomethingToCheck() throws {
        let scenario = try load("""
            name: only a ring state
            steps:
              - ring_state: { sq_entries: 64 }
            """)
        #expect(!scenario.hasNothingToCheck)
    }

    @Test func theSchemaKnowsTheStepsAndTheReapMode() {
        let schema = ScenarioSchema.json
        for name in ["step.reap", "step.enter", "step.ring_state", "step.enable_rings", "constants.SQ_ring_flag", "constants.enter_flag"] {
            #expect(schema.contains(name), "\(name)")
        }
        #expect(schema.contains("\"manual\""))
    }
}
