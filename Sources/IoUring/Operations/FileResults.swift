#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

/// Where a read puts its bytes, like `ReadBuffer` in Zig's IoUring.
public enum ReadTarget: Sendable {
    /// Read into one contiguous region: IORING_OP_READ, like read(2)/pread(2).
    case buffer(any BufferRegion)
    /// Read into several regions in order: IORING_OP_READV, like preadv(2). The iovec array is copied into
    /// the ring's arena and every buffer is retained until the request completes.
    case vectors([any BufferRegion])
    /// Let the kernel pick a buffer from provided-buffer group `group` (IOSQE_BUFFER_SELECT, `buf_group`)
    /// and read at most `length` bytes into it; the CQE carries the buffer id (IORING_CQE_F_BUFFER).
    case bufferSelection(group: UInt16, length: UInt32)
}

/// A slot of the registered file table that a direct-descriptor op (openat_direct…) installs its file in.
public enum FileSlot: Hashable, Sendable {
    /// This slot (0-based); the CQE's res is 0 on success.
    case index(UInt32)
    /// A free slot the kernel picks (IORING_FILE_INDEX_ALLOC), within the range set by
    /// `registerFileAllocRange`; the CQE's res is the slot it picked.
    case allocate

    /// The SQE's `file_index`: slot + 1 (0 means "not direct"), or IORING_FILE_INDEX_ALLOC.
    /// Matches __io_uring_set_target_fixed_file() in liburing.
    func sqeFileIndex() throws(IoUringError) -> UInt32 {
        switch self {
        case .allocate:
            return IORING_FILE_INDEX_ALLOC
        case .index(let slot):
            guard slot < IORING_FILE_INDEX_ALLOC - 1 else {
                throw .invalidArgument("file slot \(slot) is too large (slot + 1 must stay below IORING_FILE_INDEX_ALLOC)")
            }
            return slot + 1
        }
    }
}

/// Which children a waitid waits for: the kernel's `idtype_t` and id.
public enum WaitTarget: Hashable, Sendable {
    /// Any child (P_ALL).
    case all
    /// The child with this process id (P_PID).
    case pid(Int32)
    /// Any child in this process group (P_PGID; 0 means the caller's group).
    case processGroup(Int32)
    /// The child this pidfd refers to (P_PIDFD).
    case pidfd(Int32)

    var idTypeAndID: (idType: UInt32, id: Int32) {
        switch self {
        case .all: return (0, 0)
        case .pid(let pid): return (1, pid)
        case .processGroup(let group): return (2, group)
        case .pidfd(let fd): return (3, fd)
        }
    }
}

/// The `struct statx` that IORING_OP_STATX fills in. Allocate one, pass it to `statx`, and read it after
/// the CQE. The ring keeps it alive while the request runs.
public final class StatxResult: KernelMemory, @unchecked Sendable {
    /// The size of `struct statx` in the UAPI.
    static let structSize = 256

    public init() {
        super.init(byteCount: StatxResult.structSize, alignment: 8)
    }

    /// A file type, from the S_IFMT bits of `stx_mode`.
    public enum FileType: Hashable, Sendable {
        case fifo, characterDevice, directory, blockDevice, regular, symbolicLink, socket
        case unknown(UInt16)

        init(mode: UInt16) {
            switch mode & 0o170000 {
            case 0o010000: self = .fifo
            case 0o020000: self = .characterDevice
            case 0o040000: self = .directory
            case 0o060000: self = .blockDevice
            case 0o100000: self = .regular
            case 0o120000: self = .symbolicLink
            case 0o140000: self = .socket
            default: self = .unknown(mode & 0o170000)
            }
        }
    }

    /// A `struct statx_timestamp`.
    public struct Timestamp: Hashable, Sendable {
        public var seconds: Int64
        public var nanoseconds: UInt32
    }

    private func field<T>(_ offset: Int, _: T.Type) -> T { base.load(fromByteOffset: offset, as: T.self) }
    private func timestamp(_ offset: Int) -> Timestamp {
        Timestamp(seconds: field(offset, Int64.self), nanoseconds: field(offset + 8, UInt32.self))
    }

