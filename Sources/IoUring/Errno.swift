// Linux errno names and messages (asm-generic/errno-base.h and errno.h), generated once from the
// system's table so that scenario files and reports can say `-ECANCELED` rather than -125.

/// A Linux error number with its symbolic name, as `io_uring` reports it negated in `cqe.res`.
public struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The symbolic name (`EBADF`), or `E<number>` for numbers Linux does not define.
    public var name: String { Errno.table[rawValue]?.name ?? "E\(rawValue)" }
    /// The C library's message for this error.
    public var message: String { Errno.table[rawValue]?.message ?? "Unknown error \(rawValue)" }
    public var description: String { name }

    /// Looks an error up by symbolic name, aliases included (`EWOULDBLOCK` is `EAGAIN`).
    public init?(name: String) {
        guard let value = Errno.byName[name] else { return nil }
        self.rawValue = value
    }

    /// Every defined error, in numeric order, under its canonical name.
    public static var all: [Errno] { table.keys.sorted().map(Errno.init(rawValue:)) }
    /// Every accepted name, aliases included.
    public static var allNames: [String] { byName.keys.sorted() }

    public static let EPERM = Errno(rawValue: 1)
    public static let ENOENT = Errno(rawValue: 2)
    public static let ESRCH = Errno(rawValue: 3)
    public static let EINTR = Errno(rawValue: 4)
    public static let EIO = Errno(rawValue: 5)
    public static let ENXIO = Errno(rawValue: 6)
    public static let E2BIG = Errno(rawValue: 7)
    public static let ENOEXEC = Errno(rawValue: 8)
    public static let EBADF = Errno(rawValue: 9)
    public static let ECHILD = Errno(rawValue: 10)
    public static let EAGAIN = Errno(rawValue: 11)
    public static let ENOMEM = Errno(rawValue: 12)
    public static let EACCES = Errno(rawValue: 13)
    public static let EFAULT = Errno(rawValue: 14)
    public static let ENOTBLK = Errno(rawValue: 15)
    public static let EBUSY = Errno(rawValue: 16)
    public static let EEXIST = Errno(rawValue: 17)
    public static let EXDEV = Errno(rawValue: 18)
    public static let ENODEV = Errno(rawValue: 19)
    public static let ENOTDIR = Errno(rawValue: 20)
    public static let EISDIR = Errno(rawValue: 21)
    public static let EINVAL = Errno(rawValue: 22)
    public static let ENFILE = Errno(rawValue: 23)
    public static let EMFILE = Errno(rawValue: 24)
    public static let ENOTTY = Errno(rawValue: 25)
    public static let ETXTBSY = Errno(rawValue: 26)
    public static let EFBIG = Errno(rawValue: 27)
    public static let ENOSPC = Errno(rawValue: 28)
    public static let ESPIPE = Errno(rawValue: 29)
    public static let EROFS = Errno(rawValue: 30)
    public static let EMLINK = Errno(rawValue: 31)
    public static let EPIPE = Errno(rawValue: 32)
    public static let EDOM = Errno(rawValue: 33)
    public static let ERANGE = Errno(rawValue: 34)
    public static let EDEADLK = Errno(rawValue: 35)
    public static let ENAMETOOLONG = Errno(rawValue: 36)
    public static let ENOLCK = Errno(rawValue: 37)
    public static let ENOSYS = Errno(rawValue: 38)
    public static let ENOTEMPTY = Errno(rawValue: 39)
    public static let ELOOP = Errno(rawValue: 40)
    public static let ENOMSG = Errno(rawValue: 42)
    public static let EIDRM = Errno(rawValue: 43)
    public static let ECHRNG = Errno(rawValue: 44)
    public static let EL2NSYNC = Errno(rawValue: 45)
    public static let EL3HLT = Errno(rawValue: 46)
    public static let EL3RST = Errno(rawValue: 47)
    public static let ELNRNG = Errno(rawValue: 48)
    public static let EUNATCH = Errno(rawValue: 49)
    public static let ENOCSI = Errno(rawValue: 50)
    public static let EL2HLT = Errno(rawValue: 51)
    public static let EBADE = Errno(rawValue: 52)
    public static let EBADR = Errno(rawValue: 53)
    public static let EXFULL = Errno(rawValue: 54)
    public static let ENOANO = Errno(rawValue: 55)
    public static let EBADRQC = Errno(rawValue: 56)
    public static let EBADSLT = Errno(rawValue: 57)
    public static let EBFONT = Errno(rawValue: 59)
    public static let ENOSTR = Errno(rawValue: 60)
    public static let ENODATA = Errno(rawValue: 61)
    public static let ETIME = Errno(rawValue: 62)
    public static let ENOSR = Errno(rawValue: 63)
    public static let ENONET = Errno(rawValue: 64)
    public static let ENOPKG = Errno(rawValue: 65)
    public static let EREMOTE = Errno(rawValue: 66)
    public static let ENOLINK = Errno(rawValue: 67)
    public static let EADV = Errno(rawValue: 68)
    public static let ESRMNT = Errno(rawValue: 69)
    public static let ECOMM = Errno(rawValue: 70)
    public static let EPROTO = Errno(rawValue: 71)
    public static let EMULTIHOP = Errno(rawValue: 72)
    public static let EDOTDOT = Errno(rawValue: 73)
    public static let EBADMSG = Errno(rawValue: 74)
    public static let EOVERFLOW = Errno(rawValue: 75)
    public static let ENOTUNIQ = Errno(rawValue: 76)
    public static let EBADFD = Errno(rawValue: 77)
    public static let EREMCHG = Errno(rawValue: 78)
    public static let ELIBACC = Errno(rawValue: 79)
    public static let ELIBBAD = Errno(rawValue: 80)
    public static let ELIBSCN = Errno(rawValue: 81)
    public static let ELIBMAX = Errno(rawValue: 82)
    public static let ELIBEXEC = Errno(rawValue: 83)
    public static let EILSEQ = Errno(rawValue: 84)
    public static let ERESTART = Errno(rawValue: 85)
    public static let ESTRPIPE = Errno(rawValue: 86)
    public static let EUSERS = Errno(rawValue: 87)
    public static let ENOTSOCK = Errno(rawValue: 88)
    public static let EDESTADDRREQ = Errno(rawValue: 89)
    public static let EMSGSIZE = Errno(rawValue: 90)
    public static let EPROTOTYPE = Errno(rawValue: 91)
    public static let ENOPROTOOPT = Errno(rawValue: 92)
    public static let EPROTONOSUPPORT = Errno(rawValue: 93)
    public static let ESOCKTNOSUPPORT = Errno(rawValue: 94)
    public static let EOPNOTSUPP = Errno(rawValue: 95)
    public static let EPFNOSUPPORT = Errno(rawValue: 96)
    public static let EAFNOSUPPORT = Errno(rawValue: 97)
    public static let EADDRINUSE = Errno(rawValue: 98)
    public static let EADDRNOTAVAIL = Errno(rawValue: 99)
    public static let ENETDOWN = Errno(rawValue: 100)
    public static let ENETUNREACH = Errno(rawValue: 101)
    public static let ENETRESET = Errno(rawValue: 102)
    public static let ECONNABORTED = Errno(rawValue: 103)
    public static let ECONNRESET = Errno(rawValue: 104)
    public static let ENOBUFS = Errno(rawValue: 105)
    public static let EISCONN = Errno(rawValue: 106)
    public static let ENOTCONN = Errno(rawValue: 107)
    public static let ESHUTDOWN = Errno(rawValue: 108)
    public static let ETOOMANYREFS = Errno(rawValue: 109)
    public static let ETIMEDOUT = Errno(rawValue: 110)
    public static let ECONNREFUSED = Errno(rawValue: 111)
    public static let EHOSTDOWN = Errno(rawValue: 112)
    public static let EHOSTUNREACH = Errno(rawValue: 113)
    public static let EALREADY = Errno(rawValue: 114)
    public static let EINPROGRESS = Errno(rawValue: 115)
    public static let ESTALE = Errno(rawValue: 116)
    public static let EUCLEAN = Errno(rawValue: 117)
    public static let ENOTNAM = Errno(rawValue: 118)
    public static let ENAVAIL = Errno(rawValue: 119)
    public static let EISNAM = Errno(rawValue: 120)
    public static let EREMOTEIO = Errno(rawValue: 121)
    public static let EDQUOT = Errno(rawValue: 122)
    public static let ENOMEDIUM = Errno(rawValue: 123)
    public static let EMEDIUMTYPE = Errno(rawValue: 124)
    public static let ECANCELED = Errno(rawValue: 125)
    public static let ENOKEY = Errno(rawValue: 126)
    public static let EKEYEXPIRED = Errno(rawValue: 127)
    public static let EKEYREVOKED = Errno(rawValue: 128)
    public static let EKEYREJECTED = Errno(rawValue: 129)
    public static let EOWNERDEAD = Errno(rawValue: 130)
    public static let ENOTRECOVERABLE = Errno(rawValue: 131)
    public static let ERFKILL = Errno(rawValue: 132)
    public static let EHWPOISON = Errno(rawValue: 133)
    public static let ERESTARTSYS = Errno(rawValue: 512)

    private static let table: [Int32: (name: String, message: String)] = [
        1: ("EPERM", "Operation not permitted"),
        2: ("ENOENT", "No such file or directory"),
        3: ("ESRCH", "No such process"),
        4: ("EINTR", "Interrupted system call"),
        5: ("EIO", "Input/output error"),
        6: ("ENXIO", "No such device or address"),
        7: ("E2BIG", "Argument list too long"),
        8: ("ENOEXEC", "Exec format error"),
        9: ("EBADF", "Bad file descriptor"),
        10: ("ECHILD", "No child processes"),
        11: ("EAGAIN", "Resource temporarily unavailable"),
        12: ("ENOMEM", "Cannot allocate memory"),
        13: ("EACCES", "Permission denied"),
        14: ("EFAULT", "Bad address"),
        15: ("ENOTBLK", "Block device required"),
        16: ("EBUSY", "Device or resource busy"),
        17: ("EEXIST", "File exists"),
        18: ("EXDEV", "Invalid cross-device link"),
        19: ("ENODEV", "No such device"),
        20: ("ENOTDIR", "Not a directory"),
        21: ("EISDIR", "Is a directory"),
        22: ("EINVAL", "Invalid argument"),
        23: ("ENFILE", "Too many open files in system"),
        24: ("EMFILE", "Too many open files"),
        25: ("ENOTTY", "Inappropriate ioctl for device"),
        26: ("ETXTBSY", "Text file busy"),
        27: ("EFBIG", "File too large"),
        28: ("ENOSPC", "No space left on device"),
        29: ("ESPIPE", "Illegal seek"),
        30: ("EROFS", "Read-only file system"),
        31: ("EMLINK", "Too many links"),
        32: ("EPIPE", "Broken pipe"),
        33: ("EDOM", "Numerical argument out of domain"),
        34: ("ERANGE", "Numerical result out of range"),
        35: ("EDEADLK", "Resource deadlock avoided"),
        36: ("ENAMETOOLONG", "File name too long"),
        37: ("ENOLCK", "No locks available"),
        38: ("ENOSYS", "Function not implemented"),
        39: ("ENOTEMPTY", "Directory not empty"),
        40: ("ELOOP", "Too many levels of symbolic links"),
        42: ("ENOMSG", "No message of desired type"),
        43: ("EIDRM", "Identifier removed"),
        44: ("ECHRNG", "Channel number out of range"),
        45: ("EL2NSYNC", "Level 2 not synchronized"),
        46: ("EL3HLT", "Level 3 halted"),
        47: ("EL3RST", "Level 3 reset"),
        48: ("ELNRNG", "Link number out of range"),
        49: ("EUNATCH", "Protocol driver not attached"),
        50: ("ENOCSI", "No CSI structure available"),
        51: ("EL2HLT", "Level 2 halted"),
        52: ("EBADE", "Invalid exchange"),
        53: ("EBADR", "Invalid request descriptor"),
        54: ("EXFULL", "Exchange full"),
        55: ("ENOANO", "No anode"),
        56: ("EBADRQC", "Invalid request code"),
        57: ("EBADSLT", "Invalid slot"),
        59: ("EBFONT", "Bad font file format"),
        60: ("ENOSTR", "Device not a stream"),
        61: ("ENODATA", "No data available"),
        62: ("ETIME", "Timer expired"),
        63: ("ENOSR", "Out of streams resources"),
        64: ("ENONET", "Machine is not on the network"),
        65: ("ENOPKG", "Package not installed"),
        66: ("EREMOTE", "Object is remote"),
        67: ("ENOLINK", "Link has been severed"),
        68: ("EADV", "Advertise error"),
        69: ("ESRMNT", "Srmount error"),
        70: ("ECOMM", "Communication error on send"),
        71: ("EPROTO", "Protocol error"),
        72: ("EMULTIHOP", "Multihop attempted"),
        73: ("EDOTDOT", "RFS specific error"),
        74: ("EBADMSG", "Bad message"),
        75: ("EOVERFLOW", "Value too large for defined data type"),
        76: ("ENOTUNIQ", "Name not unique on network"),
        77: ("EBADFD", "File descriptor in bad state"),
        78: ("EREMCHG", "Remote address changed"),
        79: ("ELIBACC", "Can not access a needed shared library"),
        80: ("ELIBBAD", "Accessing a corrupted shared library"),
        81: ("ELIBSCN", ".lib section in a.out corrupted"),
        82: ("ELIBMAX", "Attempting to link in too many shared libraries"),
        83: ("ELIBEXEC", "Cannot exec a shared library directly"),
        84: ("EILSEQ", "Invalid or incomplete multibyte or wide character"),
        85: ("ERESTART", "Interrupted system call should be restarted"),
        86: ("ESTRPIPE", "Streams pipe error"),
        87: ("EUSERS", "Too many users"),
        88: ("ENOTSOCK", "Socket operation on non-socket"),
        89: ("EDESTADDRREQ", "Destination address required"),
        90: ("EMSGSIZE", "Message too long"),
        91: ("EPROTOTYPE", "Protocol wrong type for socket"),
        92: ("ENOPROTOOPT", "Protocol not available"),
        93: ("EPROTONOSUPPORT", "Protocol not supported"),
        94: ("ESOCKTNOSUPPORT", "Socket type not supported"),
        95: ("EOPNOTSUPP", "Operation not supported"),
        96: ("EPFNOSUPPORT", "Protocol family not supported"),
        97: ("EAFNOSUPPORT", "Address family not supported by protocol"),
        98: ("EADDRINUSE", "Address already in use"),
        99: ("EADDRNOTAVAIL", "Cannot assign requested address"),
        100: ("ENETDOWN", "Network is down"),
        101: ("ENETUNREACH", "Network is unreachable"),
        102: ("ENETRESET", "Network dropped connection on reset"),
        103: ("ECONNABORTED", "Software caused connection abort"),
        104: ("ECONNRESET", "Connection reset by peer"),
        105: ("ENOBUFS", "No buffer space available"),
        106: ("EISCONN", "Transport endpoint is already connected"),
        107: ("ENOTCONN", "Transport endpoint is not connected"),
        108: ("ESHUTDOWN", "Cannot send after transport endpoint shutdown"),
        109: ("ETOOMANYREFS", "Too many references: cannot splice"),
        110: ("ETIMEDOUT", "Connection timed out"),
        111: ("ECONNREFUSED", "Connection refused"),
        112: ("EHOSTDOWN", "Host is down"),
        113: ("EHOSTUNREACH", "No route to host"),
        114: ("EALREADY", "Operation already in progress"),
        115: ("EINPROGRESS", "Operation now in progress"),
        116: ("ESTALE", "Stale file handle"),
        117: ("EUCLEAN", "Structure needs cleaning"),
        118: ("ENOTNAM", "Not a XENIX named type file"),
        119: ("ENAVAIL", "No XENIX semaphores available"),
        120: ("EISNAM", "Is a named type file"),
        121: ("EREMOTEIO", "Remote I/O error"),
        122: ("EDQUOT", "Disk quota exceeded"),
        123: ("ENOMEDIUM", "No medium found"),
        124: ("EMEDIUMTYPE", "Wrong medium type"),
        125: ("ECANCELED", "Operation canceled"),
        126: ("ENOKEY", "Required key not available"),
        127: ("EKEYEXPIRED", "Key has expired"),
        128: ("EKEYREVOKED", "Key has been revoked"),
        129: ("EKEYREJECTED", "Key was rejected by service"),
        130: ("EOWNERDEAD", "Owner died"),
        131: ("ENOTRECOVERABLE", "State not recoverable"),
        132: ("ERFKILL", "Operation not possible due to RF-kill"),
        133: ("EHWPOISON", "Memory page has hardware error"),
        // The kernel's internal codes (include/linux/errno.h). They are not meant to reach user space, but
        // some io_uring paths post them unconverted (an interrupted splice in io-wq posts -ERESTARTSYS),
        // so scenarios and reports name them too.
        512: ("ERESTARTSYS", "Restart the system call (kernel-internal)"),
        513: ("ERESTARTNOINTR", "Restart the system call, no interrupt (kernel-internal)"),
        514: ("ERESTARTNOHAND", "Restart if no signal handler (kernel-internal)"),
        515: ("ENOIOCTLCMD", "No ioctl command (kernel-internal)"),
        516: ("ERESTART_RESTARTBLOCK", "Restart by calling sys_restart_syscall (kernel-internal)"),
        517: ("EPROBE_DEFER", "Driver requests probe retry (kernel-internal)"),
        518: ("EOPENSTALE", "Open found a stale dentry (kernel-internal)"),
        519: ("ENOPARAM", "Parameter not supported (kernel-internal)"),
        521: ("EBADHANDLE", "Illegal NFS file handle (kernel-internal)"),
        522: ("ENOTSYNC", "Update synchronization mismatch (kernel-internal)"),
        523: ("EBADCOOKIE", "Cookie is stale (kernel-internal)"),
        524: ("ENOTSUPP", "Operation is not supported (kernel-internal)"),
        525: ("ETOOSMALL", "Buffer or request is too small (kernel-internal)"),
        526: ("ESERVERFAULT", "An untranslatable error occurred (kernel-internal)"),
        527: ("EBADTYPE", "Type not supported by server (kernel-internal)"),
        528: ("EJUKEBOX", "Request initiated, but will not complete before timeout (kernel-internal)"),
        529: ("EIOCBQUEUED", "iocb queued, will get completion event (kernel-internal)"),
        530: ("ERECALLCONFLICT", "Conflict with recalled state (kernel-internal)"),
    ]

    private static let byName: [String: Int32] = {
        var names: [String: Int32] = [:]
        for (value, entry) in table { names[entry.name] = value }
        names["EWOULDBLOCK"] = 11
        names["EDEADLOCK"] = 35
        names["ENOTSUP"] = 95
        return names
    }()
}
