import IoUring
import Scenario

/// Turns a validated scenario into the `Plan` the runner follows.
public enum Planner {
    /// Plans `scenario` for the ring its `ring:` section asks for: `entries` SQEs and `cq_entries` CQEs
    /// (twice the SQ when not given), each rounded up to a power of two as io_uring_setup(2) does.
    public static func plan(_ scenario: Scenario) -> Result<Plan, DiagnosticList> {
        let sizes = ringSizes(of: scenario.ring)
        return plan(scenario, sqEntries: sizes.sq, cqEntries: sizes.cq)
    }

    /// The kernel's limits: IORING_MAX_ENTRIES and IORING_MAX_CQ_ENTRIES.
    public static let maximumSQEntries: UInt32 = 32768
    public static let maximumCQEntries: UInt32 = 65536

    /// The SQ and CQ sizes io_uring_setup(2) gives for `ring`: rounded up to powers of two and, with
    /// IORING_SETUP_CLAMP, clamped to the kernel's limits as it does.
    public static func ringSizes(of ring: RingSpec) -> (sq: UInt32, cq: UInt32) {
        let requested = requestedSizes(of: ring)
        guard ring.flags.contains(.clamp) else { return requested }
        let sq = min(requested.sq, maximumSQEntries)
        return (sq, ring.cqEntries == nil ? sq * 2 : min(requested.cq, maximumCQEntries))
    }

    /// The sizes to ask io_uring_setup(2) for: the ring's `entries` and `cq_entries` rounded up to powers
    /// of two, before any clamping (with IORING_SETUP_CLAMP the kernel clamps them itself).
    public static func requestedSizes(of ring: RingSpec) -> (sq: UInt32, cq: UInt32) {
        let sq = roundUpToPowerOfTwo(max(ring.entries, 1))
        let cq = ring.cqEntries.map { roundUpToPowerOfTwo(max($0, 1)) } ?? sq * 2
        return (sq, cq)
    }

    /// Plans `scenario` for a ring of `sqEntries` SQEs and `cqEntries` CQEs. Fails, compiler style,
    /// when a link chain cannot fit in the submission queue.
    public static func plan(_ scenario: Scenario, sqEntries: UInt32, cqEntries: UInt32) -> Result<Plan, DiagnosticList> {
        let graph = scenario.graph
        var diagnostics: [Diagnostic] = []

        // Link chains: follow link / hardlink edges from requests nothing links to. Per-node facts are kept
        // in arrays indexed by node (every node is looked at once), sparse ones in dictionaries.
        let nodeCount = graph.nodes.count
        var next = [(to: NodeID, kind: Edge.Kind)?](repeating: nil, count: nodeCount)
        var linkedTo = [Bool](repeating: false, count: nodeCount)
        var captureUses: [NodeID: [CaptureDependency]] = [:]
        for edge in graph.edges {
            switch edge.kind {
            case .link, .hardlink:
                next[edge.from] = (edge.to, edge.kind)
                linkedTo[edge.to] = true
            case .capture(let name):
                if case .request = graph.nodes[edge.from].kind {
                    captureUses[edge.to, default: []].append(CaptureDependency(name: name, producer: edge.from))
                }
            case .drain, .submitBoundary:
                break
            }
        }
        var chains: [LinkChain] = []
        var roles = [ChainRole?](repeating: nil, count: nodeCount)
        for head in 0..<nodeCount where next[head] != nil && !linkedTo[head] {
            let node = graph.nodes[head]
            var chain = LinkChain(nodes: [head], links: [], mark: node.mark, block: node.block)
            var current = head
            while let link = next[current] {
                chain.links.append(link.kind)
                chain.nodes.append(link.to)
                current = link.to
            }
            let index = chains.count
            roles[head] = .head(chain: index, length: chain.length)
            for (position, member) in chain.nodes.enumerated().dropFirst() {
                roles[member] = .member(chain: index, position: position)
            }
            if chain.length > Int(sqEntries) {
                let needed = roundUpToPowerOfTwo(UInt32(clamping: chain.length))
                diagnostics.append(Diagnostic(at: chain.mark, "this link chain has \(chain.length) SQEs but the submission queue holds \(sqEntries); the kernel only links SQEs submitted together, so raise 'ring.entries' to \(needed) or more"))
            }
            chains.append(chain)
            // The captures members use were made before the chain: the runner waits for them all before
            // queuing the head, so that nothing submits between the chain's SQEs.
            guard !captureUses.isEmpty else { continue }
            var dependencies = captureUses[head] ?? []
            for member in chain.nodes.dropFirst() {
                for dependency in captureUses.removeValue(forKey: member) ?? []
                where !dependencies.contains(where: { $0.producer == dependency.producer }) {
                    dependencies.append(dependency)
                }
            }
            if !dependencies.isEmpty { captureUses[head] = dependencies }
        }

        // Requests whose final CQE the run need not wait for.
        var openNodes: [NodeID: CompletionPolicy.OpenReason] = [:]
        var openInstances: [NodeID: Set<[Int]>] = [:]
        var openUserData = Set<UInt64>()
        for expectation in scenario.expectations.completions {
            let staysOpen: CompletionPolicy.OpenReason?
            if !expectation.completes {
                staysOpen = .notExpectedToComplete
            } else if expectation.stream?.final == .absent || expectation.stream?.cqes?.isOpenEnded == true {
                staysOpen = .streamStaysOpen
            } else {
                staysOpen = nil
            }
            switch expectation.subject {
            case .request(let node, let iterations, _):
                guard let staysOpen else { continue }
                switch iterations {
                case .each: openNodes[node] = staysOpen
                case .instance(let indices): openInstances[node, default: []].insert(indices)
                }
            case .userData(let value):
                if staysOpen != nil { openUserData.insert(value) }
            }
        }

        var steps: [PlannedStep] = []
        steps.reserveCapacity(nodeCount)
        for index in 0..<nodeCount {
            let block = graph.nodes[index].block
            var step = PlannedStep(node: index, kind: .request, blocks: block == nil ? [] : graph.enclosingBlocks(of: index),
                                   submitsBefore: nil, awaitedCaptures: captureUses.isEmpty ? [] : captureUses[index] ?? [],
                                   chain: roles[index], completion: .notApplicable, capture: nil)
            switch graph.nodes[index].kind {
            case .request(let spec):
                if spec.flags.contains(.skipSuccess) {
                    step.completion = .open(.skipSuccess)
                } else if !openNodes.isEmpty, let reason = openNodes[index] {
                    step.completion = .open(reason)
                } else {
                    step.completion = .awaited
                }
                if let capture = spec.capture {
                    var source = PlannedCapture.Source.result
                    if capture.kind == .slot, case .slot(.index(let slot))? = spec.arguments["slot"] {
                        source = .namedSlot(slot)
                    }
                    step.capture = PlannedCapture(name: capture.name, kind: capture.kind, source: source)
                }
            case .registration(let registration):
                step.kind = .registration
                step.submitsBefore = .registration(registration.registration.kernelName)
            case .control(let control):
                step.kind = .control
                step.submitsBefore = submitPoint(of: control.action)
                if let capture = control.capture {
                    step.capture = PlannedCapture(name: capture.name, kind: capture.kind, source: .controlStep)
                }
            case .repeatBlock(let block):
                step.kind = .repeatBlock(block)
            }
            steps.append(step)
        }

        if !diagnostics.isEmpty { return .failure(DiagnosticList(diagnostics)) }
        return .success(Plan(name: scenario.name, file: scenario.file, sqEntries: sqEntries, cqEntries: cqEntries,
                             steps: steps, chains: chains, requestCount: graph.requestCount,
                             deadline: scenario.deadlineNanoseconds.map { .nanoseconds($0) },
                             openInstances: openInstances, openUserData: openUserData))
    }

