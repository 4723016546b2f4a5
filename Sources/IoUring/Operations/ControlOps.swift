#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

// Timeouts, polls and cancellation: the requests that wait for, bound or stop other requests.

/// A point in time or a length of time as the kernel reads it (`struct __kernel_timespec`), for timeouts.
public struct Timespec: Hashable, Sendable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The length of `duration`, rounded down to whole nanoseconds.
    public init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.seconds = seconds
        self.nanoseconds = attoseconds / 1_000_000_000
    }

    /// The current time of `clock`, for absolute timeouts (`TimeoutFlags.absolute`).
    public static func now(_ clock: TimeoutClock = .monotonic) -> Timespec {
        var value = timespec()
        clock_gettime(clock.clockID, &value)
        return Timespec(seconds: Int64(value.tv_sec), nanoseconds: Int64(value.tv_nsec))
    }

    /// This time moved by `duration`, normalised so that 0 ≤ nanoseconds < 1 s.
    public static func + (time: Timespec, duration: Duration) -> Timespec {
        let delta = Timespec(duration)
        var seconds = time.seconds + delta.seconds
        var nanoseconds = time.nanoseconds + delta.nanoseconds
        seconds += nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        if nanoseconds < 0 {
            nanoseconds += 1_000_000_000
            seconds -= 1
        }
        return Timespec(seconds: seconds, nanoseconds: nanoseconds)
    }

    public var description: String { "\(seconds)s \(nanoseconds)ns" }

    var kernelValue: io_uring_kernel_timespec { io_uring_kernel_timespec(tv_sec: seconds, tv_nsec: nanoseconds) }
}

/// The clock a timeout measures against: CLOCK_MONOTONIC unless a flag picks another.
public enum TimeoutClock: Hashable, Sendable {
    /// CLOCK_MONOTONIC, the default.
    case monotonic
    /// CLOCK_BOOTTIME (IORING_TIMEOUT_BOOTTIME): keeps counting while the system is suspended.
    case boottime
    /// CLOCK_REALTIME (IORING_TIMEOUT_REALTIME): wall-clock time.
    case realtime

    /// The flag that selects this clock (none for the monotonic default).
    public var flags: TimeoutFlags {
        switch self {
        case .monotonic: return []
        case .boottime: return .boottime
        case .realtime: return .realtime
        }
    }

    var clockID: clockid_t {
        switch self {
        case .monotonic: return CLOCK_MONOTONIC
        case .boottime: return CLOCK_BOOTTIME
        case .realtime: return CLOCK_REALTIME
        }
    }
}

/// Flags of a timeout (`timeout_flags`): the kernel's `IORING_TIMEOUT_*`. The update flags
/// (IORING_TIMEOUT_UPDATE, IORING_LINK_TIMEOUT_UPDATE) are set by `timeoutUpdate` and `linkTimeoutUpdate`.
public struct TimeoutFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IORING_TIMEOUT_ABS: the timespec is an absolute time of the timeout's clock, not a length.
    public static let absolute = TimeoutFlags(rawValue: IORING_TIMEOUT_ABS)
    /// IORING_TIMEOUT_BOOTTIME: measure against CLOCK_BOOTTIME.
    public static let boottime = TimeoutFlags(rawValue: IORING_TIMEOUT_BOOTTIME)
    /// IORING_TIMEOUT_REALTIME: measure against CLOCK_REALTIME.
    public static let realtime = TimeoutFlags(rawValue: IORING_TIMEOUT_REALTIME)
    /// IORING_TIMEOUT_ETIME_SUCCESS: expiry counts as success for links (res is still -ETIME).
    public static let etimeSuccess = TimeoutFlags(rawValue: IORING_TIMEOUT_ETIME_SUCCESS)
    /// IORING_TIMEOUT_MULTISHOT: fire every period, `count` times (forever when `count` is 0).
    public static let multishot = TimeoutFlags(rawValue: IORING_TIMEOUT_MULTISHOT)

    public static let named: [(flag: TimeoutFlags, name: String)] = [
        (.absolute, "IORING_TIMEOUT_ABS"), (.boottime, "IORING_TIMEOUT_BOOTTIME"),
        (.realtime, "IORING_TIMEOUT_REALTIME"), (.etimeSuccess, "IORING_TIMEOUT_ETIME_SUCCESS"),
        (.multishot, "IORING_TIMEOUT_MULTISHOT"),
    ]
}

