#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
@testable import IoUring

/// A pipe made with pipe2(2); polls on its empty read end wait until something is written.
fileprivate struct TestPipe {
    let readEnd: Int32
    let writeEnd: Int32

    /// Non-blocking by default; io_uring reads on a blocking pipe wait for data instead of failing with EAGAIN.
    init(nonBlocking: Bool = true) {
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "pipe failed: \(errno)")
        for fd in fds {
            if nonBlocking {
                precondition(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0, "fcntl failed: \(errno)")
            }
            precondition(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, "fcntl failed: \(errno)")
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    func write(_ bytes: [UInt8] = [0x2A]) {
        let written = bytes.withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress, $0.count) }
        precondition(written == bytes.count, "pipe write failed: \(errno)")
    }

    /// Reads whatever is buffered (on a non-blocking pipe).
    @discardableResult
    func drain() -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
        return count > 0 ? Array(chunk[0..<count]) : []
    }

    func close() {
        _ = Glibc.close(readEnd)
        _ = Glibc.close(writeEnd)
    }
}

fileprivate let pollIn = Int32(PollMask.readable.rawValue)
fileprivate let pollOut = Int32(PollMask.writable.rawValue)

/// A copy of the SQE queued last (not yet submitted), to check where the fields went.
fileprivate func lastSQE(_ ring: borrowing IoUring) -> io_uring_sqe {
    let slot = ring.sq.sqes + Int((ring.sq.sqeTail &- 1) & ring.sq.mask) << ring.sq.sqeShift
    return slot.load(as: io_uring_sqe.self)
}

fileprivate func cqe(_ userData: UInt64, _ res: Int32, _ flags: CompletionFlags = []) -> CompletionQueueEntry {
    CompletionQueueEntry(userData: userData, res: res, flags: flags)
}

