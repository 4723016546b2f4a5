import CIoUring

/// The per-buffer bookkeeping of a `BufferGroup`, kept in its `BufferRing` so that it lives exactly as
/// long as the registration.
struct BufferGroupState {
    /// One allocation for every buffer: buffer `i` is bytes `i * bufferSize ..< (i + 1) * bufferSize`.
    let buffer: IoBuffer
    let bufferSize: Int
    /// With incremental consumption, where the unconsumed part of each buffer starts (the kernel's entry
    /// for it points there). Always 0 otherwise.
    var heads: [Int]
    /// Whether the kernel may still pick each buffer (it is in the ring), as opposed to the application
    /// holding it until `put`.
    var inRing: [Bool]
    /// The id the kernel knows each buffer by, by slot, when they are not the slots' own numbers
    /// (chosen at setup or given anew by `replenish`); nil: buffer `i` is id `i`.
    var ids: [UInt16]? = nil
    /// The slot of each id in `ids`.
    var slotByID: [UInt16: Int] = [:]

    /// Where buffer `id` lives (its memory and bookkeeping), or nil when no buffer of the group has it.
    func slot(of id: UInt16) -> Int? {
        guard ids != nil else { return Int(id) < heads.count ? Int(id) : nil }
        return slotByID[id]
    }

    /// The ids the group's buffers have, for messages: `0..<8`, or the list.
    var idsDescription: String {
        guard let ids else { return "0..<\(heads.count)" }
        return ids.count <= 16 ? "[" + ids.map(String.init).joined(separator: ", ") + "]" : "\(ids.count) chosen ids"
    }
}

/// A group of `count` equal buffers of `bufferSize` bytes behind a buffer ring (ring-mapped provided
/// buffers, Linux 5.19): requests with buffer selection take a buffer when data arrives, the CQE names it
/// (IORING_CQE_F_BUFFER, id in the upper 16 bits), `get` copies the bytes out, `put` gives it back.
///
/// The ring owns the group: the buffers, the buffer ring and their bookkeeping live in the `IoUring`
/// (by group id), and a `BufferGroup` is only a handle naming them, so every method takes the ring. A
/// handle used with another ring, or after `free`, is refused — it can never reach memory the ring has
/// let go of. Matches `BufferGroup` in Zig's IoUring (init/deinit/recv/recv_multishot/get/put).
///
/// With `incremental` (IOU_PBUF_RING_INC, Linux 6.12) a buffer takes several receives: each CQE's data
/// starts where the previous one for that buffer ended, and the CQE carries IORING_CQE_F_BUF_MORE while the
/// buffer stays in the ring. Only once a CQE for it comes without BUF_MORE is it the application's to `put`.
public struct BufferGroup: Hashable, Sendable {
    public let groupID: UInt16
    /// The size of each buffer in bytes.
    public let bufferSize: Int
    /// The number of buffers: the buffer ring's entries (a power of two in 1...32768), or as many as the
    /// ids chosen at setup. Ids are 0..<count unless chosen.
    public let count: UInt16
    /// Whether the kernel consumes buffers incrementally (false if it refused IOU_PBUF_RING_INC).
    public let incremental: Bool
    /// Whether incremental consumption was asked for.
    public let incrementalRequested: Bool
    let token: UInt64

