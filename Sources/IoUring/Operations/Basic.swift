import CIoUring

/// Every field of an SQE, for sending what a well-behaved API would refuse: unknown opcodes, reserved
/// bits, odd flag combinations. Fields are written exactly as given.
public struct RawSQE: Sendable {
    public var opcode: UInt8
    public var flags: UInt8 = 0
    public var ioprio: UInt16 = 0
    public var fd: Int32 = -1
    /// `off` / `addr2`.
    public var off: UInt64 = 0
    /// `addr` / `splice_off_in`.
    public var addr: UInt64 = 0
    public var len: UInt32 = 0
    /// The per-op flag word (`rw_flags`, `open_flags`, `timeout_flags`…).
    public var opFlags: UInt32 = 0
    public var userData: UInt64 = 0
    /// `buf_index` / `buf_group`.
    public var bufIndex: UInt16 = 0
    public var personality: UInt16 = 0
    /// `splice_fd_in` / `file_index` / `optlen`.
    public var spliceFDIn: Int32 = 0
    /// `addr3`.
    public var addr3: UInt64 = 0
    /// The second 64-bit word after `addr3` (`__pad2[0]`, or `attr_type_mask`).
    public var pad2: UInt64 = 0
    /// Bytes 64…127 of a 128-byte SQE (IORING_SETUP_SQE128 rings only).
    public var sqe128Tail: [UInt8] = []
    /// Memory the fields point at, kept alive until the request completes.
    public var keepAlive: [KernelMemory] = []

    public init(opcode: UInt8) { self.opcode = opcode }
}

extension KernelMemory {
    /// The address of this memory as an SQE field holds it, for `RawSQE`.
    public var kernelAddress: UInt64 { address }
}

extension IoBufferSlice {
    /// The address of the slice's first byte as an SQE field holds it, for `RawSQE`.
    public var kernelAddress: UInt64 { address }
}

extension IoUring {
    /// Queues a no-op. The kernel opcode is IORING_OP_NOP. Matches io_uring_prep_nop() in liburing.
    public mutating func nop(userData: UInt64, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepare(.nop, userData: userData, flags: flags)
    }

    /// Queues a no-op whose CQE carries `result` (IORING_NOP_INJECT_RESULT), for provoking error paths.
    /// The kernel opcode is IORING_OP_NOP.
    public mutating func nop(userData: UInt64, injectingResult result: Int32, flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.nop, userData: userData, flags: flags)
        sqe.pointee.nop_flags = IORING_NOP_INJECT_RESULT
        sqe.pointee.len = UInt32(bitPattern: result)
    }

    /// Queues an SQE with every field as given, including opcodes the kernel does not know.
    public mutating func raw(_ fields: RawSQE) throws(IoUringError) {
        if !fields.sqe128Tail.isEmpty {
            guard setupFlags.contains(.sqe128) else {
                throw .invalidArgument("bytes past 64 of an SQE need a ring set up with IORING_SETUP_SQE128")
            }
            guard fields.sqe128Tail.count <= 64 else {
                throw .invalidArgument("an SQE128 has 64 bytes after the first 64, not \(fields.sqe128Tail.count)")
            }
        }
        let sqe = try nextSQE()
        sqe.pointee.opcode = fields.opcode
        sqe.pointee.flags = fields.flags
        sqe.pointee.ioprio = fields.ioprio
        sqe.pointee.fd = fields.fd
        sqe.pointee.off = fields.off
        sqe.pointee.addr = fields.addr
        sqe.pointee.len = fields.len
        sqe.pointee.rw_flags = Int32(bitPattern: fields.opFlags)
        sqe.pointee.user_data = fields.userData
        sqe.pointee.buf_index = fields.bufIndex
        sqe.pointee.personality = fields.personality
        sqe.pointee.splice_fd_in = fields.spliceFDIn
        sqe.pointee.addr3 = fields.addr3
        sqe.pointee.__pad2 = fields.pad2
        if !fields.sqe128Tail.isEmpty {
            let tail = UnsafeMutableRawPointer(sqe) + 64
            for (index, byte) in fields.sqe128Tail.enumerated() { tail.storeBytes(of: byte, toByteOffset: index, as: UInt8.self) }
        }
        for memory in fields.keepAlive { retain(memory) }
    }
}

extension RawSQE {
    /// Every field of the first 64 bytes of a kernel SQE.
    @usableFromInline
    init(_ sqe: io_uring_sqe) {
        self.init(opcode: sqe.opcode)
        flags = sqe.flags
        ioprio = sqe.ioprio
        fd = sqe.fd
        off = sqe.off
        addr = sqe.addr
        len = sqe.len
        opFlags = UInt32(bitPattern: sqe.rw_flags)
        userData = sqe.user_data
        bufIndex = sqe.buf_index
        personality = sqe.personality
        spliceFDIn = sqe.splice_fd_in
        addr3 = sqe.addr3
        pad2 = sqe.__pad2
    }
}

extension IoUring {
    /// Every field of the most recently queued SQE, read back from the SQE array, for traces. Nil when no
    /// SQE is queued but not yet consumed by the kernel.
    public func lastQueuedSQE() -> RawSQE? {
        guard sq.sqeTail != sq.kernelHead() else { return nil }
        let raw = sq.sqes + Int((sq.sqeTail &- 1) & sq.mask) << sq.sqeShift
        let sqe = raw.assumingMemoryBound(to: io_uring_sqe.self).pointee
        var fields = RawSQE(sqe)
        if setupFlags.contains(.sqe128) {
            fields.sqe128Tail = Array(UnsafeRawBufferPointer(start: raw + 64, count: 64))
        }
        return fields
    }
}
extension IoUring {
    /// Rewrites fields of the most recently queued SQE after its op prepared it: how a scenario's `sqe:`
    /// override gets a field wrong on purpose. `amend` sees every field of the first 64 bytes (user_data
    /// included) and may change any; `keepAlive` is memory the new fields point at, retained like the
    /// op's own until the request completes (the op's memory stays retained whatever `amend` does).
    /// Throws `.invalidArgument` when no SQE is queued that the kernel has not consumed yet.
    public mutating func amendLastQueuedSQE(keepAlive: [KernelMemory] = [], _ amend: (inout RawSQE) -> Void) throws(IoUringError) {
        guard sq.sqeTail != sq.kernelHead() else {
            throw .invalidArgument("no queued SQE to override: the op queued none")
        }
        let sqe = (sq.sqes + Int((sq.sqeTail &- 1) & sq.mask) << sq.sqeShift).assumingMemoryBound(to: io_uring_sqe.self)
        var fields = RawSQE(sqe.pointee)
        amend(&fields)
        sqe.pointee.opcode = fields.opcode
        sqe.pointee.flags = fields.flags
        sqe.pointee.ioprio = fields.ioprio
        sqe.pointee.fd = fields.fd
        sqe.pointee.off = fields.off
        sqe.pointee.addr = fields.addr
        sqe.pointee.len = fields.len
        sqe.pointee.rw_flags = Int32(bitPattern: fields.opFlags)
        sqe.pointee.user_data = fields.userData
        sqe.pointee.buf_index = fields.bufIndex
        sqe.pointee.personality = fields.personality
        sqe.pointee.splice_fd_in = fields.spliceFDIn
        sqe.pointee.addr3 = fields.addr3
        sqe.pointee.__pad2 = fields.pad2
        for memory in keepAlive { retain(memory) }
    }
}
