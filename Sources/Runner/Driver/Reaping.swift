#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// Submitting and reaping: io_uring_enter(2) as the run makes it, the loops that wait for a goal, and
/// what each CQE changes (captures, renamed polls, descriptors, the request it finishes).
extension RunDriver {
    /// A buffer ring's memory and where each buffer's unconsumed part starts, for reading what CQEs
    /// delivered while the ring is busy reaping (it cannot be asked then).
    final class BufferData {
        let group: BufferGroup
        let memory: IoBuffer
        var heads: [Int]

        init(group: BufferGroup, memory: IoBuffer) {
            self.group = group
            self.memory = memory
            self.heads = Array(repeating: 0, count: Int(group.count))
        }
    }

    /// Notes the buffer ring a request selects from (a new one, if the group was registered anew).
    mutating func trackBufferData(of node: NodeID) {
        guard readsBufferData, let groupID = bufferGroupOfNode[node],
              let group = BufferGroup(existing: ring, groupID: groupID), bufferDataByGroup[groupID]?.group != group,
              let memory = try? group.memory(ring) else { return }
        bufferDataByGroup[groupID] = BufferData(group: group, memory: memory)
    }

    /// The bytes a CQE of a request of `node` delivered into a buffer-ring buffer: `res` bytes from where
    /// the buffer's unconsumed part starts (the start, unless consumed incrementally). Nil for CQEs
    /// without a buffer, legacy groups, and bundles spanning several buffers.
    func bufferData(_ cqe: CompletionQueueEntry, node: NodeID?) -> [UInt8]? {
        guard cqe.flags.contains(.buffer), !cqe.flags.contains(.notification), cqe.res >= 0,
              let node, let groupID = bufferGroupOfNode[node],
              let state = bufferDataByGroup[groupID], let bufferID = cqe.flags.bufferID,
              let slot = state.group.slot(ring, bufferID: bufferID), slot < state.heads.count else { return nil }
        let size = state.group.bufferSize
        let head = state.heads[slot]
        let length = Int(cqe.res)
        guard head + length <= size else { return nil }
        let start = slot * size + head
        let bytes = state.memory.bytes(start..<start + length)
        let stays = state.group.incremental && (cqe.flags.contains(.bufferMore) || length == 0)
        state.heads[slot] = stays ? head + length : 0
        return bytes
    }

    /// Frees `needed` SQ slots: submits what is queued and, with SQPOLL, waits for the kernel thread to
    /// consume it (IORING_ENTER_SQ_WAIT).
    mutating func makeRoom(_ needed: UInt32) throws(RunnerError) {
        // SQEs a failed submit left take the room needed: they are offered to the kernel again.
        refusedSubmission = nil
        try submitPending()
        while ring.sqSpaceLeft < needed {
            if ContinuousClock.now >= deadline {
                expired = true
                return
            }
            if isSQPoll {
                _ = try enter(toSubmit: 0, minComplete: 0, flags: [.sqWait], timeout: nil)
            } else {
                let before = ring.sqReady
                try submitPending()
                if ring.sqReady >= before {
                    throw .unsupported("the kernel does not take the queued SQEs (io_uring_enter submitted none)")
                }
            }
        }
    }

    /// What `waitUntil` waits for.
    enum Goal {
        /// Every awaited request has posted its final CQE.
        case awaitedDone
        /// The capture of this producer has arrived.
        case capture(NodeID)
        /// This many CQEs have arrived since the last wait.
        case completions(Int)
        /// Every condition of a `wait` step holds.
        case conditions([WaitCondition])
    }

    func reached(_ goal: Goal) -> Bool {
        switch goal {
        case .awaitedDone: return awaitedOutstanding == 0 && denseOutstanding == 0
        case .capture(let producer): return !capturePending[producer]
        case .completions(let count): return completionsSinceWait >= count
        case .conditions(let conditions):
            for condition in conditions where !isDone(condition) { return false }
            return true
        }
    }

