#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A hash table from user_data to a small integer (a slot in the caller's own storage), for the
/// per-request bookkeeping of the runner and the checker: open addressing with linear probing and
/// backward-shift deletion, a multiplicative hash, two flat malloc'ed arrays. Inserting and removing an
/// entry allocates nothing and touches no reference count, and automatic user_data (1, 2, 3…) spread
/// evenly. A reference type (its storage is shared by copies of what holds it), used by one thread.
public final class UserDataTable: @unchecked Sendable {
    /// Everything mutable lives behind one pointer the class never reassigns: no property of the class
    /// is a `var`, so using the table costs no runtime exclusivity check.
    private struct State {
        var keys: UnsafeMutablePointer<UInt64>
        /// The value of each cell; `empty` when the cell is free.
        var values: UnsafeMutablePointer<Int32>
        var mask: Int
        var shift: UInt64
        var count: Int
    }

    private let state: UnsafeMutablePointer<State>

    private static let empty: Int32 = -1

    /// A table for about `capacity` entries before it first grows.
    public init(capacity: Int = 32) {
        var cells = 16
        while cells < capacity * 2 { cells <<= 1 }
        state = .allocate(capacity: 1)
        state.initialize(to: UserDataTable.storage(cells: cells))
    }

    private static func storage(cells: Int) -> State {
        let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: cells)
        let values = UnsafeMutablePointer<Int32>.allocate(capacity: cells)
        keys.initialize(repeating: 0, count: cells)
        values.initialize(repeating: UserDataTable.empty, count: cells)
        return State(keys: keys, values: values, mask: cells - 1, shift: UInt64(64 - cells.trailingZeroBitCount), count: 0)
    }

    deinit {
        state.pointee.keys.deallocate()
        state.pointee.values.deallocate()
        state.deallocate()
    }

    public var count: Int { state.pointee.count }

    public var isEmpty: Bool { state.pointee.count == 0 }

    @inline(__always)
    private static func home(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The value stored for `key`.
    public func value(for key: UInt64) -> Int32? {
        let table = state.pointee
        var cell = UserDataTable.home(key, table.shift)
        while true {
            let value = table.values[cell]
            if value == UserDataTable.empty { return nil }
            if table.keys[cell] == key { return value }
            cell = (cell &+ 1) & table.mask
        }
    }

    /// Stores `value` (not negative) for `key`, replacing what was there.
    public func set(_ value: Int32, for key: UInt64) {
        precondition(value >= 0, "UserDataTable holds non-negative values")
        if (state.pointee.count + 1) * 2 > state.pointee.mask + 1 { grow() }
        let table = state.pointee
        var cell = UserDataTable.home(key, table.shift)
        while true {
            if table.values[cell] == UserDataTable.empty {
                table.keys[cell] = key
                table.values[cell] = value
                state.pointee.count += 1
                return
            }
            if table.keys[cell] == key {
                table.values[cell] = value
                return
            }
            cell = (cell &+ 1) & table.mask
        }
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult
    public func remove(_ key: UInt64) -> Int32? {
        let table = state.pointee
        let (keys, values, mask) = (table.keys, table.values, table.mask)
        var cell = UserDataTable.home(key, table.shift)
        while true {
            let value = values[cell]
            if value == UserDataTable.empty { return nil }
            if keys[cell] == key { break }
            cell = (cell &+ 1) & mask
        }
        let removed = values[cell]
        // Backward shift: move later entries of the probe run into the hole, so no tombstones build up.
        var hole = cell
        var next = (hole &+ 1) & mask
        while values[next] != UserDataTable.empty {
            let wanted = UserDataTable.home(keys[next], table.shift)
            // The entry at `next` may move into `hole` unless its home lies cyclically in (hole, next].
            let fits = hole <= next ? (wanted <= hole || wanted > next) : (wanted <= hole && wanted > next)
            if fits {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next &+ 1) & mask
        }
        values[hole] = UserDataTable.empty
        state.pointee.count -= 1
        return removed
    }

    /// Every entry, in no particular order.
    public var entries: [(key: UInt64, value: Int32)] {
        let table = state.pointee
        var result: [(key: UInt64, value: Int32)] = []
        result.reserveCapacity(table.count)
        for cell in 0...table.mask where table.values[cell] != UserDataTable.empty {
            result.append((table.keys[cell], table.values[cell]))
        }
        return result
    }

    public func removeAll() {
        guard state.pointee.count > 0 else { return }
        state.pointee.values.update(repeating: UserDataTable.empty, count: state.pointee.mask + 1)
        state.pointee.count = 0
    }

    private func grow() {
        let old = entries
        state.pointee.keys.deallocate()
        state.pointee.values.deallocate()
        state.pointee = UserDataTable.storage(cells: (state.pointee.mask + 1) * 2)
        for entry in old { set(entry.value, for: entry.key) }
    }
}
