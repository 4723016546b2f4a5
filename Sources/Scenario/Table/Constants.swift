import IoUring

// The kernel constants a scenario may write by name (`O_CREAT`, `MSG_WAITALL`, `POLLIN`…), grouped in
// families. Values are Linux's; the few that differ between architectures are chosen at compile time.

/// A family of named kernel constants that an argument takes: a bit set (`O_CREAT|O_RDWR`) or one choice
/// (`SHUT_WR`).
public final class ConstantFamily: Hashable, Sendable {
    /// What the family is, for messages and docs: "open flag".
    public let title: String
    /// Whether several names combine with `|`.
    public let isBitSet: Bool
    /// Every name with its value, in documentation order.
    public let constants: [Constant]
    private let byName: [String: UInt64]

    public struct Constant: Hashable, Sendable {
        public let name: String
        public let value: UInt64
    }

    init(_ title: String, bitSet: Bool, constants: [Constant]) {
        self.title = title
        self.isBitSet = bitSet
        self.constants = constants
        var byName: [String: UInt64] = [:]
        for constant in constants { byName[constant.name] = constant.value }
        self.byName = byName
    }

    convenience init(_ title: String, bitSet: Bool, _ pairs: KeyValuePairs<String, UInt64>) {
        self.init(title, bitSet: bitSet, constants: pairs.map { Constant(name: $0.key, value: $0.value) })
    }

    /// The value of `name`, if the family has it.
    public func value(of name: String) -> UInt64? { byName[name] }

    public var names: [String] { constants.map(\.name) }

    public static func == (lhs: ConstantFamily, rhs: ConstantFamily) -> Bool { lhs === rhs || lhs.title == rhs.title }
    public func hash(into hasher: inout Hasher) { hasher.combine(title) }
}

/// A value written with names from a `ConstantFamily`: the combined number and the names it came from.
public struct NamedValue: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    /// The names as written (empty when the scenario gave a number).
    public var names: [String]

    public init(value: UInt64, names: [String] = []) {
        self.value = value
        self.names = names
    }

    public var description: String {
        names.isEmpty ? "0x" + String(value, radix: 16) : names.joined(separator: "|")
    }
}

extension ConstantFamily {
    #if arch(arm64) || arch(arm)
    private static let directValue: UInt64 = 0o200000
    private static let directoryValue: UInt64 = 0o40000
    private static let noFollowValue: UInt64 = 0o100000
    private static let largeFileValue: UInt64 = 0o400000
    #else
    private static let directValue: UInt64 = 0o40000
    private static let directoryValue: UInt64 = 0o200000
    private static let noFollowValue: UInt64 = 0o400000
    private static let largeFileValue: UInt64 = 0o100000
    #endif

    /// `open(2)` flags.
    public static let openFlags = ConstantFamily("open flag", bitSet: true, [
        "O_RDONLY": 0, "O_WRONLY": 0o1, "O_RDWR": 0o2, "O_CREAT": 0o100, "O_EXCL": 0o200, "O_NOCTTY": 0o400,
        "O_TRUNC": 0o1000, "O_APPEND": 0o2000, "O_NONBLOCK": 0o4000, "O_DSYNC": 0o10000, "O_ASYNC": 0o20000,
        "O_DIRECT": directValue, "O_LARGEFILE": largeFileValue, "O_DIRECTORY": directoryValue,
        "O_NOFOLLOW": noFollowValue, "O_NOATIME": 0o1000000, "O_CLOEXEC": 0o2000000, "O_SYNC": 0o4010000,
        "O_PATH": 0o10000000, "O_TMPFILE": 0o20000000 | directoryValue,
    ])

    /// `openat2(2)` resolve flags.
    public static let resolveFlags = ConstantFamily("resolve flag", bitSet: true, [
        "RESOLVE_NO_XDEV": 0x01, "RESOLVE_NO_MAGICLINKS": 0x02, "RESOLVE_NO_SYMLINKS": 0x04,
        "RESOLVE_BENEATH": 0x08, "RESOLVE_IN_ROOT": 0x10, "RESOLVE_CACHED": 0x20,
    ])

    /// `send(2)` / `recv(2)` flags.
    public static let messageFlags = ConstantFamily("message flag", bitSet: true, [
        "MSG_OOB": 0x1, "MSG_PEEK": 0x2, "MSG_DONTROUTE": 0x4, "MSG_CTRUNC": 0x8, "MSG_TRUNC": 0x20,
        "MSG_DONTWAIT": 0x40, "MSG_EOR": 0x80, "MSG_WAITALL": 0x100, "MSG_CONFIRM": 0x800,
        "MSG_ERRQUEUE": 0x2000, "MSG_NOSIGNAL": 0x4000, "MSG_MORE": 0x8000, "MSG_WAITFORONE": 0x10000,
        "MSG_ZEROCOPY": 0x4000000, "MSG_FASTOPEN": 0x20000000, "MSG_CMSG_CLOEXEC": 0x40000000,
    ])