    /// Allocates `count` buffers of `bufferSize` bytes in one `IoBuffer`, registers a buffer ring of
    /// `count` entries as group `groupID` (with IOU_PBUF_RING_INC when `incremental`, falling back to a
    /// plain ring on EINVAL), and puts every buffer in it (buffer id `i` for the `i`th). With `bufferIDs`
    /// there are as many buffers as ids (at most `count`, the ring's entries), the `i`th with id
    /// `bufferIDs[i]`: the id CQEs carry (IORING_CQE_BUFFER_SHIFT) and `get`, `put` and `replenish` take.
    /// Matches BufferGroup.init() in Zig's IoUring.
    public init(_ ring: inout IoUring, groupID: UInt16, bufferSize: Int, count: UInt16,
                incremental: Bool = false, bufferIDs: [UInt16]? = nil) throws(IoUringError) {
        guard bufferSize >= 1, bufferSize <= Int(UInt32.max) else {
            throw .invalidArgument("a buffer group's buffers hold 1...\(UInt32.max) bytes, not \(bufferSize)")
        }
        var slotByID: [UInt16: Int] = [:]
        if let bufferIDs {
            guard !bufferIDs.isEmpty, bufferIDs.count <= Int(count) else {
                throw .invalidArgument("a buffer ring of \(count) entries holds 1...\(count) buffers, not \(bufferIDs.count)")
            }
            for (slot, id) in bufferIDs.enumerated() {
                guard slotByID.updateValue(slot, forKey: id) == nil else {
                    throw .invalidArgument("buffer id \(id) is chosen twice for group \(groupID)")
                }
            }
        }
        let buffers = UInt16(bufferIDs?.count ?? Int(count))
        let (total, overflow) = bufferSize.multipliedReportingOverflow(by: Int(buffers))
        guard !overflow else { throw .invalidArgument("\(buffers) buffers of \(bufferSize) bytes overflow") }
        let registration = try ring.setupBufferRing(groupID: groupID, entries: count, incremental: incremental)
        let state = ring.providedBuffers.rings[groupID]!
        let buffer = IoBuffer(count: total)
        ring.keep(buffer, for: state)
        for index in 0..<buffers {
            state.add(address: buffer.address + UInt64(Int(index) * bufferSize), length: UInt32(bufferSize),
                      bufferID: bufferIDs?[Int(index)] ?? index, offset: index)
        }
        state.advance(buffers)
        state.group = BufferGroupState(buffer: buffer, bufferSize: bufferSize,
                                       heads: Array(repeating: 0, count: Int(buffers)),
                                       inRing: Array(repeating: true, count: Int(buffers)),
                                       ids: bufferIDs, slotByID: slotByID)
        self.groupID = groupID
        self.bufferSize = bufferSize
        self.count = buffers
        self.incremental = registration.incremental
        self.incrementalRequested = incremental
        self.token = state.token
    }

    /// Queues a receive on `socket` into a buffer the kernel picks from this group when data arrives
    /// (IOSQE_BUFFER_SELECT; length 0, so the whole buffer — or its unconsumed rest — is offered).
    /// `messageFlags` are the MSG_* flags of recv(2). The kernel opcode is IORING_OP_RECV.
    /// Matches BufferGroup.recv() in Zig's IoUring.
    public func recv(_ ring: inout IoUring, userData: UInt64, socket: FileReference, messageFlags: UInt32 = 0,
                     flags: SubmissionFlags = []) throws(IoUringError) {
        _ = try state(in: ring)
        let sqe = try ring.prepare(.recv, userData: userData, flags: flags.union(.bufferSelect), file: socket)
        sqe.pointee.msg_flags = messageFlags
        sqe.pointee.buf_group = groupID
    }

    /// Queues a multishot receive (IORING_RECV_MULTISHOT): one CQE with IORING_CQE_F_MORE per chunk of data,
    /// each in a buffer of this group, until an error, end of stream, or an empty group (-ENOBUFS) posts
    /// the final CQE without F_MORE. The kernel opcode is IORING_OP_RECV.
    /// Matches BufferGroup.recv_multishot() in Zig and io_uring_prep_recv_multishot() in liburing.
    public func recvMultishot(_ ring: inout IoUring, userData: UInt64, socket: FileReference,
                              messageFlags: UInt32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        _ = try state(in: ring)
        let sqe = try ring.prepare(.recv, userData: userData, flags: flags.union(.bufferSelect), file: socket)
        sqe.pointee.msg_flags = messageFlags
        sqe.pointee.buf_group = groupID
        sqe.pointee.ioprio |= UInt16(IORING_RECV_MULTISHOT)
    }