@Suite struct TimeoutTests {
    @Test func timeoutExpiresWithETIME() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 0x5555, timespec: Timespec(.milliseconds(10)))
        #expect(try reap(&ring, 1) == [cqe(0x5555, negated(.ETIME))])
        #expect(ring.inFlight == 0)
    }

    @Test func timeoutCompletesAfterCountCompletions() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 0x6666, timespec: Timespec(.seconds(30)), count: 1)
        try ring.nop(userData: 0x7777)
        // The count is met by the NOP's completion, and the timeout is flushed after it.
        #expect(try reap(&ring, 2) == [cqe(0x7777, 0), cqe(0x6666, 0)])
    }

    @Test func timeoutRemoveCancelsTheTimeout() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 0x8888, timespec: Timespec(.seconds(30)))
        try ring.timeoutRemove(userData: 0x9999, targetUserData: 0x8888)
        let cqes = try reap(&ring, 2)
        // The order changed between kernels (5.10 vs 5.18): compare as a set.
        #expect(Set(cqes) == [cqe(0x9999, 0), cqe(0x8888, negated(.ECANCELED))])
        #expect(ring.inFlight == 0)
    }

    @Test func timeoutRemoveOfAnUnknownUserDataIsENOENT() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeoutRemove(userData: 3, targetUserData: 0xDEAD)
        #expect(try reap(&ring, 1) == [cqe(3, negated(.ENOENT))])
    }

    @Test func timeoutRemoveTakesNoFlags() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 1, timespec: Timespec(.seconds(30)))
        try ring.timeoutRemove(userData: 2, targetUserData: 1, timeoutFlags: .absolute)
        try ring.submit()
        #expect(try reap(&ring, 1) == [cqe(2, negated(.EINVAL))])
        try ring.timeoutRemove(userData: 3, targetUserData: 1)
        #expect(Set(try reap(&ring, 2)) == [cqe(3, 0), cqe(1, negated(.ECANCELED))])
    }

    @Test func absoluteTimeoutFiresAtTheDeadline() throws {
        var ring = try IoUring(entries: 4)
        let deadline = Timespec.now(.monotonic) + .milliseconds(10)
        try ring.timeout(userData: 0xAB5, timespec: deadline, timeoutFlags: .absolute)
        #expect(try reap(&ring, 1) == [cqe(0xAB5, negated(.ETIME))])
        // Causality, not timing: the CQE cannot exist before the deadline.
        let now = Timespec.now(.monotonic)
        #expect((now.seconds, now.nanoseconds) >= (deadline.seconds, deadline.nanoseconds))
    }

    @Test(arguments: [TimeoutClock.boottime, .realtime])
    func absoluteTimeoutOnAnotherClock(_ clock: TimeoutClock) throws {
        var ring = try IoUring(entries: 4)
        let deadline = Timespec.now(clock) + .milliseconds(10)
        try ring.timeout(userData: 11, timespec: deadline, timeoutFlags: clock.flags.union(.absolute))
        #expect(try reap(&ring, 1) == [cqe(11, negated(.ETIME))])
        let now = Timespec.now(clock)
        #expect((now.seconds, now.nanoseconds) >= (deadline.seconds, deadline.nanoseconds))
    }

    @Test func twoClockFlagsAreEINVAL() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 12, timespec: Timespec(.milliseconds(1)), timeoutFlags: [.boottime, .realtime])
        #expect(try reap(&ring, 1) == [cqe(12, negated(.EINVAL))])
    }

    @Test func timeoutUpdateShortensATimeout() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 1, timespec: Timespec(.seconds(60)))
        try ring.submit()
        try ring.timeoutUpdate(userData: 2, targetUserData: 1, timespec: Timespec(.milliseconds(10)))
        // Without the update the timeout would take a minute; reap gives up after five seconds.
        #expect(Set(try reap(&ring, 2)) == [cqe(2, 0), cqe(1, negated(.ETIME))])
    }

    @Test func timeoutUpdateExtendsATimeout() throws {
        var ring = try IoUring(entries: 4)
        let start = Timespec.now(.monotonic)
        try ring.timeout(userData: 1, timespec: Timespec(.milliseconds(20)))
        try ring.timeoutUpdate(userData: 2, targetUserData: 1, timespec: Timespec(.milliseconds(150)))
        let cqes = try reap(&ring, 2)
        #expect(cqes == [cqe(2, 0), cqe(1, negated(.ETIME))])
        // It fired after the new expiry, counted from the update (which came after `start`).
        let earliest = start + .milliseconds(150)
        let now = Timespec.now(.monotonic)
        #expect((now.seconds, now.nanoseconds) >= (earliest.seconds, earliest.nanoseconds))
    }

    @Test func timeoutUpdateCanMakeItAbsolute() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 1, timespec: Timespec(.seconds(60)))
        try ring.submit()
        let deadline = Timespec.now(.monotonic) + .milliseconds(10)
        try ring.timeoutUpdate(userData: 2, targetUserData: 1, timespec: deadline, timeoutFlags: .absolute)
        #expect(Set(try reap(&ring, 2)) == [cqe(2, 0), cqe(1, negated(.ETIME))])
    }

    @Test func timeoutUpdateOfAnUnknownUserDataIsENOENT() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeoutUpdate(userData: 4, targetUserData: 0xBEEF, timespec: Timespec(.milliseconds(1)))
        #expect(try reap(&ring, 1) == [cqe(4, negated(.ENOENT))])
    }

    @Test func expiryBreaksALinkUnlessETIMESuccess() throws {
        var ring = try IoUring(entries: 8)
        try ring.timeout(userData: 1, timespec: Timespec(.milliseconds(5)), flags: .link)
        try ring.nop(userData: 2)
        #expect(try reap(&ring, 2) == [cqe(1, negated(.ETIME)), cqe(2, negated(.ECANCELED))])
        try ring.timeout(userData: 3, timespec: Timespec(.milliseconds(5)), timeoutFlags: .etimeSuccess, flags: .link)
        try ring.nop(userData: 4)
        #expect(try reap(&ring, 2) == [cqe(3, negated(.ETIME)), cqe(4, 0)])
    }

    @Test func multishotTimeoutFiresCountTimes() throws {
        var ring = try IoUring(entries: 4)
        try ring.timeout(userData: 0x3333, timespec: Timespec(.milliseconds(5)), count: 3, timeoutFlags: .multishot)
        let cqes = try reap(&ring, 3)
        if cqes.first?.res == negated(.EINVAL) { try skip("IORING_TIMEOUT_MULTISHOT: EINVAL (kernel before 6.4)") }
        #expect(cqes == [cqe(0x3333, negated(.ETIME), .more), cqe(0x3333, negated(.ETIME), .more),
                         cqe(0x3333, negated(.ETIME))])
        #expect(ring.inFlight == 0)
    }

    @Test func timespecArithmeticNormalises() {
        #expect(Timespec(seconds: 1, nanoseconds: 999_999_999) + .nanoseconds(2) == Timespec(seconds: 2, nanoseconds: 1))
        #expect(Timespec(.milliseconds(1500)) == Timespec(seconds: 1, nanoseconds: 500_000_000))
        #expect(Timespec(seconds: 2, nanoseconds: 0) + .milliseconds(-1) == Timespec(seconds: 1, nanoseconds: 999_000_000))
    }
}

