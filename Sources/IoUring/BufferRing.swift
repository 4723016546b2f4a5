#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

/// What the ring keeps about provided buffers (one stored property of `IoUring`).
struct ProvidedBufferTable {
    /// Registered buffer rings (IORING_REGISTER_PBUF_RING), by group id.
    var rings: [UInt16: BufferRing] = [:]
    /// Buffers handed to IORING_OP_PROVIDE_BUFFERS. Each is kept once in `registeredMemory` for as long as
    /// the ring lives: the kernel may hold any part of it in a group until the ring is torn down.
    var legacyBuffers: Set<ObjectIdentifier> = []
}

/// What the kernel accepted when a buffer ring was registered.
public struct BufferRingRegistration: Hashable, Sendable {
    /// The buffer group id (`sqe->buf_group` of requests that select from this ring).
    public let groupID: UInt16
    /// The number of `io_uring_buf` entries, a power of two in 1...32768.
    public let entries: UInt16
    /// Whether IOU_PBUF_RING_INC was asked for.
    public let incrementalRequested: Bool
    /// Whether the ring consumes buffers incrementally: false when IOU_PBUF_RING_INC was not asked for, or
    /// when the kernel refused it with EINVAL (before Linux 6.12) and the ring was registered without it.
    public let incremental: Bool

    /// `entries - 1`, for indexing the ring. Matches io_uring_buf_ring_mask() in liburing.
    public var mask: UInt16 { entries &- 1 }
}

/// A provided-buffer ring registered on one `IoUring`, which owns it (in `providedBuffers.rings`): the
/// array of `struct io_uring_buf` the kernel takes buffers from, and the tail we publish.
///
/// The ring memory is allocated by us (page-aligned, zeroed) and registered by address, rather than
/// mapped from the kernel with IOU_PBUF_RING_MMAP: that works on every kernel with buffer rings (5.19;
/// the MMAP flag came in 6.4), and it makes the memory an ordinary `KernelMemory` whose lifetime follows
/// the engine's rule — kept in `registeredMemory` while registered, moved to the request retention on
/// unregister so that requests still in flight never see it freed, and leaked with the rest if the ring
/// cannot be drained on teardown. A kernel mapping would instead need an munmap that the engine must
/// order against the ring's own teardown.
final class BufferRing {
    let groupID: UInt16
    let entries: UInt16
    let incremental: Bool
    let incrementalRequested: Bool
    /// `entries` × 16 bytes of `struct io_uring_buf`, rounded up to whole pages.
    let memory: KernelMemory
    /// Distinguishes this registration from any other, on this ring or another, under the same group id.
    let token: UInt64
    /// Our copy of the tail; we are its only writer.
    private(set) var tail: UInt16 = 0
    /// Every buffer an entry of this ring has pointed at, each also kept once in `registeredMemory`.
    var keptBuffers: [ObjectIdentifier: IoBuffer] = [:]
    /// Set when a `BufferGroup` manages this ring.
    var group: BufferGroupState?

    init(groupID: UInt16, entries: UInt16, incremental: Bool, incrementalRequested: Bool, memory: KernelMemory) {
        self.groupID = groupID
        self.entries = entries
        self.incremental = incremental
        self.incrementalRequested = incrementalRequested
        self.memory = memory
        self.token = RetentionToken.next()
    }

    var mask: UInt16 { entries &- 1 }

    var registration: BufferRingRegistration {
        BufferRingRegistration(groupID: groupID, entries: entries, incrementalRequested: incrementalRequested,
                               incremental: incremental)
    }

    /// Fills the entry `offset` places past the tail. Writes the three fields one by one: the tail
    /// overlays `bufs[0].resv` (byte 14), which must never be written here.
    /// Matches io_uring_buf_ring_add() in liburing.
    func add(address: UInt64, length: UInt32, bufferID: UInt16, offset: UInt16) {
        let entry = memory.base + Int((tail &+ offset) & mask) * MemoryLayout<io_uring_buf>.stride
        entry.storeBytes(of: address, toByteOffset: 0, as: UInt64.self)
        entry.storeBytes(of: length, toByteOffset: 8, as: UInt32.self)
        entry.storeBytes(of: bufferID, toByteOffset: 12, as: UInt16.self)
    }

