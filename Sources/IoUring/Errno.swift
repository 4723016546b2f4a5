#if canImport(Glibc)
import Glibc
#endif
import CIoUring

/// A Linux error number with its symbolic name, as `io_uring` reports it negated in `cqe.res`.
///
/// Names and messages come from glibc (`strerrorname_np(3)`, `strerrordesc_np(3)`, glibc 2.32 and later);
/// `Errno.kernelInternal` adds the kernel's own codes that glibc does not know but a CQE can carry.
public struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The symbolic name (`EBADF`), or `E<number>` for numbers Linux does not define.
    public var name: String { Errno.knownName(rawValue) ?? "E\(rawValue)" }
    /// The C library's message for this error (the kernel's comment for a kernel-internal one).
    public var message: String {
        if let text = CIoUring_errno_description(rawValue) { return String(cString: text) }
        return Errno.kernelInternal[rawValue]?.message ?? "Unknown error \(rawValue)"
    }
    public var description: String { name }

    /// Looks an error up by symbolic name, aliases included (`EWOULDBLOCK` is `EAGAIN`).
    public init?(name: String) {
        guard let value = Errno.byName[name] else { return nil }
        self.rawValue = value
    }

    /// Every defined error, in numeric order, under its canonical name.
    public static var all: [Errno] { allValues.map(Errno.init(rawValue:)) }
    /// Every accepted name, aliases included.
    public static var allNames: [String] { byName.keys.sorted() }

    /// Error numbers are below 4096: the kernel's `MAX_ERRNO`, the range a negative `cqe.res` can take.
    static let range: ClosedRange<Int32> = 1...4095

    private static func knownName(_ value: Int32) -> String? {
        if let text = CIoUring_errno_name(value) { return String(cString: text) }
        return kernelInternal[value]?.name
    }

    private static let allValues: [Int32] = range.filter { knownName($0) != nil }

    private static let byName: [String: Int32] = {
        var names: [String: Int32] = [:]
        for value in allValues { if let name = knownName(value) { names[name] = value } }
        // The aliases <errno.h> defines as another name; strerrorname_np(3) gives only the canonical one.
        names["EWOULDBLOCK"] = Glibc.EWOULDBLOCK
        names["EDEADLOCK"] = Glibc.EDEADLOCK
        names["ENOTSUP"] = Glibc.ENOTSUP
        return names
    }()

    /// The kernel's internal codes (include/linux/errno.h), which glibc does not name. They are not meant to
    /// reach user space, but some io_uring paths post them unconverted (an interrupted splice in io-wq
    /// posts -ERESTARTSYS), so scenarios and reports name them too.
    static let kernelInternal: [Int32: (name: String, message: String)] = [
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
        531: ("ENOGRACE", "NFS file lock reclaim refused (kernel-internal)"),
    ]

    // The values <errno.h> defines, by name, for code that means one (`.ECANCELED`).
    public static let EPERM = Errno(rawValue: Glibc.EPERM)
    public static let ENOENT = Errno(rawValue: Glibc.ENOENT)
    public static let ESRCH = Errno(rawValue: Glibc.ESRCH)
    public static let EINTR = Errno(rawValue: Glibc.EINTR)
    public static let EIO = Errno(rawValue: Glibc.EIO)
    public static let ENXIO = Errno(rawValue: Glibc.ENXIO)
    public static let E2BIG = Errno(rawValue: Glibc.E2BIG)
    public static let ENOEXEC = Errno(rawValue: Glibc.ENOEXEC)
    public static let EBADF = Errno(rawValue: Glibc.EBADF)
    public static let ECHILD = Errno(rawValue: Glibc.ECHILD)
    public static let EAGAIN = Errno(rawValue: Glibc.EAGAIN)
    public static let ENOMEM = Errno(rawValue: Glibc.ENOMEM)
    public static let EACCES = Errno(rawValue: Glibc.EACCES)
    public static let EFAULT = Errno(rawValue: Glibc.EFAULT)
    public static let ENOTBLK = Errno(rawValue: Glibc.ENOTBLK)
    public static let EBUSY = Errno(rawValue: Glibc.EBUSY)
    public static let EEXIST = Errno(rawValue: Glibc.EEXIST)
    public static let EXDEV = Errno(rawValue: Glibc.EXDEV)
    public static let ENODEV = Errno(rawValue: Glibc.ENODEV)
    public static let ENOTDIR = Errno(rawValue: Glibc.ENOTDIR)
    public static let EISDIR = Errno(rawValue: Glibc.EISDIR)
    public static let EINVAL = Errno(rawValue: Glibc.EINVAL)
    public static let ENFILE = Errno(rawValue: Glibc.ENFILE)
    public static let EMFILE = Errno(rawValue: Glibc.EMFILE)
    public static let ENOTTY = Errno(rawValue: Glibc.ENOTTY)
    public static let ETXTBSY = Errno(rawValue: Glibc.ETXTBSY)
    public static let EFBIG = Errno(rawValue: Glibc.EFBIG)
    public static let ENOSPC = Errno(rawValue: Glibc.ENOSPC)
    public static let ESPIPE = Errno(rawValue: Glibc.ESPIPE)
    public static let EROFS = Errno(rawValue: Glibc.EROFS)
    public static let EMLINK = Errno(rawValue: Glibc.EMLINK)
    public static let EPIPE = Errno(rawValue: Glibc.EPIPE)
    public static let EDOM = Errno(rawValue: Glibc.EDOM)
    public static let ERANGE = Errno(rawValue: Glibc.ERANGE)
    public static let EDEADLK = Errno(rawValue: Glibc.EDEADLK)
    public static let ENAMETOOLONG = Errno(rawValue: Glibc.ENAMETOOLONG)
    public static let ENOLCK = Errno(rawValue: Glibc.ENOLCK)
    public static let ENOSYS = Errno(rawValue: Glibc.ENOSYS)
    public static let ENOTEMPTY = Errno(rawValue: Glibc.ENOTEMPTY)
    public static let ELOOP = Errno(rawValue: Glibc.ELOOP)
    public static let ENOMSG = Errno(rawValue: Glibc.ENOMSG)
    public static let EIDRM = Errno(rawValue: Glibc.EIDRM)
    public static let ECHRNG = Errno(rawValue: Glibc.ECHRNG)
    public static let EL2NSYNC = Errno(rawValue: Glibc.EL2NSYNC)
    public static let EL3HLT = Errno(rawValue: Glibc.EL3HLT)
    public static let EL3RST = Errno(rawValue: Glibc.EL3RST)
    public static let ELNRNG = Errno(rawValue: Glibc.ELNRNG)
    public static let EUNATCH = Errno(rawValue: Glibc.EUNATCH)
    public static let ENOCSI = Errno(rawValue: Glibc.ENOCSI)
    public static let EL2HLT = Errno(rawValue: Glibc.EL2HLT)
    public static let EBADE = Errno(rawValue: Glibc.EBADE)
    public static let EBADR = Errno(rawValue: Glibc.EBADR)
    public static let EXFULL = Errno(rawValue: Glibc.EXFULL)
    public static let ENOANO = Errno(rawValue: Glibc.ENOANO)
    public static let EBADRQC = Errno(rawValue: Glibc.EBADRQC)
    public static let EBADSLT = Errno(rawValue: Glibc.EBADSLT)
    public static let EBFONT = Errno(rawValue: Glibc.EBFONT)
    public static let ENOSTR = Errno(rawValue: Glibc.ENOSTR)
    public static let ENODATA = Errno(rawValue: Glibc.ENODATA)
    public static let ETIME = Errno(rawValue: Glibc.ETIME)
    public static let ENOSR = Errno(rawValue: Glibc.ENOSR)
    public static let ENONET = Errno(rawValue: Glibc.ENONET)
    public static let ENOPKG = Errno(rawValue: Glibc.ENOPKG)
    public static let EREMOTE = Errno(rawValue: Glibc.EREMOTE)
    public static let ENOLINK = Errno(rawValue: Glibc.ENOLINK)
    public static let EADV = Errno(rawValue: Glibc.EADV)
    public static let ESRMNT = Errno(rawValue: Glibc.ESRMNT)
    public static let ECOMM = Errno(rawValue: Glibc.ECOMM)
    public static let EPROTO = Errno(rawValue: Glibc.EPROTO)
    public static let EMULTIHOP = Errno(rawValue: Glibc.EMULTIHOP)
    public static let EDOTDOT = Errno(rawValue: Glibc.EDOTDOT)
    public static let EBADMSG = Errno(rawValue: Glibc.EBADMSG)
    public static let EOVERFLOW = Errno(rawValue: Glibc.EOVERFLOW)
    public static let ENOTUNIQ = Errno(rawValue: Glibc.ENOTUNIQ)
    public static let EBADFD = Errno(rawValue: Glibc.EBADFD)
    public static let EREMCHG = Errno(rawValue: Glibc.EREMCHG)
    public static let ELIBACC = Errno(rawValue: Glibc.ELIBACC)
    public static let ELIBBAD = Errno(rawValue: Glibc.ELIBBAD)
    public static let ELIBSCN = Errno(rawValue: Glibc.ELIBSCN)
    public static let ELIBMAX = Errno(rawValue: Glibc.ELIBMAX)
    public static let ELIBEXEC = Errno(rawValue: Glibc.ELIBEXEC)
    public static let EILSEQ = Errno(rawValue: Glibc.EILSEQ)
    public static let ERESTART = Errno(rawValue: Glibc.ERESTART)
    public static let ESTRPIPE = Errno(rawValue: Glibc.ESTRPIPE)
    public static let EUSERS = Errno(rawValue: Glibc.EUSERS)
    public static let ENOTSOCK = Errno(rawValue: Glibc.ENOTSOCK)
    public static let EDESTADDRREQ = Errno(rawValue: Glibc.EDESTADDRREQ)
    public static let EMSGSIZE = Errno(rawValue: Glibc.EMSGSIZE)
    public static let EPROTOTYPE = Errno(rawValue: Glibc.EPROTOTYPE)
    public static let ENOPROTOOPT = Errno(rawValue: Glibc.ENOPROTOOPT)
    public static let EPROTONOSUPPORT = Errno(rawValue: Glibc.EPROTONOSUPPORT)
    public static let ESOCKTNOSUPPORT = Errno(rawValue: Glibc.ESOCKTNOSUPPORT)
    public static let EOPNOTSUPP = Errno(rawValue: Glibc.EOPNOTSUPP)
    public static let EPFNOSUPPORT = Errno(rawValue: Glibc.EPFNOSUPPORT)
    public static let EAFNOSUPPORT = Errno(rawValue: Glibc.EAFNOSUPPORT)
    public static let EADDRINUSE = Errno(rawValue: Glibc.EADDRINUSE)
    public static let EADDRNOTAVAIL = Errno(rawValue: Glibc.EADDRNOTAVAIL)
    public static let ENETDOWN = Errno(rawValue: Glibc.ENETDOWN)
    public static let ENETUNREACH = Errno(rawValue: Glibc.ENETUNREACH)
    public static let ENETRESET = Errno(rawValue: Glibc.ENETRESET)
    public static let ECONNABORTED = Errno(rawValue: Glibc.ECONNABORTED)
    public static let ECONNRESET = Errno(rawValue: Glibc.ECONNRESET)
    public static let ENOBUFS = Errno(rawValue: Glibc.ENOBUFS)
    public static let EISCONN = Errno(rawValue: Glibc.EISCONN)
    public static let ENOTCONN = Errno(rawValue: Glibc.ENOTCONN)
    public static let ESHUTDOWN = Errno(rawValue: Glibc.ESHUTDOWN)
    public static let ETOOMANYREFS = Errno(rawValue: Glibc.ETOOMANYREFS)
    public static let ETIMEDOUT = Errno(rawValue: Glibc.ETIMEDOUT)
    public static let ECONNREFUSED = Errno(rawValue: Glibc.ECONNREFUSED)
    public static let EHOSTDOWN = Errno(rawValue: Glibc.EHOSTDOWN)
    public static let EHOSTUNREACH = Errno(rawValue: Glibc.EHOSTUNREACH)
    public static let EALREADY = Errno(rawValue: Glibc.EALREADY)
    public static let EINPROGRESS = Errno(rawValue: Glibc.EINPROGRESS)
    public static let ESTALE = Errno(rawValue: Glibc.ESTALE)
    public static let EUCLEAN = Errno(rawValue: Glibc.EUCLEAN)
    public static let ENOTNAM = Errno(rawValue: Glibc.ENOTNAM)
    public static let ENAVAIL = Errno(rawValue: Glibc.ENAVAIL)
    public static let EISNAM = Errno(rawValue: Glibc.EISNAM)
    public static let EREMOTEIO = Errno(rawValue: Glibc.EREMOTEIO)
    public static let EDQUOT = Errno(rawValue: Glibc.EDQUOT)
    public static let ENOMEDIUM = Errno(rawValue: Glibc.ENOMEDIUM)
    public static let EMEDIUMTYPE = Errno(rawValue: Glibc.EMEDIUMTYPE)
    public static let ECANCELED = Errno(rawValue: Glibc.ECANCELED)
    public static let ENOKEY = Errno(rawValue: Glibc.ENOKEY)
    public static let EKEYEXPIRED = Errno(rawValue: Glibc.EKEYEXPIRED)
    public static let EKEYREVOKED = Errno(rawValue: Glibc.EKEYREVOKED)
    public static let EKEYREJECTED = Errno(rawValue: Glibc.EKEYREJECTED)
    public static let EOWNERDEAD = Errno(rawValue: Glibc.EOWNERDEAD)
    public static let ENOTRECOVERABLE = Errno(rawValue: Glibc.ENOTRECOVERABLE)
    public static let ERFKILL = Errno(rawValue: Glibc.ERFKILL)
    public static let EHWPOISON = Errno(rawValue: Glibc.EHWPOISON)
    /// Kernel-internal (include/linux/errno.h): an interrupted request that io-wq posts unconverted.
    public static let ERESTARTSYS = Errno(rawValue: 512)
}
