import CIoUring

/// An SQE exactly as an op filled it, with the memory it points at, to queue again and again with
/// another user_data (and, for reads and writes at random places, another file offset): how a
/// scenario's repeated request costs a 64-byte copy instead of a trip through the op's arguments.
///
/// Only an SQE whose fields say everything can be replayed: `captureTemplate` refuses one that points
/// into the ring's scratch arena (a timespec, a path, an iovec array: the arena is reset between
/// requests), one on a ring with 128-byte SQEs, and anything but exactly one queued SQE. Queuing the
/// template keeps its memory alive exactly as the op did (`KernelMemory` retained until quiescence).
public struct SQETemplate: @unchecked Sendable {
    @usableFromInline var fields: io_uring_sqe
    /// The memory the op retained for the SQE, retained again by every copy.
    @usableFromInline let memory: [KernelMemory]
    /// The ring's retention token when `memory` was last retained: until the ring next becomes quiescent
    /// (and takes a new token), queuing the template again has nothing to retain.
    @usableFromInline var retainedUnder: UInt64 = 0

    /// A template of nothing (a placeholder where one is needed).
    public static let empty = SQETemplate(fields: io_uring_sqe(), memory: [])

    /// The SQE's IOSQE_* flags.
    public var flags: UInt8 { fields.flags }
    /// The SQE's `addr`.
    public var address: UInt64 { fields.addr }

    /// The opcode, flags, fd, off, addr and len the template holds (user_data is whatever was captured).
    public var raw: RawSQE { RawSQE(fields) }
}

extension IoUring {
    /// Starts watching what the next op queues, for `captureTemplate()`.
    public mutating func beginTemplateCapture() {
        capturedMemory = []
        captureTail = sq.sqeTail
        captureArenaAllocations = arena.allocations
    }

    /// The SQE queued since `beginTemplateCapture()` as a template, or nil when it cannot be replayed
    /// (none or several SQEs, arena memory, 128-byte SQEs). Ends the capture either way.
    public mutating func captureTemplate() -> SQETemplate? {
        guard let memory = capturedMemory else { return nil }
        capturedMemory = nil
        guard sq.sqeTail &- captureTail == 1, arena.allocations == captureArenaAllocations, sq.sqeShift == 6 else {
            return nil
        }
        let raw = sq.sqes + Int(captureTail & sq.mask) << sq.sqeShift
        return SQETemplate(fields: raw.assumingMemoryBound(to: io_uring_sqe.self).pointee, memory: memory)
    }

    /// Ends a capture without a template (the op threw).
    public mutating func cancelTemplateCapture() {
        capturedMemory = nil
    }

    /// Queues a copy of the template at `template` with `userData`; `offset` replaces the SQE's `off`,
    /// `address` its `addr` (`splice_off_in`). Counts the request as in flight and retains its memory, as
    /// the op did. The template is read in place (and notes what it retained).
    @inlinable @inline(__always)
    public mutating func queue(_ template: UnsafeMutablePointer<SQETemplate>, userData: UInt64, offset: UInt64? = nil,
                               address: UInt64? = nil) throws(IoUringError) {
        let head = sq.kernelHead()
        guard sq.sqeTail &- head < sq.entries else { throw .submissionQueueFull }
        let sqe = (sq.sqes + Int(sq.sqeTail & sq.mask) << 6).assumingMemoryBound(to: io_uring_sqe.self)
        sqe.pointee = template.pointee.fields
        sqe.pointee.user_data = userData
        if let offset { sqe.pointee.off = offset }
        if let address { sqe.pointee.addr = address }
        sq.sqeTail &+= 1
        inFlightCount &+= 1
        retainOnce(template)
    }
}

extension IoUring {
    /// Queues `count` copies of the template at `template`, with user_data `firstUserData`,
    /// `firstUserData + 1`, …: `queue(_:userData:)` for each, with one check that the SQ has room for all
    /// (`.submissionQueueFull`, queuing none, when it has not).
    @inlinable
    public mutating func queue(_ template: UnsafeMutablePointer<SQETemplate>, firstUserData: UInt64, count: Int)
        throws(IoUringError) {
        guard count > 0 else { return }
        try requireRoom(for: count)
        let (sqes, mask) = (sq.sqes.assumingMemoryBound(to: io_uring_sqe.self), sq.mask)
        var tail = sq.sqeTail
        var userData = firstUserData
        for _ in 0..<count {
            let sqe = sqes + Int(tail & mask)
            sqe.pointee = template.pointee.fields
            sqe.pointee.user_data = userData
            tail &+= 1
            userData &+= 1
        }
        sq.sqeTail = tail
        inFlightCount &+= count
        retainOnce(template)
    }
}

extension IoUring {
    /// Queues `rounds` rounds of copies of the `length` templates from `templates`, with consecutive
    /// user_data from `firstUserData` (the k-th SQE gets `firstUserData + k`, a copy of template
    /// `k % length`), with one check that the SQ has room for all (`.submissionQueueFull`, queuing none,
    /// when it has not): `queue(_:userData:offset:address:)` for each. `fields` may replace each SQE's
    /// `off` and `addr` (random offsets), given the template's index and the SQE's user_data.
    @inlinable
    public mutating func queue(_ templates: UnsafeMutablePointer<SQETemplate>, length: Int, rounds: Int, firstUserData: UInt64,
                               fields: (_ template: Int, _ userData: UInt64, _ offset: inout UInt64, _ address: inout UInt64) -> Void)
        throws(IoUringError) {
        let count = length * rounds
        guard count > 0 else { return }
        try requireRoom(for: count)
        let (sqes, mask) = (sq.sqes.assumingMemoryBound(to: io_uring_sqe.self), sq.mask)
        var tail = sq.sqeTail
        var userData = firstUserData
        for _ in 0..<rounds {
            for index in 0..<length {
                let sqe = sqes + Int(tail & mask)
                sqe.pointee = templates[index].fields
                sqe.pointee.user_data = userData
                fields(index, userData, &sqe.pointee.off, &sqe.pointee.addr)
                tail &+= 1
                userData &+= 1
            }
        }
        sq.sqeTail = tail
        inFlightCount &+= count
        for index in 0..<length { retainOnce(templates + index) }
    }
}

extension IoUring {
    /// `.submissionQueueFull` unless the SQ has room for `count` more SQEs: one check for a whole batch.
    @inlinable @inline(__always)
    mutating func requireRoom(for count: Int) throws(IoUringError) {
        guard UInt64(sq.sqeTail &- sq.kernelHead()) + UInt64(count) <= UInt64(sq.entries) else {
            throw .submissionQueueFull
        }
    }

    /// Retains the memory the SQEs of `template` reference (until their CQEs), once per retention token.
    @inlinable @inline(__always)
    mutating func retainOnce(_ template: UnsafeMutablePointer<SQETemplate>) {
        guard template.pointee.retainedUnder != retentionToken else { return }
        for memory in template.pointee.memory { retain(memory) }
        template.pointee.retainedUnder = retentionToken
    }
}
