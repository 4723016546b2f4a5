import Testing
@testable import IoUring

@Suite struct RingLifecycleTests {
    @Test(arguments: [0, 3, 65536] as [UInt32])
    func entriesMustBeAPowerOfTwoInRange(_ entries: UInt32) {
        #expect(throws: IoUringError.invalidEntries(entries)) { _ = try IoUring(entries: entries) }
    }

    @Test func setupReportsTheKernelsSizesAndFeatures() throws {
        let ring = try IoUring(entries: 8)
        #expect(ring.sqEntries == 8)
        #expect(ring.cqEntries == 16)
        #expect(ring.features.contains(.singleMmap))
        #expect(ring.fd >= 0)
    }

    @Test func cqSizeAndClampAreHonoured() throws {
        let ring = try IoUring(entries: 4, parameters: RingParameters(cqEntries: 64))
        #expect(ring.cqEntries == 64)
        #expect(ring.setupFlags.contains(.cqSize))
        let clamped = try IoUring(entries: 4, parameters: RingParameters(flags: .clamp, cqEntries: 1 << 30))
        #expect(clamped.cqEntries == 65536) // IORING_MAX_CQ_ENTRIES
        // With IORING_SETUP_CLAMP the SQ may be asked beyond IORING_MAX_ENTRIES too; the kernel clamps it.
        let big = try IoUring(entries: 65536, parameters: RingParameters(flags: .clamp))
        #expect(big.sqEntries == 32768 && big.cqEntries == 65536)
    }

    @Test func badSetupFlagsNameTheSyscallAndErrno() {
        // IORING_SETUP_SQ_AFF without SQPOLL is EINVAL.
        let error = #expect(throws: IoUringError.self) { _ = try IoUring(entries: 4, flags: .sqAffinity) }
        #expect(error == .syscall(.setup, .EINVAL))
        #expect(error?.description.hasPrefix("io_uring_setup: EINVAL") == true)
    }

    @Test func getSQEFailsWhenTheQueueIsFull() throws {
        var ring = try IoUring(entries: 2)
        try ring.nop(userData: 1)
        try ring.nop(userData: 2)
        #expect(throws: IoUringError.submissionQueueFull) { try ring.nop(userData: 3) }
        #expect(ring.sqReady == 2)
        #expect(try ring.submit() == 2)
        #expect(ring.sqReady == 0)
        try ring.nop(userData: 3)
        _ = try reap(&ring, 3)
    }
}

@Suite struct SubmitAndCompleteTests {
    @Test func nopCompletesWithItsUserData() throws {
        var ring = try IoUring(entries: 4)
        try ring.nop(userData: 0xAAAA_AAAA)
        #expect(ring.sqReady == 1)
        #expect(ring.inFlight == 1)
        #expect(try ring.submit() == 1)
        let cqe = try ring.copyCQE()
        #expect(cqe == CompletionQueueEntry(userData: 0xAAAA_AAAA, res: 0, flags: []))
        #expect(ring.cqReady == 0)
        #expect(ring.inFlight == 0)
    }

    @Test func nopCanInjectAResult() throws {
        var ring = try IoUring(entries: 4)
        try ring.nop(userData: 7, injectingResult: negated(.EBADF))
        let cqes = try reap(&ring, 1)
        #expect(cqes.first?.res == negated(.EBADF))
    }

    @Test func copyCQEsBatchesAcrossTheRingWrap() throws {
        var ring = try IoUring(entries: 8)
        var all: [CompletionQueueEntry] = []
        // Three rounds of 7 move the CQ head past the 16-entry ring's end.
        for round in 0..<3 {
            for index in 0..<7 { try ring.nop(userData: UInt64(round * 7 + index)) }
            try ring.submit(andWaitFor: 7)
            #expect(ring.cqReady == 7)
            var batch: [CompletionQueueEntry] = []
            #expect(try ring.copyCQEs(into: &batch, waitFor: 7) == 7)
            all += batch
        }
        #expect(all.map(\.userData) == (0..<21).map(UInt64.init))
        #expect(ring.cqReady == 0)
    }

