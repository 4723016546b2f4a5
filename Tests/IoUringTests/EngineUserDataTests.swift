import Testing
@testable import IoUring

/// The engine's cancel and barrier take user_data no request in flight has: every 64-bit value is a
/// scenario's to use (`QueuedUserData`).
@Suite struct EngineUserDataTests {
    /// A raw IORING_OP_TIMEOUT that waits for a thousand completions and ten seconds: only a cancel ends it.
    private func queueStuckTimeout(_ ring: inout IoUring, userData: UInt64) throws {
        var sqe = RawSQE(opcode: Opcode.timeout.rawValue)
        let timespec = IoBuffer(count: 16)
        timespec.write([10, 0, 0, 0, 0, 0, 0, 0], at: 0)
        sqe.addr = timespec.kernelAddress
        sqe.len = 1
        sqe.off = 1000
        sqe.userData = userData
        sqe.keepAlive = [timespec]
        try ring.raw(sqe)
    }

    @Test func theFormerReservedValuesComeBackFromQuiesce() throws {
        var ring = try IoUring(entries: 8)
        try queueStuckTimeout(&ring, userData: 0xFFFF_FFFF_FFFF_FFFF)
        try queueStuckTimeout(&ring, userData: 0xFFFF_FFFF_FFFF_FFFE)
        var nop = RawSQE(opcode: Opcode.nop.rawValue)
        nop.userData = 0xFFFF_FFFF_FFFF_FFFF
        try ring.raw(nop)
        try ring.submit()
        var seen: [CompletionQueueEntry] = []
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(5)) { seen.append($0) })
        #expect(seen.sorted { ($0.userData, $0.res) < ($1.userData, $1.res) } == [
            CompletionQueueEntry(userData: 0xFFFF_FFFF_FFFF_FFFE, res: negated(.ECANCELED), flags: []),
            CompletionQueueEntry(userData: 0xFFFF_FFFF_FFFF_FFFF, res: negated(.ECANCELED), flags: []),
            CompletionQueueEntry(userData: 0xFFFF_FFFF_FFFF_FFFF, res: 0, flags: []),
        ])
        #expect(ring.inFlight == 0)
    }

    @Test func theEnginesValuesAvoidEveryQueuedOne() throws {
        var ring = try IoUring(entries: 16)
        // 0, 1, 2 and the top of the space in flight: the engine takes 3 and 4.
        for userData: UInt64 in [0, 1, 2, .max, .max - 1] { try queueStuckTimeout(&ring, userData: userData) }
        try ring.submit()
        let chosen = ring.engineUserData
        #expect(chosen?.cancel == 3 && chosen?.barrier == 4)
        var seen: [UInt64] = []
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(5)) { seen.append($0.userData) })
        #expect(seen.sorted() == [0, 1, 2, .max - 1, .max])
        // Idle again: nothing is avoided any more.
        #expect(ring.engineUserData.map { [$0.cancel, $0.barrier] } == [0, 1])
    }

    @Test func aFullSixteenthIsSkipped() {
        var queued = QueuedUserData()
        queued.note(0)
        queued.note(0x0FFF_FFFF_FFFF_FFFF)
        queued.note(0x1000_0000_0000_0000)
        let free = queued.twoFreeValues()
        #expect(free.map { [$0.0, $0.1] } == [0x1000_0000_0000_0001, 0x1000_0000_0000_0002])
    }

    @Test func everySixteenthFullLeavesNoValue() {
        var queued = QueuedUserData()
        for bucket: UInt64 in 0..<16 {
            queued.note(bucket << 60)
            queued.note(bucket << 60 | (1 << 60 - 1))
        }
        #expect(queued.twoFreeValues() == nil)
    }

    @Test func aMessageToItselfIsCountedAndItsUserDataAvoided() throws {
        var ring = try IoUring(entries: 8)
        try queueStuckTimeout(&ring, userData: 1)
        // IORING_MSG_DATA to the ring itself: its own CQE (user_data 2) and the message's (user_data 3).
        try ring.messageRing(userData: 2, target: .descriptor(ring.fd), data: 7, cqeUserData: 3)
        try ring.submit()
        var seen: [CompletionQueueEntry] = []
        try ring.waitCQEs(2, timeout: .seconds(2)) { seen.append($0) }
        if seen.count < 2 { try ring.waitCQEs(1, timeout: .seconds(2)) { seen.append($0) } }
        #expect(Set(seen.map(\.userData)) == [2, 3])
        // The timeout still runs: the ring must not count itself idle (and release its memory).
        #expect(ring.inFlight == 1)
        let chosen = ring.engineUserData
        #expect(chosen?.cancel == 4 && chosen?.barrier == 5)
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(5)) { seen.append($0) })
        #expect(seen.last == CompletionQueueEntry(userData: 1, res: negated(.ECANCELED), flags: []))
    }
}
