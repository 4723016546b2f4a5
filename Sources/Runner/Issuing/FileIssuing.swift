import IoUring
import Scenario

// File and filesystem ops: read/write (plain, vectored, fixed, provided-buffer, multishot), sync and
// allocation, splice/tee, open/close (plain and direct), statx, the *at() path ops, epoll, waitid, and
// the registered-file-table ops.

extension OperationIssuer {
    // MARK: - Read and write

    /// IORING_OP_READ into `buf` or a provided buffer of `buffer_group`, IORING_OP_READV into `iovecs`.
    /// RWF_* flags go to `rw_flags`, which the engine's typed read has no parameter for: with flags the
    /// SQE is filled as io_uring_prep_read() / io_uring_prep_readv2() would.
    static func read(_ op: Issue, _ ring: inout IoUring) throws {
        let file = try op.file("fd")
        let offset = try op.offset("offset")
        let rwFlags = op.constants32("flags")
        if let regions = try op.iovecs() {
            guard rwFlags != 0 else {
                return try ring.read(userData: op.userData, file: file, into: .vectors(regions), offset: offset, flags: op.flags)
            }
            try ring.raw(vectored(op, .readv, file: file, regions: regions, offset: offset, rwFlags: rwFlags))
        } else if let group = op.bufferGroup("buffer_group") {
            let length = try op.unsigned("len", as: UInt32.self)
            guard rwFlags != 0 else {
                return try ring.read(userData: op.userData, file: file, into: .bufferSelection(group: group, length: length),
                                     offset: offset, flags: op.flags)
            }
            var sqe = op.rawSQE(.read, file: file)
            sqe.flags |= SubmissionFlags.bufferSelect.rawValue
            sqe.len = length
            sqe.off = offset
            sqe.bufIndex = group
            sqe.opFlags = rwFlags
            try ring.raw(sqe)
        } else {
            guard let buffer = try op.transferBuffer() else { throw op.failure(nil, "needs 'buf', 'iovecs' or 'buffer_group'") }
            guard rwFlags != 0 else {
                return try ring.read(userData: op.userData, file: file, into: .buffer(buffer), offset: offset, flags: op.flags)
            }
            try ring.raw(contiguous(op, .read, file: file, buffer: buffer, offset: offset, rwFlags: rwFlags))
        }
    }

    /// IORING_OP_WRITE from `buf` or inline `data`, IORING_OP_WRITEV from `iovecs`; `rw_flags` as for read.
    static func write(_ op: Issue, _ ring: inout IoUring) throws {
        let file = try op.file("fd")
        let offset = try op.offset("offset")
        let rwFlags = op.constants32("flags")
        if let regions = try op.iovecs() {
            guard rwFlags != 0 else {
                return try ring.writev(userData: op.userData, file: file, from: regions, offset: offset, flags: op.flags)
            }
            try ring.raw(vectored(op, .writev, file: file, regions: regions, offset: offset, rwFlags: rwFlags))
        } else {
            guard let buffer = try op.transferBuffer() else { throw op.failure(nil, "needs 'buf', 'data' or 'iovecs'") }
            guard rwFlags != 0 else {
                return try ring.write(userData: op.userData, file: file, from: buffer, offset: offset, flags: op.flags)
            }
            try ring.raw(contiguous(op, .write, file: file, buffer: buffer, offset: offset, rwFlags: rwFlags))
        }
    }

    /// IORING_OP_READ_FIXED into a registered buffer (`buf_index`).
    static func readFixed(_ op: Issue, _ ring: inout IoUring) throws {
        try fixedTransfer(op, &ring, .readFixed)
    }

    /// IORING_OP_WRITE_FIXED from a registered buffer (`buf_index`).
    static func writeFixed(_ op: Issue, _ ring: inout IoUring) throws {
        try fixedTransfer(op, &ring, .writeFixed)
    }

