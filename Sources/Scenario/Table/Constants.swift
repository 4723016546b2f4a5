#if canImport(Glibc)
import Glibc
#endif
import IoUring

// The kernel constants a scenario may write by name (`O_CREAT`, `MSG_WAITALL`, `POLLIN`…), grouped in
// families. Values come from Glibc where Swift's Glibc module exports them, from the io_uring tables of the
// IoUring module, and otherwise from the one table of hand values, `GlibcMissing`.

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
    /// `open(2)` flags.
    public static let openFlags = ConstantFamily("open flag", bitSet: true, [
        "O_RDONLY": bits(O_RDONLY), "O_WRONLY": bits(O_WRONLY), "O_RDWR": bits(O_RDWR), "O_CREAT": bits(O_CREAT),
        "O_EXCL": bits(O_EXCL), "O_NOCTTY": bits(O_NOCTTY), "O_TRUNC": bits(O_TRUNC), "O_APPEND": bits(O_APPEND),
        "O_NONBLOCK": bits(O_NONBLOCK), "O_DSYNC": bits(O_DSYNC), "O_ASYNC": bits(O_ASYNC), "O_DIRECT": linux("O_DIRECT"),
        "O_LARGEFILE": linux("O_LARGEFILE"), "O_DIRECTORY": bits(O_DIRECTORY), "O_NOFOLLOW": bits(O_NOFOLLOW),
        "O_NOATIME": linux("O_NOATIME"), "O_CLOEXEC": bits(O_CLOEXEC), "O_SYNC": bits(O_SYNC), "O_PATH": linux("O_PATH"),
        "O_TMPFILE": linux("O_TMPFILE"),
    ])

    /// `openat2(2)` resolve flags.
    public static let resolveFlags = ConstantFamily("resolve flag", bitSet: true, linux([
        "RESOLVE_NO_XDEV", "RESOLVE_NO_MAGICLINKS", "RESOLVE_NO_SYMLINKS", "RESOLVE_BENEATH", "RESOLVE_IN_ROOT",
        "RESOLVE_CACHED",
    ]))

    /// `send(2)` / `recv(2)` flags.
    public static let messageFlags = ConstantFamily("message flag", bitSet: true, [
        "MSG_OOB": bits(MSG_OOB), "MSG_PEEK": bits(MSG_PEEK), "MSG_DONTROUTE": bits(MSG_DONTROUTE),
        "MSG_CTRUNC": bits(MSG_CTRUNC), "MSG_TRUNC": bits(MSG_TRUNC), "MSG_DONTWAIT": bits(MSG_DONTWAIT),
        "MSG_EOR": bits(MSG_EOR), "MSG_WAITALL": bits(MSG_WAITALL), "MSG_CONFIRM": bits(MSG_CONFIRM),
        "MSG_ERRQUEUE": bits(MSG_ERRQUEUE), "MSG_NOSIGNAL": bits(MSG_NOSIGNAL), "MSG_MORE": bits(MSG_MORE),
        "MSG_WAITFORONE": bits(MSG_WAITFORONE), "MSG_ZEROCOPY": bits(MSG_ZEROCOPY), "MSG_FASTOPEN": bits(MSG_FASTOPEN),
        "MSG_CMSG_CLOEXEC": bits(MSG_CMSG_CLOEXEC),
    ])

    /// `poll(2)` events.
    public static let pollEvents = ConstantFamily("poll event", bitSet: true, [
        "POLLIN": bits(POLLIN), "POLLPRI": bits(POLLPRI), "POLLOUT": bits(POLLOUT), "POLLERR": bits(POLLERR),
        "POLLHUP": bits(POLLHUP), "POLLNVAL": bits(POLLNVAL), "POLLRDNORM": bits(POLLRDNORM), "POLLRDBAND": bits(POLLRDBAND),
        "POLLWRNORM": bits(POLLWRNORM), "POLLWRBAND": bits(POLLWRBAND), "POLLMSG": linux("POLLMSG"),
        "POLLRDHUP": linux("POLLRDHUP"),
    ])

    /// `epoll_ctl(2)` events.
    public static let epollEvents = ConstantFamily("epoll event", bitSet: true, linux([
        "EPOLLIN", "EPOLLPRI", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLRDNORM", "EPOLLRDBAND", "EPOLLWRNORM",
        "EPOLLWRBAND", "EPOLLMSG", "EPOLLRDHUP", "EPOLLEXCLUSIVE", "EPOLLWAKEUP", "EPOLLONESHOT", "EPOLLET",
    ]))

    /// `epoll_ctl(2)` operations.
    public static let epollOperations = ConstantFamily("epoll operation", bitSet: false, linux([
        "EPOLL_CTL_ADD", "EPOLL_CTL_DEL", "EPOLL_CTL_MOD",
    ]))

    /// `AT_*` flags of the `*at(2)` calls and `statx(2)`.
    public static let atFlags = ConstantFamily("at flag", bitSet: true, [
        "AT_SYMLINK_NOFOLLOW": bits(AT_SYMLINK_NOFOLLOW), "AT_REMOVEDIR": bits(AT_REMOVEDIR),
        "AT_SYMLINK_FOLLOW": bits(AT_SYMLINK_FOLLOW), "AT_NO_AUTOMOUNT": linux("AT_NO_AUTOMOUNT"),
        "AT_EMPTY_PATH": linux("AT_EMPTY_PATH"), "AT_STATX_SYNC_AS_STAT": linux("AT_STATX_SYNC_AS_STAT"),
        "AT_STATX_FORCE_SYNC": linux("AT_STATX_FORCE_SYNC"), "AT_STATX_DONT_SYNC": linux("AT_STATX_DONT_SYNC"),
    ])

    /// `renameat2(2)` flags.
    public static let renameFlags = ConstantFamily("rename flag", bitSet: true, linux([
        "RENAME_NOREPLACE", "RENAME_EXCHANGE", "RENAME_WHITEOUT",
    ]))

    /// `shutdown(2)` directions.
    public static let shutdownHow = ConstantFamily("shutdown direction", bitSet: false, [
        "SHUT_RD": bits(SHUT_RD), "SHUT_WR": bits(SHUT_WR), "SHUT_RDWR": bits(SHUT_RDWR),
    ])

    /// Socket address families.
    public static let addressFamilies = ConstantFamily("address family", bitSet: false, [
        "AF_UNSPEC": bits(AF_UNSPEC), "AF_UNIX": bits(AF_UNIX), "AF_INET": bits(AF_INET), "AF_INET6": bits(AF_INET6),
        "AF_NETLINK": bits(AF_NETLINK), "AF_PACKET": bits(AF_PACKET),
    ])

    /// Socket types, with the `SOCK_NONBLOCK` / `SOCK_CLOEXEC` modifiers.
    public static let socketTypes = ConstantFamily("socket type", bitSet: true, [
        "SOCK_STREAM": bits(SOCK_STREAM), "SOCK_DGRAM": bits(SOCK_DGRAM), "SOCK_RAW": bits(SOCK_RAW),
        "SOCK_SEQPACKET": bits(SOCK_SEQPACKET), "SOCK_NONBLOCK": bits(SOCK_NONBLOCK), "SOCK_CLOEXEC": bits(SOCK_CLOEXEC),
    ])

    /// Flags for `accept4(2)` and the socket op: `SOCK_NONBLOCK`, `SOCK_CLOEXEC`.
    public static let socketFlags = ConstantFamily("socket flag", bitSet: true, [
        "SOCK_NONBLOCK": bits(SOCK_NONBLOCK), "SOCK_CLOEXEC": bits(SOCK_CLOEXEC),
    ])

    /// IP protocols.
    public static let protocols = ConstantFamily("protocol", bitSet: false, [
        "IPPROTO_IP": bits(IPPROTO_IP), "IPPROTO_ICMP": bits(IPPROTO_ICMP), "IPPROTO_TCP": bits(IPPROTO_TCP),
        "IPPROTO_UDP": bits(IPPROTO_UDP), "IPPROTO_IPV6": bits(IPPROTO_IPV6), "IPPROTO_ICMPV6": bits(IPPROTO_ICMPV6),
        "IPPROTO_SCTP": bits(IPPROTO_SCTP), "IPPROTO_MPTCP": bits(IPPROTO_MPTCP),
    ])

    /// Socket option levels.
    public static let socketLevels = ConstantFamily("socket option level", bitSet: false, [
        "SOL_SOCKET": bits(SOL_SOCKET), "SOL_IP": bits(SOL_IP), "SOL_TCP": bits(SOL_TCP), "SOL_UDP": linux("SOL_UDP"),
        "SOL_IPV6": bits(SOL_IPV6),
    ])

    /// Socket option names (`SO_*` for SOL_SOCKET, `TCP_*` for SOL_TCP).
    public static let socketOptions = ConstantFamily("socket option", bitSet: false, [
        "SO_DEBUG": bits(SO_DEBUG), "SO_REUSEADDR": bits(SO_REUSEADDR), "SO_TYPE": bits(SO_TYPE), "SO_ERROR": bits(SO_ERROR),
        "SO_DONTROUTE": bits(SO_DONTROUTE), "SO_BROADCAST": bits(SO_BROADCAST), "SO_SNDBUF": bits(SO_SNDBUF),
        "SO_RCVBUF": bits(SO_RCVBUF), "SO_KEEPALIVE": bits(SO_KEEPALIVE), "SO_OOBINLINE": bits(SO_OOBINLINE),
        "SO_NO_CHECK": bits(SO_NO_CHECK), "SO_PRIORITY": bits(SO_PRIORITY), "SO_LINGER": bits(SO_LINGER),
        "SO_REUSEPORT": bits(SO_REUSEPORT), "SO_PASSCRED": bits(SO_PASSCRED), "SO_PEERCRED": bits(SO_PEERCRED),
        "SO_RCVLOWAT": bits(SO_RCVLOWAT), "SO_SNDLOWAT": bits(SO_SNDLOWAT), "SO_ACCEPTCONN": bits(SO_ACCEPTCONN),
        "SO_PROTOCOL": bits(SO_PROTOCOL), "SO_DOMAIN": bits(SO_DOMAIN), "SO_BUSY_POLL": bits(SO_BUSY_POLL),
        "SO_INCOMING_CPU": bits(SO_INCOMING_CPU), "SO_ZEROCOPY": bits(SO_ZEROCOPY),
        "TCP_NODELAY": bits(TCP_NODELAY), "TCP_MAXSEG": bits(TCP_MAXSEG), "TCP_CORK": bits(TCP_CORK),
        "TCP_KEEPIDLE": bits(TCP_KEEPIDLE), "TCP_KEEPINTVL": bits(TCP_KEEPINTVL), "TCP_KEEPCNT": bits(TCP_KEEPCNT),
        "TCP_QUICKACK": bits(TCP_QUICKACK), "TCP_USER_TIMEOUT": bits(TCP_USER_TIMEOUT),
    ])

    /// The socket commands of IORING_OP_URING_CMD (`SOCKET_URING_OP_*` of linux/io_uring.h, without the prefix).
    public static let socketCommands = ConstantFamily("socket command", bitSet: false, [
        "SIOCINQ": 0, "SIOCOUTQ": 1, "GETSOCKOPT": 2, "SETSOCKOPT": 3, "TX_TIMESTAMP": 4, "GETSOCKNAME": 5,
    ])

    /// `fallocate(2)` modes.
    public static let fallocateModes = ConstantFamily("fallocate mode", bitSet: true, linux([
        "FALLOC_FL_KEEP_SIZE", "FALLOC_FL_PUNCH_HOLE", "FALLOC_FL_NO_HIDE_STALE", "FALLOC_FL_COLLAPSE_RANGE",
        "FALLOC_FL_ZERO_RANGE", "FALLOC_FL_INSERT_RANGE", "FALLOC_FL_UNSHARE_RANGE",
    ]))

    /// `statx(2)` mask bits.
    public static let statxMask = ConstantFamily("statx mask bit", bitSet: true, linux([
        "STATX_TYPE", "STATX_MODE", "STATX_NLINK", "STATX_UID", "STATX_GID", "STATX_ATIME", "STATX_MTIME",
        "STATX_CTIME", "STATX_INO", "STATX_SIZE", "STATX_BLOCKS", "STATX_BASIC_STATS", "STATX_BTIME", "STATX_MNT_ID",
        "STATX_DIOALIGN", "STATX_ALL",
    ]))

    /// `splice(2)` / `tee(2)` flags.
    public static let spliceFlags = ConstantFamily("splice flag", bitSet: true, linux([
        "SPLICE_F_MOVE", "SPLICE_F_NONBLOCK", "SPLICE_F_MORE", "SPLICE_F_GIFT",
    ]))

    /// `preadv2(2)` / `pwritev2(2)` flags.
    public static let readWriteFlags = ConstantFamily("read/write flag", bitSet: true, linux([
        "RWF_HIPRI", "RWF_DSYNC", "RWF_SYNC", "RWF_NOWAIT", "RWF_APPEND", "RWF_NOAPPEND", "RWF_ATOMIC", "RWF_DONTCACHE",
    ]))

    /// `sync_file_range(2)` flags.
    public static let syncFileRangeFlags = ConstantFamily("sync_file_range flag", bitSet: true, linux([
        "SYNC_FILE_RANGE_WAIT_BEFORE", "SYNC_FILE_RANGE_WRITE", "SYNC_FILE_RANGE_WAIT_AFTER",
    ]))

    /// `posix_fadvise(2)` advice.
    public static let fadviseAdvice = ConstantFamily("fadvise advice", bitSet: false, [
        "POSIX_FADV_NORMAL": bits(POSIX_FADV_NORMAL), "POSIX_FADV_RANDOM": bits(POSIX_FADV_RANDOM),
        "POSIX_FADV_SEQUENTIAL": bits(POSIX_FADV_SEQUENTIAL), "POSIX_FADV_WILLNEED": bits(POSIX_FADV_WILLNEED),
        "POSIX_FADV_DONTNEED": bits(POSIX_FADV_DONTNEED), "POSIX_FADV_NOREUSE": bits(POSIX_FADV_NOREUSE),
    ])

    /// `madvise(2)` advice.
    public static let madviseAdvice = ConstantFamily("madvise advice", bitSet: false, linux([
        "MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_WILLNEED", "MADV_DONTNEED", "MADV_FREE", "MADV_REMOVE",
        "MADV_DONTFORK", "MADV_DOFORK", "MADV_MERGEABLE", "MADV_UNMERGEABLE", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE",
        "MADV_DONTDUMP", "MADV_DODUMP", "MADV_WIPEONFORK", "MADV_KEEPONFORK", "MADV_COLD", "MADV_PAGEOUT",
        "MADV_POPULATE_READ", "MADV_POPULATE_WRITE",
    ]))

    /// `setxattr(2)` flags.
    public static let xattrFlags = ConstantFamily("xattr flag", bitSet: true, linux(["XATTR_CREATE", "XATTR_REPLACE"]))

    /// `futex2` flags of a futex word (<linux/futex.h>): its size and whether it is private.
    public static let futex2Flags = ConstantFamily("futex2 flag", bitSet: true, linux([
        "FUTEX2_SIZE_U8", "FUTEX2_SIZE_U16", "FUTEX2_SIZE_U32", "FUTEX2_SIZE_U64", "FUTEX2_NUMA", "FUTEX2_PRIVATE",
    ]))

    /// `waitid(2)` id types.
    public static let waitIDTypes = ConstantFamily("waitid id type", bitSet: false, [
        "P_ALL": bits(P_ALL), "P_PID": bits(P_PID), "P_PGID": bits(P_PGID), "P_PIDFD": bits(P_PIDFD),
    ])

    /// `waitid(2)` options.
    public static let waitOptions = ConstantFamily("waitid option", bitSet: true, [
        "WNOHANG": bits(WNOHANG), "WSTOPPED": bits(WSTOPPED), "WEXITED": bits(WEXITED), "WCONTINUED": bits(WCONTINUED),
        "WNOWAIT": bits(WNOWAIT),
    ])

    /// `eventfd(2)` flags.
    public static let eventfdFlags = ConstantFamily("eventfd flag", bitSet: true, linux([
        "EFD_SEMAPHORE", "EFD_NONBLOCK", "EFD_CLOEXEC",
    ]))

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

    /// `IORING_SQ_*`, the SQ ring's flag word, written short (`cq_overflow`) or in full (`ring_state`).
    public static let sqRingFlags = ConstantFamily("SQ ring flag", bitSet: true, shortNames(
        IoUringNames.sqRingFlags, prefix: "IORING_SQ_"))

    /// `IORING_ENTER_*`, written short (`getevents`) or in full (`enter` steps).
    public static let enterFlags = ConstantFamily("enter flag", bitSet: true, shortNames(
        IoUringNames.enterFlags, prefix: "IORING_ENTER_"))

    /// `IOSQE_*`, for `raw` steps.
    public static let submissionFlags = ConstantFamily("SQE flag", bitSet: true, shortNames(
        IoUringNames.submissionFlags, prefix: "IOSQE_"))

    /// Every family an argument can take, for the JSON Schema and Grammar.md.
    public static let all: [ConstantFamily] = [
        openFlags, resolveFlags, messageFlags, pollEvents, epollEvents, epollOperations, atFlags, renameFlags,
        shutdownHow, addressFamilies, socketTypes, socketFlags, protocols, socketLevels, socketOptions,
        socketCommands, fallocateModes, statxMask, spliceFlags, readWriteFlags, syncFileRangeFlags,
        fadviseAdvice, madviseAdvice, xattrFlags, futex2Flags, waitIDTypes, waitOptions, eventfdFlags, sendReceiveFlags, acceptFlags,
        setupFlags, features, completionFlags, submissionFlags, sqRingFlags, enterFlags, seekWhence,
    ]

    /// Both spellings of each kernel name: the lower-case short one first, then the full one.
    private convenience init(_ title: String, bitSet: Bool, _ entries: [(String, UInt64)]) {
        self.init(title, bitSet: bitSet, constants: entries.map { Constant(name: $0.0, value: $0.1) })
    }


    private static func shortNames(_ entries: [(String, UInt64)], prefix: String) -> [(String, UInt64)] {
        entries.map { (String($0.0.dropFirst(prefix.count)).lowercased(), $0.1) } + entries
    }
}

