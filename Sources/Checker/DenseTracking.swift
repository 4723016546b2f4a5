import IoUring
import Scenario

/// The outstanding instances of dense requests (`CheckerCore.isDense`), by automatic user_data: a ring of
/// cells indexed by user_data, covering `low..<high`. Requests without `user_data:` are numbered 1, 2, 3…
/// in the order they run, so they are queued in user_data order and most complete near the oldest one:
/// the window stays about as wide as what is in flight, and a CQE finds its instance with one load.
/// A cell holds the instance's node (-1 once it completed, or for a user_data no dense instance has) and
/// its queue sequence. A reference, shared by copies of the core, used by one thread: its arrays are
/// written in place, their exclusivity not checked at run time (as in `FlatArray`).
final class DenseWindow {
    /// An outstanding instance: its node and its queue sequence.
    struct Entry {
        var node: Int32
        var sequence: Int
    }

    @exclusivity(unchecked) var nodes: ContiguousArray<Int32>
    @exclusivity(unchecked) var sequences: ContiguousArray<Int>
    var mask: UInt64
    /// Per node: a CQE within this interval and masks meets every expectation of the node.
    @exclusivity(unchecked) var patterns: ContiguousArray<CheckerCore.QuickPattern> = []
    /// Every dense instance outstanding in the window has a user_data in `low..<high`, and the one at
    /// `low` is outstanding unless the window is empty (`low == high`).
    var low: UInt64 = 0
    var high: UInt64 = 0
    /// Outstanding instances in the window.
    var live = 0

    var capacity: Int { Int(mask) + 1 }

    /// Small: a core is made for every scenario (and placeholders for lent ones); the ring grows to what
    /// is in flight.
    static let initialCapacity = 16
    /// The window grows rather than spill until it is this large.
    static let spillFloor = 1024

    init() {
        nodes = ContiguousArray(repeating: -1, count: DenseWindow.initialCapacity)
        sequences = ContiguousArray(repeating: 0, count: DenseWindow.initialCapacity)
        mask = UInt64(DenseWindow.initialCapacity - 1)
    }

    /// Doubles the ring, moving the cells of `low..<high`.
    func grow() {
        let capacity = self.capacity * 2
        var newNodes = ContiguousArray<Int32>(repeating: -1, count: capacity)
        var newSequences = ContiguousArray<Int>(repeating: 0, count: capacity)
        let newMask = UInt64(capacity - 1)
        var userData = low
        while userData < high {
            newNodes[Int(userData & newMask)] = nodes[Int(userData & mask)]
            newSequences[Int(userData & newMask)] = sequences[Int(userData & mask)]
            userData += 1
        }
        (nodes, sequences, mask) = (newNodes, newSequences, newMask)
    }

    /// Completes, from `cqes[start]` on, the instances in the window whose CQEs meet their node's pattern
    /// (`patterns`) and have none of the `special` flags; stops at the first CQE that does not, or is for
    /// no instance in the window. Returns where it stopped. The in-order case costs a few loads, compares
    /// and stores per CQE.
    func passing(_ cqes: borrowing CompletionBatch, from start: Int, to end: Int, special: UInt32) -> Int {
        let (mask, high) = (self.mask, self.high)
        var low = self.low
        let lowest = low
        var index = start
        while index < end {
            let cqe = cqes[index]
            let userData = cqe.userData
            guard userData &- lowest < high &- lowest else { break }
            let cell = Int(truncatingIfNeeded: userData & mask)
            let node = nodes[cell]
            guard node >= 0 else { break }
            let pattern = patterns[Int(truncatingIfNeeded: node)]
            let res = Int64(cqe.res)
            let flags = cqe.flags.rawValue
            guard flags & special == 0, res >= pattern.low, res <= pattern.high, UInt64(flags) & pattern.set == pattern.set,
                  UInt64(flags) & pattern.clear == 0 else { break }
            nodes[cell] = -1
            if userData == low { low &+= 1 }
            index &+= 1
        }
        self.low = low
        advanceLow()
        live &-= index &- start
        return index
    }

    /// Moves `low` past instances that are no longer outstanding (completed out of order).
    func advanceLow() {
        while low < high && nodes[Int(truncatingIfNeeded: low & mask)] < 0 { low &+= 1 }
    }

