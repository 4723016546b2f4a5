#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

/// close(2), callable where IoUring's own `close` op would shadow the libc function.
@inline(__always)
func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

/// What to ask of `io_uring_setup(2)` beyond the number of entries (`struct io_uring_params`).
public struct RingParameters: Hashable, Sendable {
    public var flags: SetupFlags
    /// The CQ size; sets IORING_SETUP_CQSIZE when not nil.
    public var cqEntries: UInt32?
    /// The CPU of the SQPOLL thread; sets IORING_SETUP_SQ_AFF when not nil.
    public var sqThreadCPU: UInt32?
    /// Milliseconds the SQPOLL thread spins before it sleeps.
    public var sqThreadIdle: UInt32
    /// The ring whose io-wq to share; sets IORING_SETUP_ATTACH_WQ when not nil.
    public var workQueueFD: Int32?

    public init(flags: SetupFlags = [], cqEntries: UInt32? = nil, sqThreadCPU: UInt32? = nil,
                sqThreadIdle: UInt32 = 1000, workQueueFD: Int32? = nil) {
        self.flags = flags
        self.cqEntries = cqEntries
        self.sqThreadCPU = sqThreadCPU
        self.sqThreadIdle = sqThreadIdle
        self.workQueueFD = workQueueFD
    }
}

/// An io_uring instance: the SQ and CQ rings mapped from the kernel, the SQE array, and the memory
/// that queued requests point at.
///
/// Memory rule: everything an SQE references — buffers, iovecs, socket addresses, paths, timespecs,
/// message headers — is owned or retained by the ring until the ring is quiescent, meaning every request
/// it queued has posted its final CQE (one without IORING_CQE_F_MORE). When quiescence cannot be
/// proved (IOSQE_CQE_SKIP_SUCCESS hides successes), `quiesce` proves it with a drained barrier. On
/// deinit, in-flight work is cancelled and reaped first; if it does not finish, the memory is leaked on
/// purpose rather than freed under the kernel.
///
/// Matches the shape of liburing's `struct io_uring` and Zig's `std.os.linux.IoUring`.
public struct IoUring: ~Copyable {
    /// The ring's file descriptor.
    public let fd: Int32
    /// The flags the ring was set up with, as the kernel accepted them.
    public let setupFlags: SetupFlags
    /// The kernel's feature bits.
    public let features: Features

    @usableFromInline var sq: SubmissionQueue
    @usableFromInline var cq: CompletionQueue
    private let ringMapping: (base: UnsafeMutableRawPointer, size: Int)
    private let sqeMapping: (base: UnsafeMutableRawPointer, size: Int)

    // Memory the kernel may touch on behalf of queued requests (see the memory rule above).
    var arena = ScratchArena()
    @usableFromInline var retained: [KernelMemory] = []
    @usableFromInline var retentionToken = RetentionToken.next()
    /// Memory that lives as long as a registration does (registered and provided buffers, buffer rings).
    var registeredMemory: [AnyObject] = []
    /// Memory kept for the ring's whole life (`pin`), and the token that marks it as this ring's.
    var pinnedMemory: [KernelMemory] = []
    let pinToken = RetentionToken.next()
    /// The buffers of IORING_REGISTER_BUFFERS, by index.
    var registeredBuffers: [IoBuffer] = []
    /// Provided-buffer state: buffer rings by group id, and the buffers given to IORING_OP_PROVIDE_BUFFERS.
    var providedBuffers = ProvidedBufferTable()

    /// Requests queued whose final CQE has not been reaped. Requests with IOSQE_CQE_SKIP_SUCCESS
    /// count until a barrier proves them done.
    public var inFlight: Int { inFlightCount }
    @usableFromInline var inFlightCount = 0

    /// Promise of the ring's owner that no two requests in flight share a user_data. It lets the ring
    /// count IOSQE_CQE_SKIP_SUCCESS link-chain members done when a later member posts
    /// (`SilentRequestLedger`), so a ring with silent requests can still become quiescent.
    public var userDataIsUnique = false
    var silentLedger = SilentRequestLedger()
    /// Whether the ledger holds proofs that CQEs may complete.
    @usableFromInline var hasSilentProofs = false

