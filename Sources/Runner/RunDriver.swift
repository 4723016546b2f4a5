#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// Walks a scenario's step instances on its ring, following the plan: queues requests through the
/// issuer, submits at submit points and when the SQ is full (never splitting a link chain), waits for
/// captured values, performs registrations and control steps, reaps CQEs as they come, and reports
/// everything to the observer. It keeps only what is outstanding (requests whose final CQE has not
/// arrived, captures not yet produced) and counters, so a repeat block of any length runs in
/// constant memory.
final class RunDriver {
    var ring: IoUring
    let scenario: Scenario
    let plan: Plan
    let resources: RunResources
    let observer: any TraceObserver
    let start: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    /// The deadline passed before the run was over.
    private(set) var expired = false
    private(set) var statistics = ExecutionStatistics()

    /// A request queued whose final CQE has not arrived, by user_data.
    private struct Outstanding {
        var node: NodeID
        /// Instances queued with this user_data and not finished (explicit user_data may repeat).
        var count: Int
        /// How many of them the run waits for.
        var awaited: Int
        /// Other nodes that queued the same user_data (only with `allow_duplicate_user_data`).
        var otherNodes: [NodeID] = []
    }

    private var outstanding: [UInt64: Outstanding] = [:]
    private var outstandingByNode: [Int]
    private var awaitedOutstanding = 0
    /// Producers whose capture is awaited: their user_data → node.
    private var pendingCaptures: [UInt64: NodeID] = [:]
    private var capturePending: [Bool]
    /// poll_update requests that move a poll to a new user_data: the update's user_data → (from, to).
    private var pendingRenames: [UInt64: (from: UInt64, to: UInt64)] = [:]
    /// Requests whose CQE res is a new descriptor the run must close at the end.
    private let producesDescriptor: [Bool]
    /// Requests that may post several CQEs (multishot, zero-copy, `raw`): they end with the CQE without
    /// IORING_CQE_F_MORE. Others end with their first CQE, as the checker counts them.
    private let followsMoreFlag: [Bool]
    /// The provided-buffer group each request selects from, if any.
    private let bufferGroupOfNode: [UInt16?]
    /// Whether some expectation checks the bytes CQEs delivered into provided buffers.
    private let readsBufferData: Bool
    private var bufferDataByGroup: [UInt16: BufferData] = [:]
    private var arrivals = 0
    /// CQEs reaped since the scenario last waited (`submit: { wait: N }`, `wait`, a capture): what a
    /// program that reaps only when it waits would still find in its CQ.
    private var completionsSinceWait = 0
    private let isSQPoll: Bool
    private let isIOPoll: Bool

    /// Called with the ring and the statistics every `inspectionInterval` instances (tests).
    var inspect: ((borrowing IoUring, ExecutionStatistics) -> Void)?
    var inspectionInterval: UInt64 = 10_000

    init(ring: consuming IoUring, scenario: Scenario, plan: Plan, resources: RunResources, observer: any TraceObserver,
         start: ContinuousClock.Instant, deadline: ContinuousClock.Instant) {
        self.ring = ring
        self.scenario = scenario
        self.plan = plan
        self.resources = resources
        self.observer = observer
        self.start = start
        self.deadline = deadline
        let count = scenario.graph.nodes.count
        outstandingByNode = Array(repeating: 0, count: count)
        capturePending = Array(repeating: false, count: count)
        producesDescriptor = scenario.graph.nodes.map { node in
            guard case .request(let spec) = node.kind else { return false }
            return RunDriver.descriptorOperations.contains(spec.operation)
        }
        followsMoreFlag = scenario.graph.nodes.map { node in
            guard case .request(let spec) = node.kind else { return false }
            return spec.isMultishot || spec.operation == "raw"
        }
        bufferGroupOfNode = scenario.graph.nodes.map { node in
            guard case .request(let spec) = node.kind, case .bufferGroup(let reference)? = spec.arguments["buffer_group"] else { return nil }
            return reference.group
        }
        readsBufferData = scenario.expectations.completions.contains { expectation in
            expectation.cqe.data != nil || expectation.stream?.data != nil || expectation.stream?.each?.data != nil
                || { if case .matching(let final)? = expectation.stream?.final { return final.data != nil } else { return false } }()
        }
        isSQPoll = self.ring.setupFlags.contains(.sqPoll)
        isIOPoll = self.ring.setupFlags.contains(.ioPoll)
    }

