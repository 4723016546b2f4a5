import IoUring

/// What the CQEs and the sandbox must look like after the run.
public struct Expectations: Hashable, Sendable {
    /// Per-request expectations, in the order written.
    public var completions: [CompletionExpectation] = []
    /// Pairwise "earlier before later" constraints from `order`, `orders`, `before` and `after`.
    public var order: [OrderConstraint] = []
    /// `allow_other_cqes: true`: CQEs no expectation or step claims are not an error.
    public var allowsOtherCompletions = false
    public var buffers: [BufferCondition] = []
    public var files: [FileCondition] = []
    /// `signals: { SIGPIPE: 1 }`: how many times each signal reached the scenario's thread.
    public var signals: [SignalExpectation] = []

    public init() {}
}

/// Which CQEs an expectation is about.
public enum ExpectationSubject: Hashable, Sendable, CustomStringConvertible {
    /// A request by id; `.each` for a repeated id means every iteration.
    case request(node: NodeID, iterations: Iterations, written: String)
    /// Every CQE with this user_data (explicit numeric user_data, possibly shared on purpose).
    case userData(UInt64)

    public var description: String {
        switch self {
        case .request(_, _, let written): return written
        case .userData(let value): return String(value)
        }
    }
}

/// The expectation for one id.
public struct CompletionExpectation: Hashable, Sendable {
    public var subject: ExpectationSubject
    public var mark: SourceMark
    /// What its CQE must look like; for a multishot request, every CQE it posts (zero-copy sends: the
    /// result CQE, not the notification). `stream` adds the shape of a multishot stream.
    public var cqe: CQEPattern
    /// For multishot requests: the shape of the CQE stream.
    public var stream: StreamExpectation? {
        get { rarelyUsed?.stream }
        set { rarelyUsed = RarelyUsed(stream: newValue, notificationPattern: notificationPattern, timing: timing, shares: shares) }
    }
    /// `completes: false`: no CQE may arrive for it (skip_success, cancelled before submission…).
    public var completes: Bool
    /// For zero-copy sends: whether a notification CQE (IORING_CQE_F_NOTIF) must follow; nil: not checked.
    public var notification: Bool?
    /// For zero-copy sends: what the notification CQE must look like (`notification: { res: … }`); a
    /// pattern implies `notification == true`. Its `res` is 0, or IORING_NOTIF_USAGE_ZC_COPIED
    /// (0x80000000) when `report_usage` was asked and the data was copied.
    public var notificationPattern: CQEPattern? {
        get { rarelyUsed?.notificationPattern }
        set { rarelyUsed = RarelyUsed(stream: stream, notificationPattern: newValue, timing: timing, shares: shares) }
    }
    /// `after: ">= 20ms"`, `within: 2s`, `after: { a: ">= 5ms" }`: bounds on when its first CQE was reaped.
    public var timing: [TimingBound] {
        get { rarelyUsed?.timing ?? [] }
        set { rarelyUsed = RarelyUsed(stream: stream, notificationPattern: notificationPattern, timing: newValue, shares: shares) }
    }
    /// `share: { -ETIME: ">= 99%" }`: over the instances it applies to, the share of each outcome.
    public var shares: [OutcomeShare] {
        get { rarelyUsed?.shares ?? [] }
        set { rarelyUsed = RarelyUsed(stream: stream, notificationPattern: notificationPattern, timing: timing, shares: newValue) }
    }

    /// The parts few expectations have, kept out of line: a big scenario holds one expectation for many
    /// of its requests, and these would triple the size of each.
    private var rarelyUsed: RarelyUsed?

    /// Immutable, so the struct keeps value semantics: a setter makes a new one.
    private final class RarelyUsed: Hashable, Sendable {
        let stream: StreamExpectation?
        let notificationPattern: CQEPattern?
        let timing: [TimingBound]
        let shares: [OutcomeShare]

        init?(stream: StreamExpectation?, notificationPattern: CQEPattern?, timing: [TimingBound] = [], shares: [OutcomeShare] = []) {
            guard stream != nil || notificationPattern != nil || !timing.isEmpty || !shares.isEmpty else { return nil }
            self.stream = stream
            self.notificationPattern = notificationPattern
            self.timing = timing
            self.shares = shares
        }

        static func == (lhs: RarelyUsed, rhs: RarelyUsed) -> Bool {
            lhs.stream == rhs.stream && lhs.notificationPattern == rhs.notificationPattern && lhs.timing == rhs.timing
                && lhs.shares == rhs.shares
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(stream)
            hasher.combine(notificationPattern)
            hasher.combine(timing)
            hasher.combine(shares)
        }
    }