    /// While an `SQETemplate` is being captured: the memory every `retain` kept alive since, and where
    /// the SQ tail and the arena stood when the capture began.
    var capturedMemory: [KernelMemory]?
    var captureTail: UInt32 = 0
    var captureArenaAllocations = 0

    /// Where the user_data of the requests queued since the ring was last idle lie, for choosing the
    /// user_data of the engine's own SQEs (`QueuedUserData`).
    @usableFromInline var queuedUserData = QueuedUserData()

    /// Sets up a ring with `entries` SQEs (a power of two in 1...32768).
    /// Matches io_uring_queue_init() in liburing.
    public init(entries: UInt32, flags: SetupFlags = []) throws(IoUringError) {
        try self.init(entries: entries, parameters: RingParameters(flags: flags))
    }

    /// Sets up a ring from full parameters. Matches io_uring_queue_init_params() in liburing. With
    /// IORING_SETUP_CLAMP, `entries` may exceed 32768: the kernel clamps it (and the CQ size) to its limits.
    public init(entries: UInt32, parameters: RingParameters) throws(IoUringError) {
        let limit: UInt32 = parameters.flags.contains(.clamp) ? 1 << 31 : 32768
        guard entries >= 1, entries <= limit, entries & (entries - 1) == 0 else {
            throw .invalidEntries(entries)
        }
        var params = io_uring_params()
        params.flags = parameters.flags.rawValue
        params.sq_thread_idle = parameters.sqThreadIdle
        if let cqEntries = parameters.cqEntries {
            params.flags |= IORING_SETUP_CQSIZE
            params.cq_entries = cqEntries
        }
        if let cpu = parameters.sqThreadCPU {
            params.flags |= IORING_SETUP_SQ_AFF
            params.sq_thread_cpu = cpu
        }
        if let wq = parameters.workQueueFD {
            params.flags |= IORING_SETUP_ATTACH_WQ
            params.wq_fd = UInt32(bitPattern: wq)
        }
        let unsupported = SetupFlags(rawValue: params.flags).intersection([.noMmap, .registeredFDOnly])
        guard unsupported.isEmpty else {
            throw .invalidArgument("setup flags \(unsupported.rawValue) need application-provided ring memory, which this engine does not do")
        }

        let result = CIoUring_setup(entries, &params)
        guard result >= 0 else { throw .syscall(.setup, Errno(rawValue: -result)) }
        let fd = result
        var ok = false
        defer { if !ok { closeDescriptor(fd) } }

        let features = Features(rawValue: params.features)
        guard features.contains(.singleMmap) else {
            throw .unsupported("IORING_FEAT_SINGLE_MMAP (kernel 5.4)")
        }
        guard params.sq_entries > 0, params.cq_entries >= params.sq_entries,
              params.sq_entries & (params.sq_entries - 1) == 0 else {
            throw .invalidArgument("kernel answered sq_entries \(params.sq_entries), cq_entries \(params.cq_entries)")
        }

        let setupFlags = SetupFlags(rawValue: params.flags)
        let cqeShift = setupFlags.contains(.cqe32) ? 5 : 4
        let sqeShift = setupFlags.contains(.sqe128) ? 7 : 6
        let sqOffsets = params.sq_off
        let cqOffsets = params.cq_off
        let sqSize = setupFlags.contains(.noSQArray)
            ? Int(sqOffsets.tail) + 4
            : Int(sqOffsets.array) + Int(params.sq_entries) * 4
        let cqSize = Int(cqOffsets.cqes) + Int(params.cq_entries) << cqeShift
        let ringSize = max(sqSize, cqSize)

        let ring = mmap(nil, ringSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off_t(IORING_OFF_SQ_RING))
        guard let ring, ring != MAP_FAILED else {
            throw .syscall(.mmap("SQ/CQ rings"), Errno(rawValue: CIoUring_errno()))
        }
        let sqeBytes = Int(params.sq_entries) << sqeShift
        let sqeMemory = mmap(nil, sqeBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off_t(IORING_OFF_SQES))
        guard let sqeMemory, sqeMemory != MAP_FAILED else {
            let errno = CIoUring_errno()
            munmap(ring, ringSize)
            throw .syscall(.mmap("SQE array"), Errno(rawValue: errno))
        }

        func field(_ offset: UInt32) -> UnsafeMutablePointer<UInt32> {
            (ring + Int(offset)).assumingMemoryBound(to: UInt32.self)
        }
        let sq = SubmissionQueue(
            head: field(sqOffsets.head), tail: field(sqOffsets.tail), flags: field(sqOffsets.flags),
            dropped: field(sqOffsets.dropped), sqes: sqeMemory, sqeShift: sqeShift,
            mask: field(sqOffsets.ring_mask).pointee, entries: field(sqOffsets.ring_entries).pointee)
        let cq = CompletionQueue(
            head: field(cqOffsets.head), tail: field(cqOffsets.tail), overflow: field(cqOffsets.overflow),
            flags: cqOffsets.flags == 0 ? nil : field(cqOffsets.flags),
            cqes: ring + Int(cqOffsets.cqes), mask: field(cqOffsets.ring_mask).pointee,
            entries: field(cqOffsets.ring_entries).pointee, cqeShift: cqeShift,
            mixed: setupFlags.contains(.cqeMixed))

        guard sq.entries == params.sq_entries, sq.mask == sq.entries - 1, cq.entries == params.cq_entries,
              cq.mask == cq.entries - 1, sq.head.pointee == 0, sq.tail.pointee == 0, cq.head.pointee == 0,
              cq.tail.pointee == 0 else {
            munmap(sqeMemory, sqeBytes)
            munmap(ring, ringSize)
            throw .invalidArgument("the kernel's ring layout is not the one it described")
        }
        if !setupFlags.contains(.noSQArray) {
            // Identity map: SQ slot i holds SQE i, so publishing the tail is all a flush needs.
            let array = field(sqOffsets.array)
            for index in 0..<sq.entries { array[Int(index)] = index }
        }

        self.fd = fd
        self.setupFlags = setupFlags
        self.features = features
        self.sq = sq
        self.cq = cq
        self.ringMapping = (ring, ringSize)
        self.sqeMapping = (sqeMemory, sqeBytes)
        ok = true
    }

