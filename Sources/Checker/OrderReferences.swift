import IoUring
import Scenario

/// Order constraints whose side names a CQE other than the first (`poll.final`, `rx[2]`,
/// `zc.notification`): the side acts when that CQE arrives, as a bare id does at the first one. CQE
/// numbers are 1-based in the instance's arrival order, notifications included (as `cqes:` counts).
extension CheckerCore {
    /// A CQE of the instance at `slot` arrived (its counts already include it): the roles that name it act;
    /// at its final CQE, the roles naming a CQE that never came are noted.
    mutating func referencedCQE(of slot: Int32, arrival: Int, notification: Bool, final: Bool) {
        let record = records[Int(slot)]
        let number = Int(record.results + record.notifications)
        let roles = roleLists[Int(record.roles)]
        for role in roles where role.cqe != .first {
            let reached: Bool
            let missed: Bool
            switch role.cqe {
            case .first: continue
            case .number(let n):
                reached = number == n
                missed = final && number < n
            case .notification:
                reached = notification && record.notifications == 1
                missed = final && record.notifications == 0
            case .final:
                reached = final
                missed = false
            }
            if reached {
                let key = key(iterations(slot), role.rule)
                if role.isEarlier {
                    if record.pendingInOrder {
                        let left = (orderStates[role.rule].pending[key] ?? 1) - 1
                        orderStates[role.rule].pending[key] = left > 0 ? left : nil
                    }
                    noteEarlier(role.rule, key: key, slot: slot, arrival: arrival)
                } else {
                    checkLater(role.rule, key: key, slot: slot, arrival: arrival)
                }
            } else if missed {
                orderStates[role.rule].missing += 1
                guard orderStates[role.rule].firstMissing == nil else { continue }
                let rule = plan.orders[role.rule]
                let name = orderName(slot, side: role.isEarlier ? rule.earlier : rule.later)
                let actual = role.cqe == .notification
                    ? "\(name) ended without a notification CQE (#\(arrival))"
                    : "\(name) ended after \(number) CQE\(number == 1 ? "" : "s") (#\(arrival))"
                orderStates[role.rule].firstMissing = (name + role.cqe.suffix, actual, arrival)
            }
        }
    }

    /// The CQEs order constraints named that never came, as mismatches of their constraints.
    func recordMissingReferences(into log: inout FailureLog) {
        for (index, state) in orderStates.enumerated() {
            guard let missing = state.firstMissing else { continue }
            log.record(.order(index), "missing CQE", position: missing.position, count: state.missing) {
                .init(mark: plan.orders[index].constraint.mark, subject: "order: \(missing.name)", family: nil,
                      expected: "the CQE \(missing.name) names, for \(plan.orders[index].constraint)",
                      actual: missing.actual)
            }
        }
    }
}