    /// `stx_mask`: which fields the kernel filled in (STATX_* bits).
    public var mask: UInt32 { field(0, UInt32.self) }
    /// `stx_blksize`: the preferred I/O block size.
    public var blksize: UInt32 { field(4, UInt32.self) }
    /// `stx_attributes` (STATX_ATTR_* bits).
    public var attributes: UInt64 { field(8, UInt64.self) }
    /// `stx_nlink`: the number of hard links.
    public var nlink: UInt32 { field(16, UInt32.self) }
    /// `stx_uid`.
    public var uid: UInt32 { field(20, UInt32.self) }
    /// `stx_gid`.
    public var gid: UInt32 { field(24, UInt32.self) }
    /// `stx_mode`: file type and permission bits.
    public var mode: UInt16 { field(28, UInt16.self) }
    /// The permission bits of `stx_mode` (mode & 0o7777).
    public var permissions: UInt16 { mode & 0o7777 }
    /// The file type from `stx_mode`.
    public var type: FileType { FileType(mode: mode) }
    /// `stx_ino`: the inode number.
    public var ino: UInt64 { field(32, UInt64.self) }
    /// `stx_size`: the size in bytes.
    public var size: UInt64 { field(40, UInt64.self) }
    /// `stx_blocks`: 512-byte blocks allocated.
    public var blocks: UInt64 { field(48, UInt64.self) }
    /// `stx_atime`: last access.
    public var atime: Timestamp { timestamp(64) }
    /// `stx_btime`: creation (when STATX_BTIME is in `mask`).
    public var btime: Timestamp { timestamp(80) }
    /// `stx_ctime`: last status change.
    public var ctime: Timestamp { timestamp(96) }
    /// `stx_mtime`: last modification.
    public var mtime: Timestamp { timestamp(112) }
    /// `stx_rdev_major`, `stx_rdev_minor`: the device this special file is.
    public var rdev: (major: UInt32, minor: UInt32) { (field(128, UInt32.self), field(132, UInt32.self)) }
    /// `stx_dev_major`, `stx_dev_minor`: the device the file lives on.
    public var dev: (major: UInt32, minor: UInt32) { (field(136, UInt32.self), field(140, UInt32.self)) }
}

/// The `siginfo_t` that IORING_OP_WAITID fills in. Allocate one, pass it to `waitid`, and read it after
/// the CQE. The ring keeps it alive while the request runs.
public final class WaitResult: KernelMemory, @unchecked Sendable {
    /// The size of `siginfo_t`.
    static let structSize = 128

    public init() {
        super.init(byteCount: WaitResult.structSize, alignment: 8)
    }

    // siginfo_t: si_signo, si_errno, si_code (3 × int), then the union at offset 16 on 64-bit targets
    // (8-byte aligned), whose SIGCHLD member starts with si_pid, si_uid, si_status.
    private static let unionOffset = MemoryLayout<Int>.size == 8 ? 16 : 12

    /// `si_signo`: SIGCHLD once a child was reaped, 0 if WNOHANG found none.
    public var signal: Int32 { base.load(fromByteOffset: 0, as: Int32.self) }
    /// `si_code`: CLD_EXITED (1), CLD_KILLED (2), CLD_DUMPED (3), CLD_TRAPPED (4), CLD_STOPPED (5), CLD_CONTINUED (6).
    public var code: Int32 { base.load(fromByteOffset: 8, as: Int32.self) }
    /// `si_pid`: the child's process id.
    public var pid: Int32 { base.load(fromByteOffset: WaitResult.unionOffset, as: Int32.self) }
    /// `si_uid`: the child's real user id.
    public var uid: UInt32 { base.load(fromByteOffset: WaitResult.unionOffset + 4, as: UInt32.self) }
    /// `si_status`: the exit status for CLD_EXITED, otherwise the signal.
    public var status: Int32 { base.load(fromByteOffset: WaitResult.unionOffset + 8, as: Int32.self) }
}
