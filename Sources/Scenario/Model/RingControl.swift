import IoUring

/// The control steps that drive the ring itself: reaping under the scenario's control (`reap`), a bare
/// io_uring_enter(2) (`enter`), and checks of the ring's shared state (`ring_state`).
public enum RingControl: Hashable, Sendable, CustomStringConvertible {
    /// Reap CQEs: all that are ready (`count` nil, overflowed ones flushed in too), or exactly `count`,
    /// waiting for them at most `timeoutNanoseconds` (the deadline otherwise).
    case reap(count: UInt32?, timeoutNanoseconds: Int64?)
    /// io_uring_enter(2) as written (IORING_ENTER_EXT_ARG with a timeout).
    case enter(EnterStep)
    /// Expectations on the ring's state at this point; nothing is submitted or reaped first.
    case state([RingStateCheck])

    /// The step's name, as the scenario writes it.
    public var stepName: String {
        switch self {
        case .reap: return "reap"
        case .enter: return "enter"
        case .state: return "ring_state"
        }
    }

    /// One line for plans and dumps: `reap 3 (at most 1s)`, `enter to_submit=all min_complete=2 flags=getevents`.
    public var description: String {
        switch self {
        case .reap(let count, let timeout):
            guard let count else { return "reap every ready CQE" }
            return "reap \(count) CQE\(count == 1 ? "" : "s")" + (timeout.map { " (at most \(RingControl.durationText($0)))" } ?? "")
        case .enter(let call):
            let names = EnterFlags.named.filter { call.flags.contains($0.flag) }.map(\.name)
            return "enter to_submit=\(call.toSubmit.map(String.init) ?? "all") min_complete=\(call.minComplete) flags="
                + (names.isEmpty ? "0" : names.joined(separator: "|"))
                + (call.timeoutNanoseconds.map { " timeout=\(RingControl.durationText($0))" } ?? "")
        case .state(let checks):
            return "ring_state " + checks.map { "\($0.field.rawValue)=\($0.expected)" }.joined(separator: " ")
        }
    }
}

extension RingControl {
    /// `10ms`, `1s`, `250us` or `100ns`: the largest unit that divides the duration.
    public static func durationText(_ nanoseconds: Int64) -> String {
        for (unit, name) in [(Int64(1_000_000_000), "s"), (1_000_000, "ms"), (1_000, "us")]
        where nanoseconds != 0 && nanoseconds % unit == 0 {
            return "\(nanoseconds / unit)\(name)"
        }
        return "\(nanoseconds)ns"
    }
}

extension RingStateCheck.Expected: CustomStringConvertible {
    public var description: String {
        switch self {
        case .count(let value): return String(value)
        case .exactBits(let value): return value.value == 0 ? "[]" : "[\(value)]"
        case .hasBits(let value), .lacksBits(let value): return "[\(value)]"
        }
    }
}

extension ControlAction {
    /// What a failed `expect:` of the step is about, in the report.
    public var resultSubject: String {
        if case .ring(.enter) = self { return "enter: what io_uring_enter returned" }
        return "submit: SQEs the kernel took"
    }
}

/// The arguments of an `enter` step.
public struct EnterStep: Hashable, Sendable {
    /// SQEs to submit; nil: every SQE queued and not yet consumed.
    public var toSubmit: UInt32?
    public var minComplete: UInt32
    public var flags: EnterFlags
    /// The wait bound, passed through IORING_ENTER_EXT_ARG (struct io_uring_getevents_arg).
    public var timeoutNanoseconds: Int64?

    public init(toSubmit: UInt32?, minComplete: UInt32, flags: EnterFlags, timeoutNanoseconds: Int64?) {
        self.toSubmit = toSubmit
        self.minComplete = minComplete
        self.flags = flags
        self.timeoutNanoseconds = timeoutNanoseconds
    }
}

/// One key of a `ring_state` step: what is read and what it must be.
public struct RingStateCheck: Hashable, Sendable {
    public enum Field: String, CaseIterable, Hashable, Sendable {
        case sqReady = "sq_ready", cqReady = "cq_ready", sqFlags = "sq_flags", cqOverflow = "cq_overflow"
        case sqDropped = "sq_dropped", sqEntries = "sq_entries", cqEntries = "cq_entries"
        case features = "features", featuresLacking = "features_lacking"
    }

    public enum Expected: Hashable, Sendable {
        /// A counter or size equals this.
        case count(UInt32)
        /// The flag word holds exactly these bits (`sq_flags`).
        case exactBits(NamedValue)
        /// Every one of these bits is set (`features`).
        case hasBits(NamedValue)
        /// None of these bits is set (`features_lacking`).
        case lacksBits(NamedValue)
    }

    public var field: Field
    public var expected: Expected
    /// Where the key is written: a failure is reported there.
    public var mark: SourceMark

    public init(field: Field, expected: Expected, mark: SourceMark) {
        self.field = field
        self.expected = expected
        self.mark = mark
    }
}
