#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
@testable import IoUring

/// An AF_UNIX socket pair of `type` (SOCK_STREAM, SOCK_SEQPACKET…), made with plain socketpair(2).
private func socketPair(_ type: __socket_type) -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    let result = socketpair(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
    precondition(result == 0, "socketpair failed: \(errno)")
    return (fds[0], fds[1])
}

/// Writes all of `bytes` to `fd` with plain write(2).
private func send(_ fd: Int32, _ bytes: [UInt8]) {
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    precondition(written == bytes.count, "write wrote \(written) of \(bytes.count): \(errno)")
}

/// A receive with IOSQE_BUFFER_SELECT on group `group`, as a raw SQE (the public recv is another file's).
private func selectingRecv(userData: UInt64, fd: Int32, group: UInt16, length: UInt32 = 0) -> RawSQE {
    var sqe = RawSQE(opcode: Opcode.recv.rawValue)
    sqe.flags = UInt8(IOSQE_BUFFER_SELECT)
    sqe.fd = fd
    sqe.len = length
    sqe.bufIndex = group
    sqe.userData = userData
    return sqe
}

/// IORING_CQE_F_BUFFER with buffer id `id` in the upper 16 bits, plus `extra`.
private func bufferFlags(_ id: UInt16, _ extra: CompletionFlags = []) -> CompletionFlags {
    CompletionFlags(rawValue: IORING_CQE_F_BUFFER | UInt32(id) << IORING_CQE_BUFFER_SHIFT).union(extra)
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct LegacyProvidedBufferTests {
    @Test func provideConsumeExhaustReplenishAndRemove() throws {
        var ring = try IoUring(entries: 8)
        let (reader, writer) = socketPair(SOCK_STREAM)
        defer { close(reader); close(writer) }
        let buffers = IoBuffer(count: 4 * 16)

        try ring.provideBuffers(userData: 1, buffers, bufferSize: 16, count: 4, groupID: 3, startingBufferID: 10)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 1, res: 0, flags: [])])
        #expect(ring.registeredMemory.contains { $0 === buffers })

        // Each receive takes the next buffer, in the order provided; the data lands in that buffer.
        for index in 0..<4 {
            let message = bytes("message-\(index)")
            send(writer, message)
            try ring.raw(selectingRecv(userData: 100 + UInt64(index), fd: reader, group: 3, length: 16))
            let cqes = try reap(&ring, 1)
            let id = UInt16(10 + index)
            #expect(cqes == [CompletionQueueEntry(userData: 100 + UInt64(index), res: Int32(message.count),
                                                  flags: bufferFlags(id))])
            #expect(cqes.first?.flags.bufferID == id)
            #expect(buffers.bytes(index * 16..<index * 16 + message.count) == message)
        }

        // All four taken: the next selection fails.
        try ring.raw(selectingRecv(userData: 200, fd: reader, group: 3, length: 16))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 200, res: negated(.ENOBUFS), flags: [])])

        // Replenishing works; the first of the new batch is taken.
        try ring.provideBuffers(userData: 2, buffers, bufferSize: 16, count: 4, groupID: 3, startingBufferID: 10)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 2, res: 0, flags: [])])
        #expect(ring.registeredMemory.filter { $0 === buffers }.count == 1, "kept once, however often provided")
        send(writer, bytes("again"))
        try ring.raw(selectingRecv(userData: 201, fd: reader, group: 3, length: 16))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 201, res: 5, flags: bufferFlags(10))])
        #expect(buffers.bytes(0..<5) == bytes("again"))

        // Removing asks for up to 8 and gets the 3 left; then the group is empty again.
        try ring.removeBuffers(userData: 3, count: 8, groupID: 3)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 3, res: 3, flags: [])])
        try ring.raw(selectingRecv(userData: 202, fd: reader, group: 3, length: 16))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 202, res: negated(.ENOBUFS), flags: [])])

        // An unknown group is ENOENT.
        try ring.removeBuffers(userData: 4, count: 1, groupID: 77)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 4, res: negated(.ENOENT), flags: [])])
    }

    @Test func regionMustHoldEveryBuffer() throws {
        var ring = try IoUring(entries: 2)
        let error = #expect(throws: IoUringError.self) {
            try ring.provideBuffers(userData: 1, IoBuffer(count: 63), bufferSize: 16, count: 4, groupID: 1,
                                    startingBufferID: 0)
        }
        #expect(error == .invalidArgument("4 buffers of 16 bytes need 64 bytes, the region has 63"))
        #expect(ring.sqReady == 0)
        #expect(ring.registeredMemory.isEmpty)
    }
}