    /// Publishes `count` added entries with a releasing store of the tail, so the kernel sees the
    /// entries' fields before it sees the tail move. Matches io_uring_buf_ring_advance() in liburing.
    func advance(_ count: UInt16) {
        tail &+= count
        let tailPointer = (memory.base + Int(CIOURING_BUF_RING_TAIL_OFFSET)).assumingMemoryBound(to: UInt16.self)
        CIoUring_store_release16(tailPointer, tail)
    }
}

extension IoUring {
    /// Allocates a buffer ring of `entries` entries (a power of two in 1...32768), registers it as
    /// provided-buffer group `groupID`, and returns what the kernel accepted. The ring starts empty:
    /// fill it with `bufferRingAdd` and publish with `bufferRingAdvance`. With `incremental`, asks for
    /// IOU_PBUF_RING_INC (a buffer is consumed piece by piece, CQEs carry IORING_CQE_F_BUF_MORE while it has
    /// room); a kernel that answers EINVAL gets a plain ring instead, and the result says so.
    /// IORING_REGISTER_PBUF_RING. Matches io_uring_setup_buf_ring() in liburing and setup_buf_ring() in Zig.
    @discardableResult
    public mutating func setupBufferRing(groupID: UInt16, entries: UInt16, incremental: Bool = false)
        throws(IoUringError) -> BufferRingRegistration {
        guard entries >= 1, entries <= 32768, entries & (entries &- 1) == 0 else {
            throw .invalidEntries(UInt32(entries))
        }
        let pageSize = max(Int(sysconf(Int32(_SC_PAGESIZE))), 4096)
        let bytes = Int(entries) * MemoryLayout<io_uring_buf>.stride
        let memory = KernelMemory(byteCount: (bytes + pageSize - 1) / pageSize * pageSize, alignment: pageSize)

        var registration = io_uring_buf_reg()
        registration.ring_addr = memory.address
        registration.ring_entries = UInt32(entries)
        registration.bgid = groupID
        registration.flags = incremental ? UInt16(IOU_PBUF_RING_INC) : 0
        let opcode = UInt32(IORING_REGISTER_PBUF_RING)
        var result = CIoUring_register(fd, opcode, &registration, 1)
        if result == -Errno.EINVAL.rawValue && incremental {
            // IOU_PBUF_RING_INC is Linux 6.12; older kernels reject the unknown flag with EINVAL.
            registration.flags = 0
            result = CIoUring_register(fd, opcode, &registration, 1)
        }
        // A group that already has a ring is the kernel's to refuse (EEXIST), so the caller sees its answer.
        guard result >= 0 else { throw .syscall(.register(opcode), Errno(rawValue: -result)) }
        // Had the engine still tracked a ring for this group (unregistered behind its back), its memory and
        // buffers stay in `registeredMemory` for the ring's lifetime; the new registration replaces the entry.

        let ring = BufferRing(groupID: groupID, entries: entries,
                              incremental: registration.flags & UInt16(IOU_PBUF_RING_INC) != 0,
                              incrementalRequested: incremental, memory: memory)
        providedBuffers.rings[groupID] = ring
        registeredMemory.append(memory)
        return ring.registration
    }

    /// What was registered for buffer ring `groupID`, or nil when this ring set up no buffer ring there.
    public func bufferRing(groupID: UInt16) -> BufferRingRegistration? {
        providedBuffers.rings[groupID]?.registration
    }

    /// The mask of buffer ring `groupID` (`entries - 1`). Matches io_uring_buf_ring_mask() in liburing.
    public func bufferRingMask(groupID: UInt16) throws(IoUringError) -> UInt16 {
        try ownedBufferRing(groupID, allowManaged: true).mask
    }

    /// Fills the entry `offset` places past the current tail of buffer ring `groupID` with `buffer`, under
    /// id `bufferID`; the kernel sees it only after `bufferRingAdvance`. When adding several buffers before
    /// one advance, give them offsets 0, 1, 2…. The ring keeps `buffer` alive while it is registered (and
    /// after, until requests that may have selected it have completed).
    /// Matches io_uring_buf_ring_add() in liburing and buf_ring_add() in Zig.
    public mutating func bufferRingAdd(groupID: UInt16, _ buffer: some BufferRegion, bufferID: UInt16,
                                       offset: UInt16 = 0) throws(IoUringError) {
        let ring = try ownedBufferRing(groupID, allowManaged: false)
        let slice = buffer.region
        guard slice.count <= Int(UInt32.max) else {
            throw .invalidArgument("a provided buffer holds at most \(UInt32.max) bytes, not \(slice.count)")
        }
        guard offset < ring.entries else {
            throw .invalidArgument("offset \(offset) is past the \(ring.entries) entries of buffer ring \(groupID)")
        }
        keep(slice.buffer, for: ring)
        ring.add(address: slice.address, length: UInt32(slice.count), bufferID: bufferID, offset: offset)
    }