    /// A buffer ring's memory and where each buffer's unconsumed part starts, for reading what CQEs
    /// delivered while the ring is busy reaping (it cannot be asked then).
    private final class BufferData {
        let group: BufferGroup
        let memory: IoBuffer
        var heads: [Int]

        init(group: BufferGroup, memory: IoBuffer) {
            self.group = group
            self.memory = memory
            self.heads = Array(repeating: 0, count: Int(group.count))
        }
    }

    /// Notes the buffer ring a request selects from (a new one, if the group was registered anew).
    private func trackBufferData(of node: NodeID) {
        guard readsBufferData, let groupID = bufferGroupOfNode[node],
              let group = BufferGroup(existing: ring, groupID: groupID), bufferDataByGroup[groupID]?.group != group,
              let memory = try? group.memory(ring) else { return }
        bufferDataByGroup[groupID] = BufferData(group: group, memory: memory)
    }

    /// The bytes a CQE delivered into a buffer-ring buffer: `res` bytes from where the buffer's unconsumed
    /// part starts (the start, unless consumed incrementally). Nil for CQEs without a buffer, legacy
    /// groups, and bundles spanning several buffers.
    private func bufferData(_ cqe: CompletionQueueEntry) -> [UInt8]? {
        guard cqe.flags.contains(.buffer), !cqe.flags.contains(.notification), cqe.res >= 0,
              let node = outstanding[cqe.userData]?.node, let groupID = bufferGroupOfNode[node],
              let state = bufferDataByGroup[groupID], let bufferID = cqe.flags.bufferID,
              Int(bufferID) < state.heads.count else { return nil }
        let size = state.group.bufferSize
        let head = state.heads[Int(bufferID)]
        let length = Int(cqe.res)
        guard head + length <= size else { return nil }
        let start = Int(bufferID) * size + head
        let bytes = state.memory.bytes(start..<start + length)
        let stays = state.group.incremental && (cqe.flags.contains(.bufferMore) || length == 0)
        state.heads[Int(bufferID)] = stays ? head + length : 0
        return bytes
    }

    /// Ops whose CQE res (when ≥ 0) is a new descriptor in this process.
    static let descriptorOperations: Set<String> = ["openat", "openat2", "accept", "accept_multishot", "socket", "fixed_fd_install"]

    private var elapsed: Duration { ContinuousClock.now - start }

    // MARK: - Walking the steps

    /// Runs every step instance in order, until the last or until the deadline.
    func walk() throws(ExecutionError) {
        let graph = scenario.graph
        var instances = graph.instances.makeIterator()
        while let instance = instances.next() {
            if ContinuousClock.now >= deadline {
                expired = true
                return
            }
            let node = graph.nodes[instance.node]
            do {
                switch node.kind {
                case .request(let spec): try queue(spec, instance)
                case .registration(let step): try register(step, instance)
                case .control(let step): try perform(step, instance)
                case .repeatBlock: break
                }
            } catch {
                throw ExecutionError(mark: node.mark, error)
            }
            statistics.instances += 1
            if let inspect, statistics.instances % inspectionInterval == 0 {
                inspect(ring, statistics)
            }
            if expired { return }
        }
    }

    /// After the last step: submits what is queued and waits until every awaited request has posted
    /// its final CQE, or the deadline passes.
    func finish() throws(ExecutionError) {
        do {
            try submitPending()
            if try !waitUntil(deadline, { awaitedOutstanding == 0 }) { expired = true }
        } catch {
            throw ExecutionError(mark: nil, error)
        }
        if let inspect { inspect(ring, statistics) }
    }

    /// Marks the end of the checked part of the trace, then cancels everything in flight
    /// (IORING_ASYNC_CANCEL_ANY) and drains the ring within `grace`, observing the CQEs that come back.
    /// Returns false when the ring could not be proved idle (its memory then stays with the engine).
    func tearDown(grace: Duration) -> Bool {
        reapReady()
        observer.observe(.teardown(deadlineExpired: expired, elapsed: elapsed))
        do {
            return try ring.quiesce(cancelling: true, timeout: grace) { cqe in handle(cqe) }
        } catch {
            return false
        }
    }