    /// Removes the outstanding instance with `userData` from the window, if it is there.
    func remove(_ userData: UInt64) -> Entry? {
        guard let entry = entry(userData) else { return nil }
        nodes[Int(truncatingIfNeeded: userData & mask)] = -1
        live -= 1
        if userData == low {
            low &+= 1
            advanceLow()
        }
        return entry
    }

    /// The outstanding instance with `userData` in the window, if any.
    func entry(_ userData: UInt64) -> Entry? {
        guard userData >= low, userData < high else { return nil }
        let cell = Int(userData & mask)
        let node = nodes[cell]
        return node >= 0 ? Entry(node: node, sequence: sequences[cell]) : nil
    }

    /// Every outstanding instance in the window, oldest first.
    var entries: [(userData: UInt64, entry: Entry)] {
        var result: [(userData: UInt64, entry: Entry)] = []
        var userData = low
        while userData < high {
            if let entry = entry(userData) { result.append((userData, entry)) }
            userData += 1
        }
        return result
    }
}

/// Dense tracking: the runner's fast path for requests whose every instance is checked the same way.
///
/// A request node is dense when its instances need nothing but a result and flags check (or none): it has
/// automatic user_data that no other request, expectation or rename can share, it ends with its first CQE,
/// and its expectations are every-iteration ones in quick form (`QuickPattern`), with no order constraint,
/// no single-instance expectation, no `completes: false`, no IOSQE_CQE_SKIP_SUCCESS. Its instances are
/// then cells of `dense`, queued in bulk (`queuedDense`) and completed in batches (`completedDense`): a CQE
/// that meets the node's combined pattern costs a few loads and stores. A CQE that does not, or that has
/// IORING_CQE_F_MORE or IORING_CQE_F_NOTIF, goes through the full check of an ordinary record made for it
/// on the spot, so what a report says about it is exactly what it would say without the fast path. A CQE
/// for no outstanding dense instance (an extra or duplicate one) is left to `completed`.
extension CheckerCore {
    /// Whether `node` (its spec, if a request) can be dense as far as it alone goes, and its combined
    /// pattern; `automaticEnd` (one past the largest automatic user_data) and `renamesPolls` gather what
    /// `findDenseNodes` needs about the whole scenario. Called for every node in order, from `init`.
    mutating func noteDenseCandidate(_ node: Int, _ spec: RequestSpec?, automaticEnd: inout UInt64, renamesPolls: inout Bool) {
        var pattern = QuickPattern(low: .min, high: .max, set: 0, clear: 0)
        var candidate = false
        if let spec {
            if spec.operation == "poll_update" { renamesPolls = true }
            if !spec.userData.isExplicit {
                var last = spec.userData.base
                for (stride, count) in zip(spec.userData.strides, plan.blockCounts[node]) where count > 0 {
                    last &+= stride &* UInt64(count - 1)
                }
                automaticEnd = max(automaticEnd, last &+ 1)
            }
            candidate = nodeSingleShot[node] && !spec.userData.isExplicit && !spec.flags.contains(.skipSuccess)
                && spec.userData.strides.allSatisfy({ $0 > 0 }) && plan.instanceExpectations[node] == nil
                && plan.orderRoles[node].isEmpty && !timing.isReference(node)
            if candidate {
                for index in plan.eachExpectations[node] {
                    let expectation = quick[index]
                    guard expectation.valid, !plan.relaxes[index] else {
                        candidate = false
                        break
                    }
                    pattern.low = max(pattern.low, expectation.low)
                    pattern.high = min(pattern.high, expectation.high)
                    pattern.set |= expectation.set
                    pattern.clear |= expectation.clear
                }
            }
        }
        denseNodes.append(candidate)
        if node == 0 {
            dense.patterns.removeAll(keepingCapacity: true)
            dense.patterns.reserveCapacity(plan.graph.nodes.count)
        }
        dense.patterns.append(pattern)
    }

    /// Which candidates are dense: none when fast paths are off (`FastPaths`), when requests may share a
    /// user_data (their CQEs are matched, SharedUserData.swift), or when some other request, expectation
    /// or rename can share an automatic user_data.
    mutating func findDenseNodes(automaticEnd: UInt64, renamesPolls: Bool) {
        let automatic = 1..<max(automaticEnd, 1)
        let shared = !fastPaths || scenario.options.allowDuplicateUserData || renamesPolls || hasUserDataOrderRoles
            || plan.explicitUserData.contains(where: automatic.contains)
            || plan.userDataExpectations.keys.contains(where: automatic.contains)
        if shared { denseNodes = denseNodes.map { _ in false } }
    }

