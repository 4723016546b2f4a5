import IoUring
import Scenario

/// Requests that share a user_data (`allow_duplicate_user_data: true`): which of them a CQE belongs to is
/// the kernel's doing, not submission order — a cancel by user_data finds the *newest* request with it,
/// so an older read at the same number is the one that gets the data. The CQE cannot say.
///
/// While two or more single-shot requests whose expectations differ are outstanding under one user_data,
/// a CQE with it that meets every expectation of exactly one of them (a CQE can only belong to a request
/// queued before it arrived) is that request's at once — some maximum assignment gives it that one — and
/// the others are held in a `SharedGroup`. Once as many have arrived as those requests owe (or at
/// teardown), they are assigned by a maximum bipartite matching (augmenting paths; groups are small) of
/// "this CQE meets every expectation of that request", and then each CQE is checked against its request
/// like any other. The report says when the assignment was ambiguous:
/// - no assignment meets every expectation: a mismatch shows the best one (the largest) and what is left
///   over, located; each leftover CQE is then checked against a leftover request, oldest first, so its own
///   mismatches show too (a CQE left with no request is unclaimed);
/// - several assignments meet them all and differ in which expectations some CQE met: a note, with the
///   assignment used.
/// Requests whose expectations check alike are interchangeable: swapping their CQEs is no other
/// assignment, and while only such requests share a number (one step in a repeat block, say) each CQE
/// goes to the oldest, with nothing held. Multishot requests, `raw` steps, and CQEs with
/// IORING_CQE_F_MORE or IORING_CQE_F_NOTIF are attributed oldest first as before: a stream's CQEs cannot
/// be told from another's, and so are the CQEs of more than `sharedMatchingLimit` requests outstanding
/// under one number (with a note). The order constraints of a held CQE's request are checked when its group is
/// assigned (a CQE assigned at once is checked when it came).
///
/// The dense path never sees such CQEs: with `allow_duplicate_user_data` no request is dense.
extension CheckerCore {
    /// The CQEs of one user_data whose requests are not decided yet.
    struct SharedGroup {
        struct Held {
            var cqe: CompletionQueueEntry
            var arrival: Int
            var elapsed: Duration
            var data: [UInt8]?
            /// `sequence` when it arrived: only requests queued by then can have posted it.
            var sequence: Int
        }

        var held: [Held] = []
        /// How many held CQEs `awaitedCompletions` already counts as arrived (at most one per awaited
        /// request), so the run stops waiting as it would without holding.
        var provisional = 0
        /// CQEs that arrived while others were held and that only one request could have posted:
        /// `old ← #3 (res 5)`, for the report.
        var decided: [String] = []
    }

    /// What a note is about: the assignments of a user_data that were ambiguous, or that were not made.
    struct NoteKey: Hashable {
        var userData: UInt64
        var unmatched: Bool
    }

    /// A note about the assignments of one user_data: the first one's text, and how many there were.
    struct AssignmentNote {
        var note: Note
        var count: Int
        var position: Int
    }