    // MARK: - Requests

    private func queue(_ spec: RequestSpec, _ instance: StepInstance) throws(RunnerError) {
        let step = plan.steps[instance.node]
        if readsBufferData { trackBufferData(of: instance.node) }
        for dependency in step.awaitedCaptures where capturePending[dependency.producer] {
            try submitPending()
            if try !waitUntil(deadline, { !capturePending[dependency.producer] }) {
                expired = true
                return
            }
            completionsSinceWait = 0
        }
        var needed: UInt32 = 1
        if case .head(_, let length)? = step.chain {
            needed = UInt32(length)
            guard needed <= ring.sqEntries else {
                throw .unsupported("a link chain of \(length) SQEs does not fit the SQ of \(ring.sqEntries) entries; raise 'ring.entries'")
            }
        }
        if ring.sqSpaceLeft < needed {
            try makeRoom(needed)
            if expired { return }
        }
        let userData = spec.userData.value(iterations: instance.iterations)
        var closing: Int32?
        if spec.operation == "close", let operand = spec.arguments.file("fd"),
           case .descriptor(let fd) = try resources.file(operand, at: instance) {
            closing = fd
        }
        try OperationIssuer.issue(spec, instance: instance, userData: userData, resolver: resources, ring: &ring)
        statistics.requests += 1
        resources.lastUserData[instance.node] = userData
        if let closing { resources.forget(closing) }
        let sqe = ring.lastQueuedSQE() ?? RawSQE(opcode: spec.opcodeValue)
        let id = spec.id.map { resources.render($0, at: instance) }
        observer.observe(.queued(QueuedRequest(node: instance.node, iterations: instance.iterations, id: id,
                                               userData: userData, sqe: sqe, elapsed: elapsed)))

        if step.capture != nil {
            pendingCaptures[userData] = instance.node
            capturePending[instance.node] = true
        }
        if spec.operation == "poll_update", let newUserData = spec.arguments.unsigned("new_user_data"),
           case .request(let target)? = spec.arguments["target"] {
            pendingRenames[userData] = (try resources.userData(target, at: instance), newUserData)
        }
        // IOSQE_CQE_SKIP_SUCCESS requests may post nothing: they are not tracked (a failure's CQE is
        // still observed).
        guard !spec.flags.contains(.skipSuccess) else { return }
        let awaited = plan.awaitsCompletion(node: instance.node, iterations: instance.iterations, userData: userData)
        track(userData, node: instance.node, awaited: awaited)
    }

    private func track(_ userData: UInt64, node: NodeID, awaited: Bool) {
        if var entry = outstanding[userData] {
            entry.count += 1
            if awaited { entry.awaited += 1 }
            if entry.node != node { entry.otherNodes.append(node) }
            outstanding[userData] = entry
        } else {
            outstanding[userData] = Outstanding(node: node, count: 1, awaited: awaited ? 1 : 0)
        }
        outstandingByNode[node] += 1
        if awaited { awaitedOutstanding += 1 }
        statistics.peakOutstanding = max(statistics.peakOutstanding, outstanding.count)
    }

    /// Frees `needed` SQ slots: submits what is queued and, with SQPOLL, waits for the kernel thread to
    /// consume it (IORING_ENTER_SQ_WAIT).
    private func makeRoom(_ needed: UInt32) throws(RunnerError) {
        try submitPending()
        while ring.sqSpaceLeft < needed {
            if ContinuousClock.now >= deadline {
                expired = true
                return
            }
            if isSQPoll {
                _ = try enter(toSubmit: 0, minComplete: 0, flags: [.sqWait], timeout: nil)
            } else {
                let before = ring.sqReady
                try submitPending()
                if ring.sqReady >= before {
                    throw .unsupported("the kernel does not take the queued SQEs (io_uring_enter submitted none)")
                }
            }
        }
    }

    // MARK: - Registrations and control steps

    private func register(_ step: RegistrationStep, _ instance: StepInstance) throws(RunnerError) {
        try submitPending()
        let result = try RegistrationIssuer.perform(step, instance: instance, resolver: resources, ring: &ring)
        observer.observe(.registered(RegistrationOutcome(node: instance.node, iterations: instance.iterations,
                                                         result: result, elapsed: elapsed)))
    }