/// A constant's value as the family stores it: the C value's 32 bits, unsigned (`EPOLLET` is `1u << 31`).
private func bits(_ value: some BinaryInteger) -> UInt64 { UInt64(UInt32(truncatingIfNeeded: value)) }

/// The same for the constants Glibc imports as enum structs (`SOCK_STREAM`, `P_PID`).
private func bits<Value: RawRepresentable>(_ value: Value) -> UInt64 where Value.RawValue: BinaryInteger {
    bits(value.rawValue)
}

/// The value of a constant Glibc does not export to Swift (`GlibcMissing`).
private func linux(_ name: String) -> UInt64 {
    guard let value = GlibcMissing.values[name] else { preconditionFailure("\(name) is not in GlibcMissing.values") }
    return value
}

/// Names from `GlibcMissing`, with their values, in the order given.
private func linux(_ names: [String]) -> [(String, UInt64)] { names.map { ($0, linux($0)) } }

/// The constants Swift's Glibc module does not export: those <fcntl.h>, <poll.h> and the others define only
/// under `_GNU_SOURCE` (which Swift's Glibc is built without), and those of headers outside its module map
/// (<sys/epoll.h>, <sys/eventfd.h>, <linux/openat2.h>, <linux/fs.h>, <linux/stat.h>, <netinet/udp.h>).
/// `O_LARGEFILE` is the kernel's flag (<asm-generic/fcntl.h>): glibc defines it as 0 on 64-bit machines.
/// The one table of hand values; `ConstantTests` compiles a C program against the system headers and
/// compares every value of every family with what the headers say.
enum GlibcMissing {
    #if arch(arm64) || arch(arm)
    private static let direct: UInt64 = 0o200000
    private static let largeFile: UInt64 = 0o400000
    #else
    private static let direct: UInt64 = 0o40000
    private static let largeFile: UInt64 = 0o100000
    #endif

