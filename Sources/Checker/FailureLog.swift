import Scenario

/// The mismatches found so far, one record per expectation and aspect: the first failure is kept with
/// its text and later ones of the same kind are only counted, so a million failing iterations cost one
/// record. Records sort by where the trace first diverged.
struct FailureLog {
    /// What a record is about.
    enum Owner: Hashable {
        case expectation(Int)
        case registration(NodeID)
        case order(Int)
        case buffer(Int)
        case file(Int)
        /// The assignment of a shared user_data's CQEs to its requests (SharedUserData.swift).
        case sharedUserData(UInt64)
        case run
    }

    struct Key: Hashable {
        var owner: Owner
        var aspect: String
    }

    /// The text of a mismatch, built only for its first occurrence.
    struct Text {
        var mark: SourceMark
        var subject: String
        /// What further occurrences are instances of (`r{i}`): `r3: res (and 11 more of r{i})`; without one,
        /// a repeated mismatch is counted as `acc: res (2 times)`.
        var family: String?
        var expected: String
        var actual: String
    }

    struct Record {
        var text: Text
        var count: Int
        /// The arrival index of the CQE where it first showed (CQEs seen so far, for other events).
        var position: Int
        var sequence: Int
    }

    private(set) var records: [Key: Record] = [:]
    private var sequence = 0

    /// Notes `count` failures; `text` is evaluated only if they are the first of their key.
    mutating func record(_ owner: Owner, _ aspect: String, position: Int, count: Int = 1, _ text: () -> Text) {
        let key = Key(owner: owner, aspect: aspect)
        if records[key] != nil {
            records[key]!.count += count
            return
        }
        sequence += 1
        records[key] = Record(text: text(), count: count, position: position, sequence: sequence)
    }

    /// Counts `count` more failures of an existing record; false when there is none yet (then `add` one).
    /// With `add`, what `record` does for callers that cannot pass a closure (a mutating method of the
    /// value that holds the log).
    mutating func bump(_ owner: Owner, _ aspect: String, count: Int = 1) -> Bool {
        let key = Key(owner: owner, aspect: aspect)
        guard records[key] != nil else { return false }
        records[key]!.count += count
        return true
    }

    /// Adds the first record of its key (see `bump`).
    mutating func add(_ owner: Owner, _ aspect: String, position: Int, count: Int = 1, _ text: Text) {
        sequence += 1
        records[Key(owner: owner, aspect: aspect)] = Record(text: text, count: count, position: position, sequence: sequence)
    }

    var isEmpty: Bool { records.isEmpty }

    /// The mismatches, first divergence first.
    var mismatches: [Mismatch] {
        records.values.sorted { ($0.position, $0.sequence) < ($1.position, $1.sequence) }.map { record in
            var subject = record.text.subject
            if record.count > 1 {
                if let family = record.text.family {
                    subject += " (and \(record.count - 1) more of \(family))"
                } else {
                    subject += " (\(record.count) times)"
                }
            }
            return Mismatch(mark: record.text.mark, subject: subject, expected: record.text.expected, actual: record.text.actual)
        }
    }
}
