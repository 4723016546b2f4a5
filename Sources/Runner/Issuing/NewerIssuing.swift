#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring
import Scenario
import Synchronization

// The ops of Linux 6.0–6.18 that had only `raw` before: futexes, msg_ring, pipe, the vectored fixed-buffer
// reads and writes, extended attributes, madvise and zero-copy receive. Each calls its typed engine op.

extension OperationIssuer {
    // MARK: - Futexes

    /// The 4-byte futex word a `word` argument names.
    private static func futexWord(_ op: Issue) throws -> IoBufferSlice {
        guard let operand = op.spec.arguments.buffer("word") else { throw op.failure("word", "needs 'word'") }
        return try op.resolver.buffer(operand, length: 4)
    }

    private static func futexFlags(_ op: Issue) -> Futex2Flags { Futex2Flags(rawValue: op.constants32("futex_flags")) }

    /// IORING_OP_FUTEX_WAIT.
    static func futexWait(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.futexWait(userData: op.userData, word: try futexWord(op), expected: try op.unsigned("value"),
                           mask: try op.unsigned("mask"), futexFlags: futexFlags(op), flags: op.flags)
    }

    /// IORING_OP_FUTEX_WAKE.
    static func futexWake(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.futexWake(userData: op.userData, word: try futexWord(op), count: try op.unsigned("count"),
                           mask: try op.unsigned("mask"), futexFlags: futexFlags(op), flags: op.flags)
    }

    /// IORING_OP_FUTEX_WAITV: one `struct futex_waitv` per region of `words`, each expecting `value`.
    static func futexWaitv(_ op: Issue, _ ring: inout IoUring) throws {
        guard let regions = try op.iovecs("words") else { throw op.failure("words", "needs 'words'") }
        let expected = try op.unsigned("value")
        let flags = futexFlags(op)
        try ring.futexWaitv(userData: op.userData,
                            entries: regions.map { FutexWaitEntry(word: $0, expected: expected, futexFlags: flags) },
                            flags: op.flags)
    }

    // MARK: - Messages

    /// The ring a msg_ring goes to: this scenario's own ring for `$ring`, or a registered slot.
    private static func ringTarget(_ op: Issue, _ ring: borrowing IoUring) throws -> FileReference {
        if case .text? = op.spec.arguments["ring"] { return .descriptor(ring.fd) }
        return try op.file("ring")
    }

    /// IORING_OP_MSG_RING with IORING_MSG_DATA.
    static func messageRing(_ op: Issue, _ ring: inout IoUring) throws {
        let target = try ringTarget(op, ring)
        try ring.messageRing(userData: op.userData, target: target, data: try op.unsigned("data", as: UInt32.self),
                             cqeUserData: try op.unsigned("cqe_user_data"),
                             cqeFlags: try op.optionalUnsigned("cqe_flags").map { UInt32(truncatingIfNeeded: $0) },
                             flags: op.flags)
    }

    /// IORING_OP_MSG_RING with IORING_MSG_SEND_FD.
    static func messageRingFile(_ op: Issue, _ ring: inout IoUring) throws {
        let target = try ringTarget(op, ring)
        try ring.messageRingFile(userData: op.userData, target: target, sourceSlot: try op.slot("source_slot"),
                                 targetSlot: try op.slotChoice("target_slot"), cqeUserData: try op.unsigned("cqe_user_data"),
                                 skipCQE: op.bool("skip_cqe"), flags: op.flags)
    }

    // MARK: - Pipes

    /// Where IORING_OP_PIPE writes its int[2]: `buf`, or 8 bytes of the runner's own.
    private static func pipeDescriptors(_ op: Issue) throws -> IoBufferSlice {
        if let operand = op.spec.arguments.buffer("buf") { return try op.resolver.buffer(operand, length: 8) }
        return IoBuffer(count: 8).region
    }

    /// IORING_OP_PIPE into two new descriptors. Without `buf` the runner's own int[2] starts as
    /// { -1, -1 } and is kept in `PipeEnds`, so the descriptors the kernel writes there are closed once the
    /// ring is gone (`closePipeEnds`); with a scenario's `buf` they are the scenario's to keep.
    static func pipe(_ op: Issue, _ ring: inout IoUring) throws {
        let descriptors = try pipeDescriptors(op)
        let owned = op.spec.arguments.buffer("buf") == nil
        if owned { descriptors.buffer.fill(0xff) }
        try ring.pipe(userData: op.userData, descriptors: descriptors, pipeFlags: op.constants32("flags"), flags: op.flags)
        if owned { PipeEnds.record(descriptors.buffer, ring: ring.identity) }
    }