    private func perform(_ step: ControlStep, _ instance: StepInstance) throws(RunnerError) {
        var summary: String
        switch step.action {
        case .submit(let wait):
            let queued = ring.sqReady
            let taken: Int32
            if let wait, wait > 0 {
                // min_complete counts CQEs the scenario has not consumed: those that arrived since its
                // last wait, which the runner has reaped already, count too.
                reapReady()
                let missing = UInt32(clamping: max(Int(wait) - completionsSinceWait, 0))
                taken = try submitPending(waitingFor: missing)
                let reached = try waitUntil(deadline, minimum: { UInt32(clamping: max(Int(wait) - self.completionsSinceWait, 1)) },
                                            { completionsSinceWait >= Int(wait) })
                if !reached { expired = true }
                summary = "submit \(queued) SQE\(queued == 1 ? "" : "s"), \(min(completionsSinceWait, Int(wait))) of \(wait) CQE\(wait == 1 ? "" : "s") arrived"
                completionsSinceWait = 0
            } else {
                taken = try submitPending()
                summary = "submit \(queued) SQE\(queued == 1 ? "" : "s")"
            }
            if case .control(let control) = scenario.graph.nodes[instance.node].kind, control.expected != nil {
                observer.observe(.registered(RegistrationOutcome(node: instance.node, iterations: instance.iterations,
                                                                 result: taken, elapsed: elapsed, isSubmit: true)))
            }
        case .wait(let references, let timeout):
            try submitPending()
            var conditions: [WaitCondition] = []
            for reference in references { conditions.append(try condition(for: reference, at: instance)) }
            let limit = timeout.map { min(ContinuousClock.now + .nanoseconds($0), deadline) } ?? deadline
            let names = references.map(\.description).joined(separator: ", ")
            defer { completionsSinceWait = 0 }
            if try waitUntil(limit, { conditions.allSatisfy(isDone) }) {
                summary = "wait for \(names): done"
            } else if limit < deadline {
                summary = "wait for \(names): gave up after \(PlanRenderer.format(.nanoseconds(timeout ?? 0)))"
            } else {
                expired = true
                summary = "wait for \(names): the deadline passed"
            }
        case .replenishBuffers(let reference, let first, let count):
            try submitPending()
            let ids = (0..<count).map { first &+ $0 }
            try engine { () throws(IoUringError) in
                guard let group = BufferGroup(existing: ring, groupID: reference.group) else {
                    throw .invalidArgument("group \(reference.group) has no buffer ring on this ring (a legacy group is refilled with provide_buffers)")
                }
                try group.replenish(&ring, bufferIDs: ids)
            }
            if let state = bufferDataByGroup[reference.group] {
                for id in ids where Int(id) < state.heads.count { state.heads[Int(id)] = 0 }
            }
            summary = "replenish_buffers \(ids.map(String.init).joined(separator: ", ")) of group \(reference.group)"
        case .sleep(let nanoseconds):
            try submitPending()
            let wake = ContinuousClock.now + .nanoseconds(nanoseconds)
            System.sleep(min(wake, deadline) - ContinuousClock.now)
            if wake > deadline { expired = true }
            summary = "sleep \(PlanRenderer.format(.nanoseconds(nanoseconds)))"
        default:
            try submitPending()
            let result = try resources.peerAction(step, at: instance, node: instance.node, until: deadline)
            summary = result
        }
        observer.observe(.controlled(node: instance.node, iterations: instance.iterations, summary: summary, elapsed: elapsed))
    }

    /// What a `wait` step waits for.
    private enum WaitCondition {
        /// No unfinished request with this user_data.
        case userData(UInt64)
        /// No unfinished instance of this node.
        case node(NodeID)
    }

    private func condition(for reference: RequestReference, at instance: StepInstance) throws(RunnerError) -> WaitCondition {
        if case .request(let node, .each, _) = reference,
           !plan.steps[instance.node].blocks.starts(with: plan.steps[node].blocks) {
            return .node(node)
        }
        return .userData(try resources.userData(reference, at: instance))
    }

