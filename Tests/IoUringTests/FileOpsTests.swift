#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
@testable import IoUring

// MARK: - Helpers for these suites

/// A CQE as the kernel should post it.
private func cqe(_ userData: UInt64, _ res: Int32, _ flags: CompletionFlags = []) -> CompletionQueueEntry {
    CompletionQueueEntry(userData: userData, res: res, flags: flags)
}

private func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// open(2), or a test failure.
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws -> Int32 {
    let fd = open(path, flags, mode)
    try #require(fd >= 0, "open(\(path)) failed: errno \(errno)")
    return fd
}

/// `fd` moved to a descriptor number ≥ 900, so that no other test running in parallel can be handed the
/// same number after it is closed.
private func highDescriptor(_ fd: Int32) throws -> Int32 {
    let high = fcntl(fd, F_DUPFD, 900)
    try #require(high >= 900, "F_DUPFD failed: errno \(errno)")
    Glibc.close(fd)
    return high
}

private func fileSize(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_size)
}

private func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
}

private func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// epoll(7), from <sys/epoll.h> as CIoUring exposes it.
private enum Epoll {
    static let ctlAdd = EPOLL_CTL_ADD
    static let ctlDel = EPOLL_CTL_DEL
    static let ctlMod = EPOLL_CTL_MOD
    static let pollIn = EPOLLIN.rawValue

    static func create() -> Int32 { epoll_create1(Int32(EPOLL_CLOEXEC)) }

    /// epoll_wait(2) with a zero timeout: the ready (events, data) pairs.
    static func wait(_ epollFD: Int32, maximum: Int32 = 8) -> [(events: UInt32, data: UInt64)]? {
        var events = [epoll_event](repeating: epoll_event(), count: Int(maximum))
        let count = epoll_wait(epollFD, &events, maximum, 0)
        guard count >= 0 else { return nil }
        return events.prefix(Int(count)).map { ($0.events, $0.data.u64) }
    }
}

private let statxBasicStats: UInt32 = 0x7ff
private let statxSize: UInt32 = 0x200
private let atEmptyPath: Int32 = 0x1000

// MARK: - Read, write, sync

