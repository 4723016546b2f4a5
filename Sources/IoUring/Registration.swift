#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

extension IoUring {
    /// Calls `io_uring_register(2)`; returns its non-negative result or throws naming the opcode and errno.
    @discardableResult
    func register(_ opcode: UInt32, _ argument: UnsafeRawPointer?, count: UInt32) throws(IoUringError) -> Int32 {
        let result = CIoUring_register(fd, opcode, argument, count)
        guard result >= 0 else { throw .syscall(.register(opcode), Errno(rawValue: -result)) }
        return result
    }

    // MARK: - Registered files

    /// Registers `fds` as the fixed file table; slot i holds `fds[i]` (-1 leaves a slot empty).
    /// IORING_REGISTER_FILES. Matches io_uring_register_files() in liburing.
    public mutating func registerFiles(_ fds: [Int32]) throws(IoUringError) {
        let result = fds.withUnsafeBufferPointer { pointer in
            CIoUring_register(fd, UInt32(IORING_REGISTER_FILES), pointer.baseAddress, UInt32(fds.count))
        }
        guard result >= 0 else { throw .syscall(.register(UInt32(IORING_REGISTER_FILES)), Errno(rawValue: -result)) }
    }

    /// Replaces the registered files from slot `offset` on with `fds` (-1 clears a slot,
    /// IORING_REGISTER_FILES_SKIP leaves it). Returns how many slots were updated.
    /// IORING_REGISTER_FILES_UPDATE. Matches io_uring_register_files_update() in liburing.
    @discardableResult
    public mutating func registerFilesUpdate(offset: UInt32, fds: [Int32]) throws(IoUringError) -> Int {
        let opcode = UInt32(IORING_REGISTER_FILES_UPDATE)
        let result = fds.withUnsafeBufferPointer { pointer in
            var update = io_uring_files_update(offset: offset, resv: 0, fds: UInt64(UInt(bitPattern: pointer.baseAddress)))
            return CIoUring_register(fd, opcode, &update, UInt32(fds.count))
        }
        guard result >= 0 else { throw .syscall(.register(opcode), Errno(rawValue: -result)) }
        return Int(result)
    }

    /// Registers an empty fixed file table of `count` slots, to be filled by direct descriptors or updates.
    /// IORING_REGISTER_FILES2 with IORING_RSRC_REGISTER_SPARSE. Matches io_uring_register_files_sparse().
    public mutating func registerFilesSparse(count: UInt32) throws(IoUringError) {
        var registration = io_uring_rsrc_register(nr: count, flags: IORING_RSRC_REGISTER_SPARSE, resv2: 0, data: 0, tags: 0)
        try register(UInt32(IORING_REGISTER_FILES2), &registration, count: UInt32(MemoryLayout<io_uring_rsrc_register>.size))
    }

    /// Restricts the slots the kernel picks for IORING_FILE_INDEX_ALLOC to `offset..<offset+count`.
    /// IORING_REGISTER_FILE_ALLOC_RANGE. Matches io_uring_register_file_alloc_range() in liburing.
    public mutating func registerFileAllocRange(offset: UInt32, count: UInt32) throws(IoUringError) {
        var range = io_uring_file_index_range(off: offset, len: count, resv: 0)
        try register(UInt32(IORING_REGISTER_FILE_ALLOC_RANGE), &range, count: 0)
    }

    /// Removes the fixed file table. IORING_UNREGISTER_FILES. Matches io_uring_unregister_files().
    public mutating func unregisterFiles() throws(IoUringError) {
        try register(UInt32(IORING_UNREGISTER_FILES), nil, count: 0)
    }

    // MARK: - Registered buffers

    /// Registers `buffers` for IORING_OP_READ_FIXED / IORING_OP_WRITE_FIXED; buffer i gets index i.
    /// The ring keeps them alive while registered. IORING_REGISTER_BUFFERS.
    /// Matches io_uring_register_buffers() in liburing.
    public mutating func registerBuffers(_ buffers: [any BufferRegion]) throws(IoUringError) {
        let vectors = buffers.map { region in
            let slice = region.region
            return iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(slice.address)), iov_len: slice.count)
        }
        let opcode = UInt32(IORING_REGISTER_BUFFERS)
        let result = vectors.withUnsafeBufferPointer { pointer in
            CIoUring_register(fd, opcode, pointer.baseAddress, UInt32(vectors.count))
        }
        guard result >= 0 else { throw .syscall(.register(opcode), Errno(rawValue: -result)) }
        registeredBuffers = buffers.map(\.region.buffer)
        for buffer in registeredBuffers { registeredMemory.append(buffer) }
    }

    /// Removes the registered buffers. Requests still using them keep them alive until they complete.
    /// IORING_UNREGISTER_BUFFERS. Matches io_uring_unregister_buffers() in liburing.
    public mutating func unregisterBuffers() throws(IoUringError) {
        try register(UInt32(IORING_UNREGISTER_BUFFERS), nil, count: 0)
        // The kernel may still be reading or writing them for requests in flight: retain until quiescent.
        for buffer in registeredBuffers { retain(buffer) }
        let released = registeredBuffers
        registeredMemory.removeAll { memory in released.contains { $0 === memory } }
        registeredBuffers = []
    }
}
