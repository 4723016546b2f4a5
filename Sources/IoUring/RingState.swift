import CIoUring

/// IORING_SQ_* bits of the SQ ring's `flags` word, which the kernel writes.
public struct SubmissionQueueFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IORING_SQ_NEED_WAKEUP: the SQPOLL thread sleeps; an enter with IORING_ENTER_SQ_WAKEUP wakes it.
    public static let needWakeup = SubmissionQueueFlags(rawValue: IORING_SQ_NEED_WAKEUP)
    /// IORING_SQ_CQ_OVERFLOW: CQEs wait in the kernel's overflow list for room in the CQ.
    public static let cqOverflow = SubmissionQueueFlags(rawValue: IORING_SQ_CQ_OVERFLOW)
    /// IORING_SQ_TASKRUN: task work is pending (IORING_SETUP_TASKRUN_FLAG).
    public static let taskrun = SubmissionQueueFlags(rawValue: IORING_SQ_TASKRUN)

    /// Each bit with its kernel name, in bit order.
    public static let named: [(flag: SubmissionQueueFlags, name: String)] = [
        (.needWakeup, "IORING_SQ_NEED_WAKEUP"), (.cqOverflow, "IORING_SQ_CQ_OVERFLOW"), (.taskrun, "IORING_SQ_TASKRUN"),
    ]
}

/// A snapshot of what the ring's shared memory says, read with acquiring loads: the queues' fill, the
/// kernel's flags and counters, and the sizes and features the kernel chose at setup.
public struct RingState: Hashable, Sendable {
    /// SQEs queued that the kernel has not consumed (io_uring_sq_ready()).
    public var sqReady: UInt32
    /// CQEs in the CQ ring not yet reaped (io_uring_cq_ready()); overflowed ones are not counted.
    public var cqReady: UInt32
    /// The SQ ring's `flags` word.
    public var sqFlags: SubmissionQueueFlags
    /// The CQ ring's `overflow` counter: CQEs the kernel could not post (dropped, or without room when
    /// IORING_FEAT_NODROP could not keep them).
    public var cqOverflow: UInt32
    /// The SQ ring's `dropped` counter: SQEs the kernel skipped as invalid (a bad index in the SQ array).
    public var sqDropped: UInt32
    /// The ring sizes the kernel chose (`sq_entries`, `cq_entries` of struct io_uring_params).
    public var sqEntries: UInt32
    public var cqEntries: UInt32
    public var features: Features
}

extension IoUring {
    /// The ring's state as the kernel shows it now. Reads only; no pointer leaves the engine.
    public var state: RingState {
        RingState(sqReady: sq.sqeTail &- sq.kernelHead(),
                  cqReady: cq.kernelTail() &- cq.head.pointee,
                  sqFlags: SubmissionQueueFlags(rawValue: CIoUring_load_acquire(sq.flags)),
                  cqOverflow: CIoUring_load_acquire(cq.overflow),
                  sqDropped: CIoUring_load_acquire(sq.dropped),
                  sqEntries: sq.entries, cqEntries: cq.entries, features: features)
    }

    /// `io_uring_enter(2)` exactly as asked, returning what the kernel returned (≥ 0, or -errno, -ETIME
    /// included) instead of throwing. With `timeout`, IORING_ENTER_EXT_ARG is added and a struct
    /// io_uring_getevents_arg carries the timespec. Submits whatever of the flushed SQ `toSubmit` covers.
    public mutating func enterReturningResult(toSubmit: UInt32, minComplete: UInt32, flags: EnterFlags,
                                              timeout: Duration?) -> Int32 {
        guard let timeout else { return CIoUring_enter(fd, toSubmit, minComplete, flags.rawValue, nil, 0) }
        let (seconds, attoseconds) = max(timeout, .zero).components
        var timespec = io_uring_kernel_timespec(tv_sec: seconds, tv_nsec: attoseconds / 1_000_000_000)
        return withUnsafeMutablePointer(to: &timespec) { timespecPointer in
            var argument = io_uring_getevents_arg(sigmask: 0, sigmask_sz: 8, min_wait_usec: 0,
                                                  ts: UInt64(UInt(bitPattern: timespecPointer)))
            return CIoUring_enter(fd, toSubmit, minComplete, flags.union(.extArg).rawValue,
                                  &argument, MemoryLayout<io_uring_getevents_arg>.size)
        }
    }

    /// Enables a ring set up with IORING_SETUP_R_DISABLED. Matches io_uring_enable_rings() in liburing
    /// (IORING_REGISTER_ENABLE_RINGS).
    public mutating func enableRings() throws(IoUringError) {
        _ = try register(UInt32(IORING_REGISTER_ENABLE_RINGS), nil, count: 0)
    }
}