    /// min_complete for an enter that waits towards `goal`.
    func minimum(_ goal: Goal) -> UInt32 {
        if case .completions(let count) = goal { return UInt32(clamping: max(count - completionsSinceWait, 1)) }
        return 1
    }

    /// Reaps what is ready (unless the caller just did: `reaped`), then submits every queued SQE with
    /// `io_uring_enter(2)` (unless an SQPOLL thread is awake to take them). With `waitingFor`, the enter
    /// also waits for that many CQEs (min_complete), bounded by the deadline. Returns what the first
    /// io_uring_enter(2) returned (the SQEs the kernel took, or -errno), the count handed to an awake
    /// SQPOLL thread, or 0 when nothing was queued; SQEs the kernel left are submitted again, as a
    /// program would.
    @discardableResult
    mutating func submitPending(waitingFor wait: UInt32 = 0, reaped: Bool = false) throws(RunnerError) -> Int32 {
        if !reaped && !reapsManually { reapReady() }
        if let refused = refusedSubmission {
            if wait == 0 && ring.sqReady == refused { return 0 }
            refusedSubmission = nil
        }
        // An SQPOLL thread takes SQEs without an enter, from the tail store on: their submission time.
        if isSQPoll, feedsChecker, core.awaitsSubmissionTime { core.submitted(at: elapsed) }
        var toSubmit = ring.flushSQ()
        if toSubmit == 0 && wait == 0 { return 0 }
        if isSQPoll {
            var flags: EnterFlags = []
            if ring.sqRingNeedsEnter(&flags) || wait > 0 {
                if wait > 0 {
                    return try enter(toSubmit: toSubmit, minComplete: wait, flags: flags, timeout: deadline - ContinuousClock.now)
                } else {
                    return try enter(toSubmit: toSubmit, minComplete: 0, flags: flags, timeout: nil)
                }
            }
            return Int32(clamping: toSubmit)
        }
        var retries = 0
        var first: Int32?
        while toSubmit > 0 || wait > 0 {
            let result: Int32
            if wait > 0 {
                let now = ContinuousClock.now
                // The deadline is not past: the next check between steps can wait its full stride.
                if now < deadline { untilDeadlineCheck = RunDriver.deadlineStride }
                result = try enter(toSubmit: toSubmit, minComplete: wait, flags: [], timeout: deadline - now)
            } else {
                var flags: EnterFlags = []
                if isIOPoll || ring.cqRingNeedsFlush { flags.insert(.getEvents) }
                result = try enter(toSubmit: toSubmit, minComplete: 0, flags: flags, timeout: nil)
            }
            if wait > 0 && !reapsManually { reapReady() }
            if result == -Errno.EINTR.rawValue { continue }
            if first == nil { first = result }
            if reapsManually && (result == -Errno.EBUSY.rawValue || result == -Errno.EAGAIN.rawValue) {
                // Reaping to make room is the scenario's to do: the refusal is the submission's result.
                throw .engine(.syscall(.enter, Errno(rawValue: -result)))
            }
            if result == -Errno.EBUSY.rawValue || result == -Errno.EAGAIN.rawValue {
                // The CQ is overcommitted: reap, give completions a moment, and try again.
                reapReady()
                retries += 1
                if retries > 100 || ContinuousClock.now >= deadline { throw .engine(.syscall(.enter, Errno(rawValue: -result))) }
                _ = try enter(toSubmit: 0, minComplete: 1, flags: [], timeout: .milliseconds(10))
                reapReady()
                toSubmit = ring.sqReady
                continue
            }
            if result <= 0 { return first ?? result }
            toSubmit = ring.sqReady
            if wait > 0 { return first ?? result }
        }
        return first ?? 0
    }

