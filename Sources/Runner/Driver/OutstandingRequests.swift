#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// The outstanding-request table: each request queued whose final CQE has not arrived, found again by
/// its user_data when a CQE comes.
///
/// Fast path: the FIFO window (`fifo`), for requests whose user_data is unique: CQEs mostly come in queue
/// order and find their entry without a hash look-up. It serves the rows whose requests are not dense,
/// "1000 small scenarios" (0.402 ms each, stop 9) among them. Off with RINGSCRIPT_NO_FAST_PATHS=1.
extension RunDriver {
    /// A request queued whose final CQE has not arrived: a slot of `entries`, found by user_data.
    struct Outstanding {
        var userData: UInt64
        var node: Int32
        /// Instances queued with this user_data and not finished (explicit user_data may repeat).
        var count: Int32
        /// How many of them the run waits for.
        var awaited: Int32
        /// Other nodes queued the same user_data (only with `allow_duplicate_user_data`): `otherNodes`.
        var hasOthers = false
    }

    mutating func notePeakOutstanding() {
        let distinct = outstanding.count + fifo.live + denseOutstanding
        if distinct > statistics.peakOutstanding { statistics.peakOutstanding = distinct }
    }

    mutating func track(_ userData: UInt64, node: NodeID, awaited: Bool) {
        if info[node].uniqueUserData {
            fifo.append(newEntry(Outstanding(userData: userData, node: Int32(node), count: 1, awaited: awaited ? 1 : 0)))
        } else if let slot = outstanding.value(for: userData) {
            let index = Int(slot)
            entries[index].count += 1
            if awaited { entries[index].awaited += 1 }
            if Int(entries[index].node) != node {
                otherNodes[slot, default: []].append(node)
                entries[index].hasOthers = true
            }
        } else {
            outstanding.set(newEntry(Outstanding(userData: userData, node: Int32(node), count: 1, awaited: awaited ? 1 : 0)),
                            for: userData)
        }
        outstandingByNode[node] += 1
        if awaited { awaitedOutstanding += 1 }
        notePeakOutstanding()
    }

    func newEntry(_ entry: Outstanding) -> Int32 {
        if let free = freeEntries.popLast() {
            entries[Int(free)] = entry
            return free
        }
        entries.append(entry)
        return Int32(entries.count - 1)
    }

    /// The node of the outstanding request with `userData` (the oldest, when several share it), if any.
    func ownerNode(of userData: UInt64) -> NodeID? {
        if let slot = outstanding.value(for: userData) { return Int(entries[Int(slot)].node) }
        let found = fifo.position(within: nil, where: { entries[Int($0)].userData == userData }).found
        return found.map { Int(entries[Int(fifo.slot(at: $0))].node) }
    }

    /// Moves the entries waiting in `fifo` into `outstanding` (their user_data are unique).
    mutating func spill() {
        guard !fifo.isEmpty else { return }
        for slot in fifo.liveSlots { outstanding.set(slot, for: entries[Int(slot)].userData) }
        fifo.removeAll()
    }

    /// The entry of the request `userData` names, and its position in `fifo` when it is there.
    mutating func entry(for userData: UInt64) -> (slot: Int32, fifoPosition: Int?)? {
        let search = fifo.position(within: RunDriver.fifoWindow, where: { entries[Int($0)].userData == userData })
        if let position = search.found { return (fifo.slot(at: position), position) }
        if !outstanding.isEmpty, let slot = outstanding.value(for: userData) { return (slot, nil) }
        guard search.more else { return nil }
        spill()
        return outstanding.value(for: userData).map { ($0, nil) }
    }

    mutating func release(_ slot: Int32) {
        if entries[Int(slot)].hasOthers { otherNodes[slot] = nil }
        freeEntries.append(slot)
    }
}