@Suite struct ControlSQEFieldTests {
    @Test func timeoutFieldsMatchLiburing() throws {
        var ring = try IoUring(entries: 8)
        try ring.timeout(userData: 1, timespec: Timespec(seconds: 3, nanoseconds: 4), count: 5, timeoutFlags: [.absolute, .realtime])
        var sqe = lastSQE(ring)
        #expect(sqe.opcode == Opcode.timeout.rawValue && sqe.fd == -1 && sqe.len == 1 && sqe.off == 5)
        #expect(sqe.timeout_flags == IORING_TIMEOUT_ABS | IORING_TIMEOUT_REALTIME && sqe.user_data == 1)
        let pointed = UnsafeRawPointer(bitPattern: UInt(sqe.addr))!.load(as: io_uring_kernel_timespec.self)
        #expect(pointed.tv_sec == 3 && pointed.tv_nsec == 4)

        try ring.timeoutUpdate(userData: 2, targetUserData: 1, timespec: Timespec(seconds: 6), timeoutFlags: .absolute)
        sqe = lastSQE(ring)
        #expect(sqe.opcode == Opcode.timeoutRemove.rawValue && sqe.addr == 1 && sqe.len == 0)
        #expect(sqe.timeout_flags == IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_ABS)
        #expect(UnsafeRawPointer(bitPattern: UInt(sqe.off))!.load(as: io_uring_kernel_timespec.self).tv_sec == 6)

        try ring.linkTimeoutUpdate(userData: 3, targetUserData: 1, timespec: Timespec(seconds: 7))
        sqe = lastSQE(ring)
        #expect(sqe.timeout_flags == IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE && sqe.addr == 1)

        try ring.linkTimeout(userData: 4, timespec: Timespec(seconds: 8), timeoutFlags: .boottime)
        sqe = lastSQE(ring)
        #expect(sqe.opcode == Opcode.linkTimeout.rawValue && sqe.len == 1 && sqe.off == 0)
        #expect(sqe.timeout_flags == IORING_TIMEOUT_BOOTTIME)
        _ = try reap(&ring, 4)
    }