    /// IORING_OP_READ_FIXED or IORING_OP_WRITE_FIXED (`opcode`) of a registered buffer (`buf_index`):
    /// through the typed call, or, with `flags` (rw_flags), the SQE io_uring_prep_rw() fills.
    private static func fixedTransfer(_ op: Issue, _ ring: inout IoUring, _ opcode: Opcode) throws {
        let file = try op.file("fd")
        let offset = try op.offset("offset")
        let (slice, index) = try op.registeredBuffer()
        let rwFlags = op.constants32("flags")
        guard rwFlags != 0 else {
            if opcode == .readFixed {
                return try ring.readFixed(userData: op.userData, file: file, into: slice, offset: offset, bufferIndex: index, flags: op.flags)
            }
            return try ring.writeFixed(userData: op.userData, file: file, from: slice, offset: offset, bufferIndex: index, flags: op.flags)
        }
        var sqe = contiguous(op, opcode, file: file, buffer: slice, offset: offset, rwFlags: rwFlags)
        sqe.bufIndex = index
        try ring.raw(sqe)
    }

    /// A read or write of one region with `rw_flags`, as io_uring_prep_rw() fills it.
    private static func contiguous(_ op: Issue, _ opcode: Opcode, file: FileReference, buffer: IoBufferSlice,
                                   offset: UInt64, rwFlags: UInt32) -> RawSQE {
        var sqe = op.rawSQE(opcode, file: file)
        sqe.addr = buffer.kernelAddress
        sqe.len = UInt32(buffer.count)
        sqe.off = offset
        sqe.opFlags = rwFlags
        sqe.keepAlive = [buffer.buffer]
        return sqe
    }

    /// A vectored read or write with `rw_flags`, as io_uring_prep_readv2() / io_uring_prep_writev2() fill it.
    private static func vectored(_ op: Issue, _ opcode: Opcode, file: FileReference, regions: [IoBufferSlice],
                                 offset: UInt64, rwFlags: UInt32) -> RawSQE {
        let vectors = IoBuffer(KernelBytes.iovecs(regions))
        var sqe = op.rawSQE(opcode, file: file)
        sqe.addr = vectors.kernelAddress
        sqe.len = UInt32(regions.count)
        sqe.off = offset
        sqe.opFlags = rwFlags
        sqe.keepAlive = [vectors] + regions.map(\.buffer)
        return sqe
    }

    /// IORING_OP_READ_MULTISHOT: the engine has no typed call; filled as io_uring_prep_read_multishot()
    /// (`len` bytes per read, `buf_group`, IOSQE_BUFFER_SELECT).
    static func readMultishot(_ op: Issue, _ ring: inout IoUring) throws {
        guard let group = op.bufferGroup("buffer_group") else { throw op.failure("buffer_group", "needs 'buffer_group'") }
        var sqe = op.rawSQE(.readMultishot, file: try op.file("fd"))
        sqe.flags |= SubmissionFlags.bufferSelect.rawValue
        sqe.len = try op.unsigned("len", as: UInt32.self)
        sqe.off = try op.offset("offset")
        sqe.bufIndex = group
        try ring.raw(sqe)
    }

    // MARK: - Sync and allocation

    /// IORING_OP_FSYNC, with IORING_FSYNC_DATASYNC for `datasync`. A range (`offset`, `len`), which the
    /// typed fsync has no parameters for, is filled as io_uring_prep_fsync() does (`off`, `len`).
    static func fsync(_ op: Issue, _ ring: inout IoUring) throws {
        let file = try op.file("fd")
        let offset = try op.unsigned("offset")
        let length = try op.unsigned("len", as: UInt32.self)
        let dataSync = op.bool("datasync")
        guard offset != 0 || length != 0 else {
            return try ring.fsync(userData: op.userData, file: file, dataSync: dataSync, flags: op.flags)
        }
        var sqe = op.rawSQE(.fsync, file: file)
        sqe.off = offset
        sqe.len = length
        sqe.opFlags = dataSync ? 1 : 0  // IORING_FSYNC_DATASYNC in fsync_flags
        try ring.raw(sqe)
    }

    /// IORING_OP_SYNC_FILE_RANGE, as io_uring_prep_sync_file_range(): `len`, `off`, `sync_range_flags`.
    static func syncFileRange(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.raw(rangeSQE(op, .syncFileRange, opFlags: "flags"))
    }

