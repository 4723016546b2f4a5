import CIoUring

/// Flags for `io_uring_setup(2)`: the kernel's `IORING_SETUP_*`.
public struct SetupFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IORING_SETUP_IOPOLL: busy-poll for completions (O_DIRECT files on polling-capable devices).
    public static let ioPoll = SetupFlags(rawValue: IORING_SETUP_IOPOLL)
    /// IORING_SETUP_SQPOLL: a kernel thread polls the submission queue.
    public static let sqPoll = SetupFlags(rawValue: IORING_SETUP_SQPOLL)
    /// IORING_SETUP_SQ_AFF: pin the SQPOLL thread to `sqThreadCPU`.
    public static let sqAffinity = SetupFlags(rawValue: IORING_SETUP_SQ_AFF)
    /// IORING_SETUP_CQSIZE: use `cqEntries` for the completion queue size.
    public static let cqSize = SetupFlags(rawValue: IORING_SETUP_CQSIZE)
    /// IORING_SETUP_CLAMP: clamp too-large sizes instead of failing with EINVAL.
    public static let clamp = SetupFlags(rawValue: IORING_SETUP_CLAMP)
    /// IORING_SETUP_ATTACH_WQ: share the io-wq backend of the ring in `wqFD`.
    public static let attachWorkQueue = SetupFlags(rawValue: IORING_SETUP_ATTACH_WQ)
    /// IORING_SETUP_R_DISABLED: start disabled until IORING_REGISTER_ENABLE_RINGS.
    public static let disabled = SetupFlags(rawValue: IORING_SETUP_R_DISABLED)
    /// IORING_SETUP_SUBMIT_ALL: keep submitting a batch after an SQE fails to prepare.
    public static let submitAll = SetupFlags(rawValue: IORING_SETUP_SUBMIT_ALL)
    /// IORING_SETUP_COOP_TASKRUN: run completion task work only on kernel entry.
    public static let coopTaskrun = SetupFlags(rawValue: IORING_SETUP_COOP_TASKRUN)
    /// IORING_SETUP_TASKRUN_FLAG: set IORING_SQ_TASKRUN when task work is pending.
    public static let taskrunFlag = SetupFlags(rawValue: IORING_SETUP_TASKRUN_FLAG)
    /// IORING_SETUP_SQE128: 128-byte SQEs.
    public static let sqe128 = SetupFlags(rawValue: IORING_SETUP_SQE128)
    /// IORING_SETUP_CQE32: 32-byte CQEs.
    public static let cqe32 = SetupFlags(rawValue: IORING_SETUP_CQE32)
    /// IORING_SETUP_SINGLE_ISSUER: only one task submits.
    public static let singleIssuer = SetupFlags(rawValue: IORING_SETUP_SINGLE_ISSUER)
    /// IORING_SETUP_DEFER_TASKRUN: defer task work until the issuer waits for events.
    public static let deferTaskrun = SetupFlags(rawValue: IORING_SETUP_DEFER_TASKRUN)
    /// IORING_SETUP_NO_MMAP: the application provides ring memory (not supported by this engine).
    public static let noMmap = SetupFlags(rawValue: IORING_SETUP_NO_MMAP)
    /// IORING_SETUP_REGISTERED_FD_ONLY: return a registered ring index instead of an fd (not supported).
    public static let registeredFDOnly = SetupFlags(rawValue: IORING_SETUP_REGISTERED_FD_ONLY)
    /// IORING_SETUP_NO_SQARRAY: no SQ index array; SQEs are taken in ring order.
    public static let noSQArray = SetupFlags(rawValue: IORING_SETUP_NO_SQARRAY)
    /// IORING_SETUP_HYBRID_IOPOLL: sleep before polling (with IOPOLL).
    public static let hybridIOPoll = SetupFlags(rawValue: IORING_SETUP_HYBRID_IOPOLL)
    /// IORING_SETUP_CQE_MIXED: 16- and 32-byte CQEs in one ring.
    public static let cqeMixed = SetupFlags(rawValue: IORING_SETUP_CQE_MIXED)

    /// Each flag with its kernel name, in bit order.
    public static let named: [(flag: SetupFlags, name: String)] = [
        (.ioPoll, "IORING_SETUP_IOPOLL"), (.sqPoll, "IORING_SETUP_SQPOLL"),
        (.sqAffinity, "IORING_SETUP_SQ_AFF"), (.cqSize, "IORING_SETUP_CQSIZE"),
        (.clamp, "IORING_SETUP_CLAMP"), (.attachWorkQueue, "IORING_SETUP_ATTACH_WQ"),
        (.disabled, "IORING_SETUP_R_DISABLED"), (.submitAll, "IORING_SETUP_SUBMIT_ALL"),
        (.coopTaskrun, "IORING_SETUP_COOP_TASKRUN"), (.taskrunFlag, "IORING_SETUP_TASKRUN_FLAG"),
        (.sqe128, "IORING_SETUP_SQE128"), (.cqe32, "IORING_SETUP_CQE32"),
        (.singleIssuer, "IORING_SETUP_SINGLE_ISSUER"), (.deferTaskrun, "IORING_SETUP_DEFER_TASKRUN"),
        (.noMmap, "IORING_SETUP_NO_MMAP"), (.registeredFDOnly, "IORING_SETUP_REGISTERED_FD_ONLY"),
        (.noSQArray, "IORING_SETUP_NO_SQARRAY"), (.hybridIOPoll, "IORING_SETUP_HYBRID_IOPOLL"),
        (.cqeMixed, "IORING_SETUP_CQE_MIXED"),
    ]
}

