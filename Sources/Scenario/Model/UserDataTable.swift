/// A table from user_data to a small integer (a slot in the caller's own storage), for the per-request
/// bookkeeping of the runner and the checker. A `Dictionary` inside, with reference semantics: copies of
/// what holds it share it, so the tables held in `let`s are written in place. Its exclusivity is not
/// checked at run time, as one thread uses it.
///
/// It replaced a hand-written open-addressing table (two malloc'ed arrays) that bought no bench/run.sh
/// row: release A/B, alternating, 5 pairs, median CPU time — 1,000,000 nops in a `repeat:` (batch 32)
/// 90 ms before, 80 after; `check --timing --synthetic 100000` 590 ms both. It costs where every request
/// goes through it: the same nops with one explicit `user_data` (allow_duplicate_user_data) 330 → 380 ms
/// (+15 %), with RINGSCRIPT_NO_FAST_PATHS=1 899 → 1050 ms (+17 %).
public final class UserDataTable: @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline var slots: [UInt64: Int32]

    /// A table for about `capacity` entries before it first grows.
    public init(capacity: Int = 32) {
        slots = Dictionary(minimumCapacity: capacity)
    }

    @inlinable
    public var count: Int { slots.count }

    @inlinable
    public var isEmpty: Bool { slots.isEmpty }

    /// The value stored for `key`.
    @inlinable
    public func value(for key: UInt64) -> Int32? { slots[key] }

    /// Stores `value` (not negative) for `key`, replacing what was there.
    @inlinable
    public func set(_ value: Int32, for key: UInt64) {
        precondition(value >= 0, "UserDataTable holds non-negative values")
        slots[key] = value
    }

    /// Removes `key`; returns its value, if it was there.
    @inlinable @discardableResult
    public func remove(_ key: UInt64) -> Int32? { slots.removeValue(forKey: key) }

    /// Every entry, in no particular order.
    public var entries: [(key: UInt64, value: Int32)] { slots.map { ($0.key, $0.value) } }

    public func removeAll() { slots.removeAll(keepingCapacity: true) }
}