    /// IORING_OP_FALLOCATE.
    static func fallocate(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.fallocate(userData: op.userData, file: try op.file("fd"), mode: Int32(truncatingIfNeeded: op.constants("mode")),
                           offset: try op.unsigned("offset"), length: try op.unsigned("len"), flags: op.flags)
    }

    /// IORING_OP_FADVISE, as io_uring_prep_fadvise(): `len`, `off`, `fadvise_advice`.
    static func fadvise(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.raw(rangeSQE(op, .fadvise, opFlags: "advice"))
    }

    /// The SQE of a range op on `fd` (`opcode`): `len` in len, `offset` in off, the constants of the
    /// argument `opFlags` in the op's flags.
    private static func rangeSQE(_ op: Issue, _ opcode: Opcode, opFlags key: String) throws -> RawSQE {
        var sqe = op.rawSQE(opcode, file: try op.file("fd"))
        sqe.len = try op.unsigned("len", as: UInt32.self)
        sqe.off = try op.unsigned("offset")
        sqe.opFlags = op.constants32(key)
        return sqe
    }

    /// IORING_OP_FTRUNCATE, as io_uring_prep_ftruncate(): the new length in `off`.
    static func ftruncate(_ op: Issue, _ ring: inout IoUring) throws {
        var sqe = op.rawSQE(.ftruncate, file: try op.file("fd"))
        sqe.off = try op.unsigned("len")
        try ring.raw(sqe)
    }

    // MARK: - Splice and tee

    /// IORING_OP_SPLICE; a slot as `in` sets SPLICE_F_FD_IN_FIXED, a slot as `out` IOSQE_FIXED_FILE.
    static func splice(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.splice(userData: op.userData, input: try op.file("in"), inputOffset: try op.signedOffset("in_offset"),
                        output: try op.file("out"), outputOffset: try op.signedOffset("out_offset"),
                        length: try op.unsigned("len", as: UInt32.self), spliceFlags: op.constants32("flags"),
                        flags: op.flags)
    }

    /// IORING_OP_TEE, as io_uring_prep_tee(): `out` in `fd`, `in` in `splice_fd_in` (SPLICE_F_FD_IN_FIXED
    /// for a slot), `len`, `splice_flags`.
    static func tee(_ op: Issue, _ ring: inout IoUring) throws {
        var sqe = op.rawSQE(.tee, file: try op.file("out"))
        var spliceFlags = op.constants32("flags")
        let input = try op.file("in")
        sqe.spliceFDIn = input.sqeNumber
        if case .fixed = input { spliceFlags |= KernelConstant.spliceFDInFixed }
        sqe.len = try op.unsigned("len", as: UInt32.self)
        sqe.opFlags = spliceFlags
        try ring.raw(sqe)
    }

    // MARK: - Open and close

    /// IORING_OP_OPENAT relative to `dir` (the sandbox for `cwd`).
    static func openat(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.openat(userData: op.userData, directory: try op.directory("dir"), path: try op.path("path"),
                        openFlags: Int32(truncatingIfNeeded: op.constants("flags")),
                        mode: try op.unsigned("mode", as: UInt32.self), flags: op.flags)
    }

    /// IORING_OP_OPENAT with `file_index`: into `slot`, or a free slot for `auto`.
    static func openatDirect(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.openatDirect(userData: op.userData, directory: try op.directory("dir"), path: try op.path("path"),
                              openFlags: Int32(truncatingIfNeeded: op.constants("flags")),
                              mode: try op.unsigned("mode", as: UInt32.self), slot: try op.slotChoice("slot"), flags: op.flags)
    }

    /// IORING_OP_OPENAT2, as io_uring_prep_openat2(): the path in `addr`, a `struct open_how` (flags,
    /// mode, resolve) in `off` with its size in `len`. (openat2(2) refuses a non-zero mode without
    /// O_CREAT or O_TMPFILE with EINVAL; the mode is sent as the step has it.)
    static func openat2(_ op: Issue, _ ring: inout IoUring) throws {
        let path = try pathBuffer(op, "path")
        let how = IoBuffer(KernelBytes.of(op.constants("flags")) + KernelBytes.of(try op.unsigned("mode"))
                           + KernelBytes.of(op.constants("resolve")))
        var sqe = op.rawSQE(.openat2, file: .descriptor(try op.directory("dir")))
        sqe.addr = path.kernelAddress
        sqe.len = UInt32(how.count)
        sqe.off = how.kernelAddress
        sqe.keepAlive = [path, how]
        try ring.raw(sqe)
    }