@Suite struct BufferRingTests {
    @Test func registerAddRecvPutBackAndRunDry() throws {
        var ring = try IoUring(entries: 8)
        let (reader, writer) = socketPair(SOCK_STREAM)
        defer { close(reader); close(writer) }

        let registration = try ring.setupBufferRing(groupID: 5, entries: 4)
        #expect(registration == BufferRingRegistration(groupID: 5, entries: 4, incrementalRequested: false, incremental: false))
        #expect(registration.mask == 3)
        #expect(try ring.bufferRingMask(groupID: 5) == 3)
        #expect(ring.bufferRing(groupID: 5) == registration)
        #expect(try ring.bufferRingHead(groupID: 5) == 0)

        let memory = IoBuffer(count: 64)
        try ring.bufferRingAdd(groupID: 5, memory.slice(0..<32), bufferID: 7, offset: 0)
        try ring.bufferRingAdd(groupID: 5, memory.slice(32..<64), bufferID: 8, offset: 1)

        // Added but not published: the kernel sees an empty ring.
        try ring.raw(selectingRecv(userData: 1, fd: reader, group: 5))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 1, res: negated(.ENOBUFS), flags: [])])

        try ring.bufferRingAdvance(groupID: 5, count: 2)
        send(writer, bytes("first"))
        try ring.raw(selectingRecv(userData: 2, fd: reader, group: 5))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 2, res: 5, flags: bufferFlags(7))])
        #expect(memory.bytes(0..<5) == bytes("first"))

        send(writer, bytes("second"))
        try ring.raw(selectingRecv(userData: 3, fd: reader, group: 5))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 3, res: 6, flags: bufferFlags(8))])
        #expect(memory.bytes(32..<38) == bytes("second"))
        #expect(try ring.bufferRingHead(groupID: 5) == 2)

        // Both taken: empty.
        try ring.raw(selectingRecv(userData: 4, fd: reader, group: 5))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 4, res: negated(.ENOBUFS), flags: [])])

        // Put buffer 7 back; it is used again.
        try ring.bufferRingAdd(groupID: 5, memory.slice(0..<32), bufferID: 7)
        try ring.bufferRingAdvance(groupID: 5, count: 1)
        send(writer, bytes("third"))
        try ring.raw(selectingRecv(userData: 5, fd: reader, group: 5))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 5, res: 5, flags: bufferFlags(7))])
        #expect(memory.bytes(0..<5) == bytes("third"))
        #expect(try ring.bufferRingHead(groupID: 5) == 3)
        #expect(ring.providedBuffers.rings[5]?.keptBuffers.count == 1)
        #expect(ring.registeredMemory.filter { $0 === memory }.count == 1)
    }

    @Test func cqAdvancePublishesBuffersAndConsumesCQEs() throws {
        var ring = try IoUring(entries: 4)
        let (reader, writer) = socketPair(SOCK_STREAM)
        defer { close(reader); close(writer) }
        try ring.setupBufferRing(groupID: 2, entries: 2)
        let memory = IoBuffer(count: 16)
        try ring.bufferRingAdd(groupID: 2, memory, bufferID: 0)
        try ring.bufferRingAdvance(groupID: 2, count: 1)

        send(writer, bytes("abc"))
        try ring.raw(selectingRecv(userData: 1, fd: reader, group: 2))
        try ring.submit()
        let deadline = ContinuousClock.now + .seconds(5)
        while ring.cqReady == 0 && ContinuousClock.now < deadline {
            try ring.enter(toSubmit: 0, minComplete: 1, flags: [], timeout: .milliseconds(100))
        }
        #expect(ring.peekCQE() == CompletionQueueEntry(userData: 1, res: 3, flags: bufferFlags(0)))
        #expect(memory.bytes(0..<3) == bytes("abc"))

        // Hand the buffer back and mark the CQE seen in one step.
        try ring.bufferRingAdd(groupID: 2, memory, bufferID: 0)
        try ring.bufferRingCQAdvance(groupID: 2, count: 1)
        #expect(ring.cqReady == 0)
        #expect(ring.inFlight == 0)

        send(writer, bytes("de"))
        try ring.raw(selectingRecv(userData: 2, fd: reader, group: 2))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 2, res: 2, flags: bufferFlags(0))])
        #expect(memory.bytes(0..<2) == bytes("de"))
    }

    @Test func setupIsValidated() throws {
        var ring = try IoUring(entries: 2)
        for entries: UInt16 in [0, 3, 65535, 40000] {
            #expect(throws: IoUringError.invalidEntries(UInt32(entries))) {
                try ring.setupBufferRing(groupID: 1, entries: entries)
            }
        }
        #expect(ring.providedBuffers.rings.isEmpty)
        let largest = try ring.setupBufferRing(groupID: 1, entries: 32768)
        #expect(largest.mask == 32767)
        #expect(ring.providedBuffers.rings[1]?.memory.byteCount == 32768 * 16)
        // A second ring for the same group is the kernel's to refuse.
        #expect(throws: IoUringError.syscall(.register(UInt32(IORING_REGISTER_PBUF_RING)), .EEXIST)) {
            try ring.setupBufferRing(groupID: 1, entries: 2)
        }
        #expect(ring.providedBuffers.rings[1]?.entries == 32768)
        // A group with legacy provided buffers cannot become a ring: the kernel says EEXIST.
        try ring.provideBuffers(userData: 1, IoBuffer(count: 8), bufferSize: 8, count: 1, groupID: 6, startingBufferID: 0)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 1, res: 0, flags: [])])
        let error = #expect(throws: IoUringError.self) { try ring.setupBufferRing(groupID: 6, entries: 2) }
        #expect(error == .syscall(.register(UInt32(IORING_REGISTER_PBUF_RING)), .EEXIST))
        #expect(error?.description.hasPrefix("io_uring_register(IORING_REGISTER_PBUF_RING): EEXIST") == true)
        // Operations on groups this ring set up no ring for are refused before the kernel sees them.
        #expect(throws: IoUringError.invalidArgument("no buffer ring was set up for group 9 on this ring")) {
            try ring.bufferRingAdvance(groupID: 9, count: 1)
        }
        try ring.unregisterBufferRing(groupID: 1)
        try ring.setupBufferRing(groupID: 1, entries: 2)
        #expect(throws: IoUringError.invalidArgument("offset 2 is past the 2 entries of buffer ring 1")) {
            try ring.bufferRingAdd(groupID: 1, IoBuffer(count: 8), bufferID: 0, offset: 2)
        }
    }

    @Test func unregisterAndUnknownGroups() throws {
        var ring = try IoUring(entries: 4)
        let (reader, writer) = socketPair(SOCK_STREAM)
        defer { close(reader); close(writer) }
        try ring.setupBufferRing(groupID: 11, entries: 2)
        try ring.bufferRingAdd(groupID: 11, IoBuffer(count: 32), bufferID: 0)
        try ring.bufferRingAdvance(groupID: 11, count: 1)
        #expect(ring.registeredMemory.count == 2)

        try ring.unregisterBufferRing(groupID: 11)
        #expect(ring.bufferRing(groupID: 11) == nil)
        // Nothing was in flight: the ring memory and the buffer are let go at once.
        #expect(ring.registeredMemory.isEmpty)
        #expect(ring.retained.isEmpty)

        // The kernel forgot the group too.
        send(writer, bytes("x"))
        try ring.raw(selectingRecv(userData: 1, fd: reader, group: 11))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 1, res: negated(.ENOBUFS), flags: [])])

        let opcode = UInt32(IORING_UNREGISTER_PBUF_RING)
        let again = #expect(throws: IoUringError.self) { try ring.unregisterBufferRing(groupID: 11) }
        #expect(again == .syscall(.register(opcode), .ENOENT))
        #expect(again?.description == "io_uring_register(IORING_UNREGISTER_PBUF_RING): ENOENT (no such registration (unknown buffer group?))")
        #expect(throws: IoUringError.syscall(.register(opcode), .ENOENT)) {
            try ring.unregisterBufferRing(groupID: 4321)
        }
        // A legacy group is not a ring: EINVAL.
        try ring.provideBuffers(userData: 2, IoBuffer(count: 8), bufferSize: 8, count: 1, groupID: 12, startingBufferID: 0)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 2, res: 0, flags: [])])
        #expect(throws: IoUringError.syscall(.register(opcode), .EINVAL)) {
            try ring.unregisterBufferRing(groupID: 12)
        }

        // The id can be registered again.
        #expect(try ring.setupBufferRing(groupID: 11, entries: 4).entries == 4)
    }
}