    /// How long `deinit` waits for in-flight work to be cancelled and drained before leaking its memory
    /// (2 s unless set). A runner with a bounded teardown sets what is left of it.
    public var teardownTimeout: Duration = .seconds(2)

    deinit {
        if inFlight > 0 && !drainForTeardown(timeout: teardownTimeout) {
            // The kernel may still write into this memory: leak it rather than free it.
            arena.abandon()
            for memory in retained { _ = Unmanaged.passRetained(memory) }
            for memory in registeredMemory { _ = Unmanaged.passRetained(memory) }
            for memory in pinnedMemory { _ = Unmanaged.passRetained(memory) }
        }
        munmap(sqeMapping.base, sqeMapping.size)
        munmap(ringMapping.base, ringMapping.size)
        closeDescriptor(fd)
    }

    /// `quiesce(cancelling: true)` for `deinit`, where `self` cannot change: works on local copies of the
    /// ring indices, discards the CQEs, and reports whether the drained barrier arrived in time.
    private func drainForTeardown(timeout: Duration) -> Bool {
        var tail = sq.sqeTail
        let head = sq.kernelHead()
        guard sq.entries &- (tail &- head) >= 2 else { return false }
        // SQEs queued but not flushed are published below: their user_data must be avoided too.
        var queued = queuedUserData
        var index = sq.sqeHead
        while index != tail {
            queued.note(sq.filledEntry(index).pointee.user_data)
            index &+= 1
        }
        guard let (cancelUserData, barrierUserData) = queued.twoFreeValues() else { return false }
        let cancel = sq.entry(tail)
        cancel.pointee.opcode = Opcode.asyncCancel.rawValue
        cancel.pointee.fd = -1
        cancel.pointee.cancel_flags = IORING_ASYNC_CANCEL_ANY
        cancel.pointee.user_data = cancelUserData
        tail &+= 1
        let barrier = sq.entry(tail)
        barrier.pointee.opcode = Opcode.nop.rawValue
        barrier.pointee.fd = -1
        barrier.pointee.flags = UInt8(IOSQE_IO_DRAIN)
        barrier.pointee.user_data = barrierUserData
        tail &+= 1
        CIoUring_store_release(sq.tail, tail)
        var toSubmit = tail &- head
        let start = ContinuousClock.now
        var barrierRefused = false
        while ContinuousClock.now - start < timeout {
            let remaining = timeout - (ContinuousClock.now - start)
            let (seconds, attoseconds) = remaining.components
            var timespec = io_uring_kernel_timespec(tv_sec: seconds, tv_nsec: attoseconds / 1_000_000_000)
            let result = withUnsafeMutablePointer(to: &timespec) { pointer in
                var argument = io_uring_getevents_arg(sigmask: 0, sigmask_sz: 8, min_wait_usec: 0,
                                                      ts: UInt64(UInt(bitPattern: pointer)))
                return CIoUring_enter(fd, toSubmit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                                      &argument, MemoryLayout<io_uring_getevents_arg>.size)
            }
            if result > 0 { toSubmit &-= UInt32(result) }
            if result < 0 && result != -Errno.ETIME.rawValue && result != -Errno.EINTR.rawValue { return false }
            var cqHead = cq.head.pointee
            let cqTail = cq.kernelTail()
            var barrierSeen = false
            while cqHead != cqTail {
                let cqe = cq.slot(cqHead).assumingMemoryBound(to: io_uring_cqe.self).pointee
                cqHead &+= cq.mixed && cqe.flags & IORING_CQE_F_32 != 0 ? 2 : 1
                if cqe.user_data == barrierUserData && cqe.flags & IORING_CQE_F_SKIP == 0 {
                    barrierSeen = true
                    // A refused drain (-EOPNOTSUPP once the ring has seen IOSQE_CQE_SKIP_SUCCESS) proves nothing.
                    barrierRefused = cqe.res < 0
                }
            }
            CIoUring_store_release(cq.head, cqHead)
            if barrierRefused { return false }
            if barrierSeen { return true }
        }
        return false
    }