    /// Takes the data of `cqe` out of its buffer: `cqe.res` bytes from where the buffer's unconsumed part
    /// starts. Call it once for each CQE that carries IORING_CQE_F_BUFFER, in CQE order. Without incremental
    /// consumption, or when the CQE has no IORING_CQE_F_BUF_MORE, the buffer is then the application's
    /// until `put`; with IORING_CQE_F_BUF_MORE it stays in the ring and the next CQE for it continues after
    /// these bytes. (An incremental zero-length completion consumes nothing, whatever its flags say: kernels
    /// before the fix for liburing issue 1553 left BUF_MORE off for it although the buffer stayed in place.)
    /// Matches BufferGroup.get() in Zig's IoUring, with the head bookkeeping of its put().
    public func get(_ ring: inout IoUring, _ cqe: CompletionQueueEntry) throws(IoUringError) -> [UInt8] {
        let state = try state(in: ring)
        guard cqe.res >= 0 else {
            throw .invalidArgument("CQE \(cqe.userData) failed with \(Errno(rawValue: -cqe.res)) and holds no buffer")
        }
        guard let bufferID = cqe.flags.bufferID else {
            throw .invalidArgument("CQE \(cqe.userData) has no IORING_CQE_F_BUFFER: no buffer was used")
        }
        guard var group = state.group, let index = group.slot(of: bufferID) else {
            throw .invalidArgument("buffer id \(bufferID) is not one of group \(groupID)'s \(state.group?.idsDescription ?? "")")
        }
        guard group.inRing[index] else {
            throw .invalidArgument("buffer \(bufferID) of group \(groupID) was already taken by an earlier CQE and not put back")
        }
        let head = group.heads[index]
        let length = Int(cqe.res)
        guard head + length <= bufferSize else {
            throw .invalidArgument("CQE \(cqe.userData) reports \(length) bytes at offset \(head) of a \(bufferSize)-byte buffer")
        }
        let start = index * bufferSize + head
        let bytes = group.buffer.bytes(start..<start + length)
        if incremental && (cqe.flags.contains(.bufferMore) || length == 0) {
            group.heads[index] = head + length
        } else {
            group.heads[index] = 0
            group.inRing[index] = false
        }
        state.group = group
        return bytes
    }

    /// A copy of the first `length` bytes of buffer `bufferID` (from the buffer's start, whatever has been
    /// consumed), for reading a buffer by id. Matches Zig's get_by_id() without incremental heads.
    public func get(_ ring: borrowing IoUring, bufferID: UInt16, length: Int) throws(IoUringError) -> [UInt8] {
        let state = try state(in: ring)
        guard let group = state.group, let index = group.slot(of: bufferID) else {
            throw .invalidArgument("buffer id \(bufferID) is not one of group \(groupID)'s \(state.group?.idsDescription ?? "")")
        }
        guard length >= 0, length <= bufferSize else {
            throw .invalidArgument("length \(length) is outside a \(bufferSize)-byte buffer")
        }
        let start = index * bufferSize
        return group.buffer.bytes(start..<start + length)
    }

    /// Where the unconsumed part of buffer `bufferID` starts (0 unless consumed incrementally), and whether
    /// the kernel may still pick it.
    public func status(_ ring: borrowing IoUring, bufferID: UInt16) throws(IoUringError) -> (head: Int, inRing: Bool) {
        let state = try state(in: ring)
        guard let group = state.group, let index = group.slot(of: bufferID) else {
            throw .invalidArgument("buffer id \(bufferID) is not one of group \(groupID)'s \(state.group?.idsDescription ?? "")")
        }
        return (group.heads[index], group.inRing[index])
    }

    /// Gives buffer `bufferID` back to the kernel: adds it, whole, at the ring's tail and publishes it.
    /// Only a buffer the application holds (its last CQE was taken with `get`) can be put back; putting
    /// one still in the ring would hand the kernel the same memory twice. Matches BufferGroup.put() in Zig.
    public func put(_ ring: inout IoUring, bufferID: UInt16) throws(IoUringError) {
        let state = try state(in: ring)
        guard var group = state.group, let index = group.slot(of: bufferID) else {
            throw .invalidArgument("buffer id \(bufferID) is not one of group \(groupID)'s \(state.group?.idsDescription ?? "")")
        }
        guard !group.inRing[index] else {
            throw .invalidArgument("buffer \(bufferID) of group \(groupID) is still in the ring: put a buffer back only after get took its last CQE (one without IORING_CQE_F_BUF_MORE)")
        }
        state.add(address: group.buffer.address + UInt64(index * bufferSize), length: UInt32(bufferSize),
                  bufferID: bufferID, offset: 0)
        state.advance(1)
        group.heads[index] = 0
        group.inRing[index] = true
        state.group = group
    }