@Suite struct BufferGroupTests {
    @Test func recvGetPutAndRunDry() throws {
        var ring = try IoUring(entries: 8)
        let (reader, writer) = socketPair(SOCK_STREAM)
        defer { close(reader); close(writer) }
        let group = try BufferGroup(&ring, groupID: 1, bufferSize: 32, count: 2)
        #expect(group.incremental == false)
        #expect(try ring.bufferRingHead(groupID: 1) == 0)

        send(writer, bytes("hello"))
        try group.recv(&ring, userData: 1, socket: .descriptor(reader))
        let first = try reap(&ring, 1)
        #expect(first == [CompletionQueueEntry(userData: 1, res: 5, flags: bufferFlags(0))])
        #expect(try group.get(&ring, first[0]) == bytes("hello"))
        #expect(try group.get(ring, bufferID: 0, length: 5) == bytes("hello"))
        #expect(try group.status(ring, bufferID: 0) == (0, false))

        // Taking the same CQE twice is refused: the buffer is already the application's.
        #expect(throws: IoUringError.self) { try group.get(&ring, first[0]) }
        // Buffer 1 is still in the ring: putting it is refused (the kernel would get it twice).
        #expect(throws: IoUringError.self) { try group.put(&ring, bufferID: 1) }

        send(writer, bytes("world"))
        try group.recv(&ring, userData: 2, socket: .descriptor(reader))
        let second = try reap(&ring, 1)
        #expect(second == [CompletionQueueEntry(userData: 2, res: 5, flags: bufferFlags(1))])
        #expect(try group.get(&ring, second[0]) == bytes("world"))

        try group.recv(&ring, userData: 3, socket: .descriptor(reader))
        let dry = try reap(&ring, 1)
        #expect(dry == [CompletionQueueEntry(userData: 3, res: negated(.ENOBUFS), flags: [])])
        #expect(throws: IoUringError.self) { try group.get(&ring, dry[0]) }

        try group.put(&ring, bufferID: 0)
        #expect(try group.status(ring, bufferID: 0) == (0, true))
        send(writer, bytes("again!"))
        try group.recv(&ring, userData: 4, socket: .descriptor(reader))
        let third = try reap(&ring, 1)
        #expect(third == [CompletionQueueEntry(userData: 4, res: 6, flags: bufferFlags(0))])
        #expect(try group.get(&ring, third[0]) == bytes("again!"))

        // The raw ring calls are refused for a group's ring: they would bypass its bookkeeping.
        #expect(throws: IoUringError.self) { try ring.bufferRingAdvance(groupID: 1, count: 1) }
        #expect(try ring.bufferRingMask(groupID: 1) == 1)
    }

