#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

// The ops of Linux 6.0–6.18 that had no typed call: futexes, MSG_RING, PIPE, vectored fixed-buffer
// reads and writes, extended attributes, madvise and zero-copy receive. Fields are filled exactly as
// liburing's io_uring_prep_* helper named in each doc comment fills them.

/// Flags of a futex2 word (the SQE's `fd` for IORING_OP_FUTEX_WAIT / WAKE, `flags` of a `futex_waitv`):
/// the kernel's `FUTEX2_*`.
public struct Futex2Flags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// FUTEX2_SIZE_U8.
    public static let sizeU8 = Futex2Flags([])
    /// FUTEX2_SIZE_U16.
    public static let sizeU16 = Futex2Flags(rawValue: 0x01)
    /// FUTEX2_SIZE_U32: a 32-bit futex word, the only size Linux 6.18 accepts.
    public static let sizeU32 = Futex2Flags(rawValue: 0x02)
    /// FUTEX2_SIZE_U64.
    public static let sizeU64 = Futex2Flags(rawValue: 0x03)
    /// FUTEX2_NUMA.
    public static let numa = Futex2Flags(rawValue: 0x04)
    /// FUTEX2_PRIVATE: the word is private to this process (FUTEX_PRIVATE_FLAG).
    public static let `private` = Futex2Flags(rawValue: 0x80)
}

/// One futex of an IORING_OP_FUTEX_WAITV: the word, the value it must hold for the wait to sleep, and
/// its FUTEX2_* flags (`struct futex_waitv`).
public struct FutexWaitEntry: Sendable {
    public var word: IoBufferSlice
    public var expected: UInt64
    public var futexFlags: Futex2Flags

    public init(word: some BufferRegion, expected: UInt64, futexFlags: Futex2Flags = [.sizeU32, .private]) {
        self.word = word.region
        self.expected = expected
        self.futexFlags = futexFlags
    }
}

/// `struct futex_waitv` of include/uapi/linux/futex.h: 24 bytes, as Swift lays these fields out.
private struct FutexWaitvLayout {
    var value: UInt64
    var address: UInt64
    var flags: UInt32
    var reserved: UInt32 = 0
}

/// Where an IORING_OP_MSG_RING is sent: a ring's descriptor, or a registered file slot holding one.
public typealias MessageRingTarget = FileReference

extension IoUring {
    /// A number no other ring of this process has had or will have, for bookkeeping kept per ring
    /// outside it (descriptors a plain IORING_OP_PIPE created, closed once the ring is gone).
    public var identity: UInt64 { pinToken }

    // MARK: - Futexes

    /// The address of a futex word that must be 4 bytes inside `word` and 4-byte aligned.
    private mutating func futexWord(_ word: some BufferRegion) throws(IoUringError) -> UInt64 {
        let slice = word.region
        guard slice.count >= 4 else {
            throw .invalidArgument("a futex word needs 4 bytes, the region has \(slice.count)")
        }
        retain(slice.buffer)
        return slice.address
    }

    /// Queues a wait on the futex word at `word`: it sleeps while the word holds `expected` (in the bits of
    /// `mask`), completing with 0 when a wake reaches it, -EAGAIN at once when the word differs, or
    /// -ECANCELED when cancelled. `futexFlags` are FUTEX2_* (size and private); a `mask` of 0 is -EINVAL.
    /// The kernel opcode is IORING_OP_FUTEX_WAIT. Matches io_uring_prep_futex_wait() in liburing.
    public mutating func futexWait(userData: UInt64, word: some BufferRegion, expected: UInt64,
                                   mask: UInt64 = 0xffff_ffff, futexFlags: Futex2Flags = [.sizeU32, .private],
                                   flags: SubmissionFlags = []) throws(IoUringError) {
        let address = try futexWord(word)
        let sqe = try prepare(.futexWait, userData: userData, flags: flags, address: address, offset: expected)
        sqe.pointee.fd = Int32(bitPattern: futexFlags.rawValue)
        sqe.pointee.addr3 = mask
    }

    /// Queues a wake of at most `count` waiters on the futex word at `word` whose masks share a bit with
    /// `mask`. Completes with the number woken. The kernel opcode is IORING_OP_FUTEX_WAKE.
    /// Matches io_uring_prep_futex_wake() in liburing.
    public mutating func futexWake(userData: UInt64, word: some BufferRegion, count: UInt64,
                                   mask: UInt64 = 0xffff_ffff, futexFlags: Futex2Flags = [.sizeU32, .private],
                                   flags: SubmissionFlags = []) throws(IoUringError) {
        let address = try futexWord(word)
        let sqe = try prepare(.futexWake, userData: userData, flags: flags, address: address, offset: count)
        sqe.pointee.fd = Int32(bitPattern: futexFlags.rawValue)
        sqe.pointee.addr3 = mask
    }