/// Poll events (`poll32_events`): the `POLL*` / `EPOLL*` bits of poll(2) and epoll(7). The CQE of a
/// poll carries the events that fired in `res`.
public struct PollMask: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// POLLIN: there is data to read.
    public static let readable = PollMask(rawValue: 0x001)
    /// POLLPRI: there is urgent data to read.
    public static let priority = PollMask(rawValue: 0x002)
    /// POLLOUT: writing will not block.
    public static let writable = PollMask(rawValue: 0x004)
    /// POLLERR: an error condition (always reported).
    public static let error = PollMask(rawValue: 0x008)
    /// POLLHUP: hang-up (always reported).
    public static let hangUp = PollMask(rawValue: 0x010)
    /// POLLNVAL: the descriptor is not open.
    public static let invalid = PollMask(rawValue: 0x020)
    /// POLLRDNORM: normal data to read.
    public static let readNormal = PollMask(rawValue: 0x040)
    /// POLLRDBAND: priority-band data to read.
    public static let readBand = PollMask(rawValue: 0x080)
    /// POLLWRNORM: writing normal data will not block.
    public static let writeNormal = PollMask(rawValue: 0x100)
    /// POLLWRBAND: priority-band data may be written.
    public static let writeBand = PollMask(rawValue: 0x200)
    /// POLLRDHUP: the peer closed its writing half.
    public static let readHangUp = PollMask(rawValue: 0x2000)

    public static let named: [(flag: PollMask, name: String)] = [
        (.readable, "POLLIN"), (.priority, "POLLPRI"), (.writable, "POLLOUT"), (.error, "POLLERR"),
        (.hangUp, "POLLHUP"), (.invalid, "POLLNVAL"), (.readNormal, "POLLRDNORM"), (.readBand, "POLLRDBAND"),
        (.writeNormal, "POLLWRNORM"), (.writeBand, "POLLWRBAND"), (.readHangUp, "POLLRDHUP"),
    ]
}

/// Options of a poll request (the SQE's `len`): the kernel's `IORING_POLL_*`.
public struct PollFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IORING_POLL_ADD_MULTI: stay armed and post a CQE (with IORING_CQE_F_MORE) for every event.
    public static let multishot = PollFlags(rawValue: IORING_POLL_ADD_MULTI)
    /// IORING_POLL_ADD_LEVEL: level-triggered rather than edge-triggered. The kernel defines it but its
    /// IORING_OP_POLL_ADD accepts only IORING_POLL_ADD_MULTI in `len`: Linux 6.18 answers -EINVAL.
    public static let level = PollFlags(rawValue: IORING_POLL_ADD_LEVEL)
    /// IORING_POLL_UPDATE_EVENTS: a poll update replaces the events (set by `pollUpdate`).
    public static let updateEvents = PollFlags(rawValue: IORING_POLL_UPDATE_EVENTS)
    /// IORING_POLL_UPDATE_USER_DATA: a poll update replaces the user_data (set by `pollUpdate`).
    public static let updateUserData = PollFlags(rawValue: IORING_POLL_UPDATE_USER_DATA)

    public static let named: [(flag: PollFlags, name: String)] = [
        (.multishot, "IORING_POLL_ADD_MULTI"), (.updateEvents, "IORING_POLL_UPDATE_EVENTS"),
        (.updateUserData, "IORING_POLL_UPDATE_USER_DATA"), (.level, "IORING_POLL_ADD_LEVEL"),
    ]
}

