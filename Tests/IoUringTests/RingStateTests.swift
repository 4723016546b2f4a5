import Testing
@testable import IoUring

/// `IoUring.state`, `enterReturningResult` and `enableRings` on the real kernel.
@Suite struct RingStateTests {
    @Test func aFullCQShowsItsOverflowInTheStateAndLosesNothing() throws {
        var ring = try IoUring(entries: 4, parameters: RingParameters(cqEntries: 4))
        for userData in 1...4 as ClosedRange<UInt64> { try ring.nop(userData: userData) }
        #expect(ring.state.sqReady == 4)
        #expect(try ring.submit() == 4)
        for userData in 5...6 as ClosedRange<UInt64> { try ring.nop(userData: userData) }
        #expect(try ring.submit() == 2)
        let full = ring.state
        #expect(full.sqReady == 0 && full.cqReady == 4)
        #expect(full.sqFlags == .cqOverflow)
        #expect(full.cqOverflow == 0 && full.sqDropped == 0)   // NODROP kept them: nothing counted as lost
        #expect(full.sqEntries == 4 && full.cqEntries == 4 && full.features.contains(.noDrop))
        var userData: [UInt64] = []
        while userData.count < 6 {
            guard try ring.forEachCQE(waitFor: 1, { userData.append($0.userData) }) > 0 else { break }
        }
        #expect(userData == [1, 2, 3, 4, 5, 6])
        #expect(ring.state.sqFlags.isEmpty && ring.state.cqReady == 0)
    }

    @Test func anEnterWithATimeoutReturnsETIMEAsItsResult() throws {
        var ring = try IoUring(entries: 4)
        let start = ContinuousClock.now
        let result = ring.enterReturningResult(toSubmit: 0, minComplete: 1, flags: .getEvents, timeout: .milliseconds(10))
        #expect(result == -Errno.ETIME.rawValue)
        #expect(ContinuousClock.now - start >= .milliseconds(9))
        try ring.nop(userData: 7)
        #expect(ring.flushSQ() == 1)
        #expect(ring.enterReturningResult(toSubmit: 1, minComplete: 1, flags: .getEvents, timeout: .seconds(1)) == 1)
        #expect(ring.state.cqReady == 1)
        #expect(try ring.copyCQE().userData == 7)
    }

    @Test func aDisabledRingRefusesSubmissionsUntilEnabled() throws {
        var ring = try IoUring(entries: 4, flags: .disabled)
        try ring.nop(userData: 1)
        #expect(ring.flushSQ() == 1)
        #expect(ring.enterReturningResult(toSubmit: 1, minComplete: 0, flags: [], timeout: nil) == -Errno.EBADFD.rawValue)
        try ring.enableRings()
        #expect(throws: IoUringError.self) { try ring.enableRings() }   // EBADFD: not disabled any more
        #expect(try ring.submit() == 1)
        #expect(try ring.copyCQE().userData == 1)
    }
}
