import CIoUring

extension IoUring {
    /// Queues handing `count` buffers of `bufferSize` bytes, cut one after another from the start of
    /// `buffers`, to provided-buffer group `groupID` with ids `startingBufferID`, `startingBufferID + 1`…
    /// (the legacy provided-buffer interface, Linux 5.7). A request with IOSQE_BUFFER_SELECT on that group
    /// takes one; its CQE names it (IORING_CQE_F_BUFFER, id in the upper 16 bits). The CQE's res is 0 on
    /// success. `buffers` stays alive as long as the ring, since the kernel may keep any of them in the
    /// group until the ring is gone. The kernel opcode is IORING_OP_PROVIDE_BUFFERS.
    /// Matches io_uring_prep_provide_buffers() in liburing and provide_buffers() in Zig's IoUring.
    public mutating func provideBuffers(userData: UInt64, _ buffers: some BufferRegion, bufferSize: UInt32,
                                        count: UInt16, groupID: UInt16, startingBufferID: UInt16,
                                        flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = buffers.region
        let needed = Int(bufferSize) * Int(count)
        guard needed <= slice.count else {
            throw .invalidArgument("\(count) buffers of \(bufferSize) bytes need \(needed) bytes, the region has \(slice.count)")
        }
        let sqe = try prepare(.provideBuffers, userData: userData, flags: flags, address: slice.address,
                              length: bufferSize, offset: UInt64(startingBufferID))
        sqe.pointee.fd = Int32(count)
        sqe.pointee.buf_group = groupID
        if providedBuffers.legacyBuffers.insert(ObjectIdentifier(slice.buffer)).inserted {
            registeredMemory.append(slice.buffer)
        }
    }

    /// Queues removing up to `count` buffers from legacy provided-buffer group `groupID`. The CQE's res is
    /// the number removed, -ENOENT for an unknown group, -EINVAL for a group that is a buffer ring.
    /// The kernel opcode is IORING_OP_REMOVE_BUFFERS.
    /// Matches io_uring_prep_remove_buffers() in liburing and remove_buffers() in Zig's IoUring.
    public mutating func removeBuffers(userData: UInt64, count: UInt16, groupID: UInt16,
                                       flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.removeBuffers, userData: userData, flags: flags)
        sqe.pointee.fd = Int32(count)
        sqe.pointee.buf_group = groupID
    }
}