    public init(subject: ExpectationSubject, mark: SourceMark, cqe: CQEPattern, stream: StreamExpectation? = nil,
                completes: Bool = true, notification: Bool? = nil, notificationPattern: CQEPattern? = nil) {
        self.subject = subject
        self.mark = mark
        self.cqe = cqe
        self.completes = completes
        self.notification = notification
        rarelyUsed = RarelyUsed(stream: stream, notificationPattern: notificationPattern)
    }
}

/// A pattern one CQE must match. Empty parts are not checked.
public struct CQEPattern: Hashable, Sendable {
    public var result: ResultPattern?
    /// IORING_CQE_F_* bits that must be set.
    public var flagsSet: NamedValue?
    /// IORING_CQE_F_* bits that must be clear (`flags: { clear: … }`).
    public var flagsClear: NamedValue?
    /// `flags: 0`, `flags: [more]` (a bare number or list): exactly `flagsSet`, every other bit clear —
    /// except the buffer id (the upper 16 bits) when `flagsSet` has IORING_CQE_F_BUFFER: `buffer:` checks it.
    /// `flags: { set, clear }` is partial (false).
    public var flagsExact = false
    /// Bits exact flags leave alone: IORING_CQE_F_MORE for the pattern every CQE of a multishot stream
    /// must match (the stream's `each` and `final` say where `more` is), and for `each`, whose CQEs all
    /// have it.
    public var flagsIgnored: UInt64 = 0
    /// The provided-buffer id (upper 16 bits of flags with IORING_CQE_F_BUFFER): any of these.
    public var bufferIDs: [UInt16]?
    /// The bytes the CQE delivered into its provided buffer (`res` bytes, from where the CQE's part of a
    /// buffer-ring buffer starts), exactly.
    public var data: [UInt8]? = nil
    public var mark: SourceMark

    public init(result: ResultPattern? = nil, flagsSet: NamedValue? = nil, flagsClear: NamedValue? = nil,
                bufferIDs: [UInt16]? = nil, mark: SourceMark) {
        self.result = result
        self.flagsSet = flagsSet
        self.flagsClear = flagsClear
        self.bufferIDs = bufferIDs
        self.mark = mark
    }

    /// The bits that must be set.
    public var setMask: UInt64 { flagsSet?.value ?? 0 }

    /// The bits that must be clear: `flagsClear`, or for exact flags every bit of the 32-bit CQE flags
    /// word not in `flagsSet` (only the lower 16 when `flagsSet` has IORING_CQE_F_BUFFER, whose id is above).
    public var clearMask: UInt64 {
        guard flagsExact else { return flagsClear?.value ?? 0 }
        let set = setMask
        let checked: UInt64 = set & UInt64(CompletionFlags.buffer.rawValue) != 0 ? 0xFFFF : 0xFFFF_FFFF
        return checked & ~set & ~flagsIgnored
    }

    /// Whether CQE flags meet the flags part (set and clear masks).
    public func flagsMatch(_ flags: UInt32) -> Bool {
        let value = UInt64(flags)
        return value & setMask == setMask && value & clearMask == 0
    }

    /// Whether `res` and `flags` match every part given.
    public func matches(res: Int32, flags: UInt32) -> Bool {
        if let result, !result.matches(res) { return false }
        if !flagsMatch(flags) { return false }
        if let bufferIDs {
            guard flags & 1 != 0, bufferIDs.contains(UInt16(truncatingIfNeeded: flags >> 16)) else { return false }
        }
        return true
    }
}

/// The shape of a multishot CQE stream: some CQEs with IORING_CQE_F_MORE, then one without.
public struct StreamExpectation: Hashable, Sendable {
    /// How many CQEs carry IORING_CQE_F_MORE.
    public var moreCount: CountRange?
    /// How many CQEs in all, the final one included.
    public var totalCount: CountRange?
    /// What every CQE with IORING_CQE_F_MORE must match.
    public var each: CQEPattern?
    /// Every byte the stream delivered into provided buffers, its CQEs' data joined in arrival order.
    public var data: [UInt8]? = nil
    public var final: FinalCompletion
    public var mark: SourceMark
    /// `cqes:`: the stream CQE by CQE instead of `more`/`count`/`each`/`final` (StreamSequence.swift).
    public var cqes: CQESequence? = nil
}

public enum FinalCompletion: Hashable, Sendable {
    /// A final CQE (without IORING_CQE_F_MORE) must arrive; it is not otherwise checked.
    case required
    /// The final CQE must match this.
    case matching(CQEPattern)
    /// `final: none`: the stream is still open when the scenario ends.
    case absent
}

/// An inclusive count range; `upper` nil means no limit.
public struct CountRange: Hashable, Sendable, CustomStringConvertible {
    public var lower: Int
    public var upper: Int?

