/// An SQE opcode, the kernel's `IORING_OP_*`, numbered as in Linux 6.18 (the last is IORING_OP_PIPE).
public enum Opcode: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case nop = 0
    case readv = 1
    case writev = 2
    case fsync = 3
    case readFixed = 4
    case writeFixed = 5
    case pollAdd = 6
    case pollRemove = 7
    case syncFileRange = 8
    case sendmsg = 9
    case recvmsg = 10
    case timeout = 11
    case timeoutRemove = 12
    case accept = 13
    case asyncCancel = 14
    case linkTimeout = 15
    case connect = 16
    case fallocate = 17
    case openat = 18
    case close = 19
    case filesUpdate = 20
    case statx = 21
    case read = 22
    case write = 23
    case fadvise = 24
    case madvise = 25
    case send = 26
    case recv = 27
    case openat2 = 28
    case epollCtl = 29
    case splice = 30
    case provideBuffers = 31
    case removeBuffers = 32
    case tee = 33
    case shutdown = 34
    case renameat = 35
    case unlinkat = 36
    case mkdirat = 37
    case symlinkat = 38
    case linkat = 39
    case msgRing = 40
    case fsetxattr = 41
    case setxattr = 42
    case fgetxattr = 43
    case getxattr = 44
    case socket = 45
    case uringCmd = 46
    case sendZC = 47
    case sendmsgZC = 48
    case readMultishot = 49
    case waitid = 50
    case futexWait = 51
    case futexWake = 52
    case futexWaitv = 53
    case fixedFDInstall = 54
    case ftruncate = 55
    case bind = 56
    case listen = 57
    case recvZC = 58
    case epollWait = 59
    case readvFixed = 60
    case writevFixed = 61
    case pipe = 62

    /// The kernel's name, `IORING_OP_READ`.
    public var kernelName: String { "IORING_OP_" + Opcode.kernelSuffixes[Int(rawValue)] }
    public var description: String { kernelName }

    /// Looks an opcode up by its kernel name, with or without the `IORING_OP_` prefix.
    public init?(kernelName: String) {
        let upper = kernelName.uppercased()
        let suffix = upper.hasPrefix("IORING_OP_") ? String(upper.dropFirst(10)) : upper
        guard let index = Opcode.kernelSuffixes.firstIndex(of: suffix) else { return nil }
        self.init(rawValue: UInt8(index))
    }

    private static let kernelSuffixes: [String] = [
        "NOP",
        "READV",
        "WRITEV",
        "FSYNC",
        "READ_FIXED",
        "WRITE_FIXED",
        "POLL_ADD",
        "POLL_REMOVE",
        "SYNC_FILE_RANGE",
        "SENDMSG",
        "RECVMSG",
        "TIMEOUT",
        "TIMEOUT_REMOVE",
        "ACCEPT",
        "ASYNC_CANCEL",
        "LINK_TIMEOUT",
        "CONNECT",
        "FALLOCATE",
        "OPENAT",
        "CLOSE",
        "FILES_UPDATE",
        "STATX",
        "READ",
        "WRITE",
        "FADVISE",
        "MADVISE",
        "SEND",
        "RECV",
        "OPENAT2",
        "EPOLL_CTL",
        "SPLICE",
        "PROVIDE_BUFFERS",
        "REMOVE_BUFFERS",
        "TEE",
        "SHUTDOWN",
        "RENAMEAT",
        "UNLINKAT",
        "MKDIRAT",
        "SYMLINKAT",
        "LINKAT",
        "MSG_RING",
        "FSETXATTR",
        "SETXATTR",
        "FGETXATTR",
        "GETXATTR",
        "SOCKET",
        "URING_CMD",
        "SEND_ZC",
        "SENDMSG_ZC",
        "READ_MULTISHOT",
        "WAITID",
        "FUTEX_WAIT",
        "FUTEX_WAKE",
        "FUTEX_WAITV",
        "FIXED_FD_INSTALL",
        "FTRUNCATE",
        "BIND",
        "LISTEN",
        "RECV_ZC",
        "EPOLL_WAIT",
        "READV_FIXED",
        "WRITEV_FIXED",
        "PIPE",
    ]
}