@Suite struct FileReadWriteTests {
    @Test func linkedWritevFsyncReadvCompleteInOrder() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        let fd = try openFile(dir.file("linked"), O_RDWR | O_CREAT | O_TRUNC)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 8)

        let first = IoBuffer(bytes("hello, "))
        let second = IoBuffer(bytes("io_uring!"))
        let back1 = IoBuffer(count: 7)
        let back2 = IoBuffer(count: 32)
        try ring.writev(userData: 1, file: .descriptor(fd), from: [first, second], offset: 0, flags: .link)
        try ring.fsync(userData: 2, file: .descriptor(fd), flags: .link)
        try ring.read(userData: 3, file: .descriptor(fd), into: .vectors([back1, back2.slice(0..<9)]), offset: 0)
        #expect(ring.sqReady == 3)

        let cqes = try reap(&ring, 3)
        #expect(cqes == [cqe(1, 16), cqe(2, 0), cqe(3, 16)])
        #expect(back1.bytes() + back2.bytes(0..<9) == bytes("hello, io_uring!"))
        #expect(back2.bytes(9..<32) == Array(repeating: 0, count: 23))
        #expect(readFile(dir.file("linked")) == bytes("hello, io_uring!"))
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
    }

    @Test func plainReadAndWriteAtOffsets() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        let fd = try openFile(dir.file("plain"), O_RDWR | O_CREAT | O_TRUNC)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)

        let data = IoBuffer(bytes("0123456789"))
        try ring.write(userData: 10, file: .descriptor(fd), from: data, offset: 0)
        #expect(try reap(&ring, 1) == [cqe(10, 10)])
        // A slice writes only its bytes, at the offset given.
        try ring.write(userData: 11, file: .descriptor(fd), from: data.slice(2..<5), offset: 10)
        #expect(try reap(&ring, 1) == [cqe(11, 3)])
        #expect(readFile(dir.file("plain")) == bytes("0123456789234"))

        let target = IoBuffer(count: 8)
        try ring.read(userData: 12, file: .descriptor(fd), into: .buffer(target.slice(2..<6)), offset: 5)
        #expect(try reap(&ring, 1) == [cqe(12, 4)])
        #expect(target.bytes() == [0, 0] + bytes("5678") + [0, 0])
    }

    @Test func offsetMinusOneUsesAndAdvancesTheFilePosition() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("position"), bytes("abcdefgh"))
        let fd = try openFile(dir.file("position"), O_RDONLY)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)
        let target = IoBuffer(count: 3)
        try ring.read(userData: 1, file: .descriptor(fd), into: .buffer(target), offset: .max)
        #expect(try reap(&ring, 1) == [cqe(1, 3)])
        #expect(target.bytes() == bytes("abc"))
        try ring.read(userData: 2, file: .descriptor(fd), into: .buffer(target), offset: .max)
        #expect(try reap(&ring, 1) == [cqe(2, 3)])
        #expect(target.bytes() == bytes("def"))
        #expect(lseek(fd, 0, SEEK_CUR) == 6)
    }

    @Test func shortReadThenEndOfFile() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("short"), bytes("twelve bytes"))
        let fd = try openFile(dir.file("short"), O_RDONLY)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)

        let target = IoBuffer(count: 64)
        target.fill(0xAA)
        try ring.read(userData: 1, file: .descriptor(fd), into: .buffer(target), offset: 0)
        try ring.read(userData: 2, file: .descriptor(fd), into: .buffer(IoBuffer(count: 16)), offset: 12)
        try ring.read(userData: 3, file: .descriptor(fd), into: .vectors([IoBuffer(count: 4)]), offset: 100)
        let cqes = try reap(&ring, 3)
        #expect(cqes.sorted { $0.userData < $1.userData } == [cqe(1, 12), cqe(2, 0), cqe(3, 0)])
        #expect(target.bytes(0..<12) == bytes("twelve bytes"))
        #expect(target.bytes(12..<64) == Array(repeating: 0xAA, count: 52))
    }

    @Test func aBadDescriptorIsEBADF() throws {
        var ring = try IoUring(entries: 4)
        let notOpen: Int32 = 1 << 24 // above any RLIMIT_NOFILE
        try ring.read(userData: 1, file: .descriptor(notOpen), into: .buffer(IoBuffer(count: 8)), offset: 0)
        try ring.write(userData: 2, file: .descriptor(notOpen), from: IoBuffer(count: 8), offset: 0)
        try ring.fsync(userData: 3, file: .descriptor(notOpen))
        try ring.read(userData: 4, file: .descriptor(-1), into: .vectors([IoBuffer(count: 8)]), offset: 0)
        let cqes = try reap(&ring, 4)
        #expect(cqes.sorted { $0.userData < $1.userData }
            == [cqe(1, negated(.EBADF)), cqe(2, negated(.EBADF)), cqe(3, negated(.EBADF)), cqe(4, negated(.EBADF))])
    }

    @Test func writevWritesTheRegionsInOrder() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        let fd = try openFile(dir.file("vectored"), O_RDWR | O_CREAT | O_TRUNC)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)
        let source = IoBuffer(bytes("ABCDEFGH"))
        try ring.writev(userData: 5, file: .descriptor(fd),
                        from: [source.slice(4..<8), IoBuffer(bytes("-")), source.slice(0..<4)], offset: 2)
        #expect(try reap(&ring, 1) == [cqe(5, 9)])
        #expect(readFile(dir.file("vectored")) == [0, 0] + bytes("EFGH-ABCD"))
        // An empty iovec list writes nothing.
        try ring.writev(userData: 6, file: .descriptor(fd), from: [], offset: 0)
        #expect(try reap(&ring, 1) == [cqe(6, 0)])
    }

    @Test func fsyncAndDataSync() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        let fd = try openFile(dir.file("synced"), O_RDWR | O_CREAT | O_TRUNC)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)
        try ring.write(userData: 1, file: .descriptor(fd), from: IoBuffer(bytes("durable")), offset: 0, flags: .link)
        try ring.fsync(userData: 2, file: .descriptor(fd), flags: .link)
        try ring.fsync(userData: 3, file: .descriptor(fd), dataSync: true)
        #expect(try reap(&ring, 3) == [cqe(1, 7), cqe(2, 0), cqe(3, 0)])
        #expect(readFile(dir.file("synced")) == bytes("durable"))
    }

    @Test func theRingKeepsAnUnreferencedBufferAliveUntilTheCQE() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("retained"), bytes("kept alive"))
        let fd = try openFile(dir.file("retained"), O_RDONLY)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)

        // The buffer is created inline: only the ring holds it.
        try ring.read(userData: 1, file: .descriptor(fd), into: .buffer(IoBuffer(count: 32)), offset: 0)
        #expect(ring.retained.count == 1)
        weak var watched: KernelMemory?
        do { watched = ring.retained.first }
        #expect(watched != nil)
        try ring.submit(andWaitFor: 1)
        #expect(ring.peekCQE() == cqe(1, 10))
        // The kernel wrote into the buffer that only the ring kept.
        let written = (watched as? IoBuffer)?.bytes(0..<10)
        #expect(written == bytes("kept alive"))
        #expect(ring.retained.count == 1)
        ring.cqeSeen()
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
        #expect(watched == nil)
    }

    @Test func aPinnedBufferLivesAsLongAsTheRingAndIsNotRetainedPerRequest() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("pinned"), bytes("kept alive"))
        let fd = try openFile(dir.file("pinned"), O_RDONLY)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)
        weak var watched: IoBuffer?
        do {
            let buffer = IoBuffer(count: 32)
            watched = buffer
            ring.pin(buffer)
            ring.pin(buffer)
            try ring.read(userData: 1, file: .descriptor(fd), into: .buffer(buffer), offset: 0)
        }
        // Only the ring holds the buffer, as pinned memory: the request retained nothing.
        #expect(ring.retained.isEmpty && ring.pinnedMemory.count == 1)
        try ring.submit(andWaitFor: 1)
        #expect(ring.peekCQE() == cqe(1, 10))
        ring.cqeSeen()
        #expect(ring.inFlight == 0)
        // Quiescent, and still alive: pinned memory stays for the ring's life.
        #expect(watched?.bytes(0..<10) == bytes("kept alive"))
        _ = consume ring
        #expect(watched == nil)
    }
}

