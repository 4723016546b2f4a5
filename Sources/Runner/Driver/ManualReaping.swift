#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// The ring under the scenario's control: `submit` without reaping (`ring: { reap: manual }`), the
/// `reap` step, a bare `enter`, and `ring_state` checks.
///
/// The engine's invariants hold as in every mode: waits are bounded by the deadline (which a stop signal
/// moves to the start), teardown still reaps and cancels everything, and request memory is released only
/// once the engine has reaped every final CQE. With IORING_FEAT_NODROP, CQEs the full CQ could not take
/// wait in the kernel's overflow list; a reap brings them in (an enter with IORING_ENTER_GETEVENTS), in
/// the order the kernel posted them.
extension RunDriver {
    /// A `submit: { wait: N }` step when submissions do not reap: io_uring_submit_and_wait(), with
    /// min_complete counting the CQEs already in the CQ, as the kernel counts them.
    mutating func submitWithoutReaping(waitingFor wait: UInt32) throws(RunnerError) -> (taken: Int32, arrived: Int) {
        let taken = try submitPending(waitingFor: wait, reaped: true)
        let arrived = Int(ring.cqReady)
        if arrived < Int(wait) && ContinuousClock.now >= deadline { expired = true }
        return (taken, arrived)
    }

    /// Performs a `reap`, `enter` or `ring_state` step; returns its summary for the trace.
    mutating func performRingControl(_ control: RingControl, instance: StepInstance,
                                     expected: ResultPattern?) throws(RunnerError) -> String {
        switch control {
        case .reap(nil, _):
            return "reap: \(reapEverything()) CQEs"
        case .reap(let count?, let timeout):
            return try reap(count, timeoutNanoseconds: timeout, node: instance.node)
        case .enter(let call):
            return try enter(call, instance: instance, expected: expected)
        case .state(let checks):
            return checkRingState(checks)
        }
    }

    /// Reaps every CQE in the CQ and, while the kernel holds overflowed ones (IORING_SQ_CQ_OVERFLOW),
    /// brings those in and reaps them too. Returns how many were reaped.
    mutating func reapEverything() -> Int {
        let before = arrivals
        var rounds = 0
        repeat {
            reapReady()
            rounds += 1
        } while (ring.cqRingNeedsFlush || ring.cqReady > 0) && rounds < 1024
        return arrivals - before
    }

    /// `reap: N`: reaps exactly `count` CQEs, waiting for those not in the CQ yet (bounded by `timeout` and
    /// the deadline, checked again after every wait, so a stop signal ends it). A count above the CQ's
    /// size is reaped in CQ-sized rounds, the kernel flushing overflowed CQEs in between. Fewer in time
    /// is a failure at the step.
    mutating func reap(_ count: UInt32, timeoutNanoseconds: Int64?, node: NodeID) throws(RunnerError) -> String {
        let limit = timeoutNanoseconds.map { ContinuousClock.now + .nanoseconds($0) } ?? deadline
        var reaped = 0
        while reaped < Int(count) {
            let copied = cqes.copyReady(from: &ring, maximum: Int(count) - reaped)
            if copied > 0 {
                handleReaped(copied)
                reaped += copied
                continue
            }
            let now = ContinuousClock.now
            if now >= limit || now >= deadline { break }
            // GETEVENTS also flushes overflowed CQEs into the CQ; the CQ holds at most cqEntries at once.
            let waitFor = min(count - UInt32(reaped), ring.cqEntries)
            let result = try enter(toSubmit: 0, minComplete: waitFor, flags: [.getEvents], timeout: min(limit, deadline) - now)
            if result == -Errno.EBUSY.rawValue || result == -Errno.EAGAIN.rawValue { System.sleep(.milliseconds(1)) }
        }
        if reaped < Int(count) {
            if ContinuousClock.now >= deadline { expired = true }
            let within = timeoutNanoseconds.map { "within \(RingControl.durationText($0))" } ?? "before the deadline"
            runnerMismatches.append(Mismatch(mark: scenario.graph.nodes[node].mark, subject: "reap",
                                             expected: "\(count) CQE\(count == 1 ? "" : "s") \(within)",
                                             actual: "\(reaped) arrived"))
        }
        return "reap \(reaped) of \(count) CQE\(count == 1 ? "" : "s")"
    }