/// How IORING_OP_ASYNC_CANCEL picks its targets (`cancel_flags`): the kernel's `IORING_ASYNC_CANCEL_*`.
public struct CancelFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IORING_ASYNC_CANCEL_ALL: cancel every match, not just the first; res is the number cancelled.
    public static let all = CancelFlags(rawValue: IORING_ASYNC_CANCEL_ALL)
    /// IORING_ASYNC_CANCEL_FD: match on the file in the SQE's `fd` instead of user_data.
    public static let fd = CancelFlags(rawValue: IORING_ASYNC_CANCEL_FD)
    /// IORING_ASYNC_CANCEL_ANY: match every request (implies `all`).
    public static let any = CancelFlags(rawValue: IORING_ASYNC_CANCEL_ANY)
    /// IORING_ASYNC_CANCEL_FD_FIXED: the `fd` is a registered file slot.
    public static let fdFixed = CancelFlags(rawValue: IORING_ASYNC_CANCEL_FD_FIXED)
    /// IORING_ASYNC_CANCEL_USERDATA: match on user_data too (the default when neither fd nor op is given).
    public static let userData = CancelFlags(rawValue: IORING_ASYNC_CANCEL_USERDATA)
    /// IORING_ASYNC_CANCEL_OP: match on the opcode in the SQE's `len`.
    public static let op = CancelFlags(rawValue: IORING_ASYNC_CANCEL_OP)

    public static let named: [(flag: CancelFlags, name: String)] = [
        (.all, "IORING_ASYNC_CANCEL_ALL"), (.fd, "IORING_ASYNC_CANCEL_FD"), (.any, "IORING_ASYNC_CANCEL_ANY"),
        (.fdFixed, "IORING_ASYNC_CANCEL_FD_FIXED"), (.userData, "IORING_ASYNC_CANCEL_USERDATA"),
        (.op, "IORING_ASYNC_CANCEL_OP"),
    ]
}

extension IoUring {
    // MARK: - Timeouts

    /// Queues a timeout. It completes with -ETIME when `timespec` passes, with 0 once `count` other
    /// requests have completed after it was queued (when `count` > 0), or with -ECANCELED when removed.
    /// `timespec` is a length of time unless `timeoutFlags` has `.absolute`; it is measured on
    /// CLOCK_MONOTONIC unless `.boottime` or `.realtime` is given. With `.multishot` it fires every
    /// `timespec`, `count` times (0: until removed), each CQE but the last carrying IORING_CQE_F_MORE.
    /// The kernel opcode is IORING_OP_TIMEOUT. Matches io_uring_prep_timeout() in liburing.
    public mutating func timeout(userData: UInt64, timespec: Timespec, count: UInt32 = 0,
                                 timeoutFlags: TimeoutFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        let stored = arena.store(timespec.kernelValue)
        let sqe = try prepare(.timeout, userData: userData, flags: flags,
                              address: UInt64(UInt(bitPattern: stored)), length: 1, offset: UInt64(count))
        sqe.pointee.timeout_flags = timeoutFlags.rawValue
    }

