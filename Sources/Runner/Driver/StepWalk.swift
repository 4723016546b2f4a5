#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// The walk over a scenario's steps: requests queued at their step, submit points, waits, captures,
/// registrations and control steps, each reported to the observer or fed to the checker.
extension RunDriver {
    /// Runs every step instance in order, until the last or until the deadline.
    mutating func walk() throws(ExecutionError) {
        let graph = scenario.graph
        var instances = graph.instances.makeIterator()
        while let node = instances.nextNode() {
            untilDeadlineCheck -= 1
            // A submit step that waits reads the clock for its enter's timeout itself.
            if untilDeadlineCheck <= 0 && !info[node].waitsForCompletions {
                untilDeadlineCheck = RunDriver.deadlineStride
                if ContinuousClock.now >= deadline {
                    expired = true
                    return
                }
            }
            do {
                switch info[node].kind {
                case .request:
                    if info[node].runLength > 0, try queueRun(node, &instances) {
                        if expired { return }
                        continue
                    }
                    try queue(node, instances.iterations)
                case .registration:
                    guard case .registration(let step) = graph.nodes[node].kind else { break }
                    if info[node].awaitsCaptures, try !awaitCaptures(of: node) { return }
                    try register(step, StepInstance(node: node, iterations: instances.iterations))
                case .control:
                    if info[node].awaitsCaptures, try !awaitCaptures(of: node) { return }
                    if info[node].plainSubmit && !emitsEvents {
                        _ = try submit(waitingFor: info[node].submitWait)
                        break
                    }
                    guard case .control(let step) = graph.nodes[node].kind else { break }
                    try perform(step, StepInstance(node: node, iterations: instances.iterations))
                case .repeatBlock: break
                }
            } catch {
                if stopOnFailedEnter(error, at: graph.nodes[node].mark) { return }
                throw ExecutionError(mark: graph.nodes[node].mark, error)
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
    mutating func finish() throws(ExecutionError) {
        do {
            try submitPending()
            if try !waitUntil(deadline, .awaitedDone) { expired = true }
        } catch {
            let end = SourceMark(file: scenario.file, line: 1, column: 1)
            if stopOnFailedEnter(error, at: scenario.graph.nodes.last?.mark ?? end) { return }
            throw ExecutionError(mark: nil, error)
        }
        if let inspect { inspect(ring, statistics) }
    }

    /// An io_uring_enter(2) that failed where no step expected it is a difference the report shows (a
    /// FAIL at `mark`, with the call and errno), not an error of the runner: the walk stops there.
    /// Returns false for any other error.
    mutating func stopOnFailedEnter(_ error: RunnerError, at mark: SourceMark) -> Bool {
        guard case .engine(.syscall(.enter, let errno)) = error else { return false }
        let call = failedEnter ?? "io_uring_enter: \(errno.name)"
        runnerMismatches.append(Mismatch(mark: mark, subject: "io_uring_enter", expected: "io_uring_enter to succeed",
                                         actual: call + " (\(errno.message))"))
        stopped = true
        return true
    }

    mutating func queue(_ node: NodeID, _ iterations: [Int]) throws(RunnerError) {
        if readsBufferData { trackBufferData(of: node) }
        if info[node].awaitsCaptures {
            guard try awaitCaptures(of: node) else { return }
        }
        let needed = info[node].needed
        guard needed <= ring.sqEntries else {
            throw .unsupported("a link chain of \(needed) SQEs does not fit the SQ of \(ring.sqEntries) entries; raise 'ring.entries'")
        }
        if ring.sqSpaceLeft < needed {
            try makeRoom(needed)
            if expired { return }
        }
        let userData = userData(of: node, iterations)
        let sqeFlags: UInt8
        let sqeAddress: UInt64
        if templateGenerations[node] == generation {
            var offset: UInt64?
            if let random = info[node].randomOffset { offset = random.value(userData) }
            var address: UInt64?
            if let random = info[node].randomAddress { address = random.value(userData) }
            do {
                try templates.queue(node, on: &ring, userData: userData, offset: offset, address: address)
            } catch {
                throw .engine(error)
            }
            sqeFlags = templates[node].flags
            sqeAddress = address ?? templates[node].address
        } else {
            try issue(StepInstance(node: node, iterations: iterations), userData: userData)
            let sqe = ring.lastQueuedSQE()
            sqeFlags = sqe?.flags ?? 0
            sqeAddress = sqe?.addr ?? 0
        }
        statistics.requests += 1
        if info[node].referenced { resources.lastUserData[node] = userData }
        if feedsChecker {
            if info[node].dense,
               core.queuedDense(firstUserData: userData, count: 1, firstNode: node, length: 1, lastIterations: iterations) {
                denseOutstanding += 1
                statistics.denseRequests += 1
                notePeakOutstanding()
                return
            }
            let id = info[node].rendersID ? renderID(StepInstance(node: node, iterations: iterations)) : nil
            core.queued(node: node, iterations: iterations, id: id, userData: userData, sqeFlags: sqeFlags,
                        sqeAddress: sqeAddress)
        } else {
            let sqe = ring.lastQueuedSQE() ?? RawSQE(opcode: scenario.graph.request(node)?.opcodeValue ?? 0)
            observer.observe(.queued(QueuedRequest(node: node, iterations: iterations,
                                                   id: info[node].hasID ? renderID(StepInstance(node: node, iterations: iterations)) : nil,
                                                   userData: userData, sqe: sqe, elapsed: elapsed)))
        }
        if info[node].capturesValue || info[node].isPollUpdate {
            try noteCaptureAndRename(StepInstance(node: node, iterations: iterations), userData: userData)
        }
        // IOSQE_CQE_SKIP_SUCCESS requests may post nothing: they are not tracked (a failure's CQE is
        // still observed).
        guard !info[node].skipSuccess else { return }
        let awaited: Bool
        switch info[node].awaitMode {
        case 0: awaited = false
        case 1: awaited = true
        default: awaited = plan.awaitsCompletion(node: node, iterations: iterations, userData: userData)
        }
        track(userData, node: node, awaited: awaited)
    }

    /// The user_data of the instance of `node` at `iterations`.
    @inline(__always)
    func userData(of node: NodeID, _ iterations: [Int]) -> UInt64 {
        var userData = info[node].userDataBase
        let depth = Int(info[node].depth)
        if depth > 0 {
            let first = Int(info[node].strideStart)
            for level in 0..<min(depth, iterations.count) {
                userData &+= strides[first + level] &* UInt64(iterations[level])
            }
        }
        return userData
    }

    /// Waits for the CQE of every producer whose capture `node` uses and which has not arrived yet,
    /// submitting what is queued and reaping (bounded by the deadline). False when the deadline came
    /// first (`expired` is then set).
    mutating func awaitCaptures(of node: NodeID) throws(RunnerError) -> Bool {
        let first = Int(info[node].producerStart)
        for position in first..<first + Int(info[node].producerCount) where capturePending[producers[position]] {
            try submitPending()
            if try !waitUntil(deadline, .capture(producers[position])) {
                expired = true
                return false
            }
            completionsSinceWait = 0
        }
        return true
    }

    /// Queues `instance` through the issuer, making the node's template from it when the node allows one.
    mutating func issue(_ instance: StepInstance, userData: UInt64) throws(RunnerError) {
        let node = instance.node
        guard case .request(let spec) = scenario.graph.nodes[node].kind else { return }
        var closing: Int32?
        if info[node].isClose, let operand = spec.arguments.file("fd"),
           case .descriptor(let fd) = try resources.file(operand, at: instance) {
            closing = fd
        }
        let capturing = info[node].templatable && info[node].rebuilds < 8
        if capturing { ring.beginTemplateCapture() }
        do {
            try OperationIssuer.issue(spec, instance: instance, userData: userData, resolver: resources, ring: &ring)
        } catch {
            if capturing { ring.cancelTemplateCapture() }
            throw error
        }
        if capturing {
            // A template that keeps being remade (its operands keep changing) is given up.
            if let template = ring.captureTemplate() {
                templates[node] = template
                templateGenerations[node] = generation
                info[node].rebuilds += 1
            } else {
                templateGenerations[node] = 0
                info[node].rebuilds = .max
            }
        }
        if let closing { resources.forget(closing) }
    }

    /// The id of `instance`, its repeat indices filled in.
    func renderID(_ instance: StepInstance) -> String? {
        guard case .request(let spec) = scenario.graph.nodes[instance.node].kind, let id = spec.id else { return nil }
        return resources.render(id, at: instance)
    }

    /// A capture producer or poll_update was queued: note what its CQE will do.
    mutating func noteCaptureAndRename(_ instance: StepInstance, userData: UInt64) throws(RunnerError) {
        let node = instance.node
        if plan.steps[node].capture != nil {
            pendingCaptures[userData] = node
            capturePending[node] = true
            captureEpoch &+= 1
        }
        guard case .request(let spec) = scenario.graph.nodes[node].kind else { return }
        if spec.operation == "poll_update", let newUserData = spec.arguments.unsigned("new_user_data"),
           case .request(let target)? = spec.arguments["target"] {
            pendingRenames[userData] = (try resources.userData(target, at: instance), newUserData)
        }
    }

    mutating func register(_ step: RegistrationStep, _ instance: StepInstance) throws(RunnerError) {
        try submitPending()
        generation &+= 1
        let result = try RegistrationIssuer.perform(step, instance: instance, resolver: resources, ring: &ring)
        if case .probe = step.registration, result == RegistrationIssuer.probeMismatchResult, !step.expected.matches(result) {
            noteProbeMismatch(step, node: instance.node)
        }
        if feedsChecker {
            core.registered(node: instance.node, result: result)
        } else {
            observer.observe(.registered(RegistrationOutcome(node: instance.node, iterations: instance.iterations,
                                                             result: result, elapsed: elapsed)))
        }
    }

    /// A `probe` step found ops otherwise than it lists: the report names them (`IORING_OP_SEND_ZC is not
    /// supported`) where the checker alone could only show -EOPNOTSUPP. Once per step.
    mutating func noteProbeMismatch(_ step: RegistrationStep, node: NodeID) {
        let mark = step.expectationMark ?? scenario.graph.nodes[node].mark
        guard !runnerMismatches.contains(where: { $0.mark == mark && $0.subject == step.registration.stepName }) else { return }
        let differences: String
        do {
            differences = RegistrationIssuer.probeMismatch(step, probe: try ring.probe()) ?? "the probe differed"
        } catch {
            differences = "the probe differed, and probing again failed: \(error)"
        }
        runnerMismatches.append(Mismatch(mark: mark, subject: step.registration.stepName, expected: step.expected.description,
                                         actual: "\(Errno.EOPNOTSUPP.name): " + differences))
    }

    mutating func perform(_ step: ControlStep, _ instance: StepInstance) throws(RunnerError) {
        var summary = ""
        let describe = emitsEvents
        switch step.action {
        case .submit(let wait):
            let queued = ring.sqReady
            refusedSubmission = nil
            var taken: Int32
            var arrived = 0
            do {
                (taken, arrived) = try submit(waitingFor: wait ?? 0)
            } catch {
                // A failing enter the step expects is its result, compared like any other.
                guard step.expected != nil, case .engine(.syscall(.enter, let errno)) = error else { throw error }
                taken = -errno.rawValue
                refusedSubmission = ring.sqReady
                completionsSinceWait = 0
            }
            if describe {
                if let wait, wait > 0 {
                    summary = "submit \(queued) SQE\(queued == 1 ? "" : "s"), \(min(arrived, Int(wait))) of \(wait) CQE\(wait == 1 ? "" : "s") arrived"
                } else {
                    summary = "submit \(queued) SQE\(queued == 1 ? "" : "s")"
                }
            }
            if step.expected != nil {
                if feedsChecker {
                    core.registered(node: instance.node, result: taken)
                } else {
                    observer.observe(.registered(RegistrationOutcome(node: instance.node, iterations: instance.iterations,
                                                                     result: taken, elapsed: elapsed, isSubmit: true)))
                }
            }
        case .wait(let references, let timeout):
            try submitPending()
            var conditions: [WaitCondition] = []
            for reference in references { conditions.append(try condition(for: reference, at: instance)) }
            let limit = timeout.map { min(ContinuousClock.now + .nanoseconds($0), deadline) } ?? deadline
            let names = references.map(\.description).joined(separator: ", ")
            let done = try waitUntil(limit, .conditions(conditions))
            completionsSinceWait = 0
            if limit < deadline || done { judgeWait(step, instance, references: references, conditions: conditions, done: done, timeout: timeout) }
            if done {
                summary = "wait for \(names): done"
            } else if limit < deadline {
                summary = "wait for \(names): gave up after \(PlanRenderer.format(.nanoseconds(timeout ?? 0)))"
            } else {
                expired = true
                summary = "wait for \(names): the deadline passed"
            }
        case .replenishBuffers(let reference, let first, let count):
            try submitPending()
            generation &+= 1
            let ids = (0..<count).map { first &+ $0 }
            guard let group = BufferGroup(existing: ring, groupID: reference.group) else {
                throw .engine(.invalidArgument("group \(reference.group) has no buffer ring on this ring (a legacy group is refilled with provide_buffers)"))
            }
            do {
                try group.replenish(&ring, bufferIDs: ids)
            } catch {
                throw .engine(error)
            }
            if let state = bufferDataByGroup[reference.group] {
                for id in ids { if let slot = group.slot(ring, bufferID: id), slot < state.heads.count { state.heads[slot] = 0 } }
            }
            summary = "replenish_buffers \(ids.map(String.init).joined(separator: ", ")) of group \(reference.group)"
        case .ring(let control):
            summary = try performRingControl(control, instance: instance, expected: step.expected)
        case .replenishBuffersAs(let reference, let first, let count, let newIDs):
            try submitPending()
            generation &+= 1
            summary = try replenishBuffers(reference, first: first, count: count, as: newIDs)
        case .checkEventfd, .seek, .checkPosition:
            try submitPending()
            generation &+= 1
            summary = try performPositionOrCounter(step.action, instance)
        case .sleep(let nanoseconds):
            try submitPending()
            let wake = ContinuousClock.now + .nanoseconds(nanoseconds)
            System.sleep(min(wake, deadline) - ContinuousClock.now)
            if wake > deadline { expired = true }
            summary = "sleep \(PlanRenderer.format(.nanoseconds(nanoseconds)))"
        default:
            try submitPending()
            generation &+= 1
            let result = try resources.peerAction(step, at: instance, node: instance.node, until: deadline)
            // A peer action waits for room no longer than the deadline; one that got there ends the run.
            if ContinuousClock.now >= deadline { expired = true }
            summary = result
        }
        if describe {
            observer.observe(.controlled(node: instance.node, iterations: instance.iterations, summary: summary, elapsed: elapsed))
        }
    }

    /// A `submit` step: submits what is queued and, with `wait` > 0, waits until that many CQEs have
    /// arrived since the scenario last waited (or the deadline). Returns what the first io_uring_enter(2)
    /// returned and how many CQEs had arrived.
    mutating func submit(waitingFor wait: UInt32) throws(RunnerError) -> (taken: Int32, arrived: Int) {
        guard wait > 0 else { return (try submitPending(), 0) }
        if reapsManually { return try submitWithoutReaping(waitingFor: wait) }
        // min_complete counts CQEs the scenario has not consumed: those that arrived since its last wait,
        // which the runner has reaped already, count too.
        reapReady()
        let missing = UInt32(clamping: max(Int(wait) - completionsSinceWait, 0))
        let taken = try submitPending(waitingFor: missing, reaped: true)
        // An enter that waited was followed by a reap (but not with SQPOLL): when that reached the goal,
        // waitUntil need not reap again first.
        if try !waitUntil(deadline, .completions(Int(wait)), reaped: missing > 0 && !isSQPoll) { expired = true }
        let arrived = completionsSinceWait
        completionsSinceWait = 0
        return (taken, arrived)
    }

    /// What a `wait` step waits for.
    enum WaitCondition {
        /// No unfinished request with this user_data.
        case userData(UInt64)
        /// No unfinished instance of this node.
        case node(NodeID)
    }

    func condition(for reference: RequestReference, at instance: StepInstance) throws(RunnerError) -> WaitCondition {
        if case .request(let node, .each, _) = reference,
           !plan.steps[instance.node].blocks.starts(with: plan.steps[node].blocks) {
            return .node(node)
        }
        return .userData(try resources.userData(reference, at: instance))
    }

    func isDone(_ condition: WaitCondition) -> Bool {
        switch condition {
        case .userData(let value):
            return outstanding.value(for: value) == nil && !(hasDense && core.isDenseOutstanding(userData: value))
        case .node(let node): return outstandingByNode[node] == 0 && !(info[node].dense && core.hasDenseOutstanding(node: node))
        }
    }
}