/// What the kernel says it can do, from `io_uring_params.features`: the kernel's `IORING_FEAT_*`.
public struct Features: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let singleMmap = Features(rawValue: IORING_FEAT_SINGLE_MMAP)
    public static let noDrop = Features(rawValue: IORING_FEAT_NODROP)
    public static let submitStable = Features(rawValue: IORING_FEAT_SUBMIT_STABLE)
    public static let rwCurrentPosition = Features(rawValue: IORING_FEAT_RW_CUR_POS)
    public static let currentPersonality = Features(rawValue: IORING_FEAT_CUR_PERSONALITY)
    public static let fastPoll = Features(rawValue: IORING_FEAT_FAST_POLL)
    public static let poll32Bits = Features(rawValue: IORING_FEAT_POLL_32BITS)
    public static let sqPollNonFixed = Features(rawValue: IORING_FEAT_SQPOLL_NONFIXED)
    public static let extArg = Features(rawValue: IORING_FEAT_EXT_ARG)
    public static let nativeWorkers = Features(rawValue: IORING_FEAT_NATIVE_WORKERS)
    public static let resourceTags = Features(rawValue: IORING_FEAT_RSRC_TAGS)
    public static let cqeSkip = Features(rawValue: IORING_FEAT_CQE_SKIP)
    public static let linkedFile = Features(rawValue: IORING_FEAT_LINKED_FILE)
    public static let registeredRegisterRing = Features(rawValue: IORING_FEAT_REG_REG_RING)
    public static let recvSendBundle = Features(rawValue: IORING_FEAT_RECVSEND_BUNDLE)
    public static let minTimeout = Features(rawValue: IORING_FEAT_MIN_TIMEOUT)
    public static let rwAttributes = Features(rawValue: IORING_FEAT_RW_ATTR)
    public static let noIOWait = Features(rawValue: IORING_FEAT_NO_IOWAIT)

    /// Each feature bit with its kernel name, in bit order.
    public static let named: [(feature: Features, name: String)] = [
        (.singleMmap, "IORING_FEAT_SINGLE_MMAP"), (.noDrop, "IORING_FEAT_NODROP"),
        (.submitStable, "IORING_FEAT_SUBMIT_STABLE"), (.rwCurrentPosition, "IORING_FEAT_RW_CUR_POS"),
        (.currentPersonality, "IORING_FEAT_CUR_PERSONALITY"), (.fastPoll, "IORING_FEAT_FAST_POLL"),
        (.poll32Bits, "IORING_FEAT_POLL_32BITS"), (.sqPollNonFixed, "IORING_FEAT_SQPOLL_NONFIXED"),
        (.extArg, "IORING_FEAT_EXT_ARG"), (.nativeWorkers, "IORING_FEAT_NATIVE_WORKERS"),
        (.resourceTags, "IORING_FEAT_RSRC_TAGS"), (.cqeSkip, "IORING_FEAT_CQE_SKIP"),
        (.linkedFile, "IORING_FEAT_LINKED_FILE"), (.registeredRegisterRing, "IORING_FEAT_REG_REG_RING"),
        (.recvSendBundle, "IORING_FEAT_RECVSEND_BUNDLE"), (.minTimeout, "IORING_FEAT_MIN_TIMEOUT"),
        (.rwAttributes, "IORING_FEAT_RW_ATTR"), (.noIOWait, "IORING_FEAT_NO_IOWAIT"),
    ]

    /// The kernel names of the bits set, with `0x…` for bits this engine does not know.
    public var names: [String] {
        var result = Features.named.filter { contains($0.feature) }.map(\.name)
        let unknown = rawValue & ~Features.named.reduce(0) { $0 | $1.feature.rawValue }
        if unknown != 0 { result.append("0x" + String(unknown, radix: 16)) }
        return result
    }
}

