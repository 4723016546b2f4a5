import CIoUring

/// Field layouts of kernel structures the kernel writes into scenario buffers, taken from the C headers
/// (`MemoryLayout.offset(of:)`), for struct views in post-conditions (`st: { statx: { stx_size: 11 } }`).
public enum KernelStructLayout {
    /// One field: its byte offset and width, and whether it is signed.
    public struct Field: Hashable, Sendable {
        public let name: String
        public let offset: Int
        public let size: Int
        public let isSigned: Bool
    }

    /// The struct names views know, with their size and fields.
    public static let structs: [String: (size: Int, fields: [Field])] = [
        "statx": (MemoryLayout<statx>.size, statxFields),
        "siginfo": (MemoryLayout<siginfo_t>.size, siginfoFields),
    ]

    private static func field<S, T: FixedWidthInteger>(_ name: String, _ path: KeyPath<S, T>) -> Field {
        Field(name: name, offset: MemoryLayout<S>.offset(of: path)!, size: MemoryLayout<T>.size, isSigned: T.isSigned)
    }

    /// `struct statx` (include/uapi/linux/stat.h), as IORING_OP_STATX writes it.
    static let statxFields: [Field] = [
        field("stx_mask", \statx.stx_mask), field("stx_blksize", \statx.stx_blksize),
        field("stx_attributes", \statx.stx_attributes), field("stx_nlink", \statx.stx_nlink),
        field("stx_uid", \statx.stx_uid), field("stx_gid", \statx.stx_gid), field("stx_mode", \statx.stx_mode),
        field("stx_ino", \statx.stx_ino), field("stx_size", \statx.stx_size), field("stx_blocks", \statx.stx_blocks),
        field("stx_attributes_mask", \statx.stx_attributes_mask),
        field("stx_rdev_major", \statx.stx_rdev_major), field("stx_rdev_minor", \statx.stx_rdev_minor),
        field("stx_dev_major", \statx.stx_dev_major), field("stx_dev_minor", \statx.stx_dev_minor),
        field("stx_mnt_id", \statx.stx_mnt_id),
    ]

    /// `siginfo_t` as IORING_OP_WAITID fills it. Swift sees no offsets inside the `_sifields` union, so the
    /// SIGCHLD members are placed from the union's offset in their UAPI order (`int si_pid; uid_t si_uid;
    /// int si_status`, include/uapi/asm-generic/siginfo.h).
    static let siginfoFields: [Field] = {
        let union = MemoryLayout<siginfo_t>.offset(of: \siginfo_t._sifields) ?? 16
        return [
            field("si_signo", \siginfo_t.si_signo), field("si_errno", \siginfo_t.si_errno), field("si_code", \siginfo_t.si_code),
            Field(name: "si_pid", offset: union, size: MemoryLayout<pid_t>.size, isSigned: true),
            Field(name: "si_uid", offset: union + MemoryLayout<pid_t>.size, size: MemoryLayout<uid_t>.size, isSigned: false),
            Field(name: "si_status", offset: union + MemoryLayout<pid_t>.size + MemoryLayout<uid_t>.size, size: MemoryLayout<Int32>.size, isSigned: true),
        ]
    }()
}
