import Testing
@testable import Scenario

/// `after` / `within` timing bounds, `share`, and a wait's `expect`: what they load to, and located errors.
@Suite struct TimingLoadingTests {
    static func scenario(_ expect: String, steps: String = "") -> String {
        """
        name: t
        resources:
          p: { pipe: {} }
        steps:
          - timeout: { after: 20ms }
            id: t
          - nop: {}
            id: a
          - repeat: 4
            steps:
              - nop: {}
                id: "r{i}"
        \(steps)
        expect:
        \(expect)
        """
    }

    @Test func boundsLoadAsWritten() throws {
        let text = Self.scenario("""
              t: { res: -ETIME, after: ">= 20ms", within: 2s }
              a: { after: { t: "> 5ms" }, within: { t: 1.5s } }
              "r{i}": { after: 1ms..2s, share: { 0: ">= 99.5%", -EINVAL: "< 1%" } }
            """)
        let scenario = try load(text)
        let byName = Dictionary(uniqueKeysWithValues: scenario.expectations.completions.map { ($0.subject.description, $0) })
        #expect(byName["t"]?.timing.map(\.description) == ["since its submission: >= 20ms", "since its submission: <= 2s"])
        #expect(byName["a"]?.timing.map(\.description) == ["since t's CQE: > 5ms", "since t's CQE: <= 1.5s"])
        #expect(byName["r{i}"]?.timing.map(\.bound) == [DurationBound(lower: 1_000_000, upper: 2_000_000_000)])
        #expect(byName["r{i}"]?.shares.map(\.description) == ["0: >= 99.5%", "-EINVAL: < 1%"])
        #expect(scenario.expectations.order.isEmpty, "a timing 'after' is no order constraint")
    }

    @Test func afterWithIdsStaysAnOrderConstraint() throws {
        let scenario = try load(Self.scenario("  a: { after: [t] }\n  t: { after: 20ms }"))
        #expect(scenario.expectations.order.map(\.description) == ["t before a"])
    }

    @Test(arguments: [
        ("  t: { after: \">= 20\" }", "test.yaml:15:15: error: 'after' needs a unit: ns, us, ms or s (as in 20ms), not '20'"),
        ("  t: { within: \">= 2s\" }", "test.yaml:15:16: error: 'within' is an upper bound: write 'after: \">= 2s\"' for a lower one"),
        ("  t: { after: 2s..1s }", "test.yaml:15:15: error: the interval 2s..1s is empty"),
        ("  a: { after: { nope: 1ms } }", "test.yaml:15:17: error: unknown id 'nope' in an order constraint"),
        ("  a: { after: { a: 1ms } }", "test.yaml:15:17: error: 'a' cannot be timed from its own CQE; 'after: <duration>' measures from its submission"),
        ("  a: { share: { 0: \">= 99%\" } }", "test.yaml:15:15: error: 'share' counts outcomes over the instances of a request in a repeat block; 'a' has one instance"),
        ("  \"r{i}\": { share: { 0: \"99%\" } }", "test.yaml:15:25: error: a share must be a comparison such as \">= 99%\" or \"< 1%\", or a range such as 90%..100%, not '99%' (a bare percent would not say which way it bounds)"),
        ("  \"r{i}\": { share: { 0: \">= 120%\" } }", "test.yaml:15:25: error: a share must be a comparison such as \">= 99%\" or \"< 1%\", or a range such as 90%..100% (percent, 0% to 100%), not '>= 120%'"),
        ("  t: { completes: false, within: 1s }", "test.yaml:15:26: error: 'within' describes a CQE, but 'completes: false' says 't' posts none"),
    ])
    func misuseIsALocatedError(expect: String, message: String) {
        let rendered = diagnostics(Self.scenario(expect))
        #expect(rendered.contains(message), "\(rendered)")
    }

    @Test func aWaitsExpectationLoads() throws {
        let scenario = try load(Self.scenario("  t: -ETIME", steps: "  - wait: { ids: [t], timeout: 1ms, expect: timeout }"))
        let waits = scenario.graph.nodes.compactMap { node -> ControlStep? in
            guard case .control(let step) = node.kind, case .wait = step.action else { return nil }
            return step
        }
        #expect(waits.map(\.expectsTimeout) == [true])
    }

    @Test(arguments: [
        ("  - wait: { ids: [t], expect: timeout }", "test.yaml:13:31: error: 'expect: timeout' needs a 'timeout' for the wait to expire at (the deadline ends the run)"),
        ("  - wait: { ids: [t], timeout: 1ms, expect: timout }", "error: a wait's 'expect' is 'timeout' (it must expire) or 'done' (the default), not 'timout' (did you mean 'timeout'?)"),
    ])
    func aWaitsExpectationMisuseIsLocated(step: String, message: String) {
        let rendered = diagnostics(Self.scenario("  t: -ETIME", steps: step))
        #expect(rendered.contains(message), "\(rendered)")
    }
}
