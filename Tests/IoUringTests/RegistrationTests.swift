#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IoUring

@Suite struct FileRegistrationTests {
    @Test func filesCanBeRegisteredUpdatedAndUnregistered() throws {
        var ring = try IoUring(entries: 4)
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }
        try ring.registerFiles([pipeFDs[0], -1])
        // Registering twice is EBUSY, with the opcode named.
        let error = #expect(throws: IoUringError.self) { try ring.registerFiles([pipeFDs[0]]) }
        #expect(error == .syscall(.register(2), .EBUSY))
        #expect(error?.description.hasPrefix("io_uring_register(IORING_REGISTER_FILES): EBUSY") == true)
        #expect(try ring.registerFilesUpdate(offset: 1, fds: [pipeFDs[1]]) == 1)
        // A fixed-file NOP is fine on a filled slot. (Ops that use fixed files are tested with their ops.)
        try ring.unregisterFiles()
        #expect(throws: IoUringError.syscall(.register(3), .ENXIO)) { try ring.unregisterFiles() }
    }

    @Test func sparseTablesAndAllocRanges() throws {
        var ring = try IoUring(entries: 4)
        try ring.registerFilesSparse(count: 8)
        try ring.registerFileAllocRange(offset: 2, count: 4)
        #expect(throws: IoUringError.syscall(.register(25), .EINVAL)) {
            try ring.registerFileAllocRange(offset: 6, count: 4)
        }
        #expect(throws: IoUringError.syscall(.register(6), .EINVAL)) {
            try ring.registerFilesUpdate(offset: 8, fds: [0])
        }
        try ring.unregisterFiles()
    }
}

@Suite struct BufferRegistrationTests {
    @Test func buffersAreRegisteredAndKeptAlive() throws {
        var ring = try IoUring(entries: 4)
        try ring.registerBuffers([IoBuffer(count: 4096), IoBuffer(count: 8192).slice(0..<4096)])
        #expect(ring.registeredBuffers.count == 2)
        #expect(throws: IoUringError.syscall(.register(0), .EBUSY)) { try ring.registerBuffers([IoBuffer(count: 16)]) }
        #expect(ring.registeredMemory.count == 2)
        try ring.unregisterBuffers()
        #expect(ring.registeredBuffers.isEmpty)
        #expect(ring.registeredMemory.isEmpty)
        #expect(throws: IoUringError.syscall(.register(1), .ENXIO)) { try ring.unregisterBuffers() }
    }
}