    /// A NUL-terminated path for a raw SQE.
    private static func pathBuffer(_ op: Issue, _ name: String) throws(RunnerError) -> IoBuffer {
        let path = try op.path(name)
        guard let bytes = KernelBytes.path(path) else { throw op.failure(name, "the path \"\(path)\" contains a NUL byte") }
        return IoBuffer(bytes)
    }

    /// IORING_OP_CLOSE of a descriptor. (A slot here keeps IOSQE_FIXED_FILE, which the kernel refuses
    /// with EBADF: `close_direct` closes slots.)
    static func close(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.close(userData: op.userData, fd: try op.file("fd").sqeNumber, flags: op.flags)
    }

    /// IORING_OP_CLOSE with `file_index`.
    static func closeDirect(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.closeDirect(userData: op.userData, slot: try op.slot("slot"), flags: op.flags)
    }

    // MARK: - Paths

    /// IORING_OP_STATX into the step's `buf`, or into a `StatxResult` the issuer allocates (the ring keeps
    /// either until the CQE).
    static func statx(_ op: Issue, _ ring: inout IoUring) throws {
        let directory = try op.directory("dir")
        let path = try op.path("path")
        let statxFlags = Int32(truncatingIfNeeded: op.constants("flags"))
        if let operand = op.spec.arguments.buffer("buf") {
            let region = try op.resolver.buffer(operand, length: nil)
            return try ring.statx(userData: op.userData, directory: directory, path: path, statxFlags: statxFlags,
                                  mask: op.constants32("mask"), into: region, flags: op.flags)
        }
        try ring.statx(userData: op.userData, directory: directory, path: path, statxFlags: statxFlags,
                       mask: op.constants32("mask"), into: StatxResult(), flags: op.flags)
    }

    /// IORING_OP_RENAMEAT.
    static func renameat(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.renameat(userData: op.userData, oldDirectory: try op.directory("old_dir"), oldPath: try op.path("old_path"),
                          newDirectory: try op.directory("new_dir"), newPath: try op.path("new_path"),
                          renameFlags: op.constants32("flags"), flags: op.flags)
    }

    /// IORING_OP_UNLINKAT.
    static func unlinkat(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.unlinkat(userData: op.userData, directory: try op.directory("dir"), path: try op.path("path"),
                          unlinkFlags: Int32(truncatingIfNeeded: op.constants("flags")), flags: op.flags)
    }

    /// IORING_OP_MKDIRAT.
    static func mkdirat(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.mkdirat(userData: op.userData, directory: try op.directory("dir"), path: try op.path("path"),
                         mode: try op.unsigned("mode", as: UInt32.self), flags: op.flags)
    }

    /// IORING_OP_SYMLINKAT: `link` (relative to `dir`) pointing at `target`, which is stored as written.
    static func symlinkat(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.symlinkat(userData: op.userData, target: try op.path("target"), newDirectory: try op.directory("dir"),
                           linkPath: try op.path("link"), flags: op.flags)
    }

    /// IORING_OP_LINKAT.
    static func linkat(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.linkat(userData: op.userData, oldDirectory: try op.directory("old_dir"), oldPath: try op.path("old_path"),
                        newDirectory: try op.directory("new_dir"), newPath: try op.path("new_path"),
                        linkFlags: Int32(truncatingIfNeeded: op.constants("flags")), flags: op.flags)
    }

    // MARK: - epoll and processes

    /// IORING_OP_EPOLL_CTL on the epoll instance `epfd` for `fd` (a plain descriptor: epoll cannot watch
    /// a registered slot).
    static func epollCtl(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.epollCtl(userData: op.userData, epollFD: try op.file("epfd").sqeNumber, fd: try op.descriptor("fd"),
                          operation: Int32(truncatingIfNeeded: op.constants("op")), events: op.constants32("events"),
                          data: try op.unsigned("data"), flags: op.flags)
    }