// MARK: - Registered buffers, files, buffer selection

@Suite struct FileFixedResourceTests {
    @Test func readFixedAndWriteFixedUseRegisteredBuffers() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        let fd = try openFile(dir.file("fixed"), O_RDWR | O_CREAT | O_TRUNC)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)
        let registered = IoBuffer(count: 4096)
        let half = IoBuffer(count: 8192)
        try ring.registerBuffers([registered, half.slice(0..<4096)])

        registered.write(bytes("fixed buffers"), at: 100)
        try ring.writeFixed(userData: 1, file: .descriptor(fd), from: registered.slice(100..<113), offset: 3, bufferIndex: 0)
        #expect(try reap(&ring, 1) == [cqe(1, 13)])
        #expect(readFile(dir.file("fixed")) == [0, 0, 0] + bytes("fixed buffers"))

        try ring.readFixed(userData: 2, file: .descriptor(fd), into: half.slice(1000..<1016), offset: 0, bufferIndex: 1)
        #expect(try reap(&ring, 1) == [cqe(2, 16)])
        #expect(half.bytes(1000..<1016) == [0, 0, 0] + bytes("fixed buffers"))

        // Outside the registered range of the buffer: the kernel refuses the address.
        try ring.readFixed(userData: 3, file: .descriptor(fd), into: half.slice(4090..<4100), offset: 0, bufferIndex: 1)
        #expect(try reap(&ring, 1) == [cqe(3, negated(.EFAULT))])

        // The engine refuses indexes that are not registered and buffers that are not the registered one.
        #expect(throws: IoUringError.self) {
            try ring.readFixed(userData: 4, file: .descriptor(fd), into: registered, offset: 0, bufferIndex: 2)
        }
        #expect(throws: IoUringError.self) {
            try ring.writeFixed(userData: 5, file: .descriptor(fd), from: IoBuffer(count: 8), offset: 0, bufferIndex: 0)
        }
        #expect(ring.sqReady == 0)
    }

    @Test func fixedFilesAreUsedThroughTheirSlot() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("registered"), bytes("through slot 500"))
        let fd = try openFile(dir.file("registered"), O_RDWR)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)
        // Slot 500: were IOSQE_FIXED_FILE missing, fd 500 would not be this file.
        try ring.registerFiles(Array(repeating: -1, count: 500) + [fd])
        let target = IoBuffer(count: 32)
        try ring.read(userData: 1, file: .fixed(500), into: .buffer(target), offset: 0)
        try ring.write(userData: 2, file: .fixed(500), from: IoBuffer(bytes("!")), offset: 16)
        let cqes = try reap(&ring, 2)
        #expect(cqes.sorted { $0.userData < $1.userData } == [cqe(1, 16), cqe(2, 1)])
        #expect(target.bytes(0..<16) == bytes("through slot 500"))
        #expect(readFile(dir.file("registered")) == bytes("through slot 500!"))
        // An empty slot is EBADF.
        try ring.fsync(userData: 3, file: .fixed(3))
        #expect(try reap(&ring, 1) == [cqe(3, negated(.EBADF))])
    }

    @Test func bufferSelectionReadsIntoAProvidedBuffer() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("selected"), bytes("selected by the kernel"))
        let fd = try openFile(dir.file("selected"), O_RDONLY)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)

        // No buffers in the group yet.
        try ring.read(userData: 1, file: .descriptor(fd), into: .bufferSelection(group: 5, length: 64), offset: 0)
        #expect(try reap(&ring, 1) == [cqe(1, negated(.ENOBUFS))])

        // Provide two 64-byte buffers, ids 7 and 8, to group 5 (IORING_OP_PROVIDE_BUFFERS through the raw
        // path; the provided-buffer ops are not this suite's subject).
        let pool = IoBuffer(count: 128)
        var provide = RawSQE(opcode: Opcode.provideBuffers.rawValue)
        provide.fd = 2
        provide.addr = pool.kernelAddress
        provide.len = 64
        provide.off = 7
        provide.bufIndex = 5
        provide.userData = 2
        try ring.raw(provide)
        #expect(try reap(&ring, 1) == [cqe(2, 0)])

        try ring.read(userData: 3, file: .descriptor(fd), into: .bufferSelection(group: 5, length: 8), offset: 9)
        let flags = CompletionFlags(rawValue: CompletionFlags.buffer.rawValue | 7 << 16)
        #expect(try reap(&ring, 1) == [cqe(3, 8, flags)])
        #expect(flags.bufferID == 7)
        #expect(pool.bytes(0..<8) == bytes("by the k"))
        #expect(pool.bytes(8..<128) == Array(repeating: 0, count: 120))
        withExtendedLifetime(pool) {}
    }
}