    /// Queues a wait on several futex words at once (at most 128): it completes with the index of the
    /// entry that was woken, or -EAGAIN when a word already differs from its `expected`. The kernel reads
    /// the `struct futex_waitv` array at submission; the words stay alive until the CQE.
    /// The kernel opcode is IORING_OP_FUTEX_WAITV. Matches io_uring_prep_futex_waitv() in liburing.
    public mutating func futexWaitv(userData: UInt64, entries: [FutexWaitEntry],
                                    flags: SubmissionFlags = []) throws(IoUringError) {
        var vector: [FutexWaitvLayout] = []
        vector.reserveCapacity(entries.count)
        for entry in entries {
            let address = try futexWord(entry.word)
            vector.append(FutexWaitvLayout(value: entry.expected, address: address, flags: entry.futexFlags.rawValue))
        }
        let count = try IoUring.length(of: vector.count, "a futex_waitv array")
        let pointer = arena.store(contentsOf: vector)
        let sqe = try prepare(.futexWaitv, userData: userData, flags: flags, address: UInt64(UInt(bitPattern: pointer)),
                              length: count)
        sqe.pointee.fd = 0  // the kernel refuses any fd (no flags for waitv): -EINVAL

    }

    // MARK: - Messages between rings

    /// Queues a message to the ring `target` (IORING_MSG_DATA): the target ring gets a CQE with
    /// `cqeUserData` and res `data` that none of its requests posted; with `cqeFlags` the CQE carries
    /// those flags (IORING_MSG_RING_FLAGS_PASS). This request completes with 0 (-EOVERFLOW when the target's
    /// CQ is full, -EBADFD when `target` is no ring). A ring may message itself.
    /// The kernel opcode is IORING_OP_MSG_RING. Matches io_uring_prep_msg_ring() (and
    /// io_uring_prep_msg_ring_cqe_flags()) in liburing.
    public mutating func messageRing(userData: UInt64, target: MessageRingTarget, data: UInt32, cqeUserData: UInt64,
                                     cqeFlags: UInt32? = nil, flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.msgRing, userData: userData, flags: flags, file: target, address: UInt64(IORING_MSG_DATA),
                              length: data, offset: cqeUserData)
        if let cqeFlags {
            sqe.pointee.msg_ring_flags = IORING_MSG_RING_FLAGS_PASS
            sqe.pointee.file_index = cqeFlags
        }
    }

    /// Queues the passing of this ring's registered file `sourceSlot` into the file table of ring
    /// `target` (IORING_MSG_SEND_FD), at `targetSlot` or a free slot (`.allocate`). The target gets a
    /// CQE with `cqeUserData` and res the slot, unless `skipCQE` (IORING_MSG_RING_CQE_SKIP). A ring cannot
    /// send to itself: -EINVAL. The kernel opcode is IORING_OP_MSG_RING.
    /// Matches io_uring_prep_msg_ring_fd() (io_uring_prep_msg_ring_fd_alloc()) in liburing.
    public mutating func messageRingFile(userData: UInt64, target: MessageRingTarget, sourceSlot: UInt32,
                                         targetSlot: FileSlot, cqeUserData: UInt64, skipCQE: Bool = false,
                                         flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.msgRing, userData: userData, flags: flags, file: target,
                              address: UInt64(IORING_MSG_SEND_FD), offset: cqeUserData)
        sqe.pointee.addr3 = UInt64(sourceSlot)
        switch targetSlot {
        case .allocate: sqe.pointee.file_index = IORING_FILE_INDEX_ALLOC
        case .index(let slot): sqe.pointee.file_index = slot &+ 1
        }
        sqe.pointee.msg_ring_flags = skipCQE ? IORING_MSG_RING_CQE_SKIP : 0
    }

    // MARK: - Pipes

    /// Queues the creation of a pipe (pipe2(2) with `pipeFlags`: O_CLOEXEC, O_NONBLOCK, O_DIRECT). The CQE's
    /// res is 0 and the kernel writes the two descriptors (read end, write end) as `int[2]` into
    /// `descriptors` (8 bytes or more). With `slot` the ends go into registered file slots instead (a
    /// given slot: the read end there, the write end in the next one; `.allocate`: two free slots), and
    /// `descriptors` receives the slot numbers. Linux 6.16 and later.
    /// The kernel opcode is IORING_OP_PIPE. Matches io_uring_prep_pipe() (io_uring_prep_pipe_direct()) in
    /// liburing.
    public mutating func pipe(userData: UInt64, descriptors: some BufferRegion, pipeFlags: UInt32 = 0,
                              slot: FileSlot? = nil, flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = descriptors.region
        guard slice.count >= 8 else {
            throw .invalidArgument("IORING_OP_PIPE writes int[2]: 8 bytes, the region has \(slice.count)")
        }
        let sqe = try prepare(.pipe, userData: userData, flags: flags, address: slice.address)
        sqe.pointee.fd = 0
        sqe.pointee.pipe_flags = pipeFlags
        switch slot {
        case nil: break
        case .allocate?: sqe.pointee.file_index = IORING_FILE_INDEX_ALLOC
        case .index(let index)?: sqe.pointee.file_index = index &+ 1
        }
        retain(slice.buffer)
    }

    // MARK: - Vectored fixed-buffer reads and writes

    private mutating func queueFixedVectors(_ opcode: Opcode, userData: UInt64, file: FileReference,
                                            regions: [any BufferRegion], offset: UInt64, bufferIndex: UInt16,
                                            rwFlags: UInt32, flags: SubmissionFlags) throws(IoUringError) {
        for region in regions { try registeredRegion(region.region, bufferIndex: bufferIndex) }
        let vectors = try storeVectors(regions)
        let sqe = try prepare(opcode, userData: userData, flags: flags, file: file, address: vectors.address,
                              length: vectors.count, offset: offset)
        sqe.pointee.rw_flags = Int32(bitPattern: rwFlags)
        sqe.pointee.buf_index = bufferIndex
    }

    /// Queues a vectored read (preadv2(2)) into `regions`, which must all lie in the buffer registered at
    /// `bufferIndex`. `rwFlags` are RWF_*. Linux 6.15 and later.
    /// The kernel opcode is IORING_OP_READV_FIXED. Matches io_uring_prep_readv_fixed() in liburing.
    public mutating func readvFixed(userData: UInt64, file: FileReference, into regions: [any BufferRegion],
                                    offset: UInt64, bufferIndex: UInt16, rwFlags: UInt32 = 0,
                                    flags: SubmissionFlags = []) throws(IoUringError) {
        try queueFixedVectors(.readvFixed, userData: userData, file: file, regions: regions, offset: offset,
                              bufferIndex: bufferIndex, rwFlags: rwFlags, flags: flags)
    }

    /// Queues a vectored write (pwritev2(2)) from `regions`, which must all lie in the buffer registered
    /// at `bufferIndex`. Linux 6.15 and later.
    /// The kernel opcode is IORING_OP_WRITEV_FIXED. Matches io_uring_prep_writev_fixed() in liburing.
    public mutating func writevFixed(userData: UInt64, file: FileReference, from regions: [any BufferRegion],
                                     offset: UInt64, bufferIndex: UInt16, rwFlags: UInt32 = 0,
                                     flags: SubmissionFlags = []) throws(IoUringError) {
        try queueFixedVectors(.writevFixed, userData: userData, file: file, regions: regions, offset: offset,
                              bufferIndex: bufferIndex, rwFlags: rwFlags, flags: flags)
    }

    // MARK: - Extended attributes

    /// Queues an fgetxattr(2) of attribute `name` of `file` into `value`; res is the attribute's size
    /// (-ENODATA when it has none, -ERANGE when `value` is too small; an empty `value` asks for the size).
    /// The kernel opcode is IORING_OP_FGETXATTR. Matches io_uring_prep_fgetxattr() in liburing.
    public mutating func fgetxattr(userData: UInt64, file: FileReference, name: String, into value: some BufferRegion,
                                   flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareXattr(.fgetxattr, userData: userData, target: .file(file), name: name, value: value, flags: flags)
    }

    /// Queues a getxattr(2) of attribute `name` of `path` into `value`, as fgetxattr.
    /// The kernel opcode is IORING_OP_GETXATTR. Matches io_uring_prep_getxattr() in liburing.
    public mutating func getxattr(userData: UInt64, path: String, name: String, into value: some BufferRegion,
                                  flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareXattr(.getxattr, userData: userData, target: .path(path), name: name, value: value, flags: flags)
    }

    /// Queues an fsetxattr(2) of attribute `name` of `file` to the bytes of `value`; `xattrFlags` are
    /// XATTR_CREATE / XATTR_REPLACE. res is 0, -EEXIST / -ENODATA for those flags, -EOPNOTSUPP where the
    /// file system has no such attributes. The kernel opcode is IORING_OP_FSETXATTR.
    /// Matches io_uring_prep_fsetxattr() in liburing.
    public mutating func fsetxattr(userData: UInt64, file: FileReference, name: String, value: some BufferRegion,
                                   xattrFlags: UInt32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareXattr(.fsetxattr, userData: userData, target: .file(file), name: name, value: value,
                         xattrFlags: xattrFlags, flags: flags)
    }

    /// Queues a setxattr(2) of attribute `name` of `path`, as fsetxattr.
    /// The kernel opcode is IORING_OP_SETXATTR. Matches io_uring_prep_setxattr() in liburing.
    public mutating func setxattr(userData: UInt64, path: String, name: String, value: some BufferRegion,
                                  xattrFlags: UInt32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareXattr(.setxattr, userData: userData, target: .path(path), name: name, value: value,
                         xattrFlags: xattrFlags, flags: flags)
    }

    /// What an xattr SQE names: a file in `fd`, or a path in `addr3` (with `fd` 0, as the kernel requires).
    private enum XattrTarget {
        case file(FileReference)
        case path(String)
    }

    /// The SQE the four xattr ops share: the name in `addr`, the value's length in `len` and its address in
    /// `off`, the target, and `xattr_flags`; the value's buffer stays alive until the CQE.
    private mutating func prepareXattr(_ opcode: Opcode, userData: UInt64, target: XattrTarget, name: String,
                                       value: some BufferRegion, xattrFlags: UInt32 = 0,
                                       flags: SubmissionFlags) throws(IoUringError) {
        let slice = value.region
        let nameAddress = try storePath(name, "the attribute name")
        var file: FileReference?
        var pathAddress: UInt64?
        switch target {
        case .file(let reference): file = reference
        case .path(let path): pathAddress = try storePath(path, "the path")
        }
        let sqe = try prepare(opcode, userData: userData, flags: flags, file: file, address: nameAddress,
                              length: try IoUring.length(of: slice.count, "an xattr value"), offset: slice.address)
        if let pathAddress {
            sqe.pointee.fd = 0
            sqe.pointee.addr3 = pathAddress
        }
        sqe.pointee.xattr_flags = xattrFlags
        retain(slice.buffer)
    }

    // MARK: - Memory advice

    /// Queues an madvise(2) of `advice` (MADV_*) over `region`, whose start must be page-aligned.
    /// The kernel opcode is IORING_OP_MADVISE. Matches io_uring_prep_madvise64() in liburing.
    public mutating func madvise(userData: UInt64, region: some BufferRegion, advice: UInt32,
                                 flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = region.region
        let sqe = try prepare(.madvise, userData: userData, flags: flags, address: slice.address,
                              offset: UInt64(slice.count))
        sqe.pointee.fadvise_advice = advice
        retain(slice.buffer)
    }

    // MARK: - Zero-copy receive

    /// Queues a zero-copy receive on `socket` through the zero-copy receive interface queue `ifqIndex`
    /// (registered with IORING_REGISTER_ZCRX_IFQ on a NIC queue with header split): always multishot
    /// (IORING_RECV_MULTISHOT), `length` bytes in all (0: no limit), data CQEs (32-byte, IORING_SETUP_CQE32)
    /// pointing into the ifq's area. Without such an ifq the kernel refuses it with -EINVAL.
    /// The kernel opcode is IORING_OP_RECV_ZC. Matches io_uring_prep_rw(IORING_OP_RECV_ZC, …) as
    /// liburing's zcrx test fills it (ioprio IORING_RECV_MULTISHOT, zcrx_ifq_idx).
    public mutating func receiveZeroCopy(userData: UInt64, socket: FileReference, ifqIndex: UInt32, length: UInt32 = 0,
                                         flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.recvZC, userData: userData, flags: flags, file: socket, length: length)
        sqe.pointee.ioprio = UInt16(IORING_RECV_MULTISHOT)
        sqe.pointee.zcrx_ifq_idx = ifqIndex
    }
}