    /// IORING_OP_EPOLL_WAIT, as io_uring_prep_epoll_wait(): room for `max_events` `struct epoll_event`s
    /// in `addr`, the count in `len`. The issuer allocates the events; the CQE's res is how many arrived.
    static func epollWait(_ op: Issue, _ ring: inout IoUring) throws {
        let maximum = try op.unsigned("max_events", as: UInt32.self)
        let events = IoBuffer(count: Int(maximum) * KernelConstant.epollEventSize)
        var sqe = op.rawSQE(.epollWait, file: try op.file("epfd"))
        sqe.addr = events.kernelAddress
        sqe.len = maximum
        sqe.keepAlive = [events]
        try ring.raw(sqe)
    }

    /// IORING_OP_WAITID into the step's `buf` or a `WaitResult` the issuer allocates. `idtype` P_ALL, P_PID, P_PGID and
    /// P_PIDFD go through the typed call; any other number is filled as io_uring_prep_waitid() would.
    static func waitid(_ op: Issue, _ ring: inout IoUring) throws {
        let idType = op.constants("idtype")
        var id: Int32 = 0
        if case .process(let process)? = op.spec.arguments["id"] { id = try op.resolver.process(process) }
        let options = Int32(truncatingIfNeeded: op.constants("options"))
        let result = WaitResult()
        let target: WaitTarget
        switch idType {
        case 0: target = .all
        case 1: target = .pid(id)
        case 2: target = .processGroup(id)
        case 3: target = .pidfd(id)
        default:
            var sqe = op.rawSQE(.waitid, file: .descriptor(id))
            sqe.len = UInt32(truncatingIfNeeded: idType)
            sqe.off = result.kernelAddress
            sqe.spliceFDIn = options  // file_index holds the options
            sqe.keepAlive = [result]
            return try ring.raw(sqe)
        }
        if let operand = op.spec.arguments.buffer("buf") {
            let region = try op.resolver.buffer(operand, length: nil)
            return try ring.waitid(userData: op.userData, target: target, options: options, into: region, flags: op.flags)
        }
        try ring.waitid(userData: op.userData, target: target, options: options, into: result, flags: op.flags)
    }

    // MARK: - Registered files from SQEs

    /// IORING_OP_FILES_UPDATE, as io_uring_prep_files_update(): an `int` array of descriptors (-1 clears
    /// a slot) in `addr`, its count in `len`, the first slot (or IORING_FILE_INDEX_ALLOC for `auto`, when
    /// the kernel writes the slots it picked back into the array) in `off`.
    static func filesUpdate(_ op: Issue, _ ring: inout IoUring) throws {
        guard case .files(let files)? = op.spec.arguments["files"] else { throw op.failure("files", "needs 'files'") }
        var bytes: [UInt8] = []
        for file in files {
            if file == .empty {
                bytes += KernelBytes.of(Int32(-1))
                continue
            }
            switch try op.resolver.file(file, at: op.instance) {
            case .descriptor(let fd): bytes += KernelBytes.of(fd)
            case .fixed(let slot): throw op.failure("files", "'files' lists registered slot \(slot); it takes descriptors")
            }
        }
        let array = IoBuffer(bytes)
        var sqe = op.rawSQE(.filesUpdate, file: .descriptor(-1))
        sqe.addr = array.kernelAddress
        sqe.len = UInt32(files.count)
        switch try op.slotChoice("offset") {
        case .index(let slot): sqe.off = UInt64(slot)
        case .allocate: sqe.off = UInt64(KernelConstant.fileIndexAlloc)
        }
        sqe.keepAlive = [array]
        try ring.raw(sqe)
    }

    /// IORING_OP_FIXED_FD_INSTALL, as io_uring_prep_fixed_fd_install(): the slot in `fd` with
    /// IOSQE_FIXED_FILE, IORING_FIXED_FD_NO_CLOEXEC in `install_fd_flags` for `no_cloexec`.
    static func fixedFDInstall(_ op: Issue, _ ring: inout IoUring) throws {
        var sqe = op.rawSQE(.fixedFDInstall, file: .fixed(try op.slot("slot")))
        sqe.opFlags = op.bool("no_cloexec") ? KernelConstant.fixedFDNoCloexec : 0
        try ring.raw(sqe)
    }
}