    static let values: [String: UInt64] = [
        "O_DIRECT": direct, "O_LARGEFILE": largeFile, "O_NOATIME": 0o1000000, "O_PATH": 0o10000000,
        "O_TMPFILE": 0o20000000 | bits(O_DIRECTORY),
        "RESOLVE_NO_XDEV": 0x01, "RESOLVE_NO_MAGICLINKS": 0x02, "RESOLVE_NO_SYMLINKS": 0x04, "RESOLVE_BENEATH": 0x08,
        "RESOLVE_IN_ROOT": 0x10, "RESOLVE_CACHED": 0x20,
        "POLLMSG": 0x400, "POLLRDHUP": 0x2000,
        "EPOLLIN": 0x001, "EPOLLPRI": 0x002, "EPOLLOUT": 0x004, "EPOLLERR": 0x008, "EPOLLHUP": 0x010,
        "EPOLLRDNORM": 0x040, "EPOLLRDBAND": 0x080, "EPOLLWRNORM": 0x100, "EPOLLWRBAND": 0x200, "EPOLLMSG": 0x400,
        "EPOLLRDHUP": 0x2000, "EPOLLEXCLUSIVE": 1 << 28, "EPOLLWAKEUP": 1 << 29, "EPOLLONESHOT": 1 << 30,
        "EPOLLET": 1 << 31,
        "EPOLL_CTL_ADD": 1, "EPOLL_CTL_DEL": 2, "EPOLL_CTL_MOD": 3,
        "AT_NO_AUTOMOUNT": 0x800, "AT_EMPTY_PATH": 0x1000, "AT_STATX_SYNC_AS_STAT": 0, "AT_STATX_FORCE_SYNC": 0x2000,
        "AT_STATX_DONT_SYNC": 0x4000,
        "RENAME_NOREPLACE": 1, "RENAME_EXCHANGE": 2, "RENAME_WHITEOUT": 4,
        "SOL_UDP": 17,
        "FALLOC_FL_KEEP_SIZE": 0x01, "FALLOC_FL_PUNCH_HOLE": 0x02, "FALLOC_FL_NO_HIDE_STALE": 0x04,
        "FALLOC_FL_COLLAPSE_RANGE": 0x08, "FALLOC_FL_ZERO_RANGE": 0x10, "FALLOC_FL_INSERT_RANGE": 0x20,
        "FALLOC_FL_UNSHARE_RANGE": 0x40,
        "STATX_TYPE": 0x1, "STATX_MODE": 0x2, "STATX_NLINK": 0x4, "STATX_UID": 0x8, "STATX_GID": 0x10,
        "STATX_ATIME": 0x20, "STATX_MTIME": 0x40, "STATX_CTIME": 0x80, "STATX_INO": 0x100, "STATX_SIZE": 0x200,
        "STATX_BLOCKS": 0x400, "STATX_BASIC_STATS": 0x7ff, "STATX_BTIME": 0x800, "STATX_MNT_ID": 0x1000,
        "STATX_DIOALIGN": 0x2000, "STATX_ALL": 0xfff,
        "SPLICE_F_MOVE": 1, "SPLICE_F_NONBLOCK": 2, "SPLICE_F_MORE": 4, "SPLICE_F_GIFT": 8,
        "RWF_HIPRI": 0x01, "RWF_DSYNC": 0x02, "RWF_SYNC": 0x04, "RWF_NOWAIT": 0x08, "RWF_APPEND": 0x10,
        "RWF_NOAPPEND": 0x20, "RWF_ATOMIC": 0x40, "RWF_DONTCACHE": 0x80,
        "SYNC_FILE_RANGE_WAIT_BEFORE": 1, "SYNC_FILE_RANGE_WRITE": 2, "SYNC_FILE_RANGE_WAIT_AFTER": 4,
        "EFD_SEMAPHORE": 1, "EFD_NONBLOCK": bits(O_NONBLOCK), "EFD_CLOEXEC": bits(O_CLOEXEC),
        "MADV_NORMAL": 0, "MADV_RANDOM": 1, "MADV_SEQUENTIAL": 2, "MADV_WILLNEED": 3, "MADV_DONTNEED": 4, "MADV_FREE": 8,
        "MADV_REMOVE": 9, "MADV_DONTFORK": 10, "MADV_DOFORK": 11, "MADV_MERGEABLE": 12, "MADV_UNMERGEABLE": 13,
        "MADV_HUGEPAGE": 14, "MADV_NOHUGEPAGE": 15, "MADV_DONTDUMP": 16, "MADV_DODUMP": 17, "MADV_WIPEONFORK": 18,
        "MADV_KEEPONFORK": 19, "MADV_COLD": 20, "MADV_PAGEOUT": 21, "MADV_POPULATE_READ": 22, "MADV_POPULATE_WRITE": 23,
        "XATTR_CREATE": 1, "XATTR_REPLACE": 2,
        "FUTEX2_SIZE_U8": 0x00, "FUTEX2_SIZE_U16": 0x01, "FUTEX2_SIZE_U32": 0x02, "FUTEX2_SIZE_U64": 0x03,
        "FUTEX2_NUMA": 0x04, "FUTEX2_PRIVATE": 0x80,
    ]
}

/// The IoUring module's named flag tables as plain (name, value) pairs.
private enum IoUringNames {
    static let setupFlags = SetupFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
    static let features = Features.named.map { ($0.name, UInt64($0.feature.rawValue)) }
    static let completionFlags = CompletionFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
    static let submissionFlags = SubmissionFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
    static let sqRingFlags = SubmissionQueueFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
    static let enterFlags = EnterFlags.named.map { ($0.name, UInt64($0.flag.rawValue)) }
}
