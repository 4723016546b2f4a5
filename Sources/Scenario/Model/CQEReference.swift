/// Which CQE of a request an order constraint means. CQE numbers are 1-based in the request's arrival
/// order, a zero-copy send's notification included, as in `cqes:` mismatches (`rx: CQE 2`).
public enum CQEReference: Hashable, Sendable, Comparable {
    /// The bare id: its first CQE.
    case first
    /// `rx[2]`: its n-th CQE (n ≥ 2; `rx[1]` is `.first`).
    case number(Int)
    /// `poll.notification`: the IORING_CQE_F_NOTIF CQE of a zero-copy send.
    case notification
    /// `poll.final`: the CQE that ends it (without IORING_CQE_F_MORE; a single-shot request's only one).
    case final

    /// What follows the id when written: ``, `[2]`, `.notification`, `.final`.
    public var suffix: String {
        switch self {
        case .first: return ""
        case .number(let n): return "[\(n)]"
        case .notification: return ".notification"
        case .final: return ".final"
        }
    }

    /// Arrival order within one request, where it is known: first ≤ [2] ≤ [3] … ≤ final, and
    /// first ≤ notification ≤ final (the notification follows the result CQE).
    public static func < (lhs: CQEReference, rhs: CQEReference) -> Bool {
        switch (lhs, rhs) {
        case (.first, .first), (.final, _): return false
        case (.first, _), (_, .final): return true
        case (.number(let a), .number(let b)): return a < b
        default: return false
        }
    }
}