    @Test func pollFieldsMatchLiburing() throws {
        var ring = try IoUring(entries: 8)
        try ring.pollAdd(userData: 1, file: .descriptor(-1), events: [.readable, .readHangUp], pollFlags: .multishot)
        var sqe = lastSQE(ring)
        #expect(sqe.opcode == Opcode.pollAdd.rawValue && sqe.fd == -1 && sqe.len == IORING_POLL_ADD_MULTI)
        #expect(sqe.poll32_events == 0x2001)

        try ring.pollUpdate(userData: 2, targetUserData: 0x11, newUserData: 0x22, newEvents: .writable, multishot: true)
        sqe = lastSQE(ring)
        #expect(sqe.opcode == Opcode.pollRemove.rawValue && sqe.fd == -1 && sqe.addr == 0x11 && sqe.off == 0x22)
        #expect(sqe.len == IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA | IORING_POLL_ADD_MULTI)
        #expect(sqe.poll32_events == 0x4)

        try ring.pollRemove(userData: 3, targetUserData: 0x11)
        sqe = lastSQE(ring)
        #expect(sqe.opcode == Opcode.pollRemove.rawValue && sqe.addr == 0x11 && sqe.len == 0 && sqe.off == 0)
        _ = try reap(&ring, 3)
    }

    @Test func cancelFieldsMatchLiburing() throws {
        var ring = try IoUring(entries: 8)
        try ring.cancel(userData: 1, targetUserData: 0x77, cancelFlags: .all)
        var sqe = lastSQE(ring)
        #expect(sqe.opcode == Opcode.asyncCancel.rawValue && sqe.fd == -1 && sqe.addr == 0x77)
        #expect(sqe.cancel_flags == IORING_ASYNC_CANCEL_ALL)

        try ring.cancel(userData: 2, file: .fixed(3))
        sqe = lastSQE(ring)
        #expect(sqe.fd == 3 && sqe.flags == 0) // FD_FIXED, not IOSQE_FIXED_FILE, like io_uring_prep_cancel_fd()
        #expect(sqe.cancel_flags == IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED)

        try ring.cancel(userData: 3, opcode: .read, file: .descriptor(5), targetUserData: 9)
        sqe = lastSQE(ring)
        #expect(sqe.fd == 5 && sqe.len == UInt32(Opcode.read.rawValue) && sqe.addr == 9)
        #expect(sqe.cancel_flags == IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_USERDATA)
        _ = try reap(&ring, 3)
    }
}

@Suite struct LinkTimeoutTests {
    @Test func linkTimeoutCancelsAPollThatNeverFires() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .readable, flags: .link)
        try ring.linkTimeout(userData: 2, timespec: Timespec(.milliseconds(10)))
        #expect(Set(try reap(&ring, 2)) == [cqe(1, negated(.ECANCELED)), cqe(2, negated(.ETIME))])
        #expect(ring.inFlight == 0)
    }

    @Test func linkTimeoutIsCancelledWhenANopCompletesFirst() throws {
        var ring = try IoUring(entries: 4)
        try ring.nop(userData: 1, flags: .link)
        try ring.linkTimeout(userData: 2, timespec: Timespec(.seconds(30)))
        #expect(Set(try reap(&ring, 2)) == [cqe(1, 0), cqe(2, negated(.ECANCELED))])
    }

    @Test func linkTimeoutIsCancelledWhenAPollOnAReadyFileCompletes() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        pipe.write()
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .readable, flags: .link)
        try ring.linkTimeout(userData: 2, timespec: Timespec(.seconds(30)))
        #expect(Set(try reap(&ring, 2)) == [cqe(1, pollIn), cqe(2, negated(.ECANCELED))])
    }

    @Test func linkTimeoutUpdateShortensIt() throws {
        var ring = try IoUring(entries: 8)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .readable, flags: .link)
        try ring.linkTimeout(userData: 2, timespec: Timespec(.seconds(60)))
        try ring.submit()
        try ring.linkTimeoutUpdate(userData: 3, targetUserData: 2, timespec: Timespec(.milliseconds(10)))
        #expect(Set(try reap(&ring, 3)) == [cqe(3, 0), cqe(1, negated(.ECANCELED)), cqe(2, negated(.ETIME))])
    }

    @Test func linkTimeoutUpdateOfAnUnknownUserDataIsENOENT() throws {
        var ring = try IoUring(entries: 4)
        try ring.linkTimeoutUpdate(userData: 3, targetUserData: 0xF00, timespec: Timespec(.milliseconds(10)))
        #expect(try reap(&ring, 1) == [cqe(3, negated(.ENOENT))])
    }

    @Test func linkTimeoutWithoutALinkedRequestIsEINVAL() throws {
        var ring = try IoUring(entries: 4)
        try ring.linkTimeout(userData: 5, timespec: Timespec(.milliseconds(10)))
        #expect(try reap(&ring, 1) == [cqe(5, negated(.EINVAL))])
    }
}

