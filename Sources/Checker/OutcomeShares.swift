import IoUring
import Scenario

/// `share:` expectations: over the instances an expectation applies to, the share whose final CQE's res
/// matches each result. Memory is a tally per expectation (a count per distinct res, up to
/// `distinctLimit` of them, the rest counted together), never a record per instance.
struct OutcomeTallies {
    /// Distinct res values counted one by one; further ones are counted as `other`.
    static let distinctLimit = 16

    struct Tally {
        var total: UInt64 = 0
        var counts: [(res: Int32, count: UInt64)] = []
        var other: UInt64 = 0
        /// Instances past `distinctLimit` values whose res each share matched (per share, in order).
        var otherMatching: [UInt64] = []

        mutating func add(_ res: Int32, shares: [OutcomeShare]) {
            total += 1
            if let index = counts.firstIndex(where: { $0.res == res }) {
                counts[index].count += 1
            } else if counts.count < OutcomeTallies.distinctLimit {
                counts.append((res, 1))
            } else {
                other += 1
                if otherMatching.isEmpty { otherMatching = Array(repeating: 0, count: shares.count) }
                for (position, share) in shares.enumerated() where share.result.matches(res) { otherMatching[position] += 1 }
            }
        }

        /// Instances whose res matches `share` (the `position`-th of the expectation).
        func matching(_ share: OutcomeShare, position: Int) -> UInt64 {
            counts.reduce(0) { $0 + (share.result.matches($1.res) ? $1.count : 0) }
                + (otherMatching.isEmpty ? 0 : otherMatching[position])
        }

        /// `-ETIME 998, 0 2 (of 1000)`, most frequent first.
        var distribution: String {
            var parts = counts.sorted { $0.count != $1.count ? $0.count > $1.count : $0.res < $1.res }
                .map { "\(describeResult($0.res)) \($0.count)" }
            if other > 0 { parts.append("other \(other)") }
            return parts.joined(separator: ", ") + " (of \(total))"
        }
    }

    /// Per expectation index with shares.
    var tallies: [Int: Tally] = [:]

    init() {}

    init(plan: CheckPlan) {
        for (index, expectation) in plan.expectations.enumerated() where !expectation.shares.isEmpty {
            tallies[index] = Tally()
        }
    }
}

extension CheckerCore {
    /// An instance that `index` applies to ended with `res`.
    mutating func tallyOutcome(_ index: Int, res: Int32) {
        guard shares.tallies[index] != nil else { return }
        shares.tallies[index]!.add(res, shares: plan.expectations[index].shares)
    }

    /// Each share bound against its tally: a failure shows the observed distribution.
    func recordShareFailures(into log: inout FailureLog, at end: Int) {
        for (index, tally) in shares.tallies.sorted(by: { $0.key < $1.key }) {
            let expectation = plan.expectations[index]
            for (position, share) in expectation.shares.enumerated() {
                let matching = tally.matching(share, position: position)
                guard !share.holds(matching: matching, total: tally.total) else { continue }
                let actual = tally.total == 0
                    ? "no instance completed"
                    : "\(CheckerCore.percentText(matching, of: tally.total)) (\(matching) of \(tally.total)); res: \(tally.distribution)"
                log.record(.expectation(index), "share \(position)", position: end) {
                    .init(mark: share.mark, subject: plan.labels[index] + ": share of \(share.result)", family: nil,
                          expected: share.boundDescription, actual: actual)
                }
            }
        }
    }

    /// The observed distribution of every share expectation, as notes for the report.
    var shareNotes: [Note] {
        shares.tallies.sorted(by: { $0.key < $1.key }).map { index, tally in
            Note(mark: plan.expectations[index].mark, text: "\(plan.labels[index]): res \(tally.distribution)")
        }
    }

    static func percentText(_ part: UInt64, of whole: UInt64) -> String {
        let value = Double(part) * 100 / Double(whole)
        return "\((value * 100).rounded() / 100)%"
    }
}
