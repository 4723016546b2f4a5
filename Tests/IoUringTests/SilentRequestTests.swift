#if canImport(Glibc)
import Glibc
#endif
@testable import IoUring
import Testing

/// IOSQE_CQE_SKIP_SUCCESS link-chain members counted done by a later member's CQE (`userDataIsUnique`).
@Suite struct SilentRequestTests {
    /// A silent member that keeps `buffer` alive, then a visible nop linked after it.
    func queueSilentChain(_ ring: inout IoUring, buffer: IoBuffer, silentResult: Int32? = nil) throws {
        var silent = RawSQE(opcode: Opcode.nop.rawValue)
        silent.flags = SubmissionFlags([.skipSuccess, .link]).rawValue
        silent.userData = 1
        silent.keepAlive = [buffer]
        if let silentResult {
            silent.opFlags = 1  // IORING_NOP_INJECT_RESULT
            silent.len = UInt32(bitPattern: silentResult)
        }
        try ring.raw(silent)
        try ring.nop(userData: 2)
    }

    @Test func aVisibleMemberAfterASilentOneProvesItDone() throws {
        var ring = try IoUring(entries: 8)
        ring.userDataIsUnique = true
        let buffer = IoBuffer(count: 16)
        try queueSilentChain(&ring, buffer: buffer)
        try ring.submit()
        var seen: [CompletionQueueEntry] = []
        try ring.waitCQEs(1, timeout: .seconds(2)) { seen.append($0) }
        #expect(seen.map(\.userData) == [2], "\(seen)")
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(2)) { _ in })
    }

    @Test func withoutTheUniquenessPromiseNothingIsProved() throws {
        var ring = try IoUring(entries: 8)
        let buffer = IoBuffer(count: 16)
        try queueSilentChain(&ring, buffer: buffer)
        try ring.submit()
        try ring.waitCQEs(1, timeout: .seconds(2)) { _ in }
        #expect(ring.inFlight == 1)
        #expect(ring.retained.count == 1)
    }

    @Test func aSilentMemberThatFailsCountsItselfAndProvesNothingAfterIt() throws {
        // The failing member posts -EINVAL; the kernel then fails the rest of the chain without CQEs
        // (a silent request's failure silences the cancellations after it), so the nop after it never
        // posts and stays in flight: counted, never freed early.
        var ring = try IoUring(entries: 8)
        ring.userDataIsUnique = true
        let buffer = IoBuffer(count: 16)
        try queueSilentChain(&ring, buffer: buffer, silentResult: -22)
        try ring.nop(userData: 3)  // outside the chain
        try ring.submit()
        var seen: [CompletionQueueEntry] = []
        let start = ContinuousClock.now
        while seen.count < 2, ContinuousClock.now - start < .seconds(2) {
            try ring.waitCQEs(1, timeout: .milliseconds(100)) { seen.append($0) }
        }
        try ring.waitCQEs(1, timeout: .milliseconds(50)) { seen.append($0) }
        #expect(seen.map(\.userData).sorted() == [1, 3])
        #expect(seen.first { $0.userData == 1 }?.res == -22)
        #expect(ring.inFlight == 1)
        #expect(ring.retained.count == 1)
    }

    @Test func aSilentRequestWithALinkedTimeoutPostsItsSuccessAndIsCountedOnce() throws {
        // The kernel keeps the CQE of a request that has an IORING_OP_LINK_TIMEOUT, skip flag or not: the
        // read posts its 1 byte, the timeout -ECANCELED. The ledger proves nothing here (a linked
        // timeout is armed beside its request, not after it) and counts each request once.
        var ring = try IoUring(entries: 8)
        ring.userDataIsUnique = true
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let buffer = IoBuffer(count: 16)
        try ring.read(userData: 1, file: .descriptor(fds[0]), into: .buffer(buffer), offset: 0, flags: [.skipSuccess, .link])
        try ring.linkTimeout(userData: 2, timespec: Timespec(seconds: 10))
        try ring.submit()
        #expect(write(fds[1], "x", 1) == 1)
        var seen: [CompletionQueueEntry] = []
        let start = ContinuousClock.now
        while seen.count < 2, ContinuousClock.now - start < .seconds(2) {
            try ring.waitCQEs(1, timeout: .milliseconds(100)) { seen.append($0) }
        }
        #expect(seen.map(\.userData).sorted() == [1, 2])
        #expect(seen.first { $0.userData == 1 }?.res == 1)
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
    }
}