/// Per-SQE flags, the kernel's `IOSQE_*`.
public struct SubmissionFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// IOSQE_FIXED_FILE: `fd` is an index into the registered file table.
    public static let fixedFile = SubmissionFlags(rawValue: UInt8(IOSQE_FIXED_FILE))
    /// IOSQE_IO_DRAIN: start only after every earlier request has completed.
    public static let drain = SubmissionFlags(rawValue: UInt8(IOSQE_IO_DRAIN))
    /// IOSQE_IO_LINK: the next SQE starts only if this one succeeds.
    public static let link = SubmissionFlags(rawValue: UInt8(IOSQE_IO_LINK))
    /// IOSQE_IO_HARDLINK: the next SQE starts after this one whatever its result.
    public static let hardlink = SubmissionFlags(rawValue: UInt8(IOSQE_IO_HARDLINK))
    /// IOSQE_ASYNC: always issue from the async worker pool.
    public static let async = SubmissionFlags(rawValue: UInt8(IOSQE_ASYNC))
    /// IOSQE_BUFFER_SELECT: pick a buffer from the provided-buffer group in `buf_group`.
    public static let bufferSelect = SubmissionFlags(rawValue: UInt8(IOSQE_BUFFER_SELECT))
    /// IOSQE_CQE_SKIP_SUCCESS: post no CQE if the request succeeds.
    public static let skipSuccess = SubmissionFlags(rawValue: UInt8(IOSQE_CQE_SKIP_SUCCESS))

    public static let named: [(flag: SubmissionFlags, name: String)] = [
        (.fixedFile, "IOSQE_FIXED_FILE"), (.drain, "IOSQE_IO_DRAIN"), (.link, "IOSQE_IO_LINK"),
        (.hardlink, "IOSQE_IO_HARDLINK"), (.async, "IOSQE_ASYNC"), (.bufferSelect, "IOSQE_BUFFER_SELECT"),
        (.skipSuccess, "IOSQE_CQE_SKIP_SUCCESS"),
    ]
}

