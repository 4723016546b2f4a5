import Checker
import Planner
import Scenario

/// Whether a `wait` step's timeout was meant to expire (`expect: timeout`) or not (the default).
extension RunDriver {
    /// Judges a `wait` that ended: `done` when every listed request finished before `timeout`. A wait that
    /// expired unexpectedly, or completed where it was expected to expire, is a located mismatch naming
    /// the requests still pending (once per step, however many iterations repeat it).
    mutating func judgeWait(_ step: ControlStep, _ instance: StepInstance, references: [RequestReference],
                            conditions: [WaitCondition], done: Bool, timeout: Int64?) {
        guard let timeout else { return }
        let limit = PlanRenderer.format(.nanoseconds(timeout))
        let mark = scenario.graph.nodes[instance.node].mark
        let subject = "wait" + (instance.iterations.isEmpty ? "" : " (iteration \(instance.iterations.map(String.init).joined(separator: ", ")))")
        guard !runnerMismatches.contains(where: { $0.mark == mark && $0.subject.hasPrefix("wait") }) else { return }
        let names = references.map { instanceName($0, instance) }
        if step.expectsTimeout, done {
            runnerMismatches.append(Mismatch(mark: mark, subject: subject,
                                             expected: "the wait expires after \(limit) with " + (names.count == 1 ? names[0] : "one of " + names.joined(separator: ", ")) + " still pending",
                                             actual: "every listed request completed before \(limit)"))
        } else if !step.expectsTimeout, !done {
            let pending = zip(names, conditions).filter { !isDone($0.1) }.map(\.0)
            runnerMismatches.append(Mismatch(mark: mark, subject: subject,
                                             expected: "\(names.joined(separator: ", ")) complete within \(limit)",
                                             actual: "the wait expired after \(limit) with \(pending.joined(separator: ", ")) still pending"
                                                + " (write 'expect: timeout' if it should)"))
        }
    }

    /// A reference as this instance resolves it: `r{i}` inside its block is `r3` in iteration 3.
    func instanceName(_ reference: RequestReference, _ instance: StepInstance) -> String {
        guard case .request(let node, .each, _) = reference, let template = scenario.graph.request(node)?.id,
              plan.steps[instance.node].blocks.starts(with: plan.steps[node].blocks) else { return reference.description }
        let blocks = scenario.graph.enclosingBlocks(of: node)
        var values: [String: Int] = [:]
        for (block, value) in zip(blocks, instance.iterations) { values[scenario.graph.blocks[block].indexName] = value }
        return template.resolved(values)
    }
}