    private func isDone(_ condition: WaitCondition) -> Bool {
        switch condition {
        case .userData(let value): return outstanding[value] == nil
        case .node(let node): return outstandingByNode[node] == 0
        }
    }

    // MARK: - Submitting and reaping

    /// Reaps what is ready, then submits every queued SQE with `io_uring_enter(2)` (unless an SQPOLL
    /// thread is awake to take them). With `waitingFor`, the enter also waits for that many CQEs
    /// (min_complete), bounded by the deadline. Returns what the first io_uring_enter(2) returned (the SQEs
    /// the kernel took, or -errno), the count handed to an awake SQPOLL thread, or 0 when nothing was queued;
    /// SQEs the kernel left are submitted again, as a program would.
    @discardableResult
    private func submitPending(waitingFor wait: UInt32 = 0) throws(RunnerError) -> Int32 {
        reapReady()
        var toSubmit = ring.flushSQ()
        if toSubmit == 0 && wait == 0 { return 0 }
        if isSQPoll {
            var flags: EnterFlags = []
            if ring.sqRingNeedsEnter(&flags) || wait > 0 {
                if wait > 0 {
                    return try enter(toSubmit: toSubmit, minComplete: wait, flags: flags, timeout: deadline - ContinuousClock.now)
                } else {
                    return try enter(toSubmit: toSubmit, minComplete: 0, flags: flags, timeout: nil)
                }
            }
            return Int32(clamping: toSubmit)
        }
        var retries = 0
        var first: Int32?
        while toSubmit > 0 || wait > 0 {
            let result: Int32
            if wait > 0 {
                result = try enter(toSubmit: toSubmit, minComplete: wait, flags: [], timeout: deadline - ContinuousClock.now)
            } else {
                var flags: EnterFlags = []
                if isIOPoll || ring.cqRingNeedsFlush { flags.insert(.getEvents) }
                result = try enter(toSubmit: toSubmit, minComplete: 0, flags: flags, timeout: nil)
            }
            if wait > 0 { reapReady() }
            if result == -Errno.EINTR.rawValue { continue }
            if first == nil { first = result }
            if result == -Errno.EBUSY.rawValue || result == -Errno.EAGAIN.rawValue {
                // The CQ is overcommitted: reap, give completions a moment, and try again.
                reapReady()
                retries += 1
                if retries > 100 || ContinuousClock.now >= deadline { throw .engine(.syscall(.enter, Errno(rawValue: -result))) }
                _ = try enter(toSubmit: 0, minComplete: 1, flags: [], timeout: .milliseconds(10))
                reapReady()
                toSubmit = ring.sqReady
                continue
            }
            if result <= 0 { return first ?? result }
            toSubmit = ring.sqReady
            if wait > 0 { return first ?? result }
        }
        return first ?? 0
    }

    /// Reaps every CQE that is ready, bringing in overflowed ones (an enter with GETEVENTS) when the
    /// kernel holds some back.
    func reapReady() {
        if ring.cqRingNeedsFlush {
            _ = try? enter(toSubmit: 0, minComplete: 0, flags: [.getEvents], timeout: nil)
        }
        _ = try? ring.forEachCQE(maximum: .max, waitFor: 0) { cqe in handle(cqe) }
    }

    /// Waits, submitting what is queued, until `done()` or `limit`; false when `limit` came first.
    private func waitUntil(_ limit: ContinuousClock.Instant, minimum: () -> UInt32 = { 1 },
                           _ done: () -> Bool) throws(RunnerError) -> Bool {
        reapReady()
        while !done() {
            let now = ContinuousClock.now
            if now >= limit { return false }
            let toSubmit = ring.flushSQ()
            var flags: EnterFlags = [.getEvents]
            _ = ring.sqRingNeedsEnter(&flags)
            let result = try enter(toSubmit: toSubmit, minComplete: minimum(), flags: flags, timeout: limit - now)
            reapReady()
            if result == -Errno.EBUSY.rawValue || result == -Errno.EAGAIN.rawValue {
                // The kernel is short of room or resources: let completions land instead of spinning.
                System.sleep(.milliseconds(1))
            }
        }
        return true
    }

