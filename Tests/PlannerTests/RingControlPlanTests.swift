import Testing
import Scenario
@testable import Planner

/// The plan of a scenario that reaps under its own control says so, and lists its ring steps.
@Suite struct RingControlPlanTests {
    @Test func aManualReapPlanSaysSubmissionsDoNotReapAndListsTheRingSteps() throws {
        let scenario = try load("""
            name: manual reaping
            ring: { entries: 4, reap: manual }
            steps:
              - nop: {}
                id: a
              - ring_state: { sq_ready: 1, sq_flags: [cq_overflow] }
              - enter: { to_submit: 1, min_complete: 1, flags: [getevents], timeout: 10ms }
                expect: 1
              - reap: { count: 1, timeout: 1s }
              - enable_rings: {}
                expect: -EBADFD
            expect:
              a: 0
            """)
        let plan = try Planner.plan(scenario).get()
        let text = PlanRenderer(plan: plan, scenario: scenario).text
        #expect(text.contains("\nthe runner also submits when the SQ is full or a link chain would not fit; submissions do not reap (ring.reap manual): reap steps, waits, captures and the end do\n"), "\(text)")
        #expect(text.contains("\nring_state sq_ready=1 sq_flags=[cq_overflow]  (line 6)\n"), "\(text)")
        #expect(text.contains("\nenter to_submit=1 min_complete=1 flags=IORING_ENTER_GETEVENTS timeout=10ms  (line 7)\n"), "\(text)")
        #expect(text.contains("\nreap 1 CQE (at most 1s)  (line 9)\n"), "\(text)")
    }
}
