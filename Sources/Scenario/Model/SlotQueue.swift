/// Slots of outstanding requests in queue order: the fast path of the runner's and the checker's
/// outstanding tables. CQEs mostly come in queue order, so the request a CQE is for is found near the
/// head without a hash look-up (`position(within:where:)`); a slot ended out of order leaves a -1 behind.
///
/// The ended slots before the head are dropped once they are half the queue: a request that stays
/// outstanding near the head (a silent IOSQE_CQE_SKIP_SUCCESS chain member whose next instance is queued
/// before it is proven, a long timeout) would otherwise keep the queue from ever emptying, and it would
/// grow by every request the run queues. Copies share the slots (a `FlatArray`) but not the head: end
/// slots through one copy only.
public struct SlotQueue: Sendable {
    @usableFromInline let slots: FlatArray<Int32>
    /// The position of the oldest slot not yet ended (or `slots.count`).
    @usableFromInline private(set) var head = 0
    /// Slots queued and not ended.
    public private(set) var live = 0

    /// How many ended slots may sit before the head before they are dropped.
    public static let compactionStart = 256

    public init(capacity: Int = 64) {
        slots = FlatArray(capacity: capacity)
    }

    /// Whether every slot queued has ended.
    @inlinable
    public var isEmpty: Bool { head == slots.count }

    /// The memory the queue holds, in slots (ended ones included).
    public var storedCount: Int { slots.count }

    @inlinable
    public func slot(at position: Int) -> Int32 { slots[position] }

    public mutating func append(_ slot: Int32) {
        slots.append(slot)
        live += 1
    }

    /// The position of the first live slot among the `window` oldest positions (every position when nil)
    /// that `matches`, and whether positions beyond the window were left unsearched.
    @inlinable
    public func position(within window: Int?, where matches: (Int32) -> Bool) -> (found: Int?, more: Bool) {
        let end = window.map { min(slots.count, head + $0) } ?? slots.count
        var position = head
        while position < end {
            let slot = slots[position]
            if slot >= 0 && matches(slot) { return (position, false) }
            position += 1
        }
        return (nil, end < slots.count)
    }

    /// Ends the slot at `position`; the head moves past ended slots.
    public mutating func end(at position: Int) {
        slots[position] = -1
        live -= 1
        while head < slots.count && slots[head] < 0 { head += 1 }
        if head == slots.count {
            slots.removeAll()
            head = 0
        } else if head >= SlotQueue.compactionStart && head * 2 >= slots.count {
            slots.removeFirst(head)
            head = 0
        }
    }

    /// Ends every slot (after `liveSlots` took them, to move them into a hash table).
    public mutating func removeAll() {
        slots.removeAll()
        head = 0
        live = 0
    }

    /// The live slots, oldest first.
    public var liveSlots: [Int32] {
        slots.elements[head...].filter { $0 >= 0 }
    }
}
