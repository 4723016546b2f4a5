import IoUring
import Scenario

extension CheckerCore {
    /// Requests that should have posted a final CQE and did not, grouped by request and expectation.
    struct MissingGroup {
        var mark: SourceMark
        var firstName: String
        var firstSequence: Int
        var count: UInt64
        var family: String?
    }

    struct MissingKey: Hashable {
        var node: NodeID
        var mark: SourceMark
    }

    /// The verdict and everything a report shows, once the run is over: what the trace showed, plus the
    /// requests that never completed, the order constraints, and the post-conditions against `facts`.
    func finish(facts: PostRunFacts, ending: RunEnding) -> ScenarioOutcome {
        var copy = self
        return copy.finishing(facts: facts, ending: ending)
    }

    /// `finish`, on a copy of the core (it records the teardown-time checks into `failures`).
    private mutating func finishing(facts: PostRunFacts, ending: RunEnding) -> ScenarioOutcome {
        // CQEs still held for matching (a run judged without `.teardown`).
        assignAllShared()
        let end = arrivals
        var missing: [MissingKey: MissingGroup] = [:]

        func addMissing(_ key: MissingKey, name: @autoclosure () -> String, sequence: Int, count: UInt64, family: String?) {
            if var group = missing[key] {
                group.count += count
                if sequence < group.firstSequence {
                    group.firstSequence = sequence
                    group.firstName = name()
                }
                missing[key] = group
            } else {
                missing[key] = MissingGroup(mark: key.mark, firstName: name(), firstSequence: sequence, count: count, family: family)
            }
        }

        // Requests still outstanding at teardown.
        var open: [Int32] = Array(requestless.values)
        for (_, head) in outstanding.entries {
            var slot = head
            while slot >= 0 {
                open.append(slot)
                slot = records[Int(slot)].next
            }
        }
        open += fifo.liveSlots
        for slot in open.sorted(by: { records[Int($0)].sequence < records[Int($1)].sequence }) {
            let record = records[Int(slot)]
            let expectations = expectationLists[Int(record.expectations)]
            let node = Int(record.node)
            if !record.hasPosted && record.skipSuccess && record.hasTeardownResult {
                // No CQE during the run, but one in teardown: it was still running when the steps ended.
                let actual = "still running when the steps ended (it posted \(describeResult(record.teardownResult)) in teardown);"
                    + " link it before a request the run waits for"
                if expectations.isEmpty {
                    addMissing(MissingKey(node: node, mark: plan.graph.nodes[max(node, 0)].mark),
                               name: plan.name(node: node, iterations: iterations(slot), id: id(slot)),
                               sequence: record.sequence, count: 1, family: familyOfNode(node))
                }
                for index in expectations where !failures.bump(.expectation(index), "completes") {
                    let text = FailureLog.Text(mark: plan.expectations[index].mark, subject: subjectName(index, slot) + ": completes",
                                               family: family(index), expected: "no CQE: it succeeded (IOSQE_CQE_SKIP_SUCCESS)",
                                               actual: actual)
                    failures.add(.expectation(index), "completes", position: end, text)
                }
                continue
            }
            if !record.hasPosted && record.skipSuccess {
                checkSilentSuccess(slot, position: end)
                continue
            }
            if expectations.contains(where: { plan.relaxes[$0] }) {
                for index in expectations where plan.relaxes[index] {
                    finalChecks(index, slot, position: end, ending: nil)
                }
                continue
            }
            let mark = expectations.first.map { plan.expectations[$0].mark } ?? plan.graph.nodes[max(node, 0)].mark
            let name = node < 0
                ? plan.labels[expectations[0]]
                : plan.name(node: node, iterations: iterations(slot), id: id(slot))
            addMissing(MissingKey(node: node, mark: mark), name: name, sequence: record.sequence, count: 1,
                       family: familyOfNode(node))
        }

        // Dense instances still outstanding: what the last branch above does for their records.
        for (node, userData, sequence) in openDenseInstances {
            let expectations = expectationLists[Int(nodeEachList[node])]
            let mark = expectations.first.map { plan.expectations[$0].mark } ?? plan.graph.nodes[node].mark
            addMissing(MissingKey(node: node, mark: mark),
                       name: plan.name(node: node, iterations: denseIterations(node: node, userData: userData), id: nil),
                       sequence: sequence, count: 1, family: familyOfNode(node))
        }

        // Requests never queued (the run was cut short).
        for node in plan.graph.nodes {
            guard let spec = plan.graph.request(node.id), queuedCounts[node.id] < plan.instanceCounts[node.id],
                  !spec.flags.contains(.skipSuccess),
                  !plan.eachExpectations[node.id].contains(where: { plan.relaxes[$0] }) else { continue }
            let counts = plan.blockCounts[node.id]
            let iterations = lastQueuedIterations(node.id).map { CheckerCore.successor($0, counts: counts) }
                ?? counts.map { _ in 0 }
            var expectation = plan.eachExpectations[node.id].first
            if expectation == nil, spec.userData.isExplicit { expectation = plan.userDataExpectations[spec.userData.base]?.first }
            let mark = expectation.map { plan.expectations[$0].mark } ?? node.mark
            addMissing(MissingKey(node: node.id, mark: mark), name: plan.name(node: node.id, iterations: iterations, id: nil),
                       sequence: Int.max, count: plan.instanceCounts[node.id] - queuedCounts[node.id], family: familyOfNode(node.id))
        }

        // user_data expectations no request gives, whose CQEs never came.
        for (userData, indices) in plan.userDataExpectations where !plan.explicitUserData.contains(userData) && !expectedUserDataSeen.contains(userData) {
            guard let index = indices.first(where: { plan.expectations[$0].completes && !plan.relaxes[$0] }) else { continue }
            addMissing(MissingKey(node: -1, mark: plan.expectations[index].mark), name: plan.labels[index],
                       sequence: Int.max, count: 1, family: nil)
        }

        var log = failures
        recordOrderViolations(into: &log)
        recordUnmatchedTiming(into: &log, position: end)
        recordShareFailures(into: &log, at: end)
        checkPostConditions(facts, into: &log)
        if unclaimedTotal > unclaimed.count {
            log.record(.run, "unclaimed", position: unclaimedOverflowPosition) {
                .init(mark: scenarioMark, subject: "CQEs no expectation claimed", family: nil, expected: "none",
                      actual: "\(unclaimedTotal) in all; the first \(unclaimed.count) are listed")
            }
        }
        let neverCompleted = missing.values.sorted { ($0.mark, $0.firstSequence) < ($1.mark, $1.firstSequence) }.map { group in
            var id = group.firstName
            if group.count > 1 { id += " (and \(group.count - 1) more" + (group.family.map { " of \($0)" } ?? "") + ")" }
            return (id: id, mark: group.mark)
        }
        if ending.deadlineExpired, log.isEmpty, neverCompleted.isEmpty, unclaimed.isEmpty {
            let limit = scenario.deadlineNanoseconds.map { formatDuration(.nanoseconds($0)) } ?? "its deadline"
            log.record(.run, "deadline", position: end) {
                .init(mark: scenarioMark, subject: "deadline", family: nil, expected: "the run ends within \(limit)",
                      actual: "cut short after \(formatDuration(ending.duration))")
            }
        }

        if scenario.hasNothingToCheck {
            // A draft (steps, no expectations) must not pass: `ringscript record` writes its expectations.
            log.record(.run, "draft", position: end) {
                .init(mark: scenarioMark, subject: "nothing to check", family: nil,
                      expected: "expectations ('ringscript record' writes them into a draft)",
                      actual: "none: the scenario has only steps")
            }
        }
        let failed = !log.isEmpty || !neverCompleted.isEmpty || !unclaimed.isEmpty
        // A run the deadline cut short is a TIMEOUT, kept apart from a plain FAIL.
        var verdict: Verdict = failed ? (ending.deadlineExpired ? .timeout : .fail) : .pass
        var reason: String?
        if let expectedFailure = scenario.expectedFailure {
            verdict = failed ? .xfail : .xpass
            reason = failed ? expectedFailure : "expected to fail (\(expectedFailure)), but every expectation held"
        }
        return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: verdict, duration: ending.duration,
                               reason: reason, mismatches: log.mismatches, unclaimed: unclaimed, neverCompleted: neverCompleted,
                               notes: outcomeNotes + shareNotes)
    }

    /// Where a mismatch about the run as a whole points: the top of the file.
    var scenarioMark: SourceMark { SourceMark(file: scenario.file, line: 1, column: 1) }

    /// What the instances of a repeated request are called together (`r{i}`).
    func familyOfNode(_ node: NodeID) -> String? {
        guard node >= 0, plan.instanceCounts[node] > 1 else { return nil }
        return plan.graph.request(node)?.id?.description ?? plan.name(node: node, iterations: [], id: nil)
    }

    /// The iterations after `iterations` in execution order.
    static func successor(_ iterations: [Int], counts: [Int]) -> [Int] {
        var next = iterations
        var level = next.count - 1
        while level >= 0 {
            next[level] += 1
            if next[level] < counts[level] { return next }
            next[level] = 0
            level -= 1
        }
        return next
    }
}