    /// `poll(2)` events.
    public static let pollEvents = ConstantFamily("poll event", bitSet: true, [
        "POLLIN": 0x001, "POLLPRI": 0x002, "POLLOUT": 0x004, "POLLERR": 0x008, "POLLHUP": 0x010,
        "POLLNVAL": 0x020, "POLLRDNORM": 0x040, "POLLRDBAND": 0x080, "POLLWRNORM": 0x100, "POLLWRBAND": 0x200,
        "POLLMSG": 0x400, "POLLRDHUP": 0x2000,
    ])

    /// `epoll_ctl(2)` events.
    public static let epollEvents = ConstantFamily("epoll event", bitSet: true, [
        "EPOLLIN": 0x001, "EPOLLPRI": 0x002, "EPOLLOUT": 0x004, "EPOLLERR": 0x008, "EPOLLHUP": 0x010,
        "EPOLLRDNORM": 0x040, "EPOLLRDBAND": 0x080, "EPOLLWRNORM": 0x100, "EPOLLWRBAND": 0x200,
        "EPOLLMSG": 0x400, "EPOLLRDHUP": 0x2000, "EPOLLEXCLUSIVE": 1 << 28, "EPOLLWAKEUP": 1 << 29,
        "EPOLLONESHOT": 1 << 30, "EPOLLET": 1 << 31,
    ])

    /// `epoll_ctl(2)` operations.
    public static let epollOperations = ConstantFamily("epoll operation", bitSet: false, [
        "EPOLL_CTL_ADD": 1, "EPOLL_CTL_DEL": 2, "EPOLL_CTL_MOD": 3,
    ])

    /// `AT_*` flags of the `*at(2)` calls and `statx(2)`.
    public static let atFlags = ConstantFamily("at flag", bitSet: true, [
        "AT_SYMLINK_NOFOLLOW": 0x100, "AT_REMOVEDIR": 0x200, "AT_SYMLINK_FOLLOW": 0x400,
        "AT_NO_AUTOMOUNT": 0x800, "AT_EMPTY_PATH": 0x1000, "AT_STATX_SYNC_AS_STAT": 0,
        "AT_STATX_FORCE_SYNC": 0x2000, "AT_STATX_DONT_SYNC": 0x4000,
    ])

    /// `renameat2(2)` flags.
    public static let renameFlags = ConstantFamily("rename flag", bitSet: true, [
        "RENAME_NOREPLACE": 1, "RENAME_EXCHANGE": 2, "RENAME_WHITEOUT": 4,
    ])

    /// `shutdown(2)` directions.
    public static let shutdownHow = ConstantFamily("shutdown direction", bitSet: false, [
        "SHUT_RD": 0, "SHUT_WR": 1, "SHUT_RDWR": 2,
    ])

    /// Socket address families.
    public static let addressFamilies = ConstantFamily("address family", bitSet: false, [
        "AF_UNSPEC": 0, "AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16, "AF_PACKET": 17,
    ])

    /// Socket types, with the `SOCK_NONBLOCK` / `SOCK_CLOEXEC` modifiers.
    public static let socketTypes = ConstantFamily("socket type", bitSet: true, [
        "SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_RAW": 3, "SOCK_SEQPACKET": 5,
        "SOCK_NONBLOCK": 0o4000, "SOCK_CLOEXEC": 0o2000000,
    ])

    /// Flags for `accept4(2)` and the socket op: `SOCK_NONBLOCK`, `SOCK_CLOEXEC`.
    public static let socketFlags = ConstantFamily("socket flag", bitSet: true, [
        "SOCK_NONBLOCK": 0o4000, "SOCK_CLOEXEC": 0o2000000,
    ])

    /// IP protocols.
    public static let protocols = ConstantFamily("protocol", bitSet: false, [
        "IPPROTO_IP": 0, "IPPROTO_ICMP": 1, "IPPROTO_TCP": 6, "IPPROTO_UDP": 17, "IPPROTO_IPV6": 41,
        "IPPROTO_ICMPV6": 58, "IPPROTO_SCTP": 132, "IPPROTO_MPTCP": 262,
    ])

    /// Socket option levels.
    public static let socketLevels = ConstantFamily("socket option level", bitSet: false, [
        "SOL_SOCKET": 1, "SOL_IP": 0, "SOL_TCP": 6, "SOL_UDP": 17, "SOL_IPV6": 41,
    ])