// MARK: - Splice

@Suite struct FileSpliceTests {
    @Test func splicePipeToFileAndFileToPipe() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        let fd = try openFile(dir.file("spliced"), O_RDWR | O_CREAT | O_TRUNC)
        defer { Glibc.close(fd) }
        var pipeFDs: [Int32] = [0, 0]
        try #require(pipe(&pipeFDs) == 0)
        defer { Glibc.close(pipeFDs[0]); Glibc.close(pipeFDs[1]) }
        var ring = try IoUring(entries: 4)

        let message = bytes("through a pipe")
        #expect(message.withUnsafeBytes { Glibc.write(pipeFDs[1], $0.baseAddress, $0.count) } == message.count)
        // Pipe → file at offset 4; the pipe has no offset (-1).
        try ring.splice(userData: 1, input: .descriptor(pipeFDs[0]), inputOffset: -1,
                        output: .descriptor(fd), outputOffset: 4, length: UInt32(message.count))
        #expect(try reap(&ring, 1) == [cqe(1, 14)])
        #expect(readFile(dir.file("spliced")) == [0, 0, 0, 0] + message)

        // File at offset 12 → pipe.
        try ring.splice(userData: 2, input: .descriptor(fd), inputOffset: 12, output: .descriptor(pipeFDs[1]),
                        length: 7)
        #expect(try reap(&ring, 1) == [cqe(2, 6)])
        var back = [UInt8](repeating: 0, count: 16)
        #expect(back.withUnsafeMutableBytes { Glibc.read(pipeFDs[0], $0.baseAddress, $0.count) } == 6)
        #expect(Array(back[0..<6]) == bytes("a pipe"))

