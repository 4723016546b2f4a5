/// A hash table from user_data to a small integer (a slot in the caller's own storage), for the
/// per-request bookkeeping of the runner and the checker: open addressing with linear probing and
/// backward-shift deletion, a multiplicative hash, two flat arrays. Inserting and removing an entry
/// allocates nothing and touches no reference count, and automatic user_data (1, 2, 3…) spread evenly.
public struct UserDataTable: Sendable {
    private var keys: [UInt64]
    /// The value of each cell; `empty` when the cell is free.
    private var values: [Int32]
    private var shift: UInt64
    public private(set) var count = 0

    private static let empty: Int32 = -1

    /// A table for about `capacity` entries before it first grows.
    public init(capacity: Int = 32) {
        var cells = 16
        while cells < capacity * 2 { cells <<= 1 }
        keys = [UInt64](repeating: 0, count: cells)
        values = [Int32](repeating: UserDataTable.empty, count: cells)
        shift = UInt64(64 - cells.trailingZeroBitCount)
    }

    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The value stored for `key`.
    @inline(__always)
    public func value(for key: UInt64) -> Int32? {
        let mask = values.count - 1
        var cell = home(key)
        while true {
            let value = values[cell]
            if value == UserDataTable.empty { return nil }
            if keys[cell] == key { return value }
            cell = (cell + 1) & mask
        }
    }

    /// Stores `value` (not negative) for `key`, replacing what was there.
    @inline(__always)
    public mutating func set(_ value: Int32, for key: UInt64) {
        precondition(value >= 0, "UserDataTable holds non-negative values")
        if (count + 1) * 2 > values.count { grow() }
        let mask = values.count - 1
        var cell = home(key)
        while true {
            if values[cell] == UserDataTable.empty {
                keys[cell] = key
                values[cell] = value
                count += 1
                return
            }
            if keys[cell] == key {
                values[cell] = value
                return
            }
            cell = (cell + 1) & mask
        }
    }

    /// Removes `key`; returns its value, if it was there.
    @inline(__always)
    @discardableResult
    public mutating func remove(_ key: UInt64) -> Int32? {
        let mask = values.count - 1
        var cell = home(key)
        while true {
            let value = values[cell]
            if value == UserDataTable.empty { return nil }
            if keys[cell] == key { break }
            cell = (cell + 1) & mask
        }
        let removed = values[cell]
        // Backward shift: move later entries of the probe run into the hole, so no tombstones build up.
        var hole = cell
        var next = (hole + 1) & mask
        while values[next] != UserDataTable.empty {
            let wanted = home(keys[next])
            // The entry at `next` may move into `hole` unless its home lies cyclically in (hole, next].
            let fits = hole <= next ? (wanted <= hole || wanted > next) : (wanted <= hole && wanted > next)
            if fits {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        values[hole] = UserDataTable.empty
        count -= 1
        return removed
    }

    /// Every entry, in no particular order.
    public var entries: [(key: UInt64, value: Int32)] {
        var result: [(key: UInt64, value: Int32)] = []
        result.reserveCapacity(count)
        for cell in values.indices where values[cell] != UserDataTable.empty { result.append((keys[cell], values[cell])) }
        return result
    }

    public mutating func removeAll() {
        guard count > 0 else { return }
        for cell in values.indices { values[cell] = UserDataTable.empty }
        count = 0
    }

    private mutating func grow() {
        let old = entries
        let cells = values.count * 2
        keys = [UInt64](repeating: 0, count: cells)
        values = [Int32](repeating: UserDataTable.empty, count: cells)
        shift = UInt64(64 - cells.trailingZeroBitCount)
        count = 0
        for entry in old { set(entry.value, for: entry.key) }
    }
}