    public init(lower: Int, upper: Int?) {
        self.lower = lower
        self.upper = upper
    }

    public static func exactly(_ count: Int) -> CountRange { CountRange(lower: count, upper: count) }

    public func contains(_ count: Int) -> Bool { count >= lower && (upper.map { count <= $0 } ?? true) }

    public var description: String {
        if upper == lower { return String(lower) }
        return "\(lower)..\(upper.map(String.init) ?? "")"
    }
}

/// What a `res` must be.
public indirect enum ResultPattern: Hashable, Sendable, CustomStringConvertible {
    /// `any`.
    case any
    case exact(Int64)
    /// `-EBADF`: res == -errno.
    case errno(Errno)
    /// `0..64`, `{ min: 0, max: 64 }`: inclusive; a missing bound is open.
    case range(min: Int64?, max: Int64?)
    /// `">= 0"`, `"!= -EAGAIN"`.
    case comparison(Comparison, Int64)
    /// `[0, -EALREADY]`: any of these.
    case anyOf([ResultPattern])

    public enum Comparison: String, Hashable, Sendable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
    }

    /// Success of a registration: res ≥ 0.
    public static let success = ResultPattern.comparison(.greaterOrEqual, 0)

    public func matches(_ res: Int32) -> Bool {
        let value = Int64(res)
        switch self {
        case .any: return true
        case .exact(let expected): return value == expected
        case .errno(let errno): return value == -Int64(errno.rawValue)
        case .range(let lower, let upper): return (lower.map { value >= $0 } ?? true) && (upper.map { value <= $0 } ?? true)
        case .comparison(let comparison, let operand):
            switch comparison {
            case .equal: return value == operand
            case .notEqual: return value != operand
            case .less: return value < operand
            case .lessOrEqual: return value <= operand
            case .greater: return value > operand
            case .greaterOrEqual: return value >= operand
            }
        case .anyOf(let patterns): return patterns.contains { $0.matches(res) }
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .exact(let value): return ResultPattern.format(value)
        case .errno(let errno): return "-" + errno.name
        case .range(let lower, let upper):
            return "\(lower.map(ResultPattern.format) ?? "")..\(upper.map(ResultPattern.format) ?? "")"
        case .comparison(let comparison, let operand): return "\(comparison.rawValue) \(ResultPattern.format(operand))"
        case .anyOf(let patterns): return "[" + patterns.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// A number as a scenario would write it: errno names for known negative errnos.
    static func format(_ value: Int64) -> String {
        if value < 0, value >= -4095, let errno = Errno(name: Errno(rawValue: Int32(-value)).name) {
            return "-" + errno.name
        }
        return String(value)
    }
}

/// `earlier`'s CQE must arrive before `later`'s (the first CQE of each, unless a side names another:
/// `poll.final`, `rx[2]`, `zc.notification`; CQEReference.swift).
public struct OrderConstraint: Hashable, Sendable, CustomStringConvertible {
    public var earlier: ExpectationSubject
    public var later: ExpectationSubject
    /// Where the constraint was written.
    public var mark: SourceMark
    public var earlierCQE: CQEReference = .first
    public var laterCQE: CQEReference = .first

    public var description: String { "\(earlier)\(earlierCQE.suffix) before \(later)\(laterCQE.suffix)" }
}

/// A post-condition on a buffer resource's bytes after the run.
public struct BufferCondition: Hashable, Sendable {
    public var buffer: String
    public var check: ContentCheck
    public var mark: SourceMark
}

public enum ContentCheck: Hashable, Sendable {
    /// The whole content, length included.
    case equals([UInt8])
    /// The content starts with these bytes.
    case prefix([UInt8])
    /// The content from byte `offset` on starts with these bytes (`at:` with `prefix` or `hex_prefix`):
    /// a field of a struct the kernel wrote, such as `stx_size` at 40.
    case at(offset: UInt64, [UInt8])
    /// The bytes are still what the resource was created with.
    case unchanged
    /// One field of a kernel structure in the buffer (a struct view: `statx: { stx_size: 11 }`).
    case field(StructFieldCheck)
}

/// A post-condition on a path of the sandbox after the run.
public struct FileCondition: Hashable, Sendable {
    /// Relative to the sandbox.
    public var path: String
    /// The file resource it names, when the key was a resource name.
    public var resource: String?
    public var exists: Bool?
    public var type: FileType?
    public var size: UInt64?
    public var content: ContentCheck?
    public var mark: SourceMark
    /// For `ringscript record --contents`: read the whole content (up to the buffer limit), whatever
    /// `content` needs.
    public var gathersContent = false

    public enum FileType: String, Hashable, Sendable, CaseIterable {
        case file, directory, symlink
    }
}
