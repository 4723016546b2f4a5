import CIoUring

/// Proofs that IOSQE_CQE_SKIP_SUCCESS requests are done.
///
/// A silent request posts no CQE when it succeeds, so the ring's in-flight count cannot reach zero by
/// itself after one, and the drained barrier that would prove the ring idle is refused on such a ring
/// (-EOPNOTSUPP). Inside a link chain, though, a member starts only once the member before it has
/// completed: the first CQE of a later member that is not silent proves every silent member before it
/// done. (IORING_OP_LINK_TIMEOUT is armed beside the request before it, not after it, so it proves
/// nothing; silent members that no later member follows stay in flight, as before.)
///
/// A silent member that fails posts its CQE like any request and is counted done by it. The kernel posts
/// a chain's CQEs in chain order (a member's CQE is filled before the next member is issued or failed),
/// so when the proving CQE arrives, the members that posted have done so already and the rest are the
/// silent successes it proves.
///
/// CQEs are matched by user_data, so the ledger is kept only when the ring's owner promises that no two
/// requests in flight share one (`IoUring.userDataIsUnique`).
struct SilentRequestLedger {
    private struct Proof {
        var userData: UInt64
        var members: [UInt64]
        /// Members that have posted no CQE yet.
        var silent: Int
    }

    /// Silent members of the chain being queued that no later member proves yet.
    private var pending: [UInt64] = []
    private var proofs: [Int: Proof] = [:]
    /// Proof numbers by the user_data of the request whose CQE gives them, and by member, oldest first.
    private var proofsByProver: [UInt64: [Int]] = [:]
    private var proofsByMember: [UInt64: [Int]] = [:]
    private var nextProof = 0

    /// Whether a CQE may prove something or be a member's.
    var hasProofs: Bool { !proofs.isEmpty }
    /// Whether the SQE queued last was linked after silent members no member proves yet.
    var isInChain: Bool { !pending.isEmpty }

    /// Notes an SQE as the kernel will see it, in queue order.
    mutating func queued(opcode: UInt8, flags: UInt8, userData: UInt64) {
        let linked = flags & UInt8(IOSQE_IO_LINK | IOSQE_IO_HARDLINK) != 0
        defer { if !linked { pending.removeAll(keepingCapacity: true) } }
        if opcode == Opcode.linkTimeout.rawValue { return }
        if flags & UInt8(IOSQE_CQE_SKIP_SUCCESS) != 0 {
            pending.append(userData)
            return
        }
        guard !pending.isEmpty else { return }
        let number = nextProof
        nextProof &+= 1
        proofs[number] = Proof(userData: userData, members: pending, silent: pending.count)
        proofsByProver[userData, default: []].append(number)
        for member in pending { proofsByMember[member, default: []].append(number) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Takes a reaped CQE into account; returns how many silent requests it proves done (to take off
    /// the in-flight count, besides the CQE's own request).
    mutating func completed(userData: UInt64, isFinal: Bool) -> Int {
        if isFinal, let number = proofsByMember[userData]?.first {
            // A member posted (it failed): its own CQE counts it done.
            Self.removeFirst(number, from: &proofsByMember, key: userData)
            proofs[number]?.silent -= 1
            return 0
        }
        guard let number = proofsByProver[userData]?.first, let proof = proofs.removeValue(forKey: number) else { return 0 }
        Self.removeFirst(number, from: &proofsByProver, key: userData)
        for member in proof.members { Self.removeFirst(number, from: &proofsByMember, key: member) }
        return proof.silent
    }

    /// Forgets everything: the ring has been proved idle some other way.
    mutating func reset() {
        pending.removeAll()
        proofs.removeAll()
        proofsByProver.removeAll()
        proofsByMember.removeAll()
    }

    private static func removeFirst(_ number: Int, from table: inout [UInt64: [Int]], key: UInt64) {
        guard var numbers = table[key], let index = numbers.firstIndex(of: number) else { return }
        numbers.remove(at: index)
        table[key] = numbers.isEmpty ? nil : numbers
    }
}

extension IoUring {
    /// Notes the SQEs in `first..<end` (about to be published) for the silent-request ledger.
    @usableFromInline
    mutating func noteQueuedForSilentProofs(from first: UInt32, to end: UInt32) {
        var index = first
        while index != end {
            let sqe = sq.filledEntry(index)
            let flags = sqe.pointee.flags
            if flags & UInt8(IOSQE_CQE_SKIP_SUCCESS) != 0 || silentLedger.isInChain {
                silentLedger.queued(opcode: sqe.pointee.opcode, flags: flags, userData: sqe.pointee.user_data)
            }
            index &+= 1
        }
        hasSilentProofs = silentLedger.hasProofs
    }

    /// Takes the CQE into account in the silent-request ledger; returns how many silent requests it
    /// proves done besides its own.
    @usableFromInline
    mutating func silentRequestsProved(byCQEWith userData: UInt64, flags: UInt32) -> Int {
        let proved = silentLedger.completed(userData: userData, isFinal: flags & IORING_CQE_F_MORE == 0)
        hasSilentProofs = silentLedger.hasProofs
        return proved
    }

    /// The same for the 16-byte CQEs in `first..<end`, still in the CQ ring.
    @usableFromInline
    mutating func silentRequestsProved(byCQEsFrom first: UInt32, to end: UInt32) -> Int {
        var proved = 0
        var index = first
        while index != end {
            let cqe = cq.slot(index).assumingMemoryBound(to: io_uring_cqe.self).pointee
            proved += silentLedger.completed(userData: cqe.user_data, isFinal: cqe.flags & IORING_CQE_F_MORE == 0)
            index &+= 1
        }
        hasSilentProofs = silentLedger.hasProofs
        return proved
    }
}