    /// Socket option names (`SO_*` for SOL_SOCKET, `TCP_*` for SOL_TCP).
    public static let socketOptions = ConstantFamily("socket option", bitSet: false, [
        "SO_DEBUG": 1, "SO_REUSEADDR": 2, "SO_TYPE": 3, "SO_ERROR": 4, "SO_DONTROUTE": 5, "SO_BROADCAST": 6,
        "SO_SNDBUF": 7, "SO_RCVBUF": 8, "SO_KEEPALIVE": 9, "SO_OOBINLINE": 10, "SO_NO_CHECK": 11,
        "SO_PRIORITY": 12, "SO_LINGER": 13, "SO_REUSEPORT": 15, "SO_PASSCRED": 16, "SO_PEERCRED": 17,
        "SO_RCVLOWAT": 18, "SO_SNDLOWAT": 19, "SO_ACCEPTCONN": 30, "SO_PROTOCOL": 38, "SO_DOMAIN": 39,
        "SO_BUSY_POLL": 46, "SO_INCOMING_CPU": 49, "SO_ZEROCOPY": 60,
        "TCP_NODELAY": 1, "TCP_MAXSEG": 2, "TCP_CORK": 3, "TCP_KEEPIDLE": 4, "TCP_KEEPINTVL": 5,
        "TCP_KEEPCNT": 6, "TCP_QUICKACK": 12, "TCP_USER_TIMEOUT": 18,
    ])

    /// The socket commands of IORING_OP_URING_CMD (`SOCKET_URING_OP_*`).
    public static let socketCommands = ConstantFamily("socket command", bitSet: false, [
        "SIOCINQ": 0, "SIOCOUTQ": 1, "GETSOCKOPT": 2, "SETSOCKOPT": 3, "TX_TIMESTAMP": 4, "GETSOCKNAME": 5,
    ])

    /// `fallocate(2)` modes.
    public static let fallocateModes = ConstantFamily("fallocate mode", bitSet: true, [
        "FALLOC_FL_KEEP_SIZE": 0x01, "FALLOC_FL_PUNCH_HOLE": 0x02, "FALLOC_FL_NO_HIDE_STALE": 0x04,
        "FALLOC_FL_COLLAPSE_RANGE": 0x08, "FALLOC_FL_ZERO_RANGE": 0x10, "FALLOC_FL_INSERT_RANGE": 0x20,
        "FALLOC_FL_UNSHARE_RANGE": 0x40,
    ])

    /// `statx(2)` mask bits.
    public static let statxMask = ConstantFamily("statx mask bit", bitSet: true, [
        "STATX_TYPE": 0x1, "STATX_MODE": 0x2, "STATX_NLINK": 0x4, "STATX_UID": 0x8, "STATX_GID": 0x10,
        "STATX_ATIME": 0x20, "STATX_MTIME": 0x40, "STATX_CTIME": 0x80, "STATX_INO": 0x100, "STATX_SIZE": 0x200,
        "STATX_BLOCKS": 0x400, "STATX_BASIC_STATS": 0x7ff, "STATX_BTIME": 0x800, "STATX_MNT_ID": 0x1000,
        "STATX_DIOALIGN": 0x2000, "STATX_ALL": 0xfff,
    ])

    /// `splice(2)` / `tee(2)` flags.
    public static let spliceFlags = ConstantFamily("splice flag", bitSet: true, [
        "SPLICE_F_MOVE": 1, "SPLICE_F_NONBLOCK": 2, "SPLICE_F_MORE": 4, "SPLICE_F_GIFT": 8,
    ])

    /// `preadv2(2)` / `pwritev2(2)` flags.
    public static let readWriteFlags = ConstantFamily("read/write flag", bitSet: true, [
        "RWF_HIPRI": 0x01, "RWF_DSYNC": 0x02, "RWF_SYNC": 0x04, "RWF_NOWAIT": 0x08, "RWF_APPEND": 0x10,
        "RWF_NOAPPEND": 0x20, "RWF_ATOMIC": 0x40, "RWF_DONTCACHE": 0x80,
    ])

    /// `sync_file_range(2)` flags.
    public static let syncFileRangeFlags = ConstantFamily("sync_file_range flag", bitSet: true, [
        "SYNC_FILE_RANGE_WAIT_BEFORE": 1, "SYNC_FILE_RANGE_WRITE": 2, "SYNC_FILE_RANGE_WAIT_AFTER": 4,
    ])

