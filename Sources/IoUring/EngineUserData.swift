import CIoUring

/// Where the user_data of the requests queued since the ring was last idle lie, so that the engine's own
/// SQEs (the IORING_OP_ASYNC_CANCEL and the drained IORING_OP_NOP barrier of `quiesce` and `deinit`)
/// can be given values no request in flight has. No 64-bit value is reserved for the engine: every one
/// may be a scenario's.
///
/// Why this tells the engine's CQEs apart exactly: a CQE of this ring's requests carries the user_data of
/// the SQE that made it (multishot CQEs and zero-copy notifications included). Every SQE the ring
/// publishes goes through `flushSQ` (or through `drainForTeardown`, which notes the unflushed ones), and
/// its user_data is noted here until the ring has been idle (its in-flight count back at zero: every
/// request has posted its final CQE, so none of them can post again). A value outside every noted range
/// is therefore carried by no CQE a request of the ring can still post, except the engine's own.
/// Content alone could never do it: a NOP with IORING_NOP_INJECT_RESULT can give any user_data, `res`
/// and flags a scenario likes, and IOSQE_CQE_SKIP_SUCCESS on the engine's cancel would make the kernel
/// refuse every later drained barrier (-EOPNOTSUPP), so the engine's SQEs must post and be recognised.
///
/// A data message this ring sends to itself counts as a request of its own (`noteQueuedUserData`).
/// What it cannot see: CQEs that requests of *another* ring post into this one (IORING_OP_MSG_RING
/// data messages carry the user_data the sender chose). An owner with several rings quiesces the rings
/// whose requests may target this one first, so none arrives while this one quiesces.
///
/// The ranges are kept per sixteenth of the 64-bit space (by the top four bits): a scenario that uses
/// 0 and 0xFFFFFFFFFFFFFFFF still leaves almost everything in between free. Only a ring whose in-flight
/// user_data fill every sixteenth from end to end (32 values at the least, chosen on purpose) leaves no
/// value to choose; `quiesce` then reports the ring not proved idle, and its memory stays retained.
/// Cost: two comparisons per SQE published, in the loop of `flushSQ`.
@usableFromInline
struct QueuedUserData {
    @usableFromInline static let bucketShift: UInt64 = 60
    @usableFromInline static let bucketCount = 16

    /// The lowest and highest user_data noted in each sixteenth; `low > high` when none.
    @usableFromInline var low: InlineArray<16, UInt64> = .init(repeating: .max)
    @usableFromInline var high: InlineArray<16, UInt64> = .init(repeating: 0)
    /// Whether anything has been noted since the last reset.
    @usableFromInline var isEmpty = true

    @usableFromInline init() {}

    @inlinable @inline(__always)
    mutating func note(_ userData: UInt64) {
        let bucket = Int(truncatingIfNeeded: userData >> Self.bucketShift)
        if userData < low[bucket] { low[bucket] = userData }
        if userData > high[bucket] { high[bucket] = userData }
        isEmpty = false
    }

    /// Forgets everything: the ring is idle.
    @inlinable
    mutating func reset() {
        guard !isEmpty else { return }
        self = QueuedUserData()
    }

    /// Whether `userData` may belong to a request noted since the last reset.
    func mayBeInFlight(_ userData: UInt64) -> Bool {
        let bucket = Int(truncatingIfNeeded: userData >> Self.bucketShift)
        return low[bucket] <= userData && userData <= high[bucket]
    }

    /// Two distinct values outside every noted range (for the cancel and the barrier), or nil when the
    /// ranges leave fewer than two. Prefers the values just above the lowest sixteenth's highest, so that
    /// in a trace the engine's numbers follow a scenario's automatic ones (1, 2, …).
    func twoFreeValues() -> (UInt64, UInt64)? {
        var found: [UInt64] = []
        func consider(_ candidate: UInt64) {
            if found.count < 2, !mayBeInFlight(candidate), !found.contains(candidate) { found.append(candidate) }
        }
        for bucket in 0..<Self.bucketCount where found.count < 2 {
            let start = UInt64(bucket) << Self.bucketShift
            let end = start | ((1 << Self.bucketShift) - 1)
            if low[bucket] > high[bucket] {
                consider(start)
                consider(start + 1)
                continue
            }
            if high[bucket] < end { consider(high[bucket] + 1) }
            if high[bucket] < end - 1 { consider(high[bucket] + 2) }
            if low[bucket] > start { consider(low[bucket] - 1) }
            if low[bucket] > start + 1 { consider(low[bucket] - 2) }
        }
        return found.count == 2 ? (found[0], found[1]) : nil
    }
}

extension IoUring {
    /// Notes the user_data of the SQEs in `first..<end` (about to be published) in `queuedUserData`.
    ///
    /// An IORING_OP_MSG_RING data message (IORING_MSG_DATA) sent to this ring's own descriptor posts a
    /// second CQE into this ring, with the user_data in the SQE's `off`: that value is noted too, and
    /// the CQE counted in flight like a request's, so that the in-flight count does not reach zero (and
    /// memory is not released) while a request is still running. If the message fails, the CQE never
    /// comes and the count stays one high: the ring then waits for `quiesce`'s barrier to prove it idle,
    /// the safe side. (A descriptor message to the ring itself is refused, -EINVAL; a registered slot
    /// cannot hold the ring itself, IORING_REGISTER_FILES refuses it.)
    @usableFromInline
    mutating func noteQueuedUserData(from first: UInt32, to end: UInt32) {
        var index = first
        while index != end {
            let sqe = sq.filledEntry(index)
            queuedUserData.note(sqe.pointee.user_data)
            if sqe.pointee.opcode == Opcode.msgRing.rawValue, sqe.pointee.fd == fd,
               sqe.pointee.flags & UInt8(IOSQE_FIXED_FILE) == 0, sqe.pointee.addr == UInt64(IORING_MSG_DATA),
               sqe.pointee.addr3 == 0, sqe.pointee.msg_ring_flags & ~IORING_MSG_RING_FLAGS_PASS == 0 {
                queuedUserData.note(sqe.pointee.off)
                inFlightCount &+= 1
            }
            index &+= 1
        }
    }

    /// Two user_data values no request queued since the ring was last idle has (see `QueuedUserData`).
    /// The ones `quiesce` would give its cancel and barrier now; for tests and traces.
    public var engineUserData: (cancel: UInt64, barrier: UInt64)? {
        guard let (cancel, barrier) = queuedUserData.twoFreeValues() else { return nil }
        return (cancel, barrier)
    }
}