    /// `io_uring_enter(2)`, observed. With a timeout, IORING_ENTER_EXT_ARG | GETEVENTS bound the wait
    /// (the engine reports an expired wait as 0). EINTR, EAGAIN, EBUSY and ETIME come back as `-errno`
    /// for the caller to handle; other failures throw.
    @discardableResult
    private func enter(toSubmit: UInt32, minComplete: UInt32, flags: EnterFlags, timeout: Duration?) throws(RunnerError) -> Int32 {
        var recorded = flags
        if timeout != nil { recorded.formUnion([.extArg, .getEvents]) }
        var result: Int32
        var failure: IoUringError?
        do {
            if let timeout {
                result = Int32(clamping: try ring.enter(toSubmit: toSubmit, minComplete: minComplete, flags: flags,
                                                        timeout: max(timeout, .zero)))
            } else {
                result = Int32(clamping: try ring.enter(toSubmit: toSubmit, minComplete: minComplete, flags: flags))
            }
        } catch {
            result = -(error.errno?.rawValue ?? Errno.EIO.rawValue)
            failure = error
        }
        statistics.enters += 1
        observer.observe(.entered(EnterCall(toSubmit: toSubmit, minComplete: minComplete, flags: recorded,
                                            result: result, elapsed: elapsed)))
        if let failure {
            switch failure.errno {
            case .EINTR?, .EAGAIN?, .EBUSY?, .ETIME?: return result
            default: throw .engine(failure)
            }
        }
        return result
    }

    /// Reports one CQE and updates what is outstanding: captures, renamed polls, descriptors to close,
    /// and, for a final CQE (no IORING_CQE_F_MORE), the request it finishes.
    private func handle(_ cqe: CompletionQueueEntry) {
        let arrival = arrivals
        arrivals += 1
        completionsSinceWait += 1
        statistics.completions += 1
        let data = readsBufferData ? bufferData(cqe) : nil
        observer.observe(.completed(ObservedCQE(cqe: cqe, arrival: arrival, elapsed: elapsed, data: data)))
        let userData = cqe.userData
        let isNotification = cqe.flags.contains(.notification)
        if !pendingCaptures.isEmpty, !isNotification, let producer = pendingCaptures.removeValue(forKey: userData) {
            var value = Int64(cqe.res)
            if case .namedSlot(let slot)? = plan.steps[producer].capture?.source, cqe.res >= 0 { value = Int64(slot) }
            resources.captures[producer] = value
            capturePending[producer] = false
        }
        if !pendingRenames.isEmpty, let rename = pendingRenames.removeValue(forKey: userData), cqe.res >= 0,
           let moved = outstanding.removeValue(forKey: rename.from) {
            if var existing = outstanding[rename.to] {
                existing.count += moved.count
                existing.awaited += moved.awaited
                outstanding[rename.to] = existing
            } else {
                outstanding[rename.to] = moved
            }
        }
        guard var entry = outstanding[userData] else { return }
        if producesDescriptor[entry.node], cqe.res >= 0, !isNotification { resources.ringDescriptors.insert(cqe.res) }
        if cqe.flags.contains(.more) && followsMoreFlag[entry.node] { return }
        let node = entry.otherNodes.isEmpty ? entry.node : entry.otherNodes.removeFirst()
        outstandingByNode[node] -= 1
        entry.count -= 1
        // With a mix of awaited and open instances under one user_data, assume an open one finished
        // first: the run then waits longer rather than too little.
        let awaitedBefore = entry.awaited
        entry.awaited = min(entry.awaited, entry.count)
        awaitedOutstanding -= awaitedBefore - entry.awaited
        if entry.count == 0 {
            outstanding.removeValue(forKey: userData)
        } else {
            outstanding[userData] = entry
        }
    }
}

/// Counters of one run, for reports and for proving constant memory.
public struct ExecutionStatistics: Hashable, Sendable {
    /// Step instances run (repeat blocks expanded).
    public var instances: UInt64 = 0
    /// SQEs queued.
    public var requests: UInt64 = 0
    /// CQEs reaped, teardown included.
    public var completions = 0
    /// `io_uring_enter(2)` calls the runner made (the engine's own, in teardown, are not counted).
    public var enters = 0
    /// The most distinct user_data values outstanding (queued, final CQE not yet reaped) at once.
    public var peakOutstanding = 0

    public init() {}
}