    /// Closes the descriptors plain `pipe` steps without `buf` created on the ring `identity`
    /// (`IoUring.identity`). Call once that ring is destroyed: the kernel writes nothing after.
    public static func closePipeEnds(ofRing identity: UInt64) {
        for buffer in PipeEnds.take(ring: identity) {
            for offset in [0, 4] {
                let fd = buffer.bytes(offset..<offset + 4).reduce(into: UInt32(0)) { $0 = $0 >> 8 | UInt32($1) << 24 }
                guard Int32(bitPattern: fd) > 2 else { continue }
                #if canImport(Glibc)
                _ = Glibc.close(Int32(bitPattern: fd))
                #else
                _ = Musl.close(Int32(bitPattern: fd))
                #endif
            }
        }
    }

    /// IORING_OP_PIPE into registered file slots (`file_index`).
    static func pipeDirect(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.pipe(userData: op.userData, descriptors: try pipeDescriptors(op), pipeFlags: op.constants32("flags"),
                      slot: try op.slotChoice("slot"), flags: op.flags)
    }

    // MARK: - Vectored fixed-buffer reads and writes

    /// IORING_OP_READV_FIXED.
    static func readvFixed(_ op: Issue, _ ring: inout IoUring) throws {
        guard let regions = try op.iovecs() else { throw op.failure("iovecs", "needs 'iovecs'") }
        let (_, index) = try op.registeredBuffer()
        try ring.readvFixed(userData: op.userData, file: try op.file("fd"), into: regions, offset: try op.offset("offset"),
                            bufferIndex: index, rwFlags: op.constants32("flags"), flags: op.flags)
    }

    /// IORING_OP_WRITEV_FIXED.
    static func writevFixed(_ op: Issue, _ ring: inout IoUring) throws {
        guard let regions = try op.iovecs() else { throw op.failure("iovecs", "needs 'iovecs'") }
        let (_, index) = try op.registeredBuffer()
        try ring.writevFixed(userData: op.userData, file: try op.file("fd"), from: regions, offset: try op.offset("offset"),
                             bufferIndex: index, rwFlags: op.constants32("flags"), flags: op.flags)
    }

    // MARK: - Extended attributes

    /// A path of GETXATTR / SETXATTR, which have no dirfd: the kernel resolves a relative path against
    /// the process's working directory, so it is made relative to the sandbox directory through
    /// `/proc/self/fd/N` (the sandbox's descriptor), as every other path op resolves it.
    private static func xattrPath(_ op: Issue) throws -> String {
        let path = try op.path("path")
        if path.hasPrefix("/") { return path }
        let sandbox = try op.resolver.directory(.currentDirectory, at: op.instance)
        return "/proc/self/fd/\(sandbox)/" + path
    }

    private static func xattrValue(_ op: Issue) throws -> IoBufferSlice {
        guard let value = try op.transferBuffer() else { throw op.failure(nil, "needs 'buf' or 'data'") }
        return value
    }

    /// IORING_OP_FGETXATTR.
    static func fgetxattr(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.fgetxattr(userData: op.userData, file: try op.file("fd"), name: try op.path("name"),
                           into: try xattrValue(op), flags: op.flags)
    }

    /// IORING_OP_GETXATTR.
    static func getxattr(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.getxattr(userData: op.userData, path: try xattrPath(op), name: try op.path("name"),
                          into: try xattrValue(op), flags: op.flags)
    }

    /// IORING_OP_FSETXATTR.
    static func fsetxattr(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.fsetxattr(userData: op.userData, file: try op.file("fd"), name: try op.path("name"),
                           value: try xattrValue(op), xattrFlags: op.constants32("flags"), flags: op.flags)
    }

    /// IORING_OP_SETXATTR.
    static func setxattr(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.setxattr(userData: op.userData, path: try xattrPath(op), name: try op.path("name"),
                          value: try xattrValue(op), xattrFlags: op.constants32("flags"), flags: op.flags)
    }

    // MARK: - Memory advice and zero-copy receive

    /// IORING_OP_MADVISE over `len` bytes of `buf`.
    static func madvise(_ op: Issue, _ ring: inout IoUring) throws {
        guard let region = try op.transferBuffer() else { throw op.failure("buf", "needs 'buf'") }
        try ring.madvise(userData: op.userData, region: region, advice: op.constants32("advice"), flags: op.flags)
    }

    /// IORING_OP_RECV_ZC through interface queue `ifq`.
    static func receiveZeroCopy(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.receiveZeroCopy(userData: op.userData, socket: try op.file("fd"), ifqIndex: try op.unsigned("ifq", as: UInt32.self),
                                 length: try op.unsigned("len", as: UInt32.self), flags: op.flags)
    }
}

/// The runner's own int[2] buffers of plain `pipe` steps, per ring, until the ring is gone and the
/// descriptors in them can be closed. Scenarios run in parallel: one lock for all rings.
enum PipeEnds {
    private static let buffers = Mutex<[UInt64: [IoBuffer]]>([:])

    static func record(_ buffer: IoBuffer, ring: UInt64) {
        buffers.withLock { $0[ring, default: []].append(buffer) }
    }

    static func take(ring: UInt64) -> [IoBuffer] {
        buffers.withLock { $0.removeValue(forKey: ring) ?? [] }
    }
}
