import IoUring
import Scenario

/// Timing expectations (`after: ">= 20ms"`, `within: 2s`, `after: { a: ">= 5ms" }`), checked as first
/// CQEs arrive. Times are the runner's clock (ContinuousClock: CLOCK_BOOTTIME on Linux, CLOCK_MONOTONIC
/// plus time suspended): a request's submission is when
/// the runner published its SQE to the kernel, just before the io_uring_enter(2) that submitted it (the
/// SQ tail store, with SQPOLL); a CQE's time is when the runner copied the batch it came in (its reap
/// time, an upper bound on when the kernel posted it). A measured interval from submission therefore
/// holds the kernel's: a lower bound the kernel meets is never missed, an upper bound needs room for a
/// loaded machine.
///
/// Memory: only request instances whose expectations have timing bounds keep a time (from submission
/// to first CQE); a request another bound measures from keeps its first CQE's time per shared
/// iteration until every instance it serves has used it.
struct TimingState {
    /// Some expectation has a timing bound.
    var active = false
    /// Per interned expectation list: some expectation of it has a timing bound.
    var listTimed: [Bool] = []
    /// Timed instances queued whose SQE was not yet submitted: slots.
    var awaitingSubmission: [Int32] = []
    /// Per slot of a timed instance: when its SQE was submitted.
    var submittedAt: [Int32: Duration] = [:]
    /// The bounds measured from another request's CQE.
    var rules: [Rule] = []
    /// Per expectation index with bounds: per bound, its rule (-1 for a bound from submission).
    var ruleOfBound: [Int: [Int]] = [:]
    /// Per node: the rules that measure from its first CQE.
    var referenceRules: [[Int]] = []
    /// Reference CQE times not yet used by every instance they serve.
    var stamps: [StampKey: Stamp] = [:]
    /// Instances whose first CQE came before their reference's: checked when it comes (or at the end).
    var pendingLater: [StampKey: [PendingLater]] = [:]

    /// A bound of `expectation` (its `bound`-th) measured from the first CQE of `reference`.
    struct Rule {
        var expectation: Int
        var bound: Int
        var reference: NodeID
        /// For a reference naming one instance: its iterations.
        var instance: [Int]?
        /// The repeat blocks the reference and the timed request share (`b{i}` from `a{i}`: the same i).
        var depth: Int
        /// How many timed instances one reference time serves.
        var usesPerKey: UInt64
    }

    struct StampKey: Hashable {
        var rule: Int
        var key: [Int]
    }

    struct Stamp {
        var at: Duration
        var name: String
        var remaining: UInt64
    }

    struct PendingLater {
        var slotName: String
        var at: Duration
    }

    init() {}

    init(plan: CheckPlan) {
        let graph = plan.graph
        referenceRules = [[Int]](repeating: [], count: graph.nodes.count)
        for (index, expectation) in plan.expectations.enumerated() where !expectation.timing.isEmpty {
            active = true
            var subjectNode: NodeID?
            var isInstance = false
            if case .request(let node, let iterations, _) = expectation.subject {
                subjectNode = node
                if case .instance = iterations { isInstance = true }
            }
            var perBound: [Int] = []
            for (position, bound) in expectation.timing.enumerated() {
                guard case .request(let reference, let iterations, _)? = bound.reference else {
                    perBound.append(-1)
                    continue
                }
                var instance: [Int]?
                if case .instance(let only) = iterations { instance = only }
                var depth = 0
                var uses: UInt64 = 1
                if let subjectNode {
                    let a = graph.enclosingBlocks(of: reference)
                    let b = graph.enclosingBlocks(of: subjectNode)
                    if instance == nil { while depth < min(a.count, b.count), a[depth] == b[depth] { depth += 1 } }
                    if !isInstance {
                        for count in plan.blockCounts[subjectNode].dropFirst(depth) { uses = uses &* UInt64(max(count, 0)) }
                    }
                } else {
                    uses = .max
                }
                perBound.append(rules.count)
                referenceRules[reference].append(rules.count)
                rules.append(Rule(expectation: index, bound: position, reference: reference, instance: instance,
                                  depth: depth, usesPerKey: max(uses, 1)))
            }
            ruleOfBound[index] = perBound
        }
    }

    func isReference(_ node: NodeID) -> Bool { active && !referenceRules[node].isEmpty }
}

extension CheckerCore {
    /// Whether timed requests wait for the time of their submission: the runner then calls `submitted(at:)`
    /// just before the io_uring_enter(2) that submits them.
    public var awaitsSubmissionTime: Bool { !timing.awaitingSubmission.isEmpty }

    /// The SQEs queued so far are being submitted now (`elapsed` since the run's start).
    public mutating func submitted(at elapsed: Duration) {
        for slot in timing.awaitingSubmission { timing.submittedAt[slot] = elapsed }
        timing.awaitingSubmission.removeAll(keepingCapacity: true)
    }

    /// Notes a timed instance just queued.
    mutating func queuedTimed(_ slot: Int32) {
        timing.submittedAt[slot] = nil
        timing.awaitingSubmission.append(slot)
    }