    @Test func peekSeenAndAdvanceConsumeInPlace() throws {
        var ring = try IoUring(entries: 4)
        for index in 1...3 { try ring.nop(userData: UInt64(index)) }
        try ring.submit(andWaitFor: 3)
        #expect(ring.peekCQE()?.userData == 1)
        ring.cqeSeen()
        #expect(ring.peekCQE()?.userData == 2)
        ring.cqAdvance(2)
        #expect(ring.peekCQE() == nil)
        #expect(ring.inFlight == 0)
    }

    @Test func unknownOpcodeThroughTheRawPathIsEINVAL() throws {
        var ring = try IoUring(entries: 4)
        var sqe = RawSQE(opcode: 200)
        sqe.userData = 42
        try ring.raw(sqe)
        let cqes = try reap(&ring, 1)
        #expect(cqes == [CompletionQueueEntry(userData: 42, res: negated(.EINVAL), flags: [])])
    }

    @Test func rawPathWritesEveryFieldAsGiven() throws {
        var ring = try IoUring(entries: 4)
        // A NOP with a reserved SQE flag bit set (bit 7) is rejected by the kernel with EINVAL.
        var sqe = RawSQE(opcode: Opcode.nop.rawValue)
        sqe.flags = 0x80
        sqe.userData = 9
        try ring.raw(sqe)
        #expect(try reap(&ring, 1).first?.res == negated(.EINVAL))
    }

    @Test func sqe128TailNeedsAnSQE128Ring() throws {
        var ring = try IoUring(entries: 4)
        var sqe = RawSQE(opcode: Opcode.nop.rawValue)
        sqe.sqe128Tail = [1]
        #expect(throws: IoUringError.self) { try ring.raw(sqe) }
    }

    @Test func bigSQEsAndCQEsWork() throws {
        var ring = try IoUring(entries: 4, flags: [.sqe128, .cqe32])
        try ring.nop(userData: 5)
        var sqe = RawSQE(opcode: Opcode.nop.rawValue)
        sqe.userData = 6
        sqe.sqe128Tail = Array(repeating: 0, count: 64)
        try ring.raw(sqe)
        let cqes = try reap(&ring, 2)
        #expect(cqes.map(\.userData) == [5, 6])
        #expect(cqes.allSatisfy { $0.res == 0 })
    }

    @Test func mixedCQEsAreReadWithTheirSize() throws {
        var ring = try IoUring(entries: 16, flags: [.cqeMixed])
        var big = RawSQE(opcode: Opcode.nop.rawValue)
        big.userData = 2
        big.opFlags = 1 << 5 // IORING_NOP_CQE32
        for index in 0..<9 {
            try ring.nop(userData: UInt64(100 + index))
            if index % 3 == 0 { try ring.raw(big) }
        }
        let cqes = try reap(&ring, 12)
        #expect(cqes.filter { $0.userData == 2 }.count == 3)
        #expect(cqes.filter { $0.userData == 2 }.allSatisfy { $0.flags.contains(.big) })
        #expect(cqes.allSatisfy { !$0.flags.contains(.skip) && $0.res == 0 })
        #expect(ring.inFlight == 0)
    }

    @Test func noSQArrayRingsSubmitInRingOrder() throws {
        var ring = try IoUring(entries: 4, flags: .noSQArray)
        for round in 0..<3 {
            for index in 0..<3 { try ring.nop(userData: UInt64(round * 3 + index)) }
            #expect(try reap(&ring, 3).map(\.userData) == (0..<3).map { UInt64(round * 3 + $0) })
        }
    }