        // A file's -1 offset uses and advances the file position.
        #expect(lseek(fd, 8, SEEK_SET) == 8)
        try ring.splice(userData: 3, input: .descriptor(fd), output: .descriptor(pipeFDs[1]), length: 3)
        #expect(try reap(&ring, 1) == [cqe(3, 3)])
        #expect(lseek(fd, 0, SEEK_CUR) == 11)
        #expect(back.withUnsafeMutableBytes { Glibc.read(pipeFDs[0], $0.baseAddress, $0.count) } == 3)
        #expect(Array(back[0..<3]) == bytes("ugh"))
    }

    @Test func spliceFromAFixedInputFile() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("source"), bytes("fixed input"))
        let fd = try openFile(dir.file("source"), O_RDONLY)
        defer { Glibc.close(fd) }
        var pipeFDs: [Int32] = [0, 0]
        try #require(pipe(&pipeFDs) == 0)
        defer { Glibc.close(pipeFDs[0]); Glibc.close(pipeFDs[1]) }
        var ring = try IoUring(entries: 4)
        try ring.registerFiles([-1, -1, -1, fd, pipeFDs[1]])

        // SPLICE_F_FD_IN_FIXED for the input, IOSQE_FIXED_FILE for the output.
        try ring.splice(userData: 1, input: .fixed(3), inputOffset: 6, output: .fixed(4), length: 64)
        #expect(try reap(&ring, 1) == [cqe(1, 5)])
        var back = [UInt8](repeating: 0, count: 8)
        #expect(back.withUnsafeMutableBytes { Glibc.read(pipeFDs[0], $0.baseAddress, $0.count) } == 5)
        #expect(Array(back[0..<5]) == bytes("input"))
        // Neither end a pipe: EINVAL.
        let other = try openFile(dir.file("other"), O_WRONLY | O_CREAT | O_TRUNC)
        defer { Glibc.close(other) }
        try ring.splice(userData: 2, input: .fixed(3), inputOffset: 0, output: .descriptor(other), outputOffset: 0, length: 4)
        #expect(try reap(&ring, 1) == [cqe(2, negated(.EINVAL))])
        #expect(throws: IoUringError.self) {
            try ring.splice(userData: 3, input: .descriptor(fd), output: .descriptor(pipeFDs[1]), length: 1,
                            spliceFlags: 1 << 31)
        }
    }
}

// MARK: - Open and close

