#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

// File and filesystem operations: read/write in their plain, vectored and fixed-buffer forms, fsync,
// fallocate, splice, open/close (plain and direct), statx, the *at() path ops, epoll_ctl and waitid.
// Argument meaning follows Zig's std.os.linux.IoUring; each op names the liburing helper it matches.

extension IoUring {
    // MARK: - Helpers

    /// A region's length as an SQE's 32-bit `len`.
    static func length(of count: Int, _ what: String) throws(IoUringError) -> UInt32 {
        guard count >= 0, count <= Int(UInt32.max) else {
            throw .invalidArgument("\(what) of \(count) bytes does not fit an SQE's 32-bit length")
        }
        return UInt32(count)
    }

    /// The address of a stable NUL-terminated copy of `path` in the arena.
    mutating func storePath(_ path: String, _ what: String) throws(IoUringError) -> UInt64 {
        guard !path.utf8.contains(0) else {
            throw .invalidArgument("\(what) \"\(path)\" contains a NUL byte")
        }
        return UInt64(UInt(bitPattern: arena.store(cString: path)))
    }

    /// Copies an iovec array for `regions` into the arena, retaining every buffer. Returns its address
    /// and the number of entries.
    mutating func storeVectors(_ regions: [any BufferRegion]) throws(IoUringError) -> (address: UInt64, count: UInt32) {
        var vectors: [iovec] = []
        vectors.reserveCapacity(regions.count)
        for region in regions {
            let slice = region.region
            retain(slice.buffer)
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(slice.address)), iov_len: slice.count))
        }
        let count = try IoUring.length(of: vectors.count, "an iovec array")
        let pointer = arena.store(contentsOf: vectors)
        return (UInt64(UInt(bitPattern: pointer)), count)
    }

    /// Checks that `region` lies in the buffer registered at `bufferIndex` and retains it.
    mutating func registeredRegion(_ region: IoBufferSlice, bufferIndex: UInt16) throws(IoUringError) {
        let index = Int(bufferIndex)
        guard index < registeredBuffers.count else {
            throw .invalidArgument("buffer index \(bufferIndex) is not registered (\(registeredBuffers.count) buffers are)")
        }
        guard registeredBuffers[index] === region.buffer else {
            throw .invalidArgument("the region is not part of the buffer registered at index \(bufferIndex)")
        }
        retain(region.buffer)
    }

    // MARK: - Sync and allocation

    /// Queues an fsync(2) of `file`, or an fdatasync(2) when `dataSync` is true (IORING_FSYNC_DATASYNC).
    /// An fsync does not order against other requests: link it after a write (`.link`) or drain before it.
    /// The kernel opcode is IORING_OP_FSYNC. Matches io_uring_prep_fsync() in liburing.
    public mutating func fsync(userData: UInt64, file: FileReference, dataSync: Bool = false,
                               flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.fsync, userData: userData, flags: flags, file: file)
        sqe.pointee.fsync_flags = dataSync ? IORING_FSYNC_DATASYNC : 0
    }

    /// Queues an fallocate(2) of `length` bytes at `offset` with `mode` (0, FALLOC_FL_KEEP_SIZE,
    /// FALLOC_FL_PUNCH_HOLE…). The kernel opcode is IORING_OP_FALLOCATE. Matches io_uring_prep_fallocate().
    public mutating func fallocate(userData: UInt64, file: FileReference, mode: Int32 = 0, offset: UInt64,
                                   length: UInt64, flags: SubmissionFlags = []) throws(IoUringError) {
        // The kernel takes the length from `addr` and the mode from `len`.
        try prepare(.fallocate, userData: userData, flags: flags, file: file, address: length,
                    length: UInt32(bitPattern: mode), offset: offset)
    }

    // MARK: - Read and write

    /// Queues a read from `file` at `offset` (UInt64.max, i.e. -1: the file position) into `target`: a
    /// plain read (IORING_OP_READ), a vectored read (IORING_OP_READV), or a read into a provided buffer
    /// the kernel selects (IORING_OP_READ with IOSQE_BUFFER_SELECT). The CQE's res is the byte count,
    /// 0 at end of file. Matches read() in Zig's IoUring (io_uring_prep_read() / io_uring_prep_readv()).
    public mutating func read(userData: UInt64, file: FileReference, into target: ReadTarget, offset: UInt64,
                              flags: SubmissionFlags = []) throws(IoUringError) {
        switch target {
        case .buffer(let region):
            let slice = region.region
            let length = try IoUring.length(of: slice.count, "a read")
            try prepare(.read, userData: userData, flags: flags, file: file, address: slice.address,
                        length: length, offset: offset)
            retain(slice.buffer)
        case .vectors(let regions):
            let vectors = try storeVectors(regions)
            try prepare(.readv, userData: userData, flags: flags, file: file, address: vectors.address,
                        length: vectors.count, offset: offset)
        case .bufferSelection(let group, let length):
            let sqe = try prepare(.read, userData: userData, flags: flags.union(.bufferSelect), file: file,
                                  length: length, offset: offset)
            sqe.pointee.buf_group = group
        }
    }

    /// Queues a write of `buffer` to `file` at `offset` (UInt64.max, i.e. -1: the file position, which is
    /// what O_APPEND files and pipes want). The kernel opcode is IORING_OP_WRITE.
    /// Matches io_uring_prep_write() in liburing.
    public mutating func write(userData: UInt64, file: FileReference, from buffer: some BufferRegion, offset: UInt64,
                               flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = buffer.region
        let length = try IoUring.length(of: slice.count, "a write")
        try prepare(.write, userData: userData, flags: flags, file: file, address: slice.address,
                    length: length, offset: offset)
        retain(slice.buffer)
    }

    /// Queues a vectored write (pwritev(2)) of `buffers`, in order, to `file` at `offset`. The iovec array
    /// is copied into the ring. The kernel opcode is IORING_OP_WRITEV. Matches io_uring_prep_writev().
    public mutating func writev(userData: UInt64, file: FileReference, from buffers: [any BufferRegion], offset: UInt64,
                                flags: SubmissionFlags = []) throws(IoUringError) {
        let vectors = try storeVectors(buffers)
        try prepare(.writev, userData: userData, flags: flags, file: file, address: vectors.address,
                    length: vectors.count, offset: offset)
    }

    /// Queues a read into `buffer`, which must lie in the buffer registered (`registerBuffers`) at
    /// `bufferIndex`. The kernel opcode is IORING_OP_READ_FIXED. Matches io_uring_prep_read_fixed().
    public mutating func readFixed(userData: UInt64, file: FileReference, into buffer: some BufferRegion,
                                   offset: UInt64, bufferIndex: UInt16,
                                   flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareFixed(.readFixed, "a fixed read", userData: userData, file: file, region: buffer.region,
                         offset: offset, bufferIndex: bufferIndex, flags: flags)
    }

    /// Queues a write from `buffer`, which must lie in the buffer registered (`registerBuffers`) at
    /// `bufferIndex`. The kernel opcode is IORING_OP_WRITE_FIXED. Matches io_uring_prep_write_fixed().
    public mutating func writeFixed(userData: UInt64, file: FileReference, from buffer: some BufferRegion,
                                    offset: UInt64, bufferIndex: UInt16,
                                    flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareFixed(.writeFixed, "a fixed write", userData: userData, file: file, region: buffer.region,
                         offset: offset, bufferIndex: bufferIndex, flags: flags)
    }

    /// The SQE of IORING_OP_READ_FIXED or IORING_OP_WRITE_FIXED (`what` names it in errors): `slice`,
    /// which must lie in the buffer registered at `bufferIndex`, as io_uring_prep_rw() fills it, plus `buf_index`.
    private mutating func prepareFixed(_ opcode: Opcode, _ what: String, userData: UInt64, file: FileReference,
                                       region slice: IoBufferSlice, offset: UInt64, bufferIndex: UInt16,
                                       flags: SubmissionFlags) throws(IoUringError) {
        try registeredRegion(slice, bufferIndex: bufferIndex)
        let length = try IoUring.length(of: slice.count, what)
        let sqe = try prepare(opcode, userData: userData, flags: flags, file: file, address: slice.address,
                              length: length, offset: offset)
        sqe.pointee.buf_index = bufferIndex
    }

    /// Queues a splice(2) of `length` bytes from `input` to `output`; one of them must be a pipe. An offset
    /// of -1 means "no offset" (required for a pipe; for a file, use and advance its file position);
    /// any other offset is where to read or write the file. A `.fixed` input sets SPLICE_F_FD_IN_FIXED,
    /// a `.fixed` output sets IOSQE_FIXED_FILE. `spliceFlags` takes SPLICE_F_MOVE, SPLICE_F_NONBLOCK…
    /// The CQE's res is the number of bytes moved. The kernel opcode is IORING_OP_SPLICE.
    /// Matches io_uring_prep_splice() in liburing.
    public mutating func splice(userData: UInt64, input: FileReference, inputOffset: Int64 = -1,
                                output: FileReference, outputOffset: Int64 = -1, length: UInt32,
                                spliceFlags: UInt32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        guard spliceFlags & SPLICE_F_FD_IN_FIXED == 0 else {
            throw .invalidArgument("pass the input as FileReference.fixed instead of setting SPLICE_F_FD_IN_FIXED")
        }
        let sqe = try prepare(.splice, userData: userData, flags: flags, file: output, length: length,
                              offset: UInt64(bitPattern: outputOffset))
        sqe.pointee.splice_off_in = UInt64(bitPattern: inputOffset)
        switch input {
        case .descriptor(let fd):
            sqe.pointee.splice_fd_in = fd
            sqe.pointee.splice_flags = spliceFlags
        case .fixed(let slot):
            sqe.pointee.splice_fd_in = Int32(bitPattern: slot)
            sqe.pointee.splice_flags = spliceFlags | SPLICE_F_FD_IN_FIXED
        }
    }

    // MARK: - Open and close

    /// Queues an openat(2) of `path` relative to `directory` (AT_FDCWD: the working directory) with
    /// `openFlags` (O_RDONLY, O_CREAT…) and `mode` for created files. The CQE's res is the new fd.
    /// The kernel opcode is IORING_OP_OPENAT. Matches io_uring_prep_openat() in liburing.
    public mutating func openat(userData: UInt64, directory: Int32 = AT_FDCWD, path: String, openFlags: Int32,
                                mode: UInt32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        let address = try storePath(path, "the path")
        let sqe = try prepare(.openat, userData: userData, flags: flags, file: .descriptor(directory),
                              address: address, length: mode)
        sqe.pointee.open_flags = UInt32(bitPattern: openFlags)
    }

    /// Queues an openat(2) whose file goes into the registered file table at `slot` instead of the fd
    /// table (O_CLOEXEC is not allowed). The CQE's res is 0, or the slot picked for `.allocate`.
    /// The kernel opcode is IORING_OP_OPENAT with `file_index`. Matches io_uring_prep_openat_direct().
    public mutating func openatDirect(userData: UInt64, directory: Int32 = AT_FDCWD, path: String, openFlags: Int32,
                                      mode: UInt32 = 0, slot: FileSlot,
                                      flags: SubmissionFlags = []) throws(IoUringError) {
        let fileIndex = try slot.sqeFileIndex()
        let address = try storePath(path, "the path")
        let sqe = try prepare(.openat, userData: userData, flags: flags, file: .descriptor(directory),
                              address: address, length: mode)
        sqe.pointee.open_flags = UInt32(bitPattern: openFlags)
        sqe.pointee.file_index = fileIndex
    }

    /// Queues a close(2) of the descriptor `fd`. The kernel opcode is IORING_OP_CLOSE.
    /// Matches io_uring_prep_close() in liburing.
    public mutating func close(userData: UInt64, fd: Int32, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepare(.close, userData: userData, flags: flags, file: .descriptor(fd))
    }

    /// Queues the removal of the file at `slot` of the registered file table. The kernel opcode is
    /// IORING_OP_CLOSE with `file_index`. Matches io_uring_prep_close_direct() in liburing.
    public mutating func closeDirect(userData: UInt64, slot: UInt32, flags: SubmissionFlags = []) throws(IoUringError) {
        let fileIndex = try FileSlot.index(slot).sqeFileIndex()
        // The kernel wants fd 0 when file_index is set.
        let sqe = try prepare(.close, userData: userData, flags: flags, file: .descriptor(0))
        sqe.pointee.file_index = fileIndex
    }

    // MARK: - Paths

    /// Queues a statx(2) of `path` relative to `directory` (an empty path with AT_EMPTY_PATH: `directory`
    /// itself) into `result`. `statxFlags` takes AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_STATX_*; `mask`
    /// the STATX_* fields wanted (STATX_BASIC_STATS is 0x7ff). The ring keeps `result` alive until the
    /// CQE. The kernel opcode is IORING_OP_STATX. Matches io_uring_prep_statx() in liburing.
    public mutating func statx(userData: UInt64, directory: Int32 = AT_FDCWD, path: String, statxFlags: Int32 = 0,
                               mask: UInt32, into result: StatxResult,
                               flags: SubmissionFlags = []) throws(IoUringError) {
        let address = try storePath(path, "the path")
        let sqe = try prepare(.statx, userData: userData, flags: flags, file: .descriptor(directory),
                              address: address, length: mask, offset: result.address)
        sqe.pointee.statx_flags = UInt32(bitPattern: statxFlags)
        retain(result)
    }

    /// `statx` into caller memory: `region` (256 bytes or more) receives `struct statx`.
    public mutating func statx(userData: UInt64, directory: Int32 = AT_FDCWD, path: String, statxFlags: Int32 = 0,
                               mask: UInt32, into region: some BufferRegion,
                               flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = region.region
        guard slice.count >= StatxResult.structSize else {
            throw .invalidArgument("struct statx needs \(StatxResult.structSize) bytes, not \(slice.count)")
        }
        let address = try storePath(path, "the path")
        let sqe = try prepare(.statx, userData: userData, flags: flags, file: .descriptor(directory),
                              address: address, length: mask, offset: slice.address)
        sqe.pointee.statx_flags = UInt32(bitPattern: statxFlags)
        retain(slice.buffer)
    }

    /// Queues a renameat2(2) of `oldPath` (relative to `oldDirectory`) to `newPath` (relative to
    /// `newDirectory`); `renameFlags` takes RENAME_NOREPLACE, RENAME_EXCHANGE…
    /// The kernel opcode is IORING_OP_RENAMEAT. Matches io_uring_prep_renameat() in liburing.
    public mutating func renameat(userData: UInt64, oldDirectory: Int32 = AT_FDCWD, oldPath: String,
                                  newDirectory: Int32 = AT_FDCWD, newPath: String, renameFlags: UInt32 = 0,
                                  flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepareOldAndNewPath(.renameat, userData: userData, oldDirectory: oldDirectory, oldPath: oldPath,
                                           newDirectory: newDirectory, newPath: newPath, flags: flags)
        sqe.pointee.rename_flags = renameFlags
    }

    /// Queues an unlinkat(2) of `path` relative to `directory`; AT_REMOVEDIR in `unlinkFlags` removes an
    /// empty directory. The kernel opcode is IORING_OP_UNLINKAT. Matches io_uring_prep_unlinkat().
    public mutating func unlinkat(userData: UInt64, directory: Int32 = AT_FDCWD, path: String, unlinkFlags: Int32 = 0,
                                  flags: SubmissionFlags = []) throws(IoUringError) {
        let address = try storePath(path, "the path")
        let sqe = try prepare(.unlinkat, userData: userData, flags: flags, file: .descriptor(directory),
                              address: address)
        sqe.pointee.unlink_flags = UInt32(bitPattern: unlinkFlags)
    }

    /// Queues a mkdirat(2) of `path` relative to `directory` with `mode`.
    /// The kernel opcode is IORING_OP_MKDIRAT. Matches io_uring_prep_mkdirat() in liburing.
    public mutating func mkdirat(userData: UInt64, directory: Int32 = AT_FDCWD, path: String, mode: UInt32 = 0o755,
                                 flags: SubmissionFlags = []) throws(IoUringError) {
        let address = try storePath(path, "the path")
        try prepare(.mkdirat, userData: userData, flags: flags, file: .descriptor(directory),
                    address: address, length: mode)
    }

    /// Queues a symlinkat(2): creates `linkPath` (relative to `newDirectory`) pointing at `target`.
    /// The kernel opcode is IORING_OP_SYMLINKAT. Matches io_uring_prep_symlinkat() in liburing.
    public mutating func symlinkat(userData: UInt64, target: String, newDirectory: Int32 = AT_FDCWD, linkPath: String,
                                   flags: SubmissionFlags = []) throws(IoUringError) {
        let targetAddress = try storePath(target, "the target")
        let linkAddress = try storePath(linkPath, "the link path")
        try prepare(.symlinkat, userData: userData, flags: flags, file: .descriptor(newDirectory),
                    address: targetAddress, offset: linkAddress)
    }

    /// Queues a linkat(2): a new hard link `newPath` (relative to `newDirectory`) to `oldPath` (relative to
    /// `oldDirectory`); `linkFlags` takes AT_SYMLINK_FOLLOW, AT_EMPTY_PATH.
    /// The kernel opcode is IORING_OP_LINKAT. Matches io_uring_prep_linkat() in liburing.
    public mutating func linkat(userData: UInt64, oldDirectory: Int32 = AT_FDCWD, oldPath: String,
                                newDirectory: Int32 = AT_FDCWD, newPath: String, linkFlags: Int32 = 0,
                                flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepareOldAndNewPath(.linkat, userData: userData, oldDirectory: oldDirectory, oldPath: oldPath,
                                           newDirectory: newDirectory, newPath: newPath, flags: flags)
        sqe.pointee.hardlink_flags = UInt32(bitPattern: linkFlags)
    }

    /// The SQE of IORING_OP_RENAMEAT or IORING_OP_LINKAT, as io_uring_prep_renameat() and
    /// io_uring_prep_linkat() fill it: `oldDirectory` in fd, `oldPath` in addr, `newDirectory` in len,
    /// `newPath` in addr2 (off); the caller sets the op's flags.
    private mutating func prepareOldAndNewPath(_ opcode: Opcode, userData: UInt64, oldDirectory: Int32, oldPath: String,
                                               newDirectory: Int32, newPath: String,
                                               flags: SubmissionFlags) throws(IoUringError) -> UnsafeMutablePointer<io_uring_sqe> {
        let oldAddress = try storePath(oldPath, "the old path")
        let newAddress = try storePath(newPath, "the new path")
        return try prepare(opcode, userData: userData, flags: flags, file: .descriptor(oldDirectory),
                           address: oldAddress, length: UInt32(bitPattern: newDirectory), offset: newAddress)
    }

    // MARK: - epoll and processes

    /// Queues an epoll_ctl(2) on the epoll instance `epollFD`: `operation` (EPOLL_CTL_ADD, _MOD, _DEL)
    /// for `fd`, with an `epoll_event` of `events` (EPOLLIN…) and `data`, copied into the ring (ignored
    /// by EPOLL_CTL_DEL). The kernel opcode is IORING_OP_EPOLL_CTL. Matches io_uring_prep_epoll_ctl().
    public mutating func epollCtl(userData: UInt64, epollFD: Int32, fd: Int32, operation: Int32, events: UInt32 = 0,
                                  data: UInt64 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        let event = arena.store(epoll_event(events: events, data: epoll_data_t(u64: data)))
        try prepare(.epollCtl, userData: userData, flags: flags, file: .descriptor(epollFD),
                    address: UInt64(UInt(bitPattern: event)), length: UInt32(bitPattern: operation),
                    offset: UInt64(UInt32(bitPattern: fd)))
    }

    /// Queues a waitid(2) for the children `target` names, with `options` (WEXITED, WSTOPPED,
    /// WCONTINUED, WNOHANG, WNOWAIT…); the child's siginfo goes into `result`, which the ring keeps
    /// alive until the CQE. `waitidFlags` is the SQE's `waitid_flags` (no flags are defined: keep 0).
    /// The CQE's res is 0 on success. The kernel opcode is IORING_OP_WAITID.
    /// Matches io_uring_prep_waitid() in liburing.
    public mutating func waitid(userData: UInt64, target: WaitTarget, options: Int32, into result: WaitResult,
                                waitidFlags: UInt32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        let (idType, id) = target.idTypeAndID
        let sqe = try prepare(.waitid, userData: userData, flags: flags, file: .descriptor(id), length: idType,
                              offset: result.address)
        sqe.pointee.waitid_flags = waitidFlags
        sqe.pointee.file_index = UInt32(bitPattern: options)
        retain(result)
    }

    /// `waitid` into caller memory: `region` (128 bytes or more) receives the child's `siginfo_t`.
    public mutating func waitid(userData: UInt64, target: WaitTarget, options: Int32, into region: some BufferRegion,
                                waitidFlags: UInt32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = region.region
        guard slice.count >= 128 else { throw .invalidArgument("siginfo_t needs 128 bytes, not \(slice.count)") }
        let (idType, id) = target.idTypeAndID
        let sqe = try prepare(.waitid, userData: userData, flags: flags, file: .descriptor(id), length: idType,
                              offset: slice.address)
        sqe.pointee.waitid_flags = waitidFlags
        sqe.pointee.file_index = UInt32(bitPattern: options)
        retain(slice.buffer)
    }
}
