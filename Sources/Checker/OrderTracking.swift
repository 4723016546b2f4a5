import IoUring
import Scenario

/// Order constraints, checked as first CQEs arrive. For every constraint the checker keeps how many
/// instances of the earlier side, per shared iteration, have been queued and not yet posted; that and the
/// last queued iteration of each request (instances are queued in execution order) say whether the earlier
/// side is complete when a later instance posts its first CQE.
extension CheckerCore {
    /// The iterations the two sides of `rule` share, of an instance's iterations.
    func key(_ iterations: [Int], _ rule: Int) -> [Int] {
        let depth = plan.orders[rule].sharedDepth
        return depth == 0 ? [] : Array(iterations.prefix(depth))
    }

    /// An instance posted its first CQE (for CQEs of a user_data no request has: each run of them).
    mutating func firstCQE(of slot: Int32, _ cqe: CompletionQueueEntry, arrival: Int) {
        let roles = roleLists[Int(records[Int(slot)].roles)]
        if !roles.isEmpty {
            let iterations = self.iterations(slot)
            let pendingInOrder = records[Int(slot)].pendingInOrder
            for role in roles where role.isEarlier && role.cqe == .first {
                let key = key(iterations, role.rule)
                if pendingInOrder {
                    let left = (orderStates[role.rule].pending[key] ?? 1) - 1
                    orderStates[role.rule].pending[key] = left > 0 ? left : nil
                }
                noteEarlier(role.rule, key: key, slot: slot, arrival: arrival)
            }
            for role in roles where !role.isEarlier && role.cqe == .first {
                checkLater(role.rule, key: key(iterations, role.rule), slot: slot, arrival: arrival)
            }
        }
        if hasUserDataOrderRoles, let roles = plan.userDataOrderRoles[cqe.userData] {
            for role in roles where role.isEarlier {
                orderStates[role.rule].earlierSeen = true
                noteEarlier(role.rule, key: nil, slot: slot, arrival: arrival)
            }
            for role in roles where !role.isEarlier {
                checkLater(role.rule, key: [], slot: slot, arrival: arrival)
            }
        }
    }

    /// Fills in when the earlier side of a violated constraint did arrive, for the report.
    mutating func noteEarlier(_ rule: Int, key: [Int]?, slot: Int32, arrival: Int) {
        guard let violation = orderStates[rule].first, violation.earlierArrival == nil else { return }
        if let key, key != violation.key { return }
        let name = orderName(slot, side: plan.orders[rule].earlier)
        orderStates[rule].first!.earlierArrival = arrival
        orderStates[rule].first!.earlier = name
    }

    mutating func checkLater(_ rule: Int, key: [Int], slot: Int32, arrival: Int) {
        let state = orderStates[rule]
        let done: Bool
        switch plan.orders[rule].earlier {
        case .userData:
            done = state.earlierSeen
        case .node(let node, let only):
            let last = only ?? key + plan.blockCounts[node].dropFirst(key.count).map { $0 - 1 }
            let allQueued = lastQueuedIterations(node).map { !CheckerCore.precedes($0, last) } ?? false
            done = allQueued && (state.pending[key] ?? 0) == 0
        }
        guard !done else { return }
        orderStates[rule].violations += 1
        if state.first == nil {
            let name = orderName(slot, side: plan.orders[rule].later)
            orderStates[rule].first = OrderState.Violation(later: name, laterArrival: arrival, key: key)
        }
    }

    /// What the order report calls an instance: its id, or the user_data the constraint names.
    func orderName(_ slot: Int32, side: OrderRule.Side) -> String {
        if case .userData(let value) = side { return "user_data \(value)" }
        return plan.name(node: Int(records[Int(slot)].node), iterations: iterations(slot), id: id(slot))
    }

    /// Whether iterations `a` come before `b` in execution order.
    static func precedes(_ a: [Int], _ b: [Int]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x < y }
        return a.count < b.count
    }

    /// The violated constraints, as mismatches: `a before b` against `b (#3) before a (#5)`.
    func recordOrderViolations(into log: inout FailureLog) {
        for (index, state) in orderStates.enumerated() {
            guard let violation = state.first else { continue }
            let rule = plan.orders[index]
            let earlierLabel = CheckPlan.label(rule.constraint.earlier) + rule.constraint.earlierCQE.suffix
            let laterLabel = CheckPlan.label(rule.constraint.later) + rule.constraint.laterCQE.suffix
            let earlier = violation.earlier.map { $0 + rule.constraint.earlierCQE.suffix } ?? earlierLabel
            let later = violation.later + rule.constraint.laterCQE.suffix
            let when = violation.earlierArrival.map { "(#\($0))" } ?? "(not completed)"
            log.record(.order(index), "", position: violation.laterArrival, count: state.violations) {
                .init(mark: rule.constraint.mark, subject: "order", family: nil,
                      expected: "\(earlierLabel) before \(laterLabel)",
                      actual: "\(later) (#\(violation.laterArrival)) before \(earlier) \(when)")
            }
        }
        recordMissingReferences(into: &log)
    }
}