@Suite struct FileOpenCloseTests {
    @Test func openatReturnsAWorkingDescriptor() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("opened"), bytes("opened by the ring"))
        var ring = try IoUring(entries: 4)
        try ring.openat(userData: 1, path: dir.file("opened"), openFlags: O_RDONLY | O_CLOEXEC)
        try ring.openat(userData: 2, path: dir.file("missing"), openFlags: O_RDONLY)
        let cqes = try reap(&ring, 2).sorted { $0.userData < $1.userData }
        #expect(cqes.count == 2)
        #expect(cqes.last == cqe(2, negated(.ENOENT)))
        let fd = try #require(cqes.first?.res)
        try #require(fd >= 0)
        defer { Glibc.close(fd) }
        var back = [UInt8](repeating: 0, count: 32)
        #expect(back.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } == 18)
        #expect(Array(back[0..<18]) == bytes("opened by the ring"))
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)

        // Relative to a directory fd, creating with a mode.
        let dirFD = try openFile(dir.path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(dirFD) }
        let previous = umask(0)
        try ring.openat(userData: 3, directory: dirFD, path: "created", openFlags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o640)
        let created = try reap(&ring, 1)
        umask(previous)
        #expect(created.first?.userData == 3)
        let createdFD = try #require(created.first?.res)
        try #require(createdFD >= 0)
        Glibc.close(createdFD)
        var info = stat()
        #expect(stat(dir.file("created"), &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o640)

        #expect(throws: IoUringError.self) { try ring.openat(userData: 4, path: "nul\u{0}inside", openFlags: O_RDONLY) }
    }

    @Test func openatDirectFillsTheFixedTable() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("direct"), bytes("direct descriptor"))
        var ring = try IoUring(entries: 4)
        try ring.registerFilesSparse(count: 8)

        try ring.openatDirect(userData: 1, path: dir.file("direct"), openFlags: O_RDONLY, slot: .index(2))
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        let target = IoBuffer(count: 32)
        try ring.read(userData: 2, file: .fixed(2), into: .buffer(target), offset: 0)
        #expect(try reap(&ring, 1) == [cqe(2, 17)])
        #expect(target.bytes(0..<17) == bytes("direct descriptor"))

        // The kernel picks the slot: the only free one in the allocation range.
        try ring.registerFileAllocRange(offset: 5, count: 1)
        try ring.openatDirect(userData: 3, path: dir.file("direct"), openFlags: O_RDONLY, slot: .allocate)
        #expect(try reap(&ring, 1) == [cqe(3, 5)])
        try ring.openatDirect(userData: 4, path: dir.file("direct"), openFlags: O_RDONLY, slot: .allocate)
        #expect(try reap(&ring, 1) == [cqe(4, negated(.ENFILE))])
        try ring.read(userData: 5, file: .fixed(5), into: .buffer(target.slice(0..<6)), offset: 7)
        #expect(try reap(&ring, 1) == [cqe(5, 6)])
        #expect(target.bytes(0..<6) == bytes("descri"))

        // O_CLOEXEC makes no sense for a direct descriptor.
        try ring.openatDirect(userData: 6, path: dir.file("direct"), openFlags: O_RDONLY | O_CLOEXEC, slot: .index(0))
        #expect(try reap(&ring, 1) == [cqe(6, negated(.EINVAL))])
        try ring.openatDirect(userData: 7, path: dir.file("missing"), openFlags: O_RDONLY, slot: .index(0))
        #expect(try reap(&ring, 1) == [cqe(7, negated(.ENOENT))])
    }

    @Test func closeDirectEmptiesTheSlot() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("slot"), bytes("x"))
        var ring = try IoUring(entries: 4)
        try ring.registerFilesSparse(count: 4)
        try ring.openatDirect(userData: 1, path: dir.file("slot"), openFlags: O_RDONLY, slot: .index(3))
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        try ring.closeDirect(userData: 2, slot: 3)
        #expect(try reap(&ring, 1) == [cqe(2, 0)])
        try ring.read(userData: 3, file: .fixed(3), into: .buffer(IoBuffer(count: 1)), offset: 0)
        try ring.closeDirect(userData: 4, slot: 3, flags: [])
        let cqes = try reap(&ring, 2).sorted { $0.userData < $1.userData }
        #expect(cqes == [cqe(3, negated(.EBADF)), cqe(4, negated(.EBADF))])
    }

    @Test func closeClosesADescriptor() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("closing"), bytes("x"))
        let fd = try highDescriptor(try openFile(dir.file("closing"), O_RDONLY))
        #expect(fcntl(fd, F_GETFD) >= 0)
        var ring = try IoUring(entries: 4)
        try ring.close(userData: 1, fd: fd)
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        #expect(fcntl(fd, F_GETFD) == -1 && errno == EBADF)
        try ring.close(userData: 2, fd: fd)
        #expect(try reap(&ring, 1) == [cqe(2, negated(.EBADF))])
    }
}

// MARK: - Paths and metadata