    /// Reaps every CQE that is ready, bringing in overflowed ones (an enter with GETEVENTS) when the
    /// kernel holds some back. CQEs are copied out in batches, then handled.
    mutating func reapReady() {
        if ring.cqRingNeedsFlush {
            _ = try? enter(toSubmit: 0, minComplete: 0, flags: [.getEvents], timeout: nil)
        }
        while true {
            let count = cqes.copyReady(from: &ring)
            if count == 0 { return }
            handleReaped(count)
            if count < cqes.capacity { return }
        }
    }

    /// Handles the `count` CQEs `reapReady` copied into `cqes`: dense ones by batches (the fast path of the
    /// "scenario nops (repeat)" and "randread scenario" rows, with `queueRun`: BulkRuns.swift), others one by
    /// one. Their time stamp (when the batch was reaped) is read from the clock only if something needs it.
    @inline(never)
    mutating func handleReaped(_ count: Int) {
        let start = self.start
        var stamp: Duration?
        var index = 0
        while index < count {
            if hasDense {
                let handled = core.completedDense(cqes, from: index, to: count, arrival: arrivals) {
                    if stamp == nil { stamp = ContinuousClock.now - start }
                    return stamp!
                }
                if handled > 0 {
                    denseOutstanding -= handled
                    arrivals += handled
                    completionsSinceWait += handled
                    statistics.completions += handled
                    index += handled
                    continue
                }
            }
            if stamp == nil { stamp = ContinuousClock.now - start }
            handle(cqes[index], elapsed: stamp!)
            index += 1
        }
    }

    /// Waits, submitting what is queued, until `goal` is reached or `limit`; false when `limit` came first.
    /// `reaped`: the caller has just reaped, so a goal reached already needs no further reap.
    mutating func waitUntil(_ limit: ContinuousClock.Instant, _ goal: Goal, reaped: Bool = false) throws(RunnerError) -> Bool {
        if reaped && reached(goal) { return true }
        reapReady()
        // Conditions on user_data look them up in `outstanding`; nothing is queued while waiting.
        if case .conditions = goal { spill() }
        while !reached(goal) {
            let now = ContinuousClock.now
            if now >= limit || now >= deadline { return false }
            let toSubmit = ring.flushSQ()
            var flags: EnterFlags = [.getEvents]
            _ = ring.sqRingNeedsEnter(&flags)
            let result = try enter(toSubmit: toSubmit, minComplete: minimum(goal), flags: flags, timeout: limit - now)
            reapReady()
            if result == -Errno.EBUSY.rawValue || result == -Errno.EAGAIN.rawValue {
                // The kernel is short of room or resources: let completions land instead of spinning.
                System.sleep(.milliseconds(1))
            }
        }
        return true
    }

    /// `io_uring_enter(2)`, observed. With a timeout, IORING_ENTER_EXT_ARG | GETEVENTS bound the wait
    /// (the engine reports an expired wait as 0). EINTR, EAGAIN, EBUSY and ETIME come back as `-errno`
    /// for the caller to handle; other failures throw.
    @discardableResult
    mutating func enter(toSubmit: UInt32, minComplete: UInt32, flags: EnterFlags, timeout: Duration?) throws(RunnerError) -> Int32 {
        var recorded = flags
        if timeout != nil { recorded.formUnion([.extArg, .getEvents]) }
        // Timed requests take this as their submission time (TimingChecks.swift).
        let started = emitsEvents ? elapsed : .zero
        if feedsChecker, toSubmit > 0, core.awaitsSubmissionTime { core.submitted(at: elapsed) }
        var result: Int32
        var failure: IoUringError?
        do {
            if let timeout {
                result = Int32(clamping: try ring.enter(toSubmit: toSubmit, minComplete: minComplete, flags: flags,
                                                        timeout: max(timeout, .zero)))
            } else {
                result = Int32(clamping: try ring.enter(toSubmit: toSubmit, minComplete: minComplete, flags: flags))
            }
        } catch {
            result = -(error.errno?.rawValue ?? Errno.EIO.rawValue)
            failure = error
        }
        statistics.enters += 1
        if emitsEvents {
            observer.observe(.entered(EnterCall(toSubmit: toSubmit, minComplete: minComplete, flags: recorded,
                                                result: result, elapsed: elapsed, started: started)))
        }
        if let failure {
            switch failure.errno {
            case .EINTR?, .EAGAIN?, .EBUSY?, .ETIME?: return result
            default:
                let names = EnterFlags.named.filter { recorded.contains($0.flag) }.map(\.name)
                failedEnter = "io_uring_enter(to_submit: \(toSubmit), min_complete: \(minComplete), flags: "
                    + (names.isEmpty ? "0" : names.joined(separator: "|")) + "): " + (failure.errno?.name ?? "\(failure)")
                throw .engine(failure)
            }
        }
        return result
    }