    @Test func sqPollSubmitsWithoutEnter() throws {
        let ring = try ringOrSkip(entries: 4, parameters: RingParameters(flags: .sqPoll, sqThreadIdle: 50))
        var polled = ring
        try polled.nop(userData: 1)
        try polled.submit()
        #expect(try polled.copyCQE().userData == 1)
        // Let the thread go idle so that NEED_WAKEUP is set, then submit again: the engine must wake it.
        let start = ContinuousClock.now
        var flags: EnterFlags = []
        while !polled.sqRingNeedsEnter(&flags) && ContinuousClock.now - start < .seconds(2) {}
        #expect(flags.contains(.sqWakeup))
        try polled.nop(userData: 2)
        try polled.submit()
        #expect(try polled.copyCQE().userData == 2)
    }
}

@Suite struct CompletionOverflowTests {
    @Test func overflowIsFlaggedAndNothingIsLost() throws {
        var ring = try IoUring(entries: 4, parameters: RingParameters(cqEntries: 4))
        #expect(ring.cqEntries == 4)
        var submitted = 0
        for round in 0..<4 {
            for index in 0..<4 { try ring.nop(userData: UInt64(round * 4 + index)) }
            submitted += Int(try ring.submit())
        }
        #expect(submitted == 16)
        #expect(ring.cqReady == 4)
        #expect(ring.cqRingNeedsFlush == true)
        var cqes: [CompletionQueueEntry] = []
        while cqes.count < 16 {
            let got = try ring.copyCQEs(into: &cqes, waitFor: 0)
            if got == 0 { break }
        }
        #expect(cqes.map(\.userData) == (0..<16).map(UInt64.init))
        #expect(ring.cqRingNeedsFlush == false)
        #expect(ring.cqOverflowCount == 0)
        #expect(ring.inFlight == 0)
    }
}

@Suite struct QuiescenceTests {
    @Test func aRingThatHasSeenSkipSuccessCannotBeProvedIdle() throws {
        // Once a ring has seen IOSQE_CQE_SKIP_SUCCESS the kernel refuses IOSQE_IO_DRAIN (-EOPNOTSUPP), so
        // the drained barrier proves nothing: quiesce says so and keeps the memory a silent request may use.
        var ring = try IoUring(entries: 8)
        let buffer = IoBuffer(count: 16)
        var sqe = RawSQE(opcode: Opcode.nop.rawValue)
        sqe.flags = SubmissionFlags.skipSuccess.rawValue
        sqe.keepAlive = [buffer]
        try ring.raw(sqe)
        try ring.submit()
        #expect(ring.inFlight == 1)
        #expect(ring.retained.count == 1)
        var seen: [CompletionQueueEntry] = []
        let start = ContinuousClock.now
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(2)) { seen.append($0) } == false)
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(seen.isEmpty)
        #expect(ring.retained.count == 1)
        #expect(ring.inFlight > 0)
    }

    @Test func theBarrierStillProvesRingsWithoutSkipSuccess() throws {
        var ring = try IoUring(entries: 8)
        let buffer = IoBuffer(count: 16)
        var sqe = RawSQE(opcode: Opcode.nop.rawValue)
        sqe.keepAlive = [buffer]
        try ring.raw(sqe)
        try ring.submit()
        var seen: [CompletionQueueEntry] = []
        #expect(try ring.quiesce(cancelling: false, timeout: .seconds(2)) { seen.append($0) })
        #expect(seen.map(\.res) == [0])
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
    }

    @Test func quiesceCancelsWhatWouldNeverFinish() throws {
        var ring = try IoUring(entries: 8)
        // A timeout that waits for a thousand completions and ten seconds.
        var sqe = RawSQE(opcode: Opcode.timeout.rawValue)
        let timespec = IoBuffer(count: 16)
        timespec.write([10, 0, 0, 0, 0, 0, 0, 0], at: 0)
        sqe.addr = timespec.kernelAddress
        sqe.len = 1
        sqe.off = 1000
        sqe.userData = 77
        sqe.keepAlive = [timespec]
        try ring.raw(sqe)
        try ring.submit()
        var seen: [CompletionQueueEntry] = []
        let start = ContinuousClock.now
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(5)) { seen.append($0) })
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(seen == [CompletionQueueEntry(userData: 77, res: negated(.ECANCELED), flags: [])])
        #expect(ring.inFlight == 0)
    }

    @Test func memoryIsReleasedOnceTheLastRequestCompletes() throws {
        var ring = try IoUring(entries: 8)
        let buffer = IoBuffer(count: 8)
        var sqe = RawSQE(opcode: Opcode.nop.rawValue)
        sqe.keepAlive = [buffer]
        try ring.raw(sqe)
        try ring.raw(sqe)
        #expect(ring.retained.count == 1)
        _ = try reap(&ring, 2)
        #expect(ring.retained.isEmpty)
    }
}

