import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// Timing bounds, shares and a wait's `expect` on the real kernel, with the fast paths on and off (the
/// runner then feeds the checker directly, or through events).
@Suite(.serialized) struct TimingRunTests {
    static func outcome(_ yaml: String, fastPaths: Bool) throws -> ScenarioOutcome {
        let scenario = try ScenarioLoader.load(yaml, file: "t.yaml").get()
        let plan = try Planner.plan(scenario).get()
        let checker = ExpectationChecker(scenario: scenario, fastPaths: fastPaths)
        let result = ScenarioExecution(scenario: scenario, plan: plan, options: ExecutionOptions(), observer: checker).run()
        return ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker, expectedFailure: nil, iteration: 1)
    }

    static let timed = """
        name: timed
        resources:
          p:   { pipe: {} }
          buf: { buffer: { size: 8 } }
        steps:
          - timeout: { after: 20ms }
            id: tick
          - sleep: 1ms
          - read: { fd: p.read, buf: buf }
            id: stuck
            link: true
          - link_timeout: { after: 10ms }
            id: lt
        expect:
          tick: { res: -ETIME, after: ">= 20ms", within: 5s }
          lt: { res: -ETIME, after: 10ms..5s }
          stuck: { res: -ECANCELED, within: { lt: 2s } }
        """

    /// A kernel timeout is never measured shorter than its time, whichever way the checker is fed.
    @Test(arguments: [true, false])
    func kernelTimeoutsMeetTheirLowerBounds(fastPaths: Bool) throws {
        for _ in 0..<3 {
            let outcome = try Self.outcome(Self.timed, fastPaths: fastPaths)
            #expect(outcome.verdict == .pass, "\(outcome.mismatches)")
        }
    }

    /// A bound the kernel cannot meet fails at its line with the interval measured.
    @Test(arguments: [true, false])
    func anUpperBoundTheKernelMissesFailsWithTheInterval(fastPaths: Bool) throws {
        let yaml = Self.timed.replacingOccurrences(of: "after: \">= 20ms\", within: 5s", with: "within: 5ms")
        let outcome = try Self.outcome(yaml, fastPaths: fastPaths)
        #expect(outcome.verdict == .fail)
        let mismatch = try #require(outcome.mismatches.first { $0.subject == "tick: time since its submission" })
        #expect(mismatch.mark.line == 15)
        #expect(mismatch.expected == "<= 5ms")
        #expect(mismatch.actual.hasPrefix("reaped ") && mismatch.actual.hasSuffix(" ms after its submission"))
    }

    static let waits = """
        name: waits
        resources:
          p:   { pipe: {} }
          buf: { buffer: { size: 8 } }
        steps:
          - read: { fd: p.read, buf: buf }
            id: stuck
          - nop: {}
            id: quick
          - wait: { ids: [stuck, quick], timeout: 5ms }
          - wait: { ids: [quick], timeout: 1s, expect: timeout }
          - wait: { ids: [stuck], timeout: 5ms, expect: timeout }
          - cancel: { target: stuck }
            id: stop
        expect:
          stuck: -ECANCELED
          quick: 0
          stop: 0
        """

    /// An unexpected expiry names what is still pending; an expected one that does not come fails; an
    /// expected one that comes passes.
    @Test(arguments: [true, false])
    func waitsExpireOnlyWhenTheySaySo(fastPaths: Bool) throws {
        let outcome = try Self.outcome(Self.waits, fastPaths: fastPaths)
        #expect(outcome.verdict == .fail)
        let lines = outcome.mismatches.map { "\($0.mark.line): \($0.subject): \($0.expected) / \($0.actual)" }
        #expect(lines == [
            "10: wait: stuck, quick complete within 5ms / the wait expired after 5ms with stuck still pending (write 'expect: timeout' if it should)",
            "11: wait: the wait expires after 1s with quick still pending / every listed request completed before 1s",
        ])
    }

    /// The same scenario with the expectations it needs passes.
    @Test func waitsThatExpireAsExpectedPass() throws {
        let yaml = Self.waits.replacingOccurrences(of: "timeout: 5ms }", with: "timeout: 5ms, expect: timeout }")
            .replacingOccurrences(of: "  - wait: { ids: [quick], timeout: 1s, expect: timeout }\n", with: "")
        let outcome = try Self.outcome(yaml, fastPaths: true)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches)")
    }

    /// Shares over a repeat block on the kernel: nops always succeed; the note gives the distribution.
    @Test(arguments: [true, false])
    func sharesCountTheKernelsOutcomes(fastPaths: Bool) throws {
        let yaml = """
            name: shares
            steps:
              - repeat: 200
                steps:
                  - nop: {}
                    id: "n{i}"
            expect:
              "n{i}": { res: [0, -EINVAL], share: { 0: ">= 99%", -EINVAL: "< 1%" } }
            """
        let outcome = try Self.outcome(yaml, fastPaths: fastPaths)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches)")
        #expect(outcome.notes.map(\.text) == ["n{i}: res 0 200 (of 200)"])
        let failing = try Self.outcome(yaml.replacingOccurrences(of: "\">= 99%\"", with: "\"< 50%\""), fastPaths: fastPaths)
        #expect(failing.mismatches.map(\.actual) == ["100.0% (200 of 200); res: 0 200 (of 200)"])
    }
}