    /// The submit point a control step makes.
    static func submitPoint(of action: ControlAction) -> SubmitPoint {
        switch action {
        case .submit(let wait): return .submit(waitFor: wait)
        case .wait: return .wait
        case .sleep: return .sleep
        case .peerWrite: return .peerAction("peer_write")
        case .peerRead: return .peerAction("peer_read")
        case .peerClose: return .peerAction("peer_close")
        case .peerShutdown: return .peerAction("peer_shutdown")
        case .peerConnect: return .peerAction("peer_connect")
        case .peerSend: return .peerAction("peer_send")
        case .peerSignal: return .peerAction("peer_signal")
        case .replenishBuffers: return .peerAction("replenish_buffers")
        case .ring(let control): return .ringControl(control.stepName)
        case .replenishBuffersAs: return .peerAction("replenish_buffers")
        case .checkEventfd: return .peerAction("check_eventfd")
        case .seek: return .peerAction("lseek")
        case .checkPosition: return .peerAction("check_position")
        }
    }

    /// The smallest power of two ≥ `value` (`value` ≥ 1).
    static func roundUpToPowerOfTwo(_ value: UInt32) -> UInt32 {
        guard value > 1 else { return 1 }
        let shift = UInt32.bitWidth - (value - 1).leadingZeroBitCount
        return shift >= 32 ? UInt32(1) << 31 : UInt32(1) << UInt32(shift)
    }
}

extension CheckReport {
    /// Plans every valid file as `run` will, timing it, so that `check` refuses whatever `plan` and `run`
    /// would (a link chain longer than the submission queue): a file the planner refuses loses its
    /// scenario and gets the planner's diagnostics.
    public mutating func planValidFiles() {
        let clock = ContinuousClock()
        for index in files.indices {
            guard let scenario = files[index].scenario else { continue }
            let start = clock.now
            let planned = Planner.plan(scenario)
            files[index].planDuration = clock.now - start
            if case .failure(let list) = planned {
                files[index].scenario = nil
                files[index].diagnostics += list.diagnostics
            }
        }
    }
}