    /// Holds `cqe` when its user_data's requests are to be decided by matching; false when it is handled
    /// as usual (no group, or a CQE of a stream).
    mutating func holdShared(_ cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration, data: [UInt8]?) -> Bool {
        let userData = cqe.userData
        let special = CompletionFlags.more.rawValue | CompletionFlags.notification.rawValue
        guard cqe.flags.rawValue & special == 0 else { return false }
        if sharedGroups[userData] == nil {
            guard !uniformUserData.contains(userData), let head = outstanding.value(for: userData),
                  records[Int(head)].next >= 0 else { return false }
            let first = records[Int(head)]
            var alike = true
            var length = 0
            var slot = head
            while slot >= 0 {
                let record = records[Int(slot)]
                guard record.singleShot, record.node >= 0 else { return false }
                if listClass[Int(record.expectations)] != listClass[Int(first.expectations)] || record.roles != first.roles {
                    alike = false
                }
                length += 1
                slot = record.next
            }
            if alike { return false }
            guard length <= CheckerCore.sharedMatchingLimit else {
                noteUnmatched(userData, requests: length, at: requestMark(head), arrival: arrival)
                return false
            }
        }
        var group = sharedGroups.removeValue(forKey: userData) ?? SharedGroup()
        let held = SharedGroup.Held(cqe: cqe, arrival: arrival, elapsed: elapsed, data: data, sequence: sequence)
        // A CQE that only one request can have posted is that request's: checked now, so its order
        // constraints see it when it came. (Some maximum assignment gives it that request.)
        var only: Int32?
        var eligible = 0
        var slot = outstanding.value(for: userData) ?? -1
        while slot >= 0 {
            if records[Int(slot)].sequence <= sequence && meets(slot, held) {
                eligible += 1
                only = slot
            }
            slot = records[Int(slot)].next
        }
        if eligible == 1, let only {
            if !group.held.isEmpty { group.decided.append(pairText(only, held)) }
            endShared(only, held, userData: userData)
        } else {
            group.held.append(held)
        }
        var owed = 0
        var awaited = 0
        slot = outstanding.value(for: userData) ?? -1
        while slot >= 0 {
            let record = records[Int(slot)]
            if !record.skipSuccess && !listRelaxes[Int(record.expectations)] { owed += 1 }
            if record.awaited { awaited += 1 }
            slot = record.next
        }
        // The held CQEs count as arrived for the requests the run waits for.
        let counted = min(group.held.count, awaited)
        awaitedCompletions -= counted - group.provisional
        group.provisional = counted
        if group.held.isEmpty { return true }
        sharedGroups[userData] = group
        if group.held.count >= owed { assignShared(userData) }
        return true
    }

    /// More requests than this outstanding under one user_data are not matched (the matching costs the
    /// product of CQEs and requests): their CQEs go to the oldest, and the report says so.
    static let sharedMatchingLimit = 64

    /// Notes that a CQE of `userData` went to the oldest of its `requests` without matching.
    private mutating func noteUnmatched(_ userData: UInt64, requests: Int, at mark: SourceMark, arrival: Int) {
        addNote(NoteKey(userData: userData, unmatched: true), mark: mark, position: arrival,
                "\(requests) requests with user_data \(userData) were outstanding at once, more than the"
                + " \(CheckerCore.sharedMatchingLimit) whose CQEs are matched to their expectations: its CQEs went to the oldest")
    }

    /// Adds a note, or counts one more of its key.
    mutating func addNote(_ key: NoteKey, mark: SourceMark, position: Int, _ text: @autoclosure () -> String) {
        if assignmentNotes[key] != nil {
            assignmentNotes[key]!.count += 1
        } else {
            assignmentNotes[key] = AssignmentNote(note: Note(mark: mark, text: text()), count: 1, position: position)
        }
    }

    /// Ends the request at `slot` with `held`, its only CQE: checked, taken out of the outstanding ones.
    private mutating func endShared(_ slot: Int32, _ held: SharedGroup.Held, userData: UInt64) {
        _ = handle(slot, held.cqe, arrival: held.arrival, elapsed: held.elapsed, data: held.data)
        unlink(slot, from: userData)
        outstandingCount -= 1
        if records[Int(slot)].awaited {
            records[Int(slot)].awaited = false
            awaitedCompletions -= 1
        }
        free(slot)
    }

    /// Finds `uniformUserData`: explicit numbers that one request node alone uses (no automatic number
    /// equals them), whose instances have the same expectations and order roles; none when a poll_update
    /// can re-key a poll or explicit numbers have strides. Called from `init`.
    mutating func findUniformUserData(automaticEnd: UInt64) {
        var users: [UInt64: Int] = [:]
        var uniform: Set<UInt64> = []
        for node in plan.graph.nodes {
            guard let spec = plan.graph.request(node.id) else { continue }
            // A poll_update may move a poll to any number; explicit numbers with strides are many.
            if spec.operation == "poll_update" || (spec.userData.isExplicit && spec.userData.strides.contains { $0 != 0 }) {
                return
            }
            guard spec.userData.isExplicit else { continue }
            let value = spec.userData.base
            users[value, default: 0] += 1
            if plan.instanceExpectations[node.id] == nil && !nodeRolesHaveInstances[node.id]
                && (value == 0 || value >= automaticEnd) {
                uniform.insert(value)
            }
        }
        uniformUserData = uniform.filter { users[$0] == 1 }
    }

