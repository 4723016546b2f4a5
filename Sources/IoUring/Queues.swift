import CIoUring

/// The completion of one request, copied out of the CQ ring (`struct io_uring_cqe`).
public struct CompletionQueueEntry: Hashable, Sendable, CustomStringConvertible {
    /// The `user_data` of the SQE that produced this completion.
    public var userData: UInt64
    /// The result: a count or value when ≥ 0, `-errno` when < 0.
    public var res: Int32
    /// IORING_CQE_F_* bits, with the buffer id in the upper 16 bits.
    public var flags: CompletionFlags
    /// The second 16 bytes of a 32-byte CQE (IORING_SETUP_CQE32, or IORING_CQE_F_32 in a mixed ring); zero otherwise.
    public var extra1: UInt64
    public var extra2: UInt64

    public init(userData: UInt64, res: Int32, flags: CompletionFlags, extra1: UInt64 = 0, extra2: UInt64 = 0) {
        self.userData = userData
        self.res = res
        self.flags = flags
        self.extra1 = extra1
        self.extra2 = extra2
    }

    /// The error, when `res` is negative.
    public var errno: Errno? { res < 0 ? Errno(rawValue: -res) : nil }

    public var description: String {
        let result = res < 0 ? "-\(Errno(rawValue: -res).name)" : String(res)
        return "CQE(user_data: \(userData), res: \(result), flags: 0x\(String(flags.rawValue, radix: 16)))"
    }
}

/// The submission queue as mapped from the kernel. Head, flags and dropped are written by the kernel;
/// the tail and the SQE array are ours. Memory is shared with the kernel: head is read with an
/// acquiring load, tail published with a releasing store, and nothing else touches them.
@usableFromInline
struct SubmissionQueue: ~Copyable {
    @usableFromInline let head: UnsafeMutablePointer<UInt32>
    @usableFromInline let tail: UnsafeMutablePointer<UInt32>
    @usableFromInline let flags: UnsafeMutablePointer<UInt32>
    let dropped: UnsafeMutablePointer<UInt32>
    @usableFromInline let sqes: UnsafeMutableRawPointer
    @usableFromInline let sqeShift: Int
    @usableFromInline let mask: UInt32
    @usableFromInline let entries: UInt32
    /// SQEs handed out but not yet published to the kernel lie in `sqeHead..<sqeTail`.
    @usableFromInline var sqeHead: UInt32 = 0
    @usableFromInline var sqeTail: UInt32 = 0

    @inlinable @inline(__always)
    func kernelHead() -> UInt32 { CIoUring_load_acquire(head) }

    @inlinable @inline(__always)
    func kernelFlags() -> UInt32 { CIoUring_load_relaxed(flags) }

    /// The SQE at ring index `index`, zeroed. Valid only inside the engine.
    @inline(__always)
    func entry(_ index: UInt32) -> UnsafeMutablePointer<io_uring_sqe> {
        let raw = sqes + Int(index & mask) << sqeShift
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 1 << sqeShift)
        return raw.assumingMemoryBound(to: io_uring_sqe.self)
    }

    /// The SQE at ring index `index` as filled in, to read. Valid only inside the engine.
    @inline(__always)
    func filledEntry(_ index: UInt32) -> UnsafePointer<io_uring_sqe> {
        UnsafePointer((sqes + Int(index & mask) << sqeShift).assumingMemoryBound(to: io_uring_sqe.self))
    }
}

/// The completion queue as mapped from the kernel. The tail, overflow count and CQEs are written by the
/// kernel; the head is ours. Tail is read with an acquiring load and head published with a releasing
/// store, after the CQEs behind it have been copied out.
@usableFromInline
struct CompletionQueue: ~Copyable {
    @usableFromInline let head: UnsafeMutablePointer<UInt32>
    @usableFromInline let tail: UnsafeMutablePointer<UInt32>
    let overflow: UnsafeMutablePointer<UInt32>
    let flags: UnsafeMutablePointer<UInt32>?
    @usableFromInline let cqes: UnsafeMutableRawPointer
    @usableFromInline let mask: UInt32
    @usableFromInline let entries: UInt32
    /// 5 when every CQE is 32 bytes (IORING_SETUP_CQE32), else 4.
    @usableFromInline let cqeShift: Int
    /// IORING_SETUP_CQE_MIXED: a 32-byte CQE spans two slots and fillers carry IORING_CQE_F_SKIP.
    @usableFromInline let mixed: Bool

    @inlinable @inline(__always)
    func kernelTail() -> UInt32 { CIoUring_load_acquire(tail) }

    @inlinable @inline(__always)
    func slot(_ index: UInt32) -> UnsafeMutableRawPointer { cqes + Int(index & mask) << cqeShift }
}