@Suite struct FilePathOpsTests {
    @Test func fallocateGrowsTheFile() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        let fd = try openFile(dir.file("allocated"), O_RDWR | O_CREAT | O_TRUNC)
        defer { Glibc.close(fd) }
        var ring = try IoUring(entries: 4)
        try ring.fallocate(userData: 1, file: .descriptor(fd), offset: 0, length: 8192)
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        #expect(fileSize(dir.file("allocated")) == 8192)
        // FALLOC_FL_KEEP_SIZE (1) allocates without growing.
        try ring.fallocate(userData: 2, file: .descriptor(fd), mode: 1, offset: 8192, length: 4096)
        #expect(try reap(&ring, 1) == [cqe(2, 0)])
        #expect(fileSize(dir.file("allocated")) == 8192)
        try ring.fallocate(userData: 3, file: .descriptor(fd), offset: 0, length: 0)
        #expect(try reap(&ring, 1) == [cqe(3, negated(.EINVAL))])
    }

    @Test func statxFillsTheResult() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("measured"), Array(repeating: 7, count: 123))
        var ring = try IoUring(entries: 4)
        let result = StatxResult()
        try ring.statx(userData: 1, path: dir.file("measured"), mask: statxBasicStats, into: result)
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        var info = stat()
        try #require(stat(dir.file("measured"), &info) == 0)
        #expect(result.mask & statxSize != 0)
        #expect(result.size == 123)
        #expect(result.type == .regular)
        #expect(UInt32(result.mode) == info.st_mode)
        #expect(result.nlink == 1)
        #expect(result.ino == info.st_ino)
        #expect(result.uid == getuid())
        #expect(result.gid == info.st_gid)
        #expect(result.blksize == UInt32(info.st_blksize))
        #expect(result.blocks == UInt64(info.st_blocks))
        #expect(result.mtime.seconds == Int64(info.st_mtim.tv_sec))
        #expect(result.mtime.nanoseconds == UInt32(info.st_mtim.tv_nsec))

        // A directory, through a directory fd and AT_EMPTY_PATH; and a missing path.
        let dirFD = try openFile(dir.path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(dirFD) }
        let directory = StatxResult()
        try ring.statx(userData: 2, directory: dirFD, path: "", statxFlags: atEmptyPath, mask: statxBasicStats,
                       into: directory)
        try ring.statx(userData: 3, path: dir.file("missing"), mask: statxBasicStats, into: StatxResult())
        let cqes = try reap(&ring, 2).sorted { $0.userData < $1.userData }
        #expect(cqes == [cqe(2, 0), cqe(3, negated(.ENOENT))])
        #expect(directory.type == .directory)
    }

    @Test func renameatMovesAFile() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("old"), bytes("moved"))
        var ring = try IoUring(entries: 4)
        try ring.renameat(userData: 1, oldPath: dir.file("old"), newPath: dir.file("new"))
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        #expect(!exists(dir.file("old")))
        #expect(readFile(dir.file("new")) == bytes("moved"))
        // Relative to directory fds, with RENAME_NOREPLACE (1) onto an existing name.
        writeFile(dir.file("other"), bytes("other"))
        let dirFD = try openFile(dir.path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(dirFD) }
        try ring.renameat(userData: 2, oldDirectory: dirFD, oldPath: "new", newDirectory: dirFD, newPath: "other",
                          renameFlags: 1)
        #expect(try reap(&ring, 1) == [cqe(2, negated(.EEXIST))])
        #expect(readFile(dir.file("other")) == bytes("other"))
    }

    @Test func unlinkatRemovesFilesAndDirectories() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("doomed"), bytes("x"))
        try #require(mkdir(dir.file("subdir"), 0o755) == 0)
        var ring = try IoUring(entries: 4)
        try ring.unlinkat(userData: 1, path: dir.file("doomed"))
        try ring.unlinkat(userData: 2, path: dir.file("subdir"))
        var cqes = try reap(&ring, 2).sorted { $0.userData < $1.userData }
        #expect(cqes == [cqe(1, 0), cqe(2, negated(.EISDIR))])
        #expect(!exists(dir.file("doomed")))
        #expect(isDirectory(dir.file("subdir")))
        try ring.unlinkat(userData: 3, path: dir.file("subdir"), unlinkFlags: AT_REMOVEDIR)
        try ring.unlinkat(userData: 4, path: dir.file("doomed"))
        cqes = try reap(&ring, 2).sorted { $0.userData < $1.userData }
        #expect(cqes == [cqe(3, 0), cqe(4, negated(.ENOENT))])
        #expect(!exists(dir.file("subdir")))
    }

    @Test func mkdiratCreatesADirectoryOnce() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        var ring = try IoUring(entries: 4)
        let previous = umask(0)
        try ring.mkdirat(userData: 1, path: dir.file("made"), mode: 0o750)
        let first = try reap(&ring, 1)
        umask(previous)
        #expect(first == [cqe(1, 0)])
        var info = stat()
        #expect(stat(dir.file("made"), &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFDIR)
        #expect(info.st_mode & 0o7777 == 0o750)
        try ring.mkdirat(userData: 2, path: dir.file("made"))
        #expect(try reap(&ring, 1) == [cqe(2, negated(.EEXIST))])
        let dirFD = try openFile(dir.path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(dirFD) }
        try ring.mkdirat(userData: 3, directory: dirFD, path: "made/inner")
        #expect(try reap(&ring, 1) == [cqe(3, 0)])
        #expect(isDirectory(dir.file("made/inner")))
    }

    @Test func symlinkatCreatesALink() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        var ring = try IoUring(entries: 4)
        try ring.symlinkat(userData: 1, target: "some/target/path", linkPath: dir.file("link"))
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink(dir.file("link"), &buffer, 255)
        #expect(count == 16)
        #expect(String(decoding: buffer.prefix(max(count, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            == "some/target/path")
        try ring.symlinkat(userData: 2, target: "elsewhere", linkPath: dir.file("link"))
        #expect(try reap(&ring, 1) == [cqe(2, negated(.EEXIST))])
    }

    @Test func linkatAddsAHardLink() throws {
        let dir = TemporaryDirectory("files")
        defer { dir.remove() }
        writeFile(dir.file("original"), bytes("linked"))
        var ring = try IoUring(entries: 4)
        let dirFD = try openFile(dir.path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(dirFD) }
        try ring.linkat(userData: 1, oldDirectory: dirFD, oldPath: "original", newPath: dir.file("second"))
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        var original = stat(), second = stat()
        #expect(stat(dir.file("original"), &original) == 0)
        #expect(stat(dir.file("second"), &second) == 0)
        #expect(original.st_nlink == 2)
        #expect(original.st_ino == second.st_ino)
        #expect(readFile(dir.file("second")) == bytes("linked"))
        try ring.linkat(userData: 2, oldPath: dir.file("absent"), newPath: dir.file("third"))
        #expect(try reap(&ring, 1) == [cqe(2, negated(.ENOENT))])
    }
}