    /// An `enter` step: io_uring_enter(2) as written. A wait without a timeout, or with one past the
    /// deadline, is bounded by the deadline (IORING_ENTER_EXT_ARG with what is left of it). The result
    /// goes to the checker when the step expects one; otherwise any failure but -ETIME is a failure.
    mutating func enter(_ call: EnterStep, instance: StepInstance, expected: ResultPattern?) throws(RunnerError) -> String {
        let queued = ring.flushSQ()
        let toSubmit = call.toSubmit ?? queued
        var timeout = call.timeoutNanoseconds.map { Duration.nanoseconds($0) }
        let remaining = max(deadline - ContinuousClock.now, .zero)
        var boundedByDeadline = false
        if call.flags.contains(.getEvents) && call.minComplete > 0 && (timeout == nil || timeout! > remaining) {
            timeout = remaining
            boundedByDeadline = true
        }
        let result = ring.enterReturningResult(toSubmit: toSubmit, minComplete: call.minComplete, flags: call.flags,
                                               timeout: timeout)
        statistics.enters += 1
        var recorded = call.flags
        if timeout != nil { recorded.insert(.extArg) }
        if emitsEvents {
            observer.observe(.entered(EnterCall(toSubmit: toSubmit, minComplete: call.minComplete, flags: recorded,
                                                result: result, elapsed: elapsed)))
        }
        if boundedByDeadline && result == -Errno.ETIME.rawValue { expired = true }
        if expected != nil {
            if feedsChecker {
                core.registered(node: instance.node, result: result)
            } else {
                observer.observe(.registered(RegistrationOutcome(node: instance.node, iterations: instance.iterations,
                                                                 result: result, elapsed: elapsed, isSubmit: true)))
            }
        } else if result < 0 && result != -Errno.ETIME.rawValue && result != -Errno.EINTR.rawValue {
            let errno = Errno(rawValue: -result)
            runnerMismatches.append(Mismatch(mark: scenario.graph.nodes[instance.node].mark, subject: "enter",
                                             expected: "io_uring_enter to succeed (write 'expect:' on the step for a failure)",
                                             actual: "io_uring_enter: \(errno.name) (\(errno.message))"))
        }
        let shown = result < 0 ? "-" + Errno(rawValue: -result).name : String(result)
        return "enter to_submit=\(toSubmit) min_complete=\(call.minComplete): \(shown)"
    }

    /// A `ring_state` step: compares each key with the ring's state now; a difference is a failure at the key.
    mutating func checkRingState(_ checks: [RingStateCheck]) -> String {
        let state = ring.state
        var shown: [String] = []
        for check in checks {
            let observed = RunDriver.observed(check.field, in: state)
            shown.append("\(check.field.rawValue)=\(observed.text)")
            guard let difference = RunDriver.difference(check.expected, observed.bits) else { continue }
            runnerMismatches.append(Mismatch(mark: check.mark, subject: "ring_state: \(check.field.rawValue)",
                                             expected: difference.expected, actual: difference.actual ?? observed.text))
        }
        return "ring_state " + shown.joined(separator: " ")
    }

    /// A field's value (as bits) and how the report shows it.
    static func observed(_ field: RingStateCheck.Field, in state: RingState) -> (bits: UInt32, text: String) {
        func names(_ named: [(UInt32, String)], _ value: UInt32, prefix: String) -> String {
            let set = named.filter { value & $0.0 != 0 }.map { String($0.1.dropFirst(prefix.count)).lowercased() }
            let unknown = value & ~named.reduce(0) { $0 | $1.0 }
            let all = set + (unknown == 0 ? [] : ["0x" + String(unknown, radix: 16)])
            return "[" + all.joined(separator: ", ") + "]"
        }
        switch field {
        case .sqReady: return (state.sqReady, String(state.sqReady))
        case .cqReady: return (state.cqReady, String(state.cqReady))
        case .cqOverflow: return (state.cqOverflow, String(state.cqOverflow))
        case .sqDropped: return (state.sqDropped, String(state.sqDropped))
        case .sqEntries: return (state.sqEntries, String(state.sqEntries))
        case .cqEntries: return (state.cqEntries, String(state.cqEntries))
        case .sqFlags:
            return (state.sqFlags.rawValue, names(SubmissionQueueFlags.named.map { ($0.flag.rawValue, $0.name) },
                                                  state.sqFlags.rawValue, prefix: "IORING_SQ_"))
        case .features, .featuresLacking:
            return (state.features.rawValue, names(Features.named.map { ($0.feature.rawValue, $0.name) },
                                                   state.features.rawValue, prefix: "IORING_FEAT_"))
        }
    }

    /// Nil when `bits` meets `expected`; otherwise what was expected and, where it says more than the
    /// plain value, what was observed.
    static func difference(_ expected: RingStateCheck.Expected, _ bits: UInt32) -> (expected: String, actual: String?)? {
        switch expected {
        case .count(let value):
            return bits == value ? nil : (String(value), nil)
        case .exactBits(let value):
            return UInt64(bits) == value.value ? nil : ("exactly \(expected)", nil)
        case .hasBits(let value):
            let missing = UInt32(truncatingIfNeeded: value.value) & ~bits
            return missing == 0 ? nil : ("has \(expected)", "lacks 0x\(String(missing, radix: 16)) of it")
        case .lacksBits(let value):
            let present = UInt32(truncatingIfNeeded: value.value) & bits
            return present == 0 ? nil : ("lacks \(expected)", "has 0x\(String(present, radix: 16)) of it")
        }
    }
}