/// Flags of a CQE, the kernel's `IORING_CQE_F_*`; the upper 16 bits carry a buffer id.
public struct CompletionFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IORING_CQE_F_BUFFER: the upper 16 bits hold the id of the provided buffer used.
    public static let buffer = CompletionFlags(rawValue: IORING_CQE_F_BUFFER)
    /// IORING_CQE_F_MORE: the request will post more CQEs.
    public static let more = CompletionFlags(rawValue: IORING_CQE_F_MORE)
    /// IORING_CQE_F_SOCK_NONEMPTY: the socket had more data after this receive.
    public static let socketNonEmpty = CompletionFlags(rawValue: IORING_CQE_F_SOCK_NONEMPTY)
    /// IORING_CQE_F_NOTIF: a zero-copy send's notification that its buffer is free again.
    public static let notification = CompletionFlags(rawValue: IORING_CQE_F_NOTIF)
    /// IORING_CQE_F_BUF_MORE: the incrementally consumed buffer will be used again.
    public static let bufferMore = CompletionFlags(rawValue: IORING_CQE_F_BUF_MORE)
    /// IORING_CQE_F_SKIP: a filler entry of a mixed-size CQ; never handed out by this engine.
    public static let skip = CompletionFlags(rawValue: IORING_CQE_F_SKIP)
    /// IORING_CQE_F_32: a 32-byte CQE in a mixed-size CQ.
    public static let big = CompletionFlags(rawValue: IORING_CQE_F_32)

    public static let named: [(flag: CompletionFlags, name: String)] = [
        (.buffer, "IORING_CQE_F_BUFFER"), (.more, "IORING_CQE_F_MORE"),
        (.socketNonEmpty, "IORING_CQE_F_SOCK_NONEMPTY"), (.notification, "IORING_CQE_F_NOTIF"),
        (.bufferMore, "IORING_CQE_F_BUF_MORE"), (.skip, "IORING_CQE_F_SKIP"), (.big, "IORING_CQE_F_32"),
    ]

    /// The provided-buffer id in the upper 16 bits, when `.buffer` is set.
    public var bufferID: UInt16? {
        contains(.buffer) ? UInt16(truncatingIfNeeded: rawValue >> IORING_CQE_BUFFER_SHIFT) : nil
    }
}

/// Flags for `io_uring_enter(2)`, the kernel's `IORING_ENTER_*`.
public struct EnterFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let getEvents = EnterFlags(rawValue: IORING_ENTER_GETEVENTS)
    public static let sqWakeup = EnterFlags(rawValue: IORING_ENTER_SQ_WAKEUP)
    public static let sqWait = EnterFlags(rawValue: IORING_ENTER_SQ_WAIT)
    public static let extArg = EnterFlags(rawValue: IORING_ENTER_EXT_ARG)
    public static let registeredRing = EnterFlags(rawValue: IORING_ENTER_REGISTERED_RING)
    public static let absoluteTimer = EnterFlags(rawValue: IORING_ENTER_ABS_TIMER)
    public static let noIOWait = EnterFlags(rawValue: IORING_ENTER_NO_IOWAIT)

    public static let named: [(flag: EnterFlags, name: String)] = [
        (.getEvents, "IORING_ENTER_GETEVENTS"), (.sqWakeup, "IORING_ENTER_SQ_WAKEUP"),
        (.sqWait, "IORING_ENTER_SQ_WAIT"), (.extArg, "IORING_ENTER_EXT_ARG"),
        (.registeredRing, "IORING_ENTER_REGISTERED_RING"), (.absoluteTimer, "IORING_ENTER_ABS_TIMER"),
        (.noIOWait, "IORING_ENTER_NO_IOWAIT"),
    ]
}

/// A file an SQE operates on: a plain descriptor, or a slot in the registered file table
/// (which sets IOSQE_FIXED_FILE).
public enum FileReference: Hashable, Sendable, ExpressibleByIntegerLiteral {
    case descriptor(Int32)
    case fixed(UInt32)

    public init(integerLiteral value: Int32) { self = .descriptor(value) }

    @inline(__always)
    var sqeFields: (fd: Int32, flags: UInt8) {
        switch self {
        case .descriptor(let fd): return (fd, 0)
        case .fixed(let index): return (Int32(bitPattern: index), UInt8(IOSQE_FIXED_FILE))
        }
    }
}