// MARK: - epoll and waitid

@Suite struct FileEpollWaitidTests {
    @Test func epollCtlAddIsSeenByEpollWait() throws {
        let epollFD = Epoll.create()
        try #require(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        defer { Glibc.close(epollFD) }
        var pipeFDs: [Int32] = [0, 0]
        try #require(pipe(&pipeFDs) == 0)
        defer { Glibc.close(pipeFDs[0]); Glibc.close(pipeFDs[1]) }
        var ring = try IoUring(entries: 4)

        try ring.epollCtl(userData: 1, epollFD: epollFD, fd: pipeFDs[0], operation: Epoll.ctlAdd,
                          events: Epoll.pollIn, data: 0xDEAD_BEEF_0BAD_F00D)
        #expect(try reap(&ring, 1) == [cqe(1, 0)])
        #expect(Epoll.wait(epollFD)?.count == 0)
        var byte: UInt8 = 1
        #expect(Glibc.write(pipeFDs[1], &byte, 1) == 1)
        let events = try #require(Epoll.wait(epollFD))
        #expect(events.count == 1)
        #expect(events.first?.events == Epoll.pollIn)
        #expect(events.first?.data == 0xDEAD_BEEF_0BAD_F00D)

        // MOD changes the data; DEL of an fd never added is ENOENT; DEL of the added one works.
        try ring.epollCtl(userData: 2, epollFD: epollFD, fd: pipeFDs[0], operation: Epoll.ctlMod,
                          events: Epoll.pollIn, data: 42)
        #expect(try reap(&ring, 1) == [cqe(2, 0)])
        #expect(Epoll.wait(epollFD)?.first?.data == 42)
        try ring.epollCtl(userData: 3, epollFD: epollFD, fd: pipeFDs[1], operation: Epoll.ctlDel)
        #expect(try reap(&ring, 1) == [cqe(3, negated(.ENOENT))])
        try ring.epollCtl(userData: 4, epollFD: epollFD, fd: pipeFDs[0], operation: Epoll.ctlDel)
        #expect(try reap(&ring, 1) == [cqe(4, 0)])
        #expect(Epoll.wait(epollFD)?.count == 0)
    }

    @Test func waitidReapsASpawnedChild() throws {
        var pid: pid_t = 0
        let path = "/bin/true"
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        defer { free(argv[0]) }
        let environment: [UnsafeMutablePointer<CChar>?] = [nil]
        try #require(posix_spawn(&pid, path, nil, nil, argv, environment) == 0)
        var ring = try IoUring(entries: 4)
        let result = WaitResult()
        try ring.waitid(userData: 1, target: .pid(pid), options: WEXITED, into: result)
        let cqes = try reap(&ring, 1, timeout: .seconds(10))
        #expect(cqes == [cqe(1, 0)])
        #expect(result.pid == pid)
        #expect(result.signal == SIGCHLD)
        #expect(result.code == 1) // CLD_EXITED
        #expect(result.status == 0)
        #expect(result.uid == getuid())
        // Reaped: there is no such child any more.
        try ring.waitid(userData: 2, target: .pid(pid), options: WEXITED, into: WaitResult())
        #expect(try reap(&ring, 1) == [cqe(2, negated(.ECHILD))])
    }
}