    /// Reports one CQE and updates what is outstanding: captures, renamed polls, descriptors to close,
    /// and, for a final CQE (no IORING_CQE_F_MORE), the request it finishes. `elapsed` is when the batch
    /// it came in was reaped.
    mutating func handle(_ cqe: CompletionQueueEntry, elapsed: Duration) {
        let arrival = arrivals
        arrivals += 1
        completionsSinceWait += 1
        statistics.completions += 1
        let data = readsBufferData ? bufferData(cqe, node: ownerNode(of: cqe.userData)) : nil
        if feedsChecker {
            core.completed(cqe, arrival: arrival, elapsed: elapsed, data: data)
        } else {
            observer.observe(.completed(ObservedCQE(cqe: cqe, arrival: arrival, elapsed: self.elapsed, data: data)))
        }
        let userData = cqe.userData
        let isNotification = cqe.flags.contains(.notification)
        if !pendingCaptures.isEmpty, !isNotification, let producer = pendingCaptures.removeValue(forKey: userData) {
            var value = Int64(cqe.res)
            if case .namedSlot(let slot)? = plan.steps[producer].capture?.source, cqe.res >= 0 { value = Int64(slot) }
            resources.captures[producer] = value
            capturePending[producer] = false
            generation &+= 1
        }
        if !pendingRenames.isEmpty, let rename = pendingRenames.removeValue(forKey: userData), cqe.res >= 0,
           let moved = outstanding.remove(rename.from) {
            if let existing = outstanding.value(for: rename.to) {
                entries[Int(existing)].count += entries[Int(moved)].count
                entries[Int(existing)].awaited += entries[Int(moved)].awaited
                release(moved)
            } else {
                entries[Int(moved)].userData = rename.to
                outstanding.set(moved, for: rename.to)
            }
        }
        guard let (slot, fifoPosition) = entry(for: userData) else { return }
        let index = Int(slot)
        let owner = Int(entries[index].node)
        if producesDescriptor[owner], cqe.res >= 0, !isNotification { resources.ringDescriptors.insert(cqe.res) }
        if cqe.flags.contains(.more) && followsMoreFlag[owner] { return }
        var node = owner
        if entries[index].hasOthers, var others = otherNodes[slot], !others.isEmpty {
            node = others.removeFirst()
            otherNodes[slot] = others.isEmpty ? nil : others
            entries[index].hasOthers = !others.isEmpty
        }
        outstandingByNode[node] -= 1
        entries[index].count -= 1
        // With a mix of awaited and open instances under one user_data, assume an open one finished
        // first: the run then waits longer rather than too little.
        let awaitedBefore = entries[index].awaited
        entries[index].awaited = min(entries[index].awaited, entries[index].count)
        awaitedOutstanding -= Int(awaitedBefore - entries[index].awaited)
        if entries[index].count == 0 {
            if let fifoPosition {
                fifo.end(at: fifoPosition)
            } else {
                outstanding.remove(userData)
            }
            release(slot)
        }
    }
}