    /// Assigns every open group (at teardown, or when the run is judged).
    mutating func assignAllShared() {
        for userData in sharedGroups.keys.sorted() { assignShared(userData) }
    }

    /// Assigns the held CQEs of `userData` to its outstanding requests and checks each (see above).
    mutating func assignShared(_ userData: UInt64) {
        guard let group = sharedGroups.removeValue(forKey: userData) else { return }
        awaitedCompletions += group.provisional
        var candidates: [Int32] = []
        var slot = outstanding.value(for: userData) ?? -1
        while slot >= 0 {
            candidates.append(slot)
            slot = records[Int(slot)].next
        }
        let held = group.held
        var edges: [[Int]] = held.map { cqe in
            candidates.indices.filter { records[Int(candidates[$0])].sequence <= cqe.sequence && meets(candidates[$0], cqe) }
        }
        var assignment = CheckerCore.maximumMatching(edges, right: candidates.count)
        let matched = assignment.compactMap { $0 }.count
        let complete = matched == held.count

        // Another complete assignment in which some CQE meets other expectations: ambiguous.
        var ambiguous = false
        if complete, held.count > 1, held.count <= 32 {
            for (index, candidate) in assignment.enumerated() {
                let taken = listClass[Int(records[Int(candidates[candidate!])].expectations)]
                let original = edges[index]
                edges[index] = original.filter { listClass[Int(records[Int(candidates[$0])].expectations)] != taken }
                if !edges[index].isEmpty, !CheckerCore.maximumMatching(edges, right: candidates.count).contains(nil) {
                    ambiguous = true
                }
                edges[index] = original
                if ambiguous { break }
            }
        }

        let best = (group.decided + held.indices.compactMap { index in
            assignment[index].map { pairText(candidates[$0], held[index]) }
        }).joined(separator: ", ")
        if !complete {
            let satisfied = Set(assignment.compactMap { $0 })
            let unsatisfied = candidates.indices.filter { index in
                let record = records[Int(candidates[index])]
                return !satisfied.contains(index) && !record.skipSuccess && !listRelaxes[Int(record.expectations)]
            }
            var leftovers: [String] = []
            // Leftover CQEs go to leftover requests, oldest first, to be checked (and fail) there.
            var free = candidates.indices.filter { !satisfied.contains($0) }
            for index in held.indices where assignment[index] == nil {
                let cqe = held[index]
                leftovers.append("CQE " + MatchingText.cqe(ObservedCQE(cqe: cqe.cqe, arrival: cqe.arrival, elapsed: cqe.elapsed)))
                if let pick = free.firstIndex(where: { records[Int(candidates[$0])].sequence <= cqe.sequence }) {
                    assignment[index] = free.remove(at: pick)
                }
            }
            for index in unsatisfied {
                leftovers.append(requestName(candidates[index]) + " (" + requestMark(candidates[index]).description + ")")
            }
            let mark = requestMark(candidates[unsatisfied.first ?? 0])
            let position = held.first?.arrival ?? arrivals
            let count = held.count + group.decided.count
            let requests = candidates.count + group.decided.count
            let met = matched + group.decided.count
            failures.record(.sharedUserData(userData), "", position: position) {
                .init(mark: mark, subject: "user_data \(userData): CQEs shared by \(requests) requests", family: nil,
                      expected: "each of its \(count) CQEs meets the expectations of a request of its own",
                      actual: "the best assignment meets \(met): " + (best.isEmpty ? "none" : best)
                        + "; left over: " + leftovers.joined(separator: ", "))
            }
        } else if ambiguous {
            let mark = requestMark(candidates[assignment[0]!])
            let position = held[0].arrival
            let count = held.count
            addNote(NoteKey(userData: userData, unmatched: false), mark: mark, position: position,
                    "the \(count) CQEs with user_data \(userData) meet the expectations of its requests in more than one"
                    + " assignment; used: " + best)
        }

        // Each CQE, in arrival order, checked against its request as any other.
        for (index, cqe) in held.enumerated() {
            guard let candidate = assignment[index] else {
                unclaimedCQE(cqe.cqe, arrival: cqe.arrival, elapsed: cqe.elapsed)
                continue
            }
            endShared(candidates[candidate], cqe, userData: userData)
        }
    }