    /// Queues the removal of the timeout whose user_data is `targetUserData`. Completes with 0 when it
    /// was removed (the timeout then completes with -ECANCELED), -ENOENT when there is no such timeout,
    /// -EBUSY when it is already firing. The kernel accepts no `timeoutFlags` on a plain removal (EINVAL);
    /// the parameter is there to say so. The kernel opcode is IORING_OP_TIMEOUT_REMOVE.
    /// Matches io_uring_prep_timeout_remove() in liburing.
    public mutating func timeoutRemove(userData: UInt64, targetUserData: UInt64, timeoutFlags: TimeoutFlags = [],
                                       flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.timeoutRemove, userData: userData, flags: flags, address: targetUserData)
        sqe.pointee.timeout_flags = timeoutFlags.rawValue
    }

    /// Queues a change of the expiry of the timeout whose user_data is `targetUserData` to `timespec`
    /// (relative unless `timeoutFlags` has `.absolute`), counted from now. Completes with 0, or -ENOENT.
    /// The kernel opcode is IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE.
    /// Matches io_uring_prep_timeout_update() in liburing.
    public mutating func timeoutUpdate(userData: UInt64, targetUserData: UInt64, timespec: Timespec,
                                       timeoutFlags: TimeoutFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        try queueTimeoutUpdate(userData: userData, targetUserData: targetUserData, timespec: timespec,
                               kernelFlags: timeoutFlags.rawValue | IORING_TIMEOUT_UPDATE, flags: flags)
    }

    /// Queues a linked timeout for the request queued just before it, which must carry
    /// `SubmissionFlags.link`. If `timespec` passes first, that request is cancelled (its CQE is
    /// -ECANCELED, or -EINTR for some) and this one completes with -ETIME; if the request completes
    /// first, this one completes with -ECANCELED (-EALREADY when the timer was already firing).
    /// The kernel opcode is IORING_OP_LINK_TIMEOUT. Matches io_uring_prep_link_timeout() in liburing.
    public mutating func linkTimeout(userData: UInt64, timespec: Timespec, timeoutFlags: TimeoutFlags = [],
                                     flags: SubmissionFlags = []) throws(IoUringError) {
        let stored = arena.store(timespec.kernelValue)
        let sqe = try prepare(.linkTimeout, userData: userData, flags: flags,
                              address: UInt64(UInt(bitPattern: stored)), length: 1)
        sqe.pointee.timeout_flags = timeoutFlags.rawValue
    }

    /// Queues a change of the expiry of the linked timeout whose user_data is `targetUserData`.
    /// Completes with 0, or -ENOENT when no armed linked timeout has that user_data.
    /// The kernel opcode is IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE
    /// (the kernel takes IORING_LINK_TIMEOUT_UPDATE alone as a plain removal, which finds no linked timeout).
    /// Matches io_uring_prep_timeout_update() in liburing with IORING_LINK_TIMEOUT_UPDATE in its flags.
    public mutating func linkTimeoutUpdate(userData: UInt64, targetUserData: UInt64, timespec: Timespec,
                                           timeoutFlags: TimeoutFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        try queueTimeoutUpdate(userData: userData, targetUserData: targetUserData, timespec: timespec,
                               kernelFlags: timeoutFlags.rawValue | IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE,
                               flags: flags)
    }

    private mutating func queueTimeoutUpdate(userData: UInt64, targetUserData: UInt64, timespec: Timespec,
                                             kernelFlags: UInt32, flags: SubmissionFlags) throws(IoUringError) {
        let stored = arena.store(timespec.kernelValue)
        let sqe = try prepare(.timeoutRemove, userData: userData, flags: flags, address: targetUserData,
                              offset: UInt64(UInt(bitPattern: stored)))
        sqe.pointee.timeout_flags = kernelFlags
    }

    // MARK: - Polls

    /// Queues a poll for `events` on `file`. Completes with the events that fired in `res`. With
    /// `pollFlags` `.multishot` it stays armed, posting a CQE with IORING_CQE_F_MORE for each event until
    /// removed or failed. (`.level` is passed on as given; Linux 6.18 rejects it with -EINVAL.)
    /// The kernel opcode is IORING_OP_POLL_ADD.
    /// Matches io_uring_prep_poll_add() (and io_uring_prep_poll_multishot()) in liburing.
    public mutating func pollAdd(userData: UInt64, file: FileReference, events: PollMask, pollFlags: PollFlags = [],
                                 flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.pollAdd, userData: userData, flags: flags, file: file, length: pollFlags.rawValue)
        sqe.pointee.poll32_events = events.rawValue
    }

    /// Queues the removal of the poll whose user_data is `targetUserData`. Completes with 0 (the poll
    /// then completes with -ECANCELED) or -ENOENT. The kernel opcode is IORING_OP_POLL_REMOVE.
    /// Matches io_uring_prep_poll_remove() in liburing.
    public mutating func pollRemove(userData: UInt64, targetUserData: UInt64, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepare(.pollRemove, userData: userData, flags: flags, address: targetUserData)
    }

    /// Queues an update of the armed poll whose user_data is `targetUserData`: its user_data becomes
    /// `newUserData` (IORING_POLL_UPDATE_USER_DATA) and/or its events become `newEvents`
    /// (IORING_POLL_UPDATE_EVENTS). `multishot` sets IORING_POLL_ADD_MULTI, as liburing's callers do when
    /// updating a multishot poll; the kernel copies only the event bits, so an update never turns a
    /// one-shot poll into a multishot one or back. With neither new value it is a removal (and with
    /// `multishot` alone the kernel answers -EINVAL). Completes with 0, or -ENOENT.
    /// The kernel opcode is IORING_OP_POLL_REMOVE.
    /// Matches io_uring_prep_poll_update() in liburing.
    public mutating func pollUpdate(userData: UInt64, targetUserData: UInt64, newUserData: UInt64? = nil,
                                    newEvents: PollMask? = nil, multishot: Bool = false,
                                    flags: SubmissionFlags = []) throws(IoUringError) {
        var pollFlags: PollFlags = multishot ? .multishot : []
        if newUserData != nil { pollFlags.insert(.updateUserData) }
        if newEvents != nil { pollFlags.insert(.updateEvents) }
        let sqe = try prepare(.pollRemove, userData: userData, flags: flags, address: targetUserData,
                              length: pollFlags.rawValue, offset: newUserData ?? 0)
        sqe.pointee.poll32_events = newEvents?.rawValue ?? 0
    }

    // MARK: - Cancellation

    /// Queues a cancellation of the request whose user_data is `targetUserData` (every such request
    /// with `cancelFlags` `.all`; every request at all with `.any`). Completes with 0, -ENOENT when
    /// nothing matched, or -EALREADY when the match was already running and could not be stopped; with
    /// `.all` or `.any` with the number cancelled (0 when nothing matched).
    /// The kernel opcode is IORING_OP_ASYNC_CANCEL. Matches io_uring_prep_cancel64() in liburing.
    public mutating func cancel(userData: UInt64, targetUserData: UInt64, cancelFlags: CancelFlags = [],
                                flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.asyncCancel, userData: userData, flags: flags, address: targetUserData)
        sqe.pointee.cancel_flags = cancelFlags.rawValue
    }

    /// Queues a cancellation of the requests on `file` (the first; all with `cancelFlags` `.all`).
    /// Sets IORING_ASYNC_CANCEL_FD, and IORING_ASYNC_CANCEL_FD_FIXED when `file` is a registered slot.
    /// The kernel opcode is IORING_OP_ASYNC_CANCEL. Matches io_uring_prep_cancel_fd() in liburing.
    public mutating func cancel(userData: UInt64, file: FileReference, cancelFlags: CancelFlags = [],
                                flags: SubmissionFlags = []) throws(IoUringError) {
        var cancelFlags = cancelFlags.union(.fd)
        let descriptor: Int32
        switch file {
        case .descriptor(let fd):
            descriptor = fd
        case .fixed(let slot):
            descriptor = Int32(bitPattern: slot)
            cancelFlags.insert(.fdFixed)
        }
        let sqe = try prepare(.asyncCancel, userData: userData, flags: flags)
        sqe.pointee.fd = descriptor
        sqe.pointee.cancel_flags = cancelFlags.rawValue
    }

    /// Queues a cancellation of requests with opcode `opcode` (the first; all with `cancelFlags` `.all`),
    /// narrowed to those on `file` (IORING_ASYNC_CANCEL_FD) and/or with user_data `targetUserData`
    /// (IORING_ASYNC_CANCEL_USERDATA) when given. Sets IORING_ASYNC_CANCEL_OP with the opcode in `len`.
    /// The kernel opcode is IORING_OP_ASYNC_CANCEL. Matches io_uring_prep_cancel64() in liburing with
    /// IORING_ASYNC_CANCEL_OP.
    public mutating func cancel(userData: UInt64, opcode: Opcode, file: FileReference? = nil,
                                targetUserData: UInt64? = nil, cancelFlags: CancelFlags = [],
                                flags: SubmissionFlags = []) throws(IoUringError) {
        var cancelFlags = cancelFlags.union(.op)
        var descriptor: Int32 = -1
        if let file {
            cancelFlags.insert(.fd)
            switch file {
            case .descriptor(let fd):
                descriptor = fd
            case .fixed(let slot):
                descriptor = Int32(bitPattern: slot)
                cancelFlags.insert(.fdFixed)
            }
        }
        if targetUserData != nil { cancelFlags.insert(.userData) }
        let sqe = try prepare(.asyncCancel, userData: userData, flags: flags, address: targetUserData ?? 0,
                              length: UInt32(opcode.rawValue))
        sqe.pointee.fd = descriptor
        sqe.pointee.cancel_flags = cancelFlags.rawValue
    }
}