    /// Whether instances of `node` may be reported with `queuedDense` (and their CQEs handed to
    /// `completedDense`) when the runner issues them with no id, no capture and the step's own flags.
    public func isDense(_ node: Int) -> Bool {
        node >= 0 && node < denseNodes.count && denseNodes[node]
    }

    /// Dense instances whose CQE has not arrived (the runner counts them itself).
    var denseOutstanding: Int { dense.live + denseSpilled.count }

    /// Whether a dense instance with `userData` is outstanding.
    public func isDenseOutstanding(userData: UInt64) -> Bool {
        dense.entry(userData) != nil || denseSpilled[userData] != nil
    }

    /// Whether a dense instance of `node` is outstanding.
    public func hasDenseOutstanding(node: Int) -> Bool {
        dense.entries.contains { Int($0.entry.node) == node } || denseSpilled.values.contains { Int($0.node) == node }
    }

    /// Whether dense instances from `userData` on can be reported with `queuedDense`: their user_data must
    /// come after those of the dense instances outstanding.
    func acceptsDense(from userData: UInt64) -> Bool {
        userData >= dense.high || dense.live == 0
    }

    /// `count` instances of dense requests were queued with consecutive user_data from `firstUserData`,
    /// in rounds of the `length` nodes from `firstNode` on (the k-th is of node `firstNode + k % length`;
    /// `count` is a multiple of `length`); `lastIterations` are the iterations of the last round. The same
    /// as `queued` for each, without a record. Returns false, having done nothing, when the user_data do not
    /// come after those of every dense instance queued so far: the caller then reports them with `queued`.
    public mutating func queuedDense(firstUserData: UInt64, count: Int, firstNode: Int, length: Int,
                                     lastIterations: [Int]) -> Bool {
        guard !tornDown else { return true }
        let window = dense
        guard acceptsDense(from: firstUserData) else { return false }
        if window.live == 0 { (window.low, window.high) = (firstUserData, firstUserData) }
        if firstUserData &+ UInt64(count) &- window.low > UInt64(window.capacity) {
            makeDenseRoom(from: firstUserData, count: count)
        }
        let mask = window.mask
        var userData = window.high
        while userData < firstUserData {
            window.nodes[Int(userData & mask)] = -1
            userData += 1
        }
        var sequence = self.sequence
        if length == 1 {
            let node = Int32(truncatingIfNeeded: firstNode)
            for _ in 0..<count {
                let cell = Int(truncatingIfNeeded: userData & mask)
                sequence &+= 1
                window.nodes[cell] = node
                window.sequences[cell] = sequence
                userData &+= 1
            }
        } else {
            for _ in 0..<count / length {
                for offset in 0..<length {
                    let cell = Int(truncatingIfNeeded: userData & mask)
                    sequence &+= 1
                    window.nodes[cell] = Int32(truncatingIfNeeded: firstNode + offset)
                    window.sequences[cell] = sequence
                    userData &+= 1
                }
            }
        }
        window.high = userData
        window.live += count
        self.sequence = sequence
        outstandingCount += count
        awaitedCompletions += count
        let packed = PackedIterations(lastIterations)
        for node in firstNode..<firstNode + min(length, count) {
            queuedCounts[node] += UInt64(count / length)
            lastQueued[node] = packed
            if packed.isDeep { lastQueuedDeep[node] = lastIterations }
        }
        return true
    }

    /// Makes the window hold `first..<first + count` and everything outstanding: grows it while it is
    /// mostly outstanding instances, otherwise moves the oldest instances (which have kept it wide) to
    /// `denseSpilled`, so that its size follows what is outstanding, never the run's length.
    private mutating func makeDenseRoom(from first: UInt64, count: Int) {
        let window = dense
        while true {
            if window.live == 0 { (window.low, window.high) = (first, first) }
            let capacity = window.capacity
            if first + UInt64(count) - window.low <= UInt64(capacity) { return }
            if window.live == 0 || (window.live + count) * 2 > capacity || capacity < DenseWindow.spillFloor {
                dense.grow()
                continue
            }
            let oldest = window.low
            let cell = Int(oldest & window.mask)
            denseSpilled[oldest] = DenseWindow.Entry(node: window.nodes[cell], sequence: window.sequences[cell])
            window.nodes[cell] = -1
            window.live -= 1
            window.advanceLow()
        }
    }