    /// `old ← #3 (res 5)`: who got which CQE.
    private func pairText(_ slot: Int32, _ held: SharedGroup.Held) -> String {
        requestName(slot) + " ← #\(held.arrival) (res \(describeResult(held.cqe.res)))"
    }

    private func requestName(_ slot: Int32) -> String {
        plan.name(node: Int(records[Int(slot)].node), iterations: iterations(slot), id: id(slot))
    }

    /// Where the request's expectation is written (its step, without one).
    private func requestMark(_ slot: Int32) -> SourceMark {
        if let first = expectationList(slot).first { return plan.expectations[first].mark }
        return plan.graph.nodes[max(Int(records[Int(slot)].node), 0)].mark
    }

    /// Whether `cqe` meets every expectation of the request at `slot`, as `check` would find it (a
    /// single-shot request's only CQE).
    private func meets(_ slot: Int32, _ cqe: SharedGroup.Held) -> Bool {
        func meets(_ pattern: CQEPattern) -> Bool {
            guard pattern.matches(res: cqe.cqe.res, flags: cqe.cqe.flags.rawValue) else { return false }
            if let data = pattern.data { return cqe.data == data }
            return true
        }
        for index in expectationList(slot) {
            let expectation = plan.expectations[index]
            guard expectation.completes, expectation.notification != true, meets(expectation.cqe) else { return false }
            if let stream = expectation.stream {
                switch stream.final {
                case .required: break
                case .matching(let pattern): if !meets(pattern) { return false }
                case .absent: return false
                }
                if let range = stream.moreCount, !range.contains(0) { return false }
                if let range = stream.totalCount, !range.contains(1) { return false }
                if let data = stream.data, data != (cqe.data ?? []) { return false }
            }
        }
        return true
    }

    /// A maximum matching of left vertices (CQEs, with the right vertices each may take, in preference
    /// order) to right ones (requests), by augmenting paths (Kuhn): per left vertex, the right one it got.
    static func maximumMatching(_ edges: [[Int]], right: Int) -> [Int?] {
        var owner = [Int?](repeating: nil, count: right)
        func augment(_ left: Int, _ visited: inout [Bool]) -> Bool {
            for candidate in edges[left] where !visited[candidate] {
                visited[candidate] = true
                if owner[candidate] == nil || augment(owner[candidate]!, &visited) {
                    owner[candidate] = left
                    return true
                }
            }
            return false
        }
        for left in edges.indices {
            var visited = [Bool](repeating: false, count: right)
            _ = augment(left, &visited)
        }
        var assignment = [Int?](repeating: nil, count: edges.count)
        for (candidate, left) in owner.enumerated() {
            if let left { assignment[left] = candidate }
        }
        return assignment
    }

    /// Removes the record at `slot` from the outstanding instances with `userData`, wherever it is in them.
    mutating func unlink(_ slot: Int32, from userData: UInt64) {
        guard let head = outstanding.value(for: userData) else { return }
        if head == slot {
            popHead(userData)
            return
        }
        var previous = head
        while records[Int(previous)].next >= 0 && records[Int(previous)].next != slot { previous = records[Int(previous)].next }
        guard records[Int(previous)].next == slot else { return }
        records[Int(previous)].next = records[Int(slot)].next
        if records[Int(head)].tail == slot { records[Int(head)].tail = previous }
        records[Int(slot)].next = -1
    }

    /// The notes for the outcome, first occurrence first.
    var outcomeNotes: [Note] {
        assignmentNotes.values.sorted { $0.position < $1.position }.map { entry in
            var note = entry.note
            if entry.count > 1 { note.text += " (and \(entry.count - 1) more times)" }
            return note
        }
    }
}