    /// The number of SQ entries the kernel gave the ring.
    @inlinable
    public var sqEntries: UInt32 { sq.entries }
    /// The number of CQ entries the kernel gave the ring.
    public var cqEntries: UInt32 { cq.entries }

    // MARK: - Submission

    /// A zeroed SQE to fill, or `.submissionQueueFull`. Counts the request as in flight.
    /// Matches io_uring_get_sqe() in liburing; the pointer never leaves the engine.
    @inline(__always)
    mutating func nextSQE() throws(IoUringError) -> UnsafeMutablePointer<io_uring_sqe> {
        let head = sq.kernelHead()
        guard sq.sqeTail &- head < sq.entries else { throw .submissionQueueFull }
        let sqe = sq.entry(sq.sqeTail)
        sq.sqeTail &+= 1
        inFlightCount &+= 1
        return sqe
    }

    /// Queues an SQE with the fields common to most ops filled in, like io_uring_prep_rw() in liburing.
    @inline(__always)
    @discardableResult
    mutating func prepare(_ opcode: Opcode, userData: UInt64, flags: SubmissionFlags, file: FileReference? = nil,
                          address: UInt64 = 0, length: UInt32 = 0, offset: UInt64 = 0)
        throws(IoUringError) -> UnsafeMutablePointer<io_uring_sqe> {
        let sqe = try nextSQE()
        sqe.pointee.opcode = opcode.rawValue
        var sqeFlags = flags.rawValue
        if let file {
            let fields = file.sqeFields
            sqe.pointee.fd = fields.fd
            sqeFlags |= fields.flags
        } else {
            sqe.pointee.fd = -1
        }
        sqe.pointee.flags = sqeFlags
        sqe.pointee.addr = address
        sqe.pointee.len = length
        sqe.pointee.off = offset
        sqe.pointee.user_data = userData
        return sqe
    }

    /// Publishes the SQEs queued since the last flush to the kernel (one releasing store of the tail) and
    /// returns how many SQEs the kernel has yet to consume. Matches __io_uring_flush_sq() in liburing.
    @inlinable
    @discardableResult
    public mutating func flushSQ() -> UInt32 {
        if sq.sqeHead != sq.sqeTail {
            if userDataIsUnique { noteQueuedForSilentProofs(from: sq.sqeHead, to: sq.sqeTail) }
            noteQueuedUserData(from: sq.sqeHead, to: sq.sqeTail)
            sq.sqeHead = sq.sqeTail
            CIoUring_store_release(sq.tail, sq.sqeTail)
        }
        return sq.sqeTail &- sq.kernelHead()
    }

