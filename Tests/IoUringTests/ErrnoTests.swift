#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
@testable import IoUring

/// Errno names and messages come from glibc (strerrorname_np, strerrordesc_np) plus the kernel-internal table.
@Suite struct ErrnoTests {
    @Test func everyNameRoundTrips() {
        #expect(Errno.all.count > 130)
        for errno in Errno.all {
            #expect(Errno(name: errno.name) == errno, "\(errno.name) = \(errno.rawValue)")
            #expect(!errno.message.hasPrefix("Unknown error"), "\(errno.name) has no message")
        }
        for name in Errno.allNames {
            let errno = Errno(name: name)
            #expect(errno != nil && errno!.name.hasPrefix("E"), "\(name)")
        }
        #expect(Set(Errno.all.map(\.name)).count == Errno.all.count, "a name is given to two numbers")
    }

    @Test func knownValuesNamesAndMessages() {
        #expect(Errno.EINVAL.rawValue == 22 && Errno.EINVAL.name == "EINVAL" && Errno.EINVAL.message == "Invalid argument")
        #expect(Errno(name: "ECANCELED")?.rawValue == 125)
        #expect(Errno(rawValue: 125).message == "Operation canceled")
        #expect(Errno(rawValue: 133).name == "EHWPOISON")
        // Aliases are accepted and print under the canonical name.
        #expect(Errno(name: "EWOULDBLOCK") == .EAGAIN && Errno.EAGAIN.name == "EAGAIN")
        #expect(Errno(name: "ENOTSUP") == .EOPNOTSUPP && Errno(name: "EDEADLOCK") == .EDEADLK)
        // The kernel-internal codes glibc does not know, ENOGRACE (531) included.
        #expect(Errno(name: "ERESTARTSYS") == .ERESTARTSYS && Errno.ERESTARTSYS.rawValue == 512)
        #expect(Errno(rawValue: 524).name == "ENOTSUPP" && Errno(rawValue: 531).name == "ENOGRACE")
        #expect(Errno(rawValue: 512).message.contains("kernel-internal"))
        // Numbers nobody defines.
        #expect(Errno(rawValue: 4000).name == "E4000" && Errno(rawValue: 4000).message == "Unknown error 4000")
        #expect(Errno(rawValue: 41).name == "E41" && Errno(name: "E41") == nil)
        #expect(Errno(name: "EBOGUS") == nil)
    }

    @Test func theStaticConstantsAgreeWithTheirNames() {
        let constants: [(Errno, String)] = [(.EPERM, "EPERM"), (.ENOENT, "ENOENT"), (.EBADF, "EBADF"), (.EAGAIN, "EAGAIN"),
                                            (.EBUSY, "EBUSY"), (.EFAULT, "EFAULT"), (.ETIME, "ETIME"), (.EBADFD, "EBADFD"),
                                            (.ENOBUFS, "ENOBUFS"), (.EALREADY, "EALREADY"), (.ETIMEDOUT, "ETIMEDOUT"),
                                            (.ECANCELED, "ECANCELED"), (.EOPNOTSUPP, "EOPNOTSUPP"), (.EHWPOISON, "EHWPOISON")]
        for (errno, name) in constants { #expect(errno.name == name) }
    }

    /// glibc names every number Linux's asm-generic/errno*.h defines (1...133 but 41 and 58), and the table
    /// is exactly the kernel-internal range glibc lacks.
    @Test func glibcCoversTheUserSpaceRangeAndTheTableOnlyTheRest() {
        let named = Set(Errno.all.map(\.rawValue))
        #expect(named.isSuperset(of: Set(1...133).subtracting([41, 58])))
        for value in Errno.kernelInternal.keys { #expect(CIoUring_errno_name(value) == nil, "glibc knows \(value): drop it from the table") }
        #expect(named.subtracting(1...133) == Set(Errno.kernelInternal.keys))
    }
}
