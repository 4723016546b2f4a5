import CIoUring

/// A call into the kernel that the engine makes, named as a person would search for it.
public enum RingSyscall: Hashable, Sendable, CustomStringConvertible {
    case setup
    case enter
    case register(UInt32)
    case mmap(String)
    case other(String)

    public var description: String {
        switch self {
        case .setup: return "io_uring_setup"
        case .enter: return "io_uring_enter"
        case .register(let op): return "io_uring_register(\(RegisterOpcode.name(of: op)))"
        case .mmap(let what): return "mmap(\(what))"
        case .other(let name): return name
        }
    }
}

/// Why the engine refused or the kernel failed a request. Every kernel failure keeps the syscall and
/// the errno, and says what that errno means for that call.
public enum IoUringError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A syscall returned `-errno`.
    case syscall(RingSyscall, Errno)
    /// Every SQE slot is taken: submit, or reap completions, before queueing more.
    case submissionQueueFull
    /// `entries` must be a power of two in 1...32768.
    case invalidEntries(UInt32)
    /// The kernel lacks something this engine needs (a feature bit, an opcode).
    case unsupported(String)
    /// An argument the engine can tell is wrong before the kernel sees it.
    case invalidArgument(String)

    /// The errno, when the kernel produced this error.
    public var errno: Errno? {
        if case .syscall(_, let errno) = self { return errno }
        return nil
    }

    public var description: String {
        switch self {
        case .syscall(let call, let errno):
            return "\(call): \(errno.name) (\(IoUringError.meaning(of: errno, in: call)))"
        case .submissionQueueFull:
            return "submission queue full: submit or reap completions before queueing more"
        case .invalidEntries(let entries):
            return "ring entries must be a power of two in 1...32768 (more only with IORING_SETUP_CLAMP), not \(entries)"
        case .unsupported(let what):
            return "not supported by this kernel: \(what)"
        case .invalidArgument(let what):
            return "invalid argument: \(what)"
        }
    }

    /// What an errno means for a given call, after io_uring_setup(2), io_uring_enter(2) and
    /// io_uring_register(2).
    static func meaning(of errno: Errno, in call: RingSyscall) -> String {
        switch (call, errno) {
        case (.setup, .EINVAL): return "unsupported flag, bad entries, or a reserved field set"
        case (.setup, .EPERM): return "SQPOLL without privilege, or io_uring disabled by sysctl"
        case (.setup, .EFAULT): return "params outside the accessible address space"
        case (.setup, .ENOSYS): return "the kernel has no io_uring"
        case (.enter, .EAGAIN): return "the kernel ran out of resources; reap completions and retry"
        case (.enter, .EBADF): return "the ring fd, or an SQE's fd, is not valid"
        case (.enter, .EBADFD): return "the ring is not in a state to accept this (disabled?)"
        case (.enter, .EBUSY): return "completion queue overcommitted; reap completions and retry"
        case (.enter, .EINVAL): return "an SQE or the enter flags are invalid for this ring"
        case (.enter, .EFAULT): return "a buffer or argument is outside the address space"
        case (.enter, .ENXIO): return "the ring is shutting down"
        case (.enter, .EOPNOTSUPP): return "the fd is not an io_uring, or the opcode is not supported"
        case (.enter, .EINTR): return "interrupted by a signal while waiting"
        case (.enter, .ETIME): return "the wait timed out"
        case (.register, .EBUSY): return "already registered, or requests still use the resource"
        case (.register, .ENXIO): return "nothing is registered to remove or update"
        case (.register, .EINVAL): return "invalid opcode, argument or count for this registration"
        case (.register, .EFAULT): return "an argument is outside the address space"
        case (.register, .EOPNOTSUPP): return "not supported on this file or ring"
        case (.register, .EMFILE): return "too many files for the registered table"
        case (.register, .ENOMEM): return "out of memory, or over RLIMIT_MEMLOCK"
        case (.register, .ENOENT): return "no such registration (unknown buffer group?)"
        case (.register, .EEXIST): return "that id is already registered"
        default: return errno.message
        }
    }
}

/// Names for `io_uring_register(2)` opcodes, for error messages.
public enum RegisterOpcode {
    static let names: [UInt32: String] = [
        0: "IORING_REGISTER_BUFFERS", 1: "IORING_UNREGISTER_BUFFERS", 2: "IORING_REGISTER_FILES",
        3: "IORING_UNREGISTER_FILES", 4: "IORING_REGISTER_EVENTFD", 5: "IORING_UNREGISTER_EVENTFD",
        6: "IORING_REGISTER_FILES_UPDATE", 7: "IORING_REGISTER_EVENTFD_ASYNC", 8: "IORING_REGISTER_PROBE",
        9: "IORING_REGISTER_PERSONALITY", 10: "IORING_UNREGISTER_PERSONALITY",
        11: "IORING_REGISTER_RESTRICTIONS", 12: "IORING_REGISTER_ENABLE_RINGS", 13: "IORING_REGISTER_FILES2",
        14: "IORING_REGISTER_FILES_UPDATE2", 15: "IORING_REGISTER_BUFFERS2", 16: "IORING_REGISTER_BUFFERS_UPDATE",
        17: "IORING_REGISTER_IOWQ_AFF", 18: "IORING_UNREGISTER_IOWQ_AFF", 19: "IORING_REGISTER_IOWQ_MAX_WORKERS",
        20: "IORING_REGISTER_RING_FDS", 21: "IORING_UNREGISTER_RING_FDS", 22: "IORING_REGISTER_PBUF_RING",
        23: "IORING_UNREGISTER_PBUF_RING", 24: "IORING_REGISTER_SYNC_CANCEL", 25: "IORING_REGISTER_FILE_ALLOC_RANGE",
        26: "IORING_REGISTER_PBUF_STATUS", 27: "IORING_REGISTER_NAPI", 28: "IORING_UNREGISTER_NAPI",
        29: "IORING_REGISTER_CLOCK", 30: "IORING_REGISTER_CLONE_BUFFERS", 31: "IORING_REGISTER_SEND_MSG_RING",
        32: "IORING_REGISTER_ZCRX_IFQ", 33: "IORING_REGISTER_RESIZE_RINGS", 34: "IORING_REGISTER_MEM_REGION",
        35: "IORING_REGISTER_QUERY", 36: "IORING_REGISTER_ZCRX_CTRL",
    ]

    /// `IORING_REGISTER_FILES` for 2, the number itself for codes this engine does not know.
    public static func name(of opcode: UInt32) -> String { names[opcode] ?? String(opcode) }
}
