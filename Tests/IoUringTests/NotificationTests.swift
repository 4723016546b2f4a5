#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
@testable import IoUring

/// A non-blocking eventfd, made with eventfd(2) as CIoUring exposes it.
fileprivate struct TestEventfd {
    let fd: Int32

    init() {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(fd >= 0, "eventfd failed: \(errno)")
    }

    /// The counter, reset to zero by reading it; 0 when it was not signalled (EAGAIN).
    func take() -> UInt64 {
        var value: UInt64 = 0
        let count = read(fd, &value, 8)
        if count < 0 {
            precondition(errno == EAGAIN, "eventfd read failed: \(errno)")
            return 0
        }
        return value
    }

    func close() { _ = Glibc.close(fd) }
}

@Suite struct EventfdTests {
    @Test func registeredEventfdIsSignalledByACompletion() throws {
        var ring = try IoUring(entries: 4)
        let eventfd = TestEventfd()
        defer { eventfd.close() }
        try ring.registerEventfd(eventfd.fd)
        #expect(eventfd.take() == 0)
        try ring.nop(userData: 1)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 1, res: 0, flags: [])])
        #expect(eventfd.take() >= 1)
        #expect(eventfd.take() == 0)
        try ring.unregisterEventfd()
    }

    @Test func aSecondEventfdIsEBUSY() throws {
        var ring = try IoUring(entries: 4)
        let first = TestEventfd(), second = TestEventfd()
        defer { first.close(); second.close() }
        try ring.registerEventfd(first.fd)
        let error = #expect(throws: IoUringError.self) { try ring.registerEventfd(second.fd) }
        #expect(error == .syscall(.register(UInt32(IORING_REGISTER_EVENTFD)), .EBUSY))
    }

    /// IORING_REGISTER_EVENTFD_ASYNC signals only for completions posted by io-wq workers. On this kernel
    /// (6.18) a NOP completed inline at submit leaves the eventfd untouched, and the same NOP forced to a
    /// worker with IOSQE_ASYNC signals it.
    @Test func asyncEventfdIgnoresInlineCompletions() throws {
        var ring = try IoUring(entries: 4)
        let eventfd = TestEventfd()
        defer { eventfd.close() }
        try ring.registerEventfdAsync(eventfd.fd)
        try ring.nop(userData: 1)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 1, res: 0, flags: [])])
        #expect(eventfd.take() == 0)
        try ring.nop(userData: 2, flags: .async)
        #expect(try reap(&ring, 1) == [CompletionQueueEntry(userData: 2, res: 0, flags: [])])
        #expect(eventfd.take() >= 1)
    }

    @Test func unregisterStopsTheSignalsAndASecondUnregisterIsENXIO() throws {
        var ring = try IoUring(entries: 4)
        let eventfd = TestEventfd()
        defer { eventfd.close() }
        try ring.registerEventfd(eventfd.fd)
        try ring.unregisterEventfd()
        try ring.nop(userData: 1)
        _ = try reap(&ring, 1)
        #expect(eventfd.take() == 0)
        let error = #expect(throws: IoUringError.self) { try ring.unregisterEventfd() }
        #expect(error == .syscall(.register(UInt32(IORING_UNREGISTER_EVENTFD)), .ENXIO))
        #expect(error?.description.hasPrefix("io_uring_register(IORING_UNREGISTER_EVENTFD): ENXIO") == true)
    }

    @Test func cqEventfdToggle() throws {
        var ring = try IoUring(entries: 4)
        let eventfd = TestEventfd()
        defer { eventfd.close() }
        try ring.registerEventfd(eventfd.fd)
        #expect(ring.cqEventfdEnabled == true)
        ring.cqEventfdEnabled = false
        #expect(ring.cqEventfdEnabled == false)
        try ring.nop(userData: 1)
        _ = try reap(&ring, 1)
        #expect(eventfd.take() == 0)
        ring.cqEventfdEnabled = true
        try ring.nop(userData: 2)
        _ = try reap(&ring, 1)
        #expect(eventfd.take() >= 1)
    }
}

/// `registerNapi`, or a skip when the kernel refuses NAPI (EINVAL, or EOPNOTSUPP without CONFIG_NET_RX_BUSY_POLL).
@discardableResult
fileprivate func registerNapiOrSkip(_ ring: inout IoUring, _ settings: NapiSettings) throws -> NapiSettings {
    do {
        return try ring.registerNapi(settings)
    } catch {
        if error.errno == .EINVAL || error.errno == .EOPNOTSUPP {
            try skip("IORING_REGISTER_NAPI refused: \(error)")
        }
        throw error
    }
}

@Suite struct NapiTests {
    @Test func registerThenUnregisterReturnsTheSettings() throws {
        var ring = try IoUring(entries: 4)
        let settings = NapiSettings(busyPollTimeout: 100, preferBusyPoll: true)
        let previous = try registerNapiOrSkip(&ring, settings)
        #expect(previous == NapiSettings(busyPollTimeout: 0, preferBusyPoll: false))
        #expect(try ring.unregisterNapi() == settings)
        // Unregistering turned it off.
        #expect(try ring.unregisterNapi() == NapiSettings(busyPollTimeout: 0, preferBusyPoll: false))
    }

    @Test func registeringAgainReturnsTheSettingsItReplaces() throws {
        var ring = try IoUring(entries: 4)
        let first = NapiSettings(busyPollTimeout: 50)
        try registerNapiOrSkip(&ring, first)
        #expect(try ring.registerNapi(NapiSettings(busyPollTimeout: 75, preferBusyPoll: true)) == first)
        #expect(try ring.unregisterNapi() == NapiSettings(busyPollTimeout: 75, preferBusyPoll: true))
    }

    @Test func napiOnAnIOPollRingIsEINVAL() throws {
        var ring = try IoUring(entries: 4, flags: .ioPoll)
        let error = #expect(throws: IoUringError.self) { try ring.registerNapi(NapiSettings(busyPollTimeout: 10)) }
        #expect(error?.errno == .EINVAL || error?.errno == .EOPNOTSUPP)
    }
}