    @Test func anExistingGroupIsFoundByIdAndReplenishedWithoutGet() throws {
        var ring = try IoUring(entries: 8)
        let (reader, writer) = socketPair(SOCK_SEQPACKET)
        defer { close(reader); close(writer) }
        _ = try BufferGroup(&ring, groupID: 3, bufferSize: 16, count: 2)
        let missing = BufferGroup(existing: ring, groupID: 4)
        #expect(missing == nil)
        let found = BufferGroup(existing: ring, groupID: 3)
        let group = try #require(found)
        #expect(group.bufferSize == 16 && group.count == 2 && !group.incremental)

        for (userData, text) in [(UInt64(1), "one"), (2, "two")] {
            send(writer, bytes(text))
            try group.recv(&ring, userData: userData, socket: .descriptor(reader))
            _ = try reap(&ring, 1)
        }
        try group.recv(&ring, userData: 3, socket: .descriptor(reader))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 3, res: negated(.ENOBUFS), flags: [])])

        // No get() took those CQEs, yet replenish gives the buffers back, in the order asked.
        #expect(throws: IoUringError.self) { try group.replenish(&ring, bufferIDs: [2]) }
        try group.replenish(&ring, bufferIDs: [1, 0])
        #expect(try group.status(ring, bufferID: 0) == (0, true))
        send(writer, bytes("three"))
        try group.recv(&ring, userData: 4, socket: .descriptor(reader))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 4, res: 5, flags: bufferFlags(1))])
        #expect(try group.get(ring, bufferID: 1, length: 5) == bytes("three"))
    }

    @Test func incrementalConsumptionFillsOneBufferPieceByPiece() throws {
        var ring = try IoUring(entries: 8)
        let (reader, writer) = socketPair(SOCK_STREAM)
        defer { close(reader); close(writer) }
        let group = try BufferGroup(&ring, groupID: 2, bufferSize: 64, count: 1, incremental: true)
        #expect(group.incrementalRequested)
        guard group.incremental else {
            try skip("the kernel refused IOU_PBUF_RING_INC with EINVAL (needs Linux 6.12); the group fell back to a plain ring")
        }

        let messages = [bytes("hello"), bytes("world!"), Array(repeating: UInt8(ascii: "z"), count: 53)]
        var offset = 0
        for (index, message) in messages.enumerated() {
            send(writer, message)
            try group.recv(&ring, userData: UInt64(10 + index), socket: .descriptor(reader))
            let cqes = try reap(&ring, 1)
            let last = index == messages.count - 1
            // BUF_MORE while the buffer still has room; the last message fills its 64 bytes exactly.
            #expect(cqes == [CompletionQueueEntry(userData: UInt64(10 + index), res: Int32(message.count),
                                                  flags: bufferFlags(0, last ? [] : .bufferMore))])
            #expect(try group.status(ring, bufferID: 0) == (offset, true))
            #expect(try group.get(&ring, cqes[0]) == message)
            offset += message.count
            #expect(try group.status(ring, bufferID: 0) == (last ? 0 : offset, !last))
        }
        // The data of each CQE went where the previous one ended.
        #expect(try group.get(ring, bufferID: 0, length: 64) == messages.flatMap { $0 })

        // Fully consumed: the ring is empty until the buffer is put back, which resets its head.
        try group.recv(&ring, userData: 20, socket: .descriptor(reader))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 20, res: negated(.ENOBUFS), flags: [])])
        try group.put(&ring, bufferID: 0)
        send(writer, bytes("again"))
        try group.recv(&ring, userData: 21, socket: .descriptor(reader))
        let cqes = try reap(&ring, 1)
        #expect(cqes == [CompletionQueueEntry(userData: 21, res: 5, flags: bufferFlags(0, .bufferMore))])
        #expect(try group.get(&ring, cqes[0]) == bytes("again"))
        #expect(try group.get(ring, bufferID: 0, length: 5) == bytes("again"))
        #expect(try group.status(ring, bufferID: 0) == (5, true))
    }

    @Test func multishotRecvPostsOneCQEPerMessageUntilThePeerCloses() throws {
        var ring = try IoUring(entries: 8)
        let (reader, writer) = socketPair(SOCK_SEQPACKET)
        defer { close(reader) }
        var writerOpen = true
        defer { if writerOpen { close(writer) } }
        let group = try BufferGroup(&ring, groupID: 4, bufferSize: 32, count: 4)
        try group.recvMultishot(&ring, userData: 9, socket: .descriptor(reader))
        try ring.submit()

        // One message at a time: each CQE carries exactly F_BUFFER and F_MORE. Each buffer goes back at once
        // (a multishot receive ends with -ENOBUFS as soon as it finds the ring empty).
        for (index, text) in ["one", "two"].enumerated() {
            send(writer, bytes(text))
            let cqes = try reap(&ring, 1)
            #expect(cqes == [CompletionQueueEntry(userData: 9, res: Int32(text.utf8.count),
                                                  flags: bufferFlags(UInt16(index), .more))])
            guard let cqe = cqes.first else { return }
            #expect(try group.get(&ring, cqe) == bytes(text))
            try group.put(&ring, bufferID: UInt16(index))
        }
        #expect(ring.inFlight == 1)

        // A burst: one CQE per message, in order, in the next buffers of the ring (2, 3, then 0 again),
        // all taken before any is put back.
        let burst = ["three", "four!", "five"]
        let expectedIDs: [UInt16] = [2, 3, 0]
        for text in burst { send(writer, bytes(text)) }
        let cqes = try reap(&ring, burst.count)
        for (index, cqe) in cqes.prefix(burst.count).enumerated() {
            #expect(cqe.userData == 9)
            #expect(cqe.res == Int32(burst[index].utf8.count))
            #expect(cqe.flags.bufferID == expectedIDs[index])
            // F_SOCK_NONEMPTY may be set while later messages wait in the socket.
            #expect(cqe.flags.subtracting(.socketNonEmpty) == bufferFlags(expectedIDs[index], .more))
            #expect(try group.get(&ring, cqe) == bytes(burst[index]))
        }
        for id in expectedIDs { try group.put(&ring, bufferID: id) }

        // The peer closes: the stream ends with a final CQE without F_MORE.
        close(writer)
        writerOpen = false
        let final = try reap(&ring, 1)
        #expect(final == [CompletionQueueEntry(userData: 9, res: 0, flags: [])])
        #expect(ring.inFlight == 0)
    }

    @Test func multishotRecvEndsWithENOBUFSWhenTheGroupRunsDry() throws {
        var ring = try IoUring(entries: 4)
        let (reader, writer) = socketPair(SOCK_SEQPACKET)
        defer { close(reader); close(writer) }
        let group = try BufferGroup(&ring, groupID: 8, bufferSize: 16, count: 1)
        try group.recvMultishot(&ring, userData: 5, socket: .descriptor(reader))
        try ring.submit()
        send(writer, bytes("only"))
        // The receive takes the only buffer, goes round again, finds the ring empty and stops.
        let cqes = try reap(&ring, 2)
        #expect(cqes == [CompletionQueueEntry(userData: 5, res: 4, flags: bufferFlags(0, .more)),
                         CompletionQueueEntry(userData: 5, res: negated(.ENOBUFS), flags: [])])
        #expect(ring.inFlight == 0)
        guard let first = cqes.first else { return }
        #expect(try group.get(&ring, first) == bytes("only"))
    }

    @Test func freedOrForeignGroupsAreRefused() throws {
        var ring = try IoUring(entries: 4)
        let (reader, writer) = socketPair(SOCK_STREAM)
        defer { close(reader); close(writer) }
        let group = try BufferGroup(&ring, groupID: 9, bufferSize: 16, count: 2)
        #expect(ring.registeredMemory.count == 2)

        // A recv waits for data while the group is freed: the memory is retained, not released.
        try group.recv(&ring, userData: 1, socket: .descriptor(reader))
        try ring.submit()
        try group.free(&ring)
        #expect(ring.bufferRing(groupID: 9) == nil)
        #expect(ring.registeredMemory.isEmpty)
        #expect(ring.retained.count == 2)
        // When data comes, the kernel finds no group; with the request done the memory goes.
        send(writer, bytes("late"))
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 1, res: negated(.ENOBUFS), flags: [])])
        #expect(ring.retained.isEmpty)

        let refused = IoUringError.invalidArgument("buffer group 9 is not registered on this ring (freed, or set up on another ring)")
        #expect(throws: refused) { try group.recv(&ring, userData: 2, socket: .descriptor(reader)) }
        #expect(throws: refused) { try group.put(&ring, bufferID: 0) }
        #expect(throws: refused) { try group.free(&ring) }
        #expect(ring.sqReady == 0)

        // Same id registered again: the old handle still does not reach it.
        let again = try BufferGroup(&ring, groupID: 9, bufferSize: 16, count: 2)
        #expect(throws: refused) { try group.get(ring, bufferID: 0, length: 1) }
        #expect(try again.get(ring, bufferID: 0, length: 1) == [0])

        // A handle from another ring is refused too.
        var other = try IoUring(entries: 2)
        #expect(throws: refused) { try again.recv(&other, userData: 3, socket: .descriptor(reader)) }
    }

    @Test func groupArgumentsAreValidated() throws {
        var ring = try IoUring(entries: 2)
        #expect(throws: IoUringError.invalidArgument("a buffer group's buffers hold 1...4294967295 bytes, not 0")) {
            _ = try BufferGroup(&ring, groupID: 1, bufferSize: 0, count: 2)
        }
        #expect(throws: IoUringError.invalidEntries(3)) {
            _ = try BufferGroup(&ring, groupID: 1, bufferSize: 16, count: 3)
        }
        #expect(ring.providedBuffers.rings.isEmpty)
        #expect(ring.registeredMemory.isEmpty)
    }
}