    /// A handle for the group `groupID` a `BufferGroup` set up on `ring`, or nil if there is none (no
    /// buffer ring for that group, or one filled by hand with `bufferRingAdd`).
    public init?(existing ring: borrowing IoUring, groupID: UInt16) {
        guard let state = ring.providedBuffers.rings[groupID], let group = state.group else { return nil }
        self.groupID = groupID
        self.bufferSize = group.bufferSize
        self.count = UInt16(group.heads.count)
        self.incremental = state.incremental
        self.incrementalRequested = state.incrementalRequested
        self.token = state.token
    }

    /// The one allocation holding every buffer of the group: buffer `i` is bytes
    /// `i * bufferSize ..< (i + 1) * bufferSize`. For callers that read CQE data without touching the ring
    /// (while it is busy reaping), keeping their own account of incremental heads.
    public func memory(_ ring: borrowing IoUring) throws(IoUringError) -> IoBuffer {
        let state = try state(in: ring)
        guard let group = state.group else {
            throw .invalidArgument("buffer group \(groupID) has no buffers of its own")
        }
        return group.buffer
    }

    /// Adds buffers `bufferIDs`, in that order and whole, at the ring's tail and publishes them, whatever
    /// this handle's bookkeeping says: for callers that follow consumption from the CQEs themselves (a
    /// scenario's `replenish_buffers`), including ones that hand the kernel a buffer twice on purpose.
    /// With `newIDs` (one for each) the buffers go back under those ids, which they keep from then on.
    public func replenish(_ ring: inout IoUring, bufferIDs: [UInt16], as newIDs: [UInt16]? = nil) throws(IoUringError) {
        let state = try state(in: ring)
        guard var group = state.group else { return }
        var slots: [Int] = []
        for bufferID in bufferIDs {
            guard let slot = group.slot(of: bufferID) else {
                throw .invalidArgument("buffer id \(bufferID) is not one of group \(groupID)'s \(group.idsDescription)")
            }
            slots.append(slot)
        }
        if let newIDs {
            guard newIDs.count == bufferIDs.count else {
                throw .invalidArgument("\(bufferIDs.count) buffers go back under \(newIDs.count) new ids; give one id for each")
            }
            var ids = group.ids ?? (0..<group.heads.count).map { UInt16($0) }
            for (slot, id) in zip(slots, newIDs) { ids[slot] = id }
            var slotByID: [UInt16: Int] = [:]
            for (slot, id) in ids.enumerated() {
                guard slotByID.updateValue(slot, forKey: id) == nil else {
                    throw .invalidArgument("buffer id \(id) would name two buffers of group \(groupID)")
                }
            }
            group.ids = ids
            group.slotByID = slotByID
        }
        for (offset, index) in slots.enumerated() {
            let bufferID = group.ids?[index] ?? UInt16(index)
            state.add(address: group.buffer.address + UInt64(index * bufferSize), length: UInt32(bufferSize),
                      bufferID: bufferID, offset: UInt16(truncatingIfNeeded: offset))
            group.heads[index] = 0
            group.inRing[index] = true
        }
        state.advance(UInt16(truncatingIfNeeded: bufferIDs.count))
        state.group = group
    }

    /// Where buffer `bufferID` lives: its memory is bytes `slot * bufferSize ..< (slot + 1) * bufferSize` of
    /// `memory`. Nil when no buffer of the group has that id.
    public func slot(_ ring: borrowing IoUring, bufferID: UInt16) -> Int? {
        guard let state = ring.providedBuffers.rings[groupID], state.token == token else { return nil }
        return state.group?.slot(of: bufferID)
    }

    /// Unregisters the group's buffer ring; its memory stays alive until requests in flight complete.
    /// The handle is unusable afterwards. IORING_UNREGISTER_PBUF_RING. Matches BufferGroup.deinit() in Zig.
    public func free(_ ring: inout IoUring) throws(IoUringError) {
        _ = try state(in: ring)
        try ring.unregisterBufferRing(groupID: groupID)
    }

    /// The ring's state for this group, if the handle belongs to this registration on this ring.
    private func state(in ring: borrowing IoUring) throws(IoUringError) -> BufferRing {
        guard let state = ring.providedBuffers.rings[groupID], state.token == token, state.group != nil else {
            throw .invalidArgument("buffer group \(groupID) is not registered on this ring (freed, or set up on another ring)")
        }
        return state
    }
}