    /// The first CQE of the instance at `slot` was reaped at `elapsed`: checks its timing bounds and notes
    /// the time for the bounds that measure from it.
    mutating func timedFirstCQE(_ slot: Int32, elapsed: Duration, arrival: Int) {
        let record = records[Int(slot)]
        let node = Int(record.node)
        if node >= 0, !timing.referenceRules[node].isEmpty {
            let iterations = self.iterations(slot)
            for rule in timing.referenceRules[node] {
                let definition = timing.rules[rule]
                if let only = definition.instance, only != iterations { continue }
                let key = TimingState.StampKey(rule: rule, key: Array(iterations.prefix(definition.depth)))
                let name = plan.name(node: node, iterations: iterations, id: id(slot))
                var remaining = definition.usesPerKey
                if let waiting = timing.pendingLater.removeValue(forKey: key) {
                    for later in waiting {
                        checkTiming(rule: rule, interval: later.at - elapsed, subjectName: later.slotName,
                                    referenceName: name, position: arrival)
                    }
                    remaining -= min(remaining, UInt64(waiting.count))
                }
                timing.stamps[key] = remaining > 0 ? TimingState.Stamp(at: elapsed, name: name, remaining: remaining) : nil
            }
        }
        guard timing.listTimed[Int(record.expectations)] else { return }
        let submitted = timing.submittedAt.removeValue(forKey: slot)
        for index in expectationList(slot) {
            guard let rules = timing.ruleOfBound[index] else { continue }
            let bounds = plan.expectations[index].timing
            for (position, rule) in rules.enumerated() {
                if rule < 0 {
                    let bound = bounds[position]
                    let interval = submitted.map { elapsed - $0 }
                    guard interval.map({ !bound.bound.contains(CheckerCore.nanoseconds($0)) }) ?? true else { continue }
                    let aspect = "time \(position)"
                    if !failures.bump(.expectation(index), aspect) {
                        let actual = interval.map { "reaped \(CheckerCore.durationText($0)) after its submission" }
                            ?? "no submission time (its SQE was never submitted by an io_uring_enter the runner timed)"
                        let text = FailureLog.Text(mark: bound.mark, subject: subjectName(index, slot) + ": time since its submission",
                                                   family: family(index), expected: bound.bound.description, actual: actual)
                        failures.add(.expectation(index), aspect, position: arrival, text)
                    }
                    continue
                }
                let definition = timing.rules[rule]
                let iterations = self.iterations(slot)
                let key = TimingState.StampKey(rule: rule, key: Array(iterations.prefix(definition.depth)))
                let name = subjectName(index, slot)
                if let stamp = timing.stamps[key] {
                    checkTiming(rule: rule, interval: elapsed - stamp.at, subjectName: name, referenceName: stamp.name, position: arrival)
                    if stamp.remaining <= 1 { timing.stamps[key] = nil } else { timing.stamps[key]!.remaining -= 1 }
                } else {
                    timing.pendingLater[key, default: []].append(TimingState.PendingLater(slotName: name, at: elapsed))
                }
            }
        }
    }

    /// Checks one interval measured from a reference CQE (`interval` is negative when the reference came later).
    mutating func checkTiming(rule: Int, interval: Duration, subjectName: String, referenceName: String, position: Int) {
        let definition = timing.rules[rule]
        let index = definition.expectation
        let bound = plan.expectations[index].timing[definition.bound]
        let nanoseconds = CheckerCore.nanoseconds(interval)
        guard !bound.bound.contains(nanoseconds) else { return }
        let aspect = "time \(definition.bound)"
        if !failures.bump(.expectation(index), aspect) {
            let actual = nanoseconds >= 0
                ? "reaped \(CheckerCore.durationText(interval)) after \(referenceName)'s CQE"
                : "reaped \(CheckerCore.durationText(.zero - interval)) before \(referenceName)'s CQE"
            let text = FailureLog.Text(mark: bound.mark, subject: subjectName + ": time since \(referenceName)'s CQE",
                                       family: family(index), expected: bound.bound.description, actual: actual)
            failures.add(.expectation(index), aspect, position: position, text)
        }
    }

    /// Timed instances whose reference request never posted its first CQE: failures at the end of the run.
    func recordUnmatchedTiming(into log: inout FailureLog, position: Int) {
        for (key, waiting) in timing.pendingLater.sorted(by: { $0.key.rule != $1.key.rule ? $0.key.rule < $1.key.rule : $0.key.key.lexicographicallyPrecedes($1.key.key) }) {
            guard let first = waiting.first else { continue }
            let definition = timing.rules[key.rule]
            let index = definition.expectation
            let bound = plan.expectations[index].timing[definition.bound]
            let reference = bound.reference?.description ?? "its reference"
            log.record(.expectation(index), "time \(definition.bound)", position: position, count: waiting.count) {
                .init(mark: bound.mark, subject: first.slotName + ": time since \(reference)'s CQE", family: family(index),
                      expected: bound.bound.description, actual: "\(reference) posted no CQE during the run")
            }
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }

    /// `20.31 ms`, with microseconds: the observed interval of a timing failure.
    static func durationText(_ duration: Duration) -> String {
        let microseconds = Double(nanoseconds(duration)) / 1000
        if microseconds < 1000 { return "\((microseconds * 10).rounded() / 10) µs" }
        if microseconds < 1_000_000 { return "\((microseconds).rounded() / 1000) ms" }
        return "\((microseconds / 1000).rounded() / 1000) s"
    }
}