@Suite struct ProbeTests {
    @Test func probeListsTheOpcodesOfThisKernel() throws {
        let probe = try IoUring.probe()
        #expect(probe.supports(.nop))
        #expect(probe.supports(.read))
        #expect(probe.lastOpcode >= Opcode.socket.rawValue)
        #expect(!probe.supports(rawOpcode: 250))
        let report = try ProbeReport.current()
        #expect(report.text.contains("IORING_OP_NOP"))
        #expect(report.text.contains("IORING_FEAT_SINGLE_MMAP"))
    }

    @Test func kernelReleaseParses() {
        #expect(KernelRelease(parsing: "6.18.44-fc-v669") == KernelRelease(major: 6, minor: 18, patch: 44))
        #expect(KernelRelease(parsing: "6.1") == KernelRelease(major: 6, minor: 1))
        #expect(KernelRelease(parsing: "banana") == nil)
        #expect(KernelRelease.current.major >= 5)
    }

    @Test func errnoNamesRoundTrip() {
        #expect(Errno(name: "ECANCELED") == .ECANCELED)
        #expect(Errno(name: "EWOULDBLOCK") == .EAGAIN)
        #expect(Errno.ETIME.name == "ETIME")
        #expect(Errno(rawValue: 9999).name == "E9999")
    }

    @Test func kernelInternalErrnosHaveNames() {
        // An interrupted splice in io-wq posts -ERESTARTSYS (512) as it is; reports must not say "E512".
        #expect(Errno(rawValue: 512).name == "ERESTARTSYS")
        #expect(Errno(name: "ERESTARTSYS") == .ERESTARTSYS)
        #expect(Errno(name: "EIOCBQUEUED")?.rawValue == 529)
        #expect(Errno(name: "ENOTSUPP")?.rawValue == 524)
        #expect(Errno(rawValue: 520).name == "E520")
    }
}

@Suite struct TraceSupportTests {
    @Test func lastQueuedSQEReadsBackEveryField() throws {
        var ring = try IoUring(entries: 4)
        let none = ring.lastQueuedSQE()
        #expect(none == nil)
        try ring.nop(userData: 3, flags: [.link, .async])
        var sqe = RawSQE(opcode: 99)
        sqe.fd = 7
        sqe.off = 8
        sqe.addr = 9
        sqe.len = 10
        sqe.opFlags = 11
        sqe.userData = 12
        sqe.bufIndex = 13
        sqe.personality = 14
        sqe.spliceFDIn = 15
        sqe.addr3 = 16
        try ring.raw(sqe)
        let last = ring.lastQueuedSQE()
        let back = try #require(last)
        #expect(back.opcode == 99 && back.fd == 7 && back.off == 8 && back.addr == 9 && back.len == 10)
        #expect(back.opFlags == 11 && back.userData == 12 && back.bufIndex == 13 && back.personality == 14)
        #expect(back.spliceFDIn == 15 && back.addr3 == 16)
        _ = try reap(&ring, 2)
        let after = ring.lastQueuedSQE()
        #expect(after == nil)
    }
}