    /// Handles the CQEs of `cqes[start..<end]` in order, as `completed` would, for as long as each is the
    /// CQE of an outstanding dense instance; the first that is not (and everything after it) is left to
    /// the caller. `arrival` is the arrival index of `cqes[start]`; `elapsed` gives when the batch was
    /// reaped (asked only for a CQE that fails its check). Returns how many it handled.
    public mutating func completedDense(_ cqes: borrowing CompletionBatch, from start: Int, to end: Int,
                                        arrival: Int, elapsed: () -> Duration) -> Int {
        guard !tornDown, start < end else { return 0 }
        let special = UInt32(CompletionFlags.more.rawValue | CompletionFlags.notification.rawValue)
        var index = start
        while true {
            index = dense.passing(cqes, from: index, to: end, special: special)
            guard index < end else { break }
            // A CQE that does not pass its pattern, or one for an instance spilled out of the window, or for none.
            guard completedSlowly(cqes[index], arrival: arrival + index - start, elapsed: elapsed()) else { break }
            index += 1
        }
        let handled = index - start
        if handled > 0 {
            arrivals = max(arrivals, arrival + handled)
            outstandingCount -= handled
            awaitedCompletions -= handled
        }
        return handled
    }

    /// `completedDense` for a CQE that `DenseWindow.passing` left: the full check of a window instance's
    /// CQE, or of a spilled instance's; false when it is the CQE of no outstanding dense instance.
    @inline(never)
    private mutating func completedSlowly(_ cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration) -> Bool {
        let entry: DenseWindow.Entry
        if let inWindow = dense.remove(cqe.userData) {
            entry = inWindow
        } else if !denseSpilled.isEmpty, let spilled = denseSpilled.removeValue(forKey: cqe.userData) {
            entry = spilled
        } else {
            return false
        }
        let pattern = dense.patterns[Int(entry.node)]
        let res = Int64(cqe.res)
        let flags = UInt64(cqe.flags.rawValue)
        if flags & UInt64(CompletionFlags.more.rawValue | CompletionFlags.notification.rawValue) != 0
            || res < pattern.low || res > pattern.high || flags & pattern.set != pattern.set || flags & pattern.clear != 0 {
            checkDense(entry, userData: cqe.userData, cqe, arrival: arrival, elapsed: elapsed)
        }
        return true
    }

    /// The full check of one CQE of a dense instance, through a record made for it as `queued` would have.
    @inline(never)
    private mutating func checkDense(_ entry: DenseWindow.Entry, userData: UInt64, _ cqe: CompletionQueueEntry,
                                     arrival: Int, elapsed: Duration) {
        let node = Int(entry.node)
        let iterations = denseIterations(node: node, userData: userData)
        let packed = PackedIterations(iterations)
        // The record `queued` would have made (its CQE is counted by the caller).
        var record = Record(node: entry.node, userData: userData, sequence: entry.sequence, expectations: nodeEachList[node],
                            roles: nodeRoles[node], skipSuccess: false, singleShot: true, iterations: packed)
        record.awaited = true
        let slot = allocate(record)
        if packed.isDeep { deepIterations[slot] = iterations }
        _ = handle(slot, cqe, arrival: arrival, elapsed: elapsed)
        free(slot)
    }

    /// The iterations of the instance of `node` with automatic `userData`: its rule's strides undone.
    func denseIterations(node: Int, userData: UInt64) -> [Int] {
        guard let rule = plan.graph.request(node)?.userData else { return [] }
        var rest = userData &- rule.base
        var iterations: [Int] = []
        for stride in rule.strides {
            let iteration = rest / stride
            iterations.append(Int(iteration))
            rest -= iteration * stride
        }
        return iterations
    }

    /// The outstanding dense instances, for the end of the run: node, user_data, sequence.
    var openDenseInstances: [(node: Int, userData: UInt64, sequence: Int)] {
        var open = dense.entries.map { (Int($0.entry.node), $0.userData, $0.entry.sequence) }
        for (userData, entry) in denseSpilled { open.append((Int(entry.node), userData, entry.sequence)) }
        return open
    }
}