    /// SQEs queued (flushed or not) that the kernel has not consumed yet. Matches io_uring_sq_ready().
    @inlinable
    public var sqReady: UInt32 { sq.sqeTail &- sq.kernelHead() }

    /// Free SQE slots. Matches io_uring_sq_space_left().
    @inlinable
    public var sqSpaceLeft: UInt32 { sq.entries &- sqReady }

    /// CQEs posted and not yet reaped. Matches io_uring_cq_ready().
    public var cqReady: UInt32 { cq.kernelTail() &- cq.head.pointee }

    /// Whether CQEs are waiting in the kernel's overflow list (IORING_SQ_CQ_OVERFLOW), or task work is
    /// pending (IORING_SQ_TASKRUN): either way only an enter with GETEVENTS brings them in.
    /// Matches cq_ring_needs_flush() in liburing.
    @inlinable
    public var cqRingNeedsFlush: Bool {
        sq.kernelFlags() & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN) != 0
    }

    /// CQEs the kernel dropped because the CQ was full (only without IORING_FEAT_NODROP).
    public var cqOverflowCount: UInt32 { CIoUring_load_acquire(cq.overflow) }

    /// Whether submitting needs `io_uring_enter`: always without SQPOLL; with SQPOLL only when the thread
    /// sleeps (IORING_SQ_NEED_WAKEUP), in which case IORING_ENTER_SQ_WAKEUP is added to `flags`.
    /// Matches sq_ring_needs_enter() in liburing.
    public func sqRingNeedsEnter(_ flags: inout EnterFlags) -> Bool {
        guard setupFlags.contains(.sqPoll) else { return true }
        if sq.kernelFlags() & IORING_SQ_NEED_WAKEUP != 0 {
            flags.insert(.sqWakeup)
            return true
        }
        return false
    }

    /// Submits queued SQEs. Returns the number submitted. Matches io_uring_submit() in liburing.
    @discardableResult
    public mutating func submit() throws(IoUringError) -> UInt32 {
        try submit(andWaitFor: 0)
    }

    /// Submits queued SQEs and waits for at least `waitCount` CQEs.
    /// Matches io_uring_submit_and_wait() in liburing.
    @discardableResult
    public mutating func submit(andWaitFor waitCount: UInt32) throws(IoUringError) -> UInt32 {
        let submitted = flushSQ()
        var flags: EnterFlags = []
        if sqRingNeedsEnter(&flags) || waitCount > 0 || cqRingNeedsFlush {
            if waitCount > 0 || setupFlags.contains(.ioPoll) || cqRingNeedsFlush {
                flags.insert(.getEvents)
            }
            return try enter(toSubmit: submitted, minComplete: waitCount, flags: flags)
        }
        return submitted
    }

    /// Calls `io_uring_enter(2)`. Returns the number of SQEs consumed.
    @discardableResult
    public mutating func enter(toSubmit: UInt32, minComplete: UInt32, flags: EnterFlags) throws(IoUringError) -> UInt32 {
        let result = CIoUring_enter(fd, toSubmit, minComplete, flags.rawValue, nil, 0)
        guard result >= 0 else { throw .syscall(.enter, Errno(rawValue: -result)) }
        return UInt32(result)
    }

    /// `io_uring_enter(2)` with IORING_ENTER_EXT_ARG: submits, then waits for `minComplete` CQEs or until
    /// `timeout` passes. Returns the number submitted; a timeout is not an error.
    @discardableResult
    public mutating func enter(toSubmit: UInt32, minComplete: UInt32, flags: EnterFlags, timeout: Duration)
        throws(IoUringError) -> UInt32 {
        let (seconds, attoseconds) = max(timeout, .zero).components
        var timespec = io_uring_kernel_timespec(tv_sec: seconds, tv_nsec: attoseconds / 1_000_000_000)
        let result = withUnsafeMutablePointer(to: &timespec) { timespecPointer in
            var argument = io_uring_getevents_arg(sigmask: 0, sigmask_sz: 8, min_wait_usec: 0,
                                                  ts: UInt64(UInt(bitPattern: timespecPointer)))
            return CIoUring_enter(fd, toSubmit, minComplete, flags.union([.extArg, .getEvents]).rawValue,
                                  &argument, MemoryLayout<io_uring_getevents_arg>.size)
        }
        if result == -Errno.ETIME.rawValue { return 0 }
        guard result >= 0 else { throw .syscall(.enter, Errno(rawValue: -result)) }
        return UInt32(result)
    }

    // MARK: - Completion

    /// Copies ready CQEs, at most `maximum`, to `body` and advances the CQ head once for the batch.
    /// Keeps `inFlight` exact and releases request memory when the ring becomes quiescent.
    @inlinable @inline(__always)
    mutating func reapReady(maximum: Int, _ body: (CompletionQueueEntry) -> Void) -> Int {
        let first = cq.head.pointee
        var head = first
        let tail = cq.kernelTail()
        var count = 0
        if cq.cqeShift == 4 && !cq.mixed {
            // 16-byte CQEs only: no second half, no fillers.
            let (cqes, mask) = (cq.cqes.assumingMemoryBound(to: io_uring_cqe.self), cq.mask)
            var finals = 0
            while head != tail && count < maximum {
                let cqe = cqes[Int(truncatingIfNeeded: head & mask)]
                head &+= 1
                if cqe.flags & IORING_CQE_F_MORE == 0 { finals &+= 1 }
                count &+= 1
                body(CompletionQueueEntry(userData: cqe.user_data, res: cqe.res, flags: CompletionFlags(rawValue: cqe.flags)))
            }
            if hasSilentProofs { finals &+= silentRequestsProved(byCQEsFrom: first, to: head) }
            CIoUring_store_release(cq.head, head)
            inFlightCount &-= finals
            if inFlightCount == 0 { releaseRequestMemory() }
            return count
        }
        while head != tail && count < maximum {
            let slot = cq.slot(head)
            let cqe = slot.assumingMemoryBound(to: io_uring_cqe.self).pointee
            var entry = CompletionQueueEntry(userData: cqe.user_data, res: cqe.res, flags: CompletionFlags(rawValue: cqe.flags))
            head &+= 1
            if cq.cqeShift == 5 {
                entry.extra1 = slot.load(fromByteOffset: 16, as: UInt64.self)
                entry.extra2 = slot.load(fromByteOffset: 24, as: UInt64.self)
            } else if cq.mixed {
                if cqe.flags & IORING_CQE_F_SKIP != 0 { continue }
                if cqe.flags & IORING_CQE_F_32 != 0 {
                    entry.extra1 = slot.load(fromByteOffset: 16, as: UInt64.self)
                    entry.extra2 = slot.load(fromByteOffset: 24, as: UInt64.self)
                    head &+= 1
                }
            }
            if cqe.flags & IORING_CQE_F_MORE == 0 { inFlightCount &-= 1 }
            if hasSilentProofs { inFlightCount &-= silentRequestsProved(byCQEWith: cqe.user_data, flags: cqe.flags) }
            count += 1
            body(entry)
        }
        CIoUring_store_release(cq.head, head)
        if inFlight == 0 { releaseRequestMemory() }
        return count
    }

    /// Copies ready CQEs into `cqes` (appending, at most `maximum`) and advances the CQ ring once. If none
    /// are ready and `waitCount` > 0, or completions sit in the overflow list, enters the kernel to wait
    /// for them first. Returns the number copied. Matches copy_cqes() in Zig's IoUring
    /// (io_uring_peek_batch_cqe() in liburing, plus waiting).
    @discardableResult
    public mutating func copyCQEs(into cqes: inout [CompletionQueueEntry], maximum: Int = .max,
                                  waitFor waitCount: UInt32 = 0) throws(IoUringError) -> Int {
        try forEachCQE(maximum: maximum, waitFor: waitCount) { cqes.append($0) }
    }

    /// Copies the CQEs that are ready, at most `buffer.count`, into `buffer` and advances the CQ head once
    /// for the batch; never enters the kernel. Returns the number copied. For consumers that handle CQEs
    /// after the copy, with a buffer of their own: io_uring_peek_batch_cqe() + io_uring_cq_advance() in
    /// liburing.
    @inlinable @inline(__always)
    public mutating func copyReadyCQEs(into buffer: UnsafeMutableBufferPointer<CompletionQueueEntry>) -> Int {
        var count = 0
        return reapReady(maximum: buffer.count) { cqe in
            buffer[count] = cqe
            count &+= 1
        }
    }

    /// Like `copyCQEs`, handing each CQE to `body` instead of storing it.
    @discardableResult
    public mutating func forEachCQE(maximum: Int = .max, waitFor waitCount: UInt32 = 0,
                                    _ body: (CompletionQueueEntry) -> Void) throws(IoUringError) -> Int {
        let count = reapReady(maximum: maximum, body)
        if count > 0 { return count }
        if waitCount > 0 || cqRingNeedsFlush {
            try enterRetryingInterrupts(minComplete: waitCount, timeout: nil)
            return reapReady(maximum: maximum, body)
        }
        return 0
    }

    /// Waits at most `timeout` for `waitCount` CQEs (submitting anything queued), then hands every ready
    /// CQE to `body`. Returns the number handed out; fewer than `waitCount` means the time ran out.
    @discardableResult
    public mutating func waitCQEs(_ waitCount: UInt32, timeout: Duration, maximum: Int = .max,
                                  _ body: (CompletionQueueEntry) -> Void) throws(IoUringError) -> Int {
        let ready = cqReady
        if ready < waitCount || cqRingNeedsFlush || sqReady > 0 {
            try enterRetryingInterrupts(minComplete: ready >= waitCount ? 0 : waitCount, timeout: timeout)
        }
        return reapReady(maximum: maximum, body)
    }

    private mutating func enterRetryingInterrupts(minComplete: UInt32, timeout: Duration?) throws(IoUringError) {
        let start = ContinuousClock.now
        while true {
            let toSubmit = flushSQ()
            var flags: EnterFlags = [.getEvents]
            _ = sqRingNeedsEnter(&flags)
            do {
                if let timeout {
                    let remaining = timeout - (ContinuousClock.now - start)
                    try enter(toSubmit: toSubmit, minComplete: minComplete, flags: flags, timeout: remaining)
                } else {
                    try enter(toSubmit: toSubmit, minComplete: minComplete, flags: flags)
                }
                return
            } catch .syscall(.enter, .EINTR) {
                if let timeout, ContinuousClock.now - start >= timeout { return }
                continue
            }
        }
    }

    /// Returns a copy of the next completion, waiting for it if necessary, and advances the CQ ring.
    /// Matches copy_cqe() in Zig's IoUring.
    public mutating func copyCQE() throws(IoUringError) -> CompletionQueueEntry {
        var result: CompletionQueueEntry?
        while result == nil {
            try forEachCQE(maximum: 1, waitFor: 1) { result = $0 }
        }
        return result!
    }

    /// The next ready CQE without consuming it, for consumers that read in place and then call
    /// `cqeSeen()`. Matches io_uring_peek_cqe() in liburing (without waiting).
    public func peekCQE() -> CompletionQueueEntry? {
        var head = cq.head.pointee
        let tail = cq.kernelTail()
        while head != tail {
            let cqe = cq.slot(head).assumingMemoryBound(to: io_uring_cqe.self).pointee
            if cq.mixed && cqe.flags & IORING_CQE_F_SKIP != 0 { head &+= 1; continue }
            return CompletionQueueEntry(userData: cqe.user_data, res: cqe.res, flags: CompletionFlags(rawValue: cqe.flags))
        }
        return nil
    }

    /// Marks the CQE returned by `peekCQE()` as consumed. Not idempotent. Matches io_uring_cqe_seen().
    public mutating func cqeSeen() {
        cqAdvance(1)
    }

    /// Consumes `count` CQEs without copying them. Matches io_uring_cq_advance() in liburing.
    public mutating func cqAdvance(_ count: UInt32) {
        guard count > 0 else { return }
        _ = reapReady(maximum: Int(count)) { _ in }
    }

    // MARK: - Quiescence

    /// Releases request memory (arena and retained buffers) once nothing the ring queued can use it.
    @usableFromInline
    mutating func releaseRequestMemory() {
        guard inFlight == 0 else { return }
        queuedUserData.reset()
        guard !retained.isEmpty || !arena.isEmpty else { return }
        retained.removeAll(keepingCapacity: true)
        arena.reset()
        retentionToken = RetentionToken.next()
    }

    /// Keeps `memory` alive as long as the ring (and, like retained memory, leaked rather than freed if
    /// the ring cannot prove itself idle at the end): requests over it then retain nothing, and a
    /// template over it nothing each time the ring has been quiescent. For memory its owner keeps for
    /// the ring's whole use anyway, such as a scenario's buffers.
    public mutating func pin(_ memory: KernelMemory) {
        guard memory.pinnedBy != pinToken else { return }
        memory.pinnedBy = pinToken
        pinnedMemory.append(memory)
    }

    /// Keeps `memory` alive until the ring is quiescent (pinned memory already is).
    @usableFromInline
    mutating func retain(_ memory: KernelMemory) {
        if memory.pinnedBy == pinToken { return }
        if capturedMemory != nil { capturedMemory!.append(memory) }
        if memory.retainedBy != retentionToken {
            memory.retainedBy = retentionToken
            retained.append(memory)
        }
    }

    /// Waits until every request the ring queued has posted its final CQE, cancelling them first when
    /// `cancelling` is true (IORING_OP_ASYNC_CANCEL with IORING_ASYNC_CANCEL_ANY), then proves it with a
    /// drained NOP barrier (IOSQE_IO_DRAIN). CQEs of the ring's own requests reaped meanwhile go to `body`.
    /// Returns false if `timeout` passed first, or if the kernel refused the barrier: once a ring has seen
    /// IOSQE_CQE_SKIP_SUCCESS it fails every drained request with -EOPNOTSUPP (Linux 5.17, commit
    /// 5562a8d71aa3), and nothing else proves that silent requests are done. The memory then stays
    /// retained (and is leaked on `deinit`).
    @discardableResult
    public mutating func quiesce(cancelling: Bool, timeout: Duration,
                                 _ body: (CompletionQueueEntry) -> Void) throws(IoUringError) -> Bool {
        if inFlight == 0 {
            releaseRequestMemory()
            return true
        }
        let start = ContinuousClock.now
        let needed: UInt32 = cancelling ? 2 : 1
        while sqSpaceLeft < needed {
            try submit()
            if sqSpaceLeft < needed {
                try waitCQEs(1, timeout: .milliseconds(10)) { cqe in body(cqe) }
            }
            if ContinuousClock.now - start > timeout { return false }
        }
        // Every request queued so far is published before the engine's user_data is chosen.
        flushSQ()
        guard let (cancelUserData, barrierUserData) = queuedUserData.twoFreeValues() else { return false }
        if cancelling {
            let cancel = try prepare(.asyncCancel, userData: cancelUserData, flags: [])
            cancel.pointee.cancel_flags = IORING_ASYNC_CANCEL_ANY
        }
        try prepare(.nop, userData: barrierUserData, flags: .drain)
        var barrierSeen = false
        var barrierRefused = false
        while !barrierSeen {
            let remaining = timeout - (ContinuousClock.now - start)
            if remaining <= .zero { return false }
            try waitCQEs(1, timeout: remaining) { cqe in
                switch cqe.userData {
                case barrierUserData:
                    barrierSeen = true
                    barrierRefused = cqe.res < 0
                case cancelUserData where cancelling: break
                default: body(cqe)
                }
            }
        }
        if barrierRefused {
            // No proof: requests that succeed silently may still be running. Give what the cancel
            // interrupted a moment to post (until 10ms pass without a CQE), hand it out, keep the memory.
            while cancelling, inFlight > 0, ContinuousClock.now - start < timeout {
                let got = try waitCQEs(1, timeout: .milliseconds(10)) { cqe in
                    if cqe.userData != cancelUserData { body(cqe) }
                }
                if got == 0 { break }
            }
            _ = reapReady(maximum: .max, body)
            // Silent requests that later link-chain members proved done are counted already
            // (`SilentRequestLedger`): with none left unproved, the ring is idle after all.
            if inFlight == 0 {
                releaseRequestMemory()
                return true
            }
            return false
        }
        // The drained barrier started only after every earlier request completed, and its CQE came after
        // theirs: nothing the ring queued is still running.
        _ = reapReady(maximum: .max, body)
        inFlightCount = Int(sqReady)
        silentLedger.reset()
        hasSilentProofs = false
        releaseRequestMemory()
        return true
    }
}