@Suite struct CancelTests {
    @Test func cancelByUserData() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 0xFFFF, file: .descriptor(pipe.readEnd), events: .readable)
        try ring.submit()
        try ring.cancel(userData: 0x9999, targetUserData: 0xFFFF)
        #expect(Set(try reap(&ring, 2)) == [cqe(0xFFFF, negated(.ECANCELED)), cqe(0x9999, 0)])
        #expect(ring.inFlight == 0)
    }

    @Test func cancelOfAnUnknownUserDataIsENOENT() throws {
        var ring = try IoUring(entries: 4)
        try ring.cancel(userData: 1, targetUserData: 0x1234)
        #expect(try reap(&ring, 1) == [cqe(1, negated(.ENOENT))])
        // With `.all` the result is a count, and nothing matched.
        try ring.cancel(userData: 2, targetUserData: 0x1234, cancelFlags: .all)
        #expect(try reap(&ring, 1) == [cqe(2, 0)])
    }

    @Test func cancelAllCancelsEveryMatchAndCountsThem() throws {
        var ring = try IoUring(entries: 8)
        let pipe = TestPipe()
        defer { pipe.close() }
        for _ in 0..<3 { try ring.pollAdd(userData: 7, file: .descriptor(pipe.readEnd), events: .readable) }
        try ring.pollAdd(userData: 8, file: .descriptor(pipe.readEnd), events: .readable)
        try ring.submit()
        try ring.cancel(userData: 9, targetUserData: 7, cancelFlags: .all)
        let cqes = try reap(&ring, 4)
        #expect(cqes.filter { $0.userData == 9 } == [cqe(9, 3)])
        #expect(cqes.filter { $0.userData == 7 } == Array(repeating: cqe(7, negated(.ECANCELED)), count: 3))
        // The poll with another user_data is still armed and fires on a write.
        pipe.write()
        #expect(try reap(&ring, 1) == [cqe(8, pollIn)])
    }

    @Test func cancelByFileCancelsOnlyRequestsOnThatFile() throws {
        var ring = try IoUring(entries: 8)
        let first = TestPipe(), second = TestPipe()
        defer { first.close(); second.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(first.readEnd), events: .readable)
        try ring.pollAdd(userData: 2, file: .descriptor(first.readEnd), events: .readable)
        try ring.pollAdd(userData: 3, file: .descriptor(second.readEnd), events: .readable)
        try ring.submit()
        try ring.cancel(userData: 10, file: .descriptor(first.readEnd))
        let one = try reap(&ring, 2)
        #expect(one.filter { $0.userData == 10 } == [cqe(10, 0)])
        let cancelled = one.filter { $0.userData != 10 }
        #expect(cancelled.count == 1 && [1, 2].contains(cancelled.first?.userData) && cancelled.first?.res == negated(.ECANCELED))
        try ring.cancel(userData: 11, file: .descriptor(first.readEnd), cancelFlags: .all)
        let rest = try reap(&ring, 2)
        #expect(rest.filter { $0.userData == 11 } == [cqe(11, 1)])
        #expect(rest.filter { $0.userData != 11 }.map(\.res) == [negated(.ECANCELED)])
        // Nothing is left on the first pipe: ENOENT for a single cancel, a count of 0 with `.all`.
        try ring.cancel(userData: 12, file: .descriptor(first.readEnd))
        try ring.cancel(userData: 13, file: .descriptor(first.readEnd), cancelFlags: .all)
        let none = try reap(&ring, 2)
        #expect(Set(none) == [cqe(12, negated(.ENOENT)), cqe(13, 0)])
        second.write()
        #expect(try reap(&ring, 1) == [cqe(3, pollIn)])
    }

    @Test func cancelByFixedFileSetsFDFixed() throws {
        var ring = try IoUring(entries: 8)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.registerFiles([pipe.readEnd])
        try ring.pollAdd(userData: 1, file: .fixed(0), events: .readable)
        try ring.submit()
        try ring.cancel(userData: 2, file: .fixed(0))
        #expect(Set(try reap(&ring, 2)) == [cqe(1, negated(.ECANCELED)), cqe(2, 0)])
        // An empty slot is not a file.
        try ring.cancel(userData: 3, file: .fixed(5))
        #expect(try reap(&ring, 1) == [cqe(3, negated(.EBADF))])
    }

    @Test func cancelAnyCancelsEverything() throws {
        var ring = try IoUring(entries: 8)
        let first = TestPipe(), second = TestPipe()
        defer { first.close(); second.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(first.readEnd), events: .readable)
        try ring.pollAdd(userData: 2, file: .descriptor(second.readEnd), events: .readable)
        try ring.timeout(userData: 3, timespec: Timespec(.seconds(60)))
        try ring.submit()
        try ring.cancel(userData: 4, targetUserData: 0, cancelFlags: .any)
        let cqes = try reap(&ring, 4)
        #expect(Set(cqes) == [cqe(1, negated(.ECANCELED)), cqe(2, negated(.ECANCELED)),
                              cqe(3, negated(.ECANCELED)), cqe(4, 3)])
        #expect(ring.inFlight == 0)
    }

    @Test func cancelByOpcode() throws {
        var ring = try IoUring(entries: 8)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .readable)
        try ring.pollAdd(userData: 2, file: .descriptor(pipe.readEnd), events: .readable)
        try ring.timeout(userData: 3, timespec: Timespec(.seconds(60)))
        try ring.submit()
        // Narrowed by user_data: only poll 2.
        try ring.cancel(userData: 10, opcode: .pollAdd, targetUserData: 2)
        #expect(Set(try reap(&ring, 2)) == [cqe(10, 0), cqe(2, negated(.ECANCELED))])
        // Every remaining poll, but not the timeout.
        try ring.cancel(userData: 11, opcode: .pollAdd, cancelFlags: .all)
        #expect(Set(try reap(&ring, 2)) == [cqe(11, 1), cqe(1, negated(.ECANCELED))])
        try ring.cancel(userData: 12, opcode: .pollAdd, file: .descriptor(pipe.readEnd))
        #expect(try reap(&ring, 1) == [cqe(12, negated(.ENOENT))])
        try ring.cancel(userData: 13, opcode: .timeout, cancelFlags: .all)
        #expect(Set(try reap(&ring, 2)) == [cqe(13, 1), cqe(3, negated(.ECANCELED))])
    }

    @Test func cancelAReadWaitingOnAnEmptyPipe() throws {
        var ring = try IoUring(entries: 8)
        let pipe = TestPipe(nonBlocking: false)
        defer { pipe.close() }
        let buffer = IoBuffer(count: 16)
        func read(_ userData: UInt64) -> RawSQE {
            var sqe = RawSQE(opcode: Opcode.read.rawValue)
            sqe.fd = pipe.readEnd
            sqe.addr = buffer.kernelAddress
            sqe.len = UInt32(buffer.count)
            sqe.userData = userData
            sqe.keepAlive = [buffer]
            return sqe
        }
        try ring.raw(read(1))
        try ring.raw(read(2))
        try ring.submit()
        try ring.cancel(userData: 10, opcode: .read, targetUserData: 1)
        #expect(Set(try reap(&ring, 2)) == [cqe(10, 0), cqe(1, negated(.ECANCELED))])
        try ring.cancel(userData: 11, file: .descriptor(pipe.readEnd))
        #expect(Set(try reap(&ring, 2)) == [cqe(11, 0), cqe(2, negated(.ECANCELED))])
        // Neither cancelled read consumed anything: a third one gets the bytes.
        pipe.write([7, 8, 9])
        try ring.raw(read(3))
        #expect(try reap(&ring, 1) == [cqe(3, 3)])
        #expect(buffer.bytes(0..<3) == [7, 8, 9])
        #expect(ring.inFlight == 0)
    }

    @Test func cancelAnyWithFDIsEINVAL() throws {
        var ring = try IoUring(entries: 4)
        try ring.cancel(userData: 1, file: .descriptor(0), cancelFlags: .any)
        #expect(try reap(&ring, 1) == [cqe(1, negated(.EINVAL))])
    }
}