    /// Makes the `count` entries added since the last advance visible to the kernel (a releasing store of
    /// the ring's tail). Matches io_uring_buf_ring_advance() in liburing and buf_ring_advance() in Zig.
    public mutating func bufferRingAdvance(groupID: UInt16, count: UInt16) throws(IoUringError) {
        try ownedBufferRing(groupID, allowManaged: false).advance(count)
    }

    /// Publishes `count` added buffer-ring entries and marks `count` CQEs consumed, for consumers that
    /// hand each CQE's buffer back as they go. Matches io_uring_buf_ring_cq_advance() in liburing.
    public mutating func bufferRingCQAdvance(groupID: UInt16, count: UInt16) throws(IoUringError) {
        try ownedBufferRing(groupID, allowManaged: false).advance(count)
        cqAdvance(UInt32(count))
    }

    /// The kernel's head of buffer ring `groupID`: the next entry it will take. The entries from the head
    /// up to the tail are still available. IORING_REGISTER_PBUF_STATUS (Linux 6.8).
    /// Matches io_uring_buf_ring_head() in liburing.
    public func bufferRingHead(groupID: UInt16) throws(IoUringError) -> UInt16 {
        var status = io_uring_buf_status()
        status.buf_group = UInt32(groupID)
        try register(UInt32(IORING_REGISTER_PBUF_STATUS), &status, count: 1)
        return UInt16(truncatingIfNeeded: status.head)
    }

    /// Unregisters buffer ring `groupID` (whether or not this engine set it up: the kernel decides, and
    /// an unknown group is ENOENT). The ring memory and the buffers it pointed at stay alive until the
    /// requests in flight have completed. A `BufferGroup` over this ring can no longer be used.
    /// IORING_UNREGISTER_PBUF_RING. Matches io_uring_unregister_buf_ring() and io_uring_free_buf_ring() in
    /// liburing, and free_buf_ring() in Zig.
    public mutating func unregisterBufferRing(groupID: UInt16) throws(IoUringError) {
        var registration = io_uring_buf_reg()
        registration.bgid = groupID
        try register(UInt32(IORING_UNREGISTER_PBUF_RING), &registration, count: 1)
        guard let ring = providedBuffers.rings.removeValue(forKey: groupID) else { return }
        // A request that selected a buffer before the unregister may still be writing into it.
        release(ring.memory)
        for buffer in ring.keptBuffers.values { release(buffer) }
        if inFlight == 0 { releaseRequestMemory() }
    }

    // MARK: - Internals shared with BufferGroup

    /// The buffer ring `groupID` that this ring set up, refusing rings a `BufferGroup` manages unless
    /// `allowManaged` (adding behind a group's back would break its own bookkeeping).
    func ownedBufferRing(_ groupID: UInt16, allowManaged: Bool) throws(IoUringError) -> BufferRing {
        guard let ring = providedBuffers.rings[groupID] else {
            throw .invalidArgument("no buffer ring was set up for group \(groupID) on this ring")
        }
        if !allowManaged && ring.group != nil {
            throw .invalidArgument("buffer ring \(groupID) belongs to a BufferGroup: give buffers back with its put")
        }
        return ring
    }

    /// Keeps `buffer` alive for as long as `ring` is registered (once, however often it is added).
    mutating func keep(_ buffer: IoBuffer, for ring: BufferRing) {
        let id = ObjectIdentifier(buffer)
        if ring.keptBuffers[id] == nil {
            ring.keptBuffers[id] = buffer
            registeredMemory.append(buffer)
        }
    }

    /// Drops one registration reference to `memory`, retaining it until the ring is quiescent.
    /// (Others — registered buffers, another group — may hold their own references to the same object.)
    private mutating func release(_ memory: KernelMemory) {
        if let index = registeredMemory.lastIndex(where: { $0 === memory }) {
            registeredMemory.remove(at: index)
        }
        retain(memory)
    }
}