    /// `posix_fadvise(2)` advice.
    public static let fadviseAdvice = ConstantFamily("fadvise advice", bitSet: false, [
        "POSIX_FADV_NORMAL": 0, "POSIX_FADV_RANDOM": 1, "POSIX_FADV_SEQUENTIAL": 2, "POSIX_FADV_WILLNEED": 3,
        "POSIX_FADV_DONTNEED": 4, "POSIX_FADV_NOREUSE": 5,
    ])

    /// `waitid(2)` id types.
    public static let waitIDTypes = ConstantFamily("waitid id type", bitSet: false, [
        "P_ALL": 0, "P_PID": 1, "P_PGID": 2, "P_PIDFD": 3,
    ])

    /// `waitid(2)` options.
    public static let waitOptions = ConstantFamily("waitid option", bitSet: true, [
        "WNOHANG": 1, "WSTOPPED": 2, "WEXITED": 4, "WCONTINUED": 8, "WNOWAIT": 0x01000000,
    ])

    /// `eventfd(2)` flags.
    public static let eventfdFlags = ConstantFamily("eventfd flag", bitSet: true, [
        "EFD_SEMAPHORE": 1, "EFD_NONBLOCK": 0o4000, "EFD_CLOEXEC": 0o2000000,
    ])

    /// The `IORING_RECVSEND_*` / `IORING_SEND_ZC_*` bits a send or receive carries in `ioprio`.
    public static let sendReceiveFlags = ConstantFamily("send/receive flag", bitSet: true, [
        "IORING_RECVSEND_POLL_FIRST": 1, "IORING_RECV_MULTISHOT": 2, "IORING_RECVSEND_FIXED_BUF": 4,
        "IORING_SEND_ZC_REPORT_USAGE": 8, "IORING_RECVSEND_BUNDLE": 16,
    ])

    /// The `IORING_ACCEPT_*` bits an accept carries in `ioprio`.
    public static let acceptFlags = ConstantFamily("accept flag", bitSet: true, [
        "IORING_ACCEPT_MULTISHOT": 1, "IORING_ACCEPT_DONTWAIT": 2, "IORING_ACCEPT_POLL_FIRST": 4,
    ])

    /// `IORING_SETUP_*`, written short (`sqpoll`) or in full (`IORING_SETUP_SQPOLL`).
    public static let setupFlags = ConstantFamily("setup flag", bitSet: true, shortNames(
        IoUringNames.setupFlags, prefix: "IORING_SETUP_"))

    /// `IORING_FEAT_*`, written short (`fast_poll`) or in full.
    public static let features = ConstantFamily("feature", bitSet: true, shortNames(
        IoUringNames.features, prefix: "IORING_FEAT_"))

    /// `IORING_CQE_F_*`, written short (`more`) or in full.
    public static let completionFlags = ConstantFamily("CQE flag", bitSet: true, shortNames(
        IoUringNames.completionFlags, prefix: "IORING_CQE_F_"))

    /// `IOSQE_*`, for `raw` steps.
    public static let submissionFlags = ConstantFamily("SQE flag", bitSet: true, shortNames(
        IoUringNames.submissionFlags, prefix: "IOSQE_"))

    /// Every family an argument can take, for the JSON Schema and Grammar.md.
    public static let all: [ConstantFamily] = [
        openFlags, resolveFlags, messageFlags, pollEvents, epollEvents, epollOperations, atFlags, renameFlags,
        shutdownHow, addressFamilies, socketTypes, socketFlags, protocols, socketLevels, socketOptions,
        socketCommands, fallocateModes, statxMask, spliceFlags, readWriteFlags, syncFileRangeFlags,
        fadviseAdvice, waitIDTypes, waitOptions, eventfdFlags, sendReceiveFlags, acceptFlags,
        setupFlags, features, completionFlags, submissionFlags,
    ]

    /// Both spellings of each kernel name: the lower-case short one first, then the full one.
    private convenience init(_ title: String, bitSet: Bool, _ entries: [(String, UInt64)]) {
        self.init(title, bitSet: bitSet, constants: entries.map { Constant(name: $0.0, value: $0.1) })
    }


    private static func shortNames(_ entries: [(String, UInt64)], prefix: String) -> [(String, UInt64)] {
        entries.map { (String($0.0.dropFirst(prefix.count)).lowercased(), $0.1) } + entries
    }
}

/// The IoUring module's named flag tables as plain (name, value) pairs.
private enum IoUringNames {
    static let setupFlags = SetupFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
    static let features = Features.named.map { ($0.name, UInt64($0.feature.rawValue)) }
    static let completionFlags = CompletionFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
    static let submissionFlags = SubmissionFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
}