@Suite struct PollTests {
    @Test func oneShotPollFiresWhenThePipeBecomesReadable() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 0x10, file: .descriptor(pipe.readEnd), events: .readable)
        try ring.submit()
        #expect(ring.cqReady == 0) // an empty pipe cannot be readable
        pipe.write([1, 2, 3])
        #expect(try reap(&ring, 1) == [cqe(0x10, pollIn)])
        #expect(ring.inFlight == 0)
        #expect(pipe.drain() == [1, 2, 3]) // polling consumed nothing
    }

    @Test func pollReportsOnlyTheEventsAskedFor() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        pipe.write()
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: [.readable, .readNormal, .writable])
        try ring.pollAdd(userData: 2, file: .descriptor(pipe.writeEnd), events: .writable)
        let cqes = try reap(&ring, 2)
        #expect(Set(cqes) == [cqe(1, Int32(PollMask([.readable, .readNormal]).rawValue)), cqe(2, pollOut)])
    }

    @Test func multishotPollPostsUntilRemoved() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 0x20, file: .descriptor(pipe.readEnd), events: .readable, pollFlags: .multishot)
        try ring.submit()
        for round in 0..<3 {
            pipe.write([UInt8(round)])
            #expect(try reap(&ring, 1) == [cqe(0x20, pollIn, .more)])
            #expect(pipe.drain() == [UInt8(round)])
        }
        #expect(ring.inFlight == 1)
        try ring.pollRemove(userData: 0x21, targetUserData: 0x20)
        #expect(Set(try reap(&ring, 2)) == [cqe(0x21, 0), cqe(0x20, negated(.ECANCELED))])
        #expect(ring.inFlight == 0)
    }

    /// IORING_POLL_ADD_LEVEL exists in the UAPI, but IORING_OP_POLL_ADD on Linux 6.18 accepts only
    /// IORING_POLL_ADD_MULTI in `len`: a level poll is EINVAL, one-shot or multishot.
    @Test func levelPollIsRejectedByThisKernel() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        pipe.write()
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .readable, pollFlags: .level)
        try ring.pollAdd(userData: 2, file: .descriptor(pipe.readEnd), events: .readable, pollFlags: [.level, .multishot])
        #expect(try reap(&ring, 2) == [cqe(1, negated(.EINVAL)), cqe(2, negated(.EINVAL))])
    }

    @Test func pollUpdateChangesTheEventsAndTheUserData() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        // POLLIN on a pipe's write end never fires; POLLOUT fires at once.
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.writeEnd), events: .readable)
        try ring.submit()
        #expect(ring.cqReady == 0)
        try ring.pollUpdate(userData: 9, targetUserData: 1, newUserData: 2, newEvents: .writable)
        #expect(Set(try reap(&ring, 2)) == [cqe(9, 0), cqe(2, pollOut)])
        #expect(ring.inFlight == 0)
    }

    @Test func pollUpdateOfTheUserDataOnly() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .readable)
        try ring.submit()
        try ring.pollUpdate(userData: 9, targetUserData: 1, newUserData: 5)
        #expect(try reap(&ring, 1) == [cqe(9, 0)])
        // The old user_data is gone; the poll answers to the new one.
        try ring.pollRemove(userData: 10, targetUserData: 1)
        #expect(try reap(&ring, 1) == [cqe(10, negated(.ENOENT))])
        pipe.write()
        #expect(try reap(&ring, 1) == [cqe(5, pollIn)])
    }

    @Test func pollUpdateOfAMultishotPollKeepsItArmed() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        // POLLOUT on a pipe's read end never fires.
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .writable, pollFlags: .multishot)
        try ring.submit()
        try ring.pollUpdate(userData: 9, targetUserData: 1, newEvents: .readable, multishot: true)
        #expect(try reap(&ring, 1) == [cqe(9, 0)])
        for round in 0..<2 {
            pipe.write([UInt8(round)])
            #expect(try reap(&ring, 1) == [cqe(1, pollIn, .more)])
            #expect(pipe.drain() == [UInt8(round)])
        }
        try ring.pollRemove(userData: 10, targetUserData: 1)
        #expect(Set(try reap(&ring, 2)) == [cqe(10, 0), cqe(1, negated(.ECANCELED))])
    }

    /// The kernel copies only the event bits on an update: IORING_POLL_ADD_MULTI on the update of a
    /// one-shot poll leaves it one-shot (one CQE, no IORING_CQE_F_MORE).
    @Test func pollUpdateDoesNotMakeAOneShotPollMultishot() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .writable)
        try ring.submit()
        try ring.pollUpdate(userData: 9, targetUserData: 1, newEvents: .readable, multishot: true)
        #expect(try reap(&ring, 1) == [cqe(9, 0)])
        pipe.write()
        #expect(try reap(&ring, 1) == [cqe(1, pollIn)])
        #expect(ring.inFlight == 0)
    }

    @Test func pollUpdateDoesNotMakeAMultishotPollOneShot() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .writable, pollFlags: .multishot)
        try ring.submit()
        try ring.pollUpdate(userData: 9, targetUserData: 1, newUserData: 2, newEvents: .readable)
        #expect(try reap(&ring, 1) == [cqe(9, 0)])
        for _ in 0..<2 {
            pipe.write()
            #expect(try reap(&ring, 1) == [cqe(2, pollIn, .more)])
            pipe.drain()
        }
        try ring.pollRemove(userData: 10, targetUserData: 2)
        #expect(Set(try reap(&ring, 2)) == [cqe(10, 0), cqe(2, negated(.ECANCELED))])
    }

    @Test func pollUpdateWithOnlyTheMultishotFlagIsEINVAL() throws {
        var ring = try IoUring(entries: 4)
        let pipe = TestPipe()
        defer { pipe.close() }
        try ring.pollAdd(userData: 1, file: .descriptor(pipe.readEnd), events: .readable)
        try ring.submit()
        try ring.pollUpdate(userData: 9, targetUserData: 1, multishot: true)
        #expect(try reap(&ring, 1) == [cqe(9, negated(.EINVAL))])
        try ring.pollUpdate(userData: 10, targetUserData: 1) // neither new value: a removal
        #expect(Set(try reap(&ring, 2)) == [cqe(10, 0), cqe(1, negated(.ECANCELED))])
    }

    @Test func pollRemoveAndUpdateOfAnUnknownUserDataAreENOENT() throws {
        var ring = try IoUring(entries: 4)
        try ring.pollRemove(userData: 1, targetUserData: 0xABC)
        try ring.pollUpdate(userData: 2, targetUserData: 0xABC, newUserData: 3, newEvents: .readable)
        #expect(Set(try reap(&ring, 2)) == [cqe(1, negated(.ENOENT)), cqe(2, negated(.ENOENT))])
    }

    @Test func pollOnABadDescriptorIsEBADF() throws {
        var ring = try IoUring(entries: 4)
        try ring.pollAdd(userData: 1, file: .descriptor(-1), events: .readable)
        #expect(try reap(&ring, 1) == [cqe(1, negated(.EBADF))])
    }
}
