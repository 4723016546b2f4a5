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
///
/// The per-request path is built for streams of millions: what the plan says about each node is
/// flattened into tables once; a request whose SQE its first instance showed to depend only on the
/// step (and its user_data) is queued again from that SQE (`SQETemplate`); CQEs are copied out in
/// batches; outstanding requests live in a `UserDataTable`; and when the only observer is the checker,
/// its state is fed directly (`CheckerCore`) instead of through events. Then requests whose every
/// instance is checked alike are dense: the checker's window is their only record, runs of them (and
/// the iterations of a repeat block made only of them) are queued in bulk (`queueRun`), and their CQEs
/// are checked by batches (`CheckerCore.completedDense`). The driver is a value, so none of this pays
/// for runtime exclusivity checks.
struct RunDriver: ~Copyable {
    var ring: IoUring
    let scenario: Scenario
    let plan: Plan
    let resources: RunResources
    let observer: any TraceObserver
    /// The deadline passed before the run was over.
    private(set) var expired = false
    /// An io_uring_enter(2) failed where no step expected it: the walk stopped there, and
    /// `runnerMismatches` says which call and errno.
    private(set) var stopped = false
    /// What the driver found to differ beyond what the checker sees (see `ExecutionResult.runnerMismatches`).
    private(set) var runnerMismatches: [Mismatch] = []
    /// The last io_uring_enter(2) that failed, as a call (`io_uring_enter(to_submit: 1, …): EBADFD`).
    private var failedEnter: String?
    /// After a `submit` step whose enter failed as it expected: the SQEs the kernel left in the SQ. The
    /// runner's own submissions (before a registration, at the end…) do not ask the kernel again while
    /// nothing new is queued; a later `submit` step does.
    private var refusedSubmission: UInt32?
    private(set) var statistics = ExecutionStatistics()

    /// The checker, when it is the only observer: its state is lent to `core` for the run
    /// (`feedsChecker`), and given back at teardown.
    private let checker: ExpectationChecker?
    private var core: CheckerCore
    private var feedsChecker: Bool

    /// A request queued whose final CQE has not arrived: a slot of `entries`, found by user_data.
    private struct Outstanding {
        var userData: UInt64
        var node: Int32
        /// Instances queued with this user_data and not finished (explicit user_data may repeat).
        var count: Int32
        /// How many of them the run waits for.
        var awaited: Int32
        /// Other nodes queued the same user_data (only with `allow_duplicate_user_data`): `otherNodes`.
        var hasOthers = false
    }

    private let outstanding = UserDataTable(capacity: 64)
    /// Entries of requests whose user_data no other request can have (automatic numbers, when the
    /// scenario allows no duplicates and renames nothing), not in `outstanding`, in queue order from
    /// `fifoHead`: CQEs mostly come in that order and find theirs without a hash look-up. Any other CQE
    /// moves them into `outstanding` (`spill`).
    /// (A CQE a little out of order is found by looking `fifoWindow` entries ahead; the entry it ends
    /// leaves a -1 behind.)
    private let fifo = FlatArray<Int32>(capacity: 64)
    private var fifoHead = 0
    private var fifoLive = 0
    private static let fifoWindow = 16
    private let entries = FlatArray<Outstanding>(capacity: 64)
    private let freeEntries = FlatArray<Int32>(capacity: 64)
    private var otherNodes: [Int32: [NodeID]] = [:]
    private let outstandingByNode: FlatArray<Int>
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

    /// What the plan says about each node, flattened (see `NodeInfo`), and the template of each request.
    private var info: [NodeInfo]
    /// Per node: the user_data strides of its enclosing blocks, from `strideStart[node]`.
    private let strides: [UInt64]
    /// Per node: the requests whose captured values it waits for, from `producerStart[node]`.
    private let producers: [NodeID]
    /// One per node, read in place by the engine (`SQETemplate.empty` where there is none).
    private let templates: UnsafeMutablePointer<SQETemplate>
    private let nodeCount: Int
    /// The `generation` each template was made in (0: none).
    private var templateGenerations: [UInt64]
    /// Some request is dense (`NodeInfo.dense`): CQEs go to `CheckerCore.completedDense` first.
    private var hasDense = false
    /// Dense instances queued whose CQE has not arrived (`CheckerCore.denseOutstanding`, counted here).
    private var denseOutstanding = 0
    /// Bumped whenever something an operand resolves through may have changed (a capture arrived, a
    /// registration or control step ran): templates made before are checked again.
    private var generation: UInt64 = 1
    /// Bumped whenever a capture becomes pending (its producer was queued).
    private var captureEpoch: UInt64 = 0
    /// CQEs are copied here in batches, then handled.
    private let cqeBuffer: UnsafeMutableBufferPointer<CompletionQueueEntry>
    /// Deadline checks between steps are made every `deadlineStride` instances (steps that block check
    /// it themselves).
    private static let deadlineStride = 32
    private var untilDeadlineCheck = 0

    /// Called with the ring and the statistics every `inspectionInterval` instances (tests).
    var inspect: ((borrowing IoUring, ExecutionStatistics) -> Void)?
    var inspectionInterval: UInt64 = 10_000

    // Last: ContinuousClock.Instant's layout is resilient, so every stored property after it would be
    // found through the type's metadata at run time.
    let start: ContinuousClock.Instant
    let fixedDeadline: ContinuousClock.Instant
    /// A run stop that cancels in-flight work (a signal) moves the deadline to the start: every check
    /// and bounded wait then sees it as passed, and the run tears down as at its deadline.
    var stop: RunStop?
    var deadline: ContinuousClock.Instant { stop?.cancelsInFlight == true ? start : fixedDeadline }

    /// What one node is, for the per-instance path.
    private struct NodeInfo {
        enum Kind: UInt8 { case request, registration, control, repeatBlock }
        var kind: Kind
        /// The SQEs a link chain headed here needs in the SQ at once (1 otherwise).
        var needed: UInt32 = 1
        var awaitsCaptures = false
        var producerStart: Int32 = 0
        var producerCount: Int32 = 0
        var capturesValue = false
        var isClose = false
        var isPollUpdate = false
        var skipSuccess = false
        /// 0: never awaited; 1: always; 2: ask the plan (open instances or user_data).
        var awaitMode: UInt8 = 0
        var userDataBase: UInt64 = 0
        var strideStart: Int32 = 0
        var depth: Int32 = 0
        /// Whether `lastUserData` must be kept (something refers to the node by id).
        var referenced = false
        /// Whether the resolved id must go with the queued request (events, or ids the checker could
        /// not rebuild itself).
        var rendersID = false
        var hasID = false
        /// Whether the first instance's SQE may serve as the template of the rest.
        var templatable = false
        /// Whether its user_data is unique in the run (tracked through `fifo`).
        var uniqueUserData = false
        /// Templates rebuilt so far (a node whose operands keep changing stops trying).
        var rebuilds: UInt8 = 0
        /// Random file offsets: into `off`, into `addr` (splice's `in_offset`).
        var randomOffset: PreparedRandom?
        var randomAddress: PreparedRandom?
        /// The checker tracks its instances densely (`CheckerCore.isDense`), and the runner keeps no entry
        /// for them either: they are neither captures, renames nor descriptors, and carry no id.
        var dense = false
        /// For a dense request its template can stand for, outside link chains: how many such requests
        /// with consecutive automatic user_data follow in the same body, this one included (`queueRun`).
        var runLength: Int32 = 0
        /// When `runIsReady` last found that run ready: nothing it depends on changed while these hold.
        var readyGeneration: UInt64 = 0
        var readyCaptureEpoch: UInt64 = 0
        /// Whether that run is the whole body of the innermost repeat block: its iterations can then be
        /// queued in bulk too (that block's count, and where its body ends).
        var runIsBody = false
        var blockCount = 0
        var bodyEnd = 0
        /// A `submit` step without `expect:`: `submit(waitingFor: submitWait)` is all it does.
        var plainSubmit = false
        var submitWait: UInt32 = 0
        /// A `submit` step with `wait`: its enter is bounded by the deadline, and it checks it.
        var waitsForCompletions = false
    }

    /// A `RandomOffset` with its unit count worked out (one division per run, not per request).
    private struct PreparedRandom {
        var seed: UInt64
        var units: UInt64
        var align: UInt64

        init(_ offset: RandomOffset) {
            (seed, units, align) = (offset.seed, offset.units, offset.align)
        }

        /// `RandomOffset.value(userData:)`.
        @inline(__always)
        func value(_ userData: UInt64) -> UInt64 {
            RandomOffset.scaled(RandomOffset.mix(seed &+ userData), units: units) &* align
        }
    }

    /// Ops whose SQE a template can stand for, when the step's operands allow it (no paths, no references
    /// to other requests) and the first SQE used no arena memory: they create nothing per request.
    static let templatableOperations: Set<String> = [
        "nop", "read", "write", "readv", "writev", "read_fixed", "write_fixed", "fsync", "sync_file_range",
        "fallocate", "fadvise", "ftruncate", "splice", "tee", "send", "recv", "shutdown", "read_multishot",
    ]

    init(ring: consuming IoUring, scenario: Scenario, plan: Plan, resources: RunResources, observer: any TraceObserver,
         start: ContinuousClock.Instant, deadline: ContinuousClock.Instant) {
        self.ring = ring
        self.scenario = scenario
        self.plan = plan
        self.resources = resources
        self.observer = observer
        self.start = start
        self.fixedDeadline = deadline
        let graph = scenario.graph
        let count = graph.nodes.count
        outstandingByNode = FlatArray(repeating: 0, count: count)
        capturePending = Array(repeating: false, count: count)
        producesDescriptor = graph.nodes.map { node in
            guard case .request(let spec) = node.kind else { return false }
            return RunDriver.descriptorOperations.contains(spec.operation)
        }
        followsMoreFlag = graph.nodes.map { node in
            guard case .request(let spec) = node.kind else { return false }
            return spec.isMultishot || spec.operation == "raw"
        }
        bufferGroupOfNode = graph.nodes.map { node in
            guard case .request(let spec) = node.kind, case .bufferGroup(let reference)? = spec.arguments["buffer_group"] else { return nil }
            return reference.group
        }
        readsBufferData = scenario.expectations.completions.contains { expectation in
            expectation.cqe.data != nil || expectation.stream?.data != nil || expectation.stream?.each?.data != nil
                || { if case .matching(let final)? = expectation.stream?.final { return final.data != nil } else { return false } }()
        }
        isSQPoll = self.ring.setupFlags.contains(.sqPoll)
        isIOPoll = self.ring.setupFlags.contains(.ioPoll)
        // The one fast-path switch (`FastPaths`): without it the checker is fed events, and no SQE
        // template, bulk run or FIFO window is used.
        let fastPaths = (observer as? ExpectationChecker)?.usesFastPaths ?? FastPaths.enabledByDefault
        let checker = fastPaths ? observer as? ExpectationChecker : nil
        self.checker = checker
        core = checker?.lendCore() ?? CheckerCore.placeholder
        feedsChecker = checker != nil
        (info, strides, producers) = RunDriver.nodeInfo(scenario: scenario, plan: plan, events: checker == nil,
                                                        fastPaths: fastPaths)
        nodeCount = count
        templates = .allocate(capacity: max(count, 1))
        templates.initialize(repeating: SQETemplate.empty, count: count)
        templateGenerations = Array(repeating: 0, count: count)
        cqeBuffer = .allocate(capacity: 256)
        if feedsChecker { findRuns() }
    }

    deinit {
        cqeBuffer.deallocate()
        templates.deinitialize(count: nodeCount)
        templates.deallocate()
        if let checker, feedsChecker { checker.returnCore(core) }
    }

    /// Ops whose CQE res (when ≥ 0) is a new descriptor in this process.
    static let descriptorOperations: Set<String> = ["openat", "openat2", "accept", "accept_multishot", "socket", "fixed_fd_install"]

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
    private mutating func trackBufferData(of node: NodeID) {
        guard readsBufferData, let groupID = bufferGroupOfNode[node],
              let group = BufferGroup(existing: ring, groupID: groupID), bufferDataByGroup[groupID]?.group != group,
              let memory = try? group.memory(ring) else { return }
        bufferDataByGroup[groupID] = BufferData(group: group, memory: memory)
    }

    /// The bytes a CQE of a request of `node` delivered into a buffer-ring buffer: `res` bytes from where
    /// the buffer's unconsumed part starts (the start, unless consumed incrementally). Nil for CQEs
    /// without a buffer, legacy groups, and bundles spanning several buffers.
    private func bufferData(_ cqe: CompletionQueueEntry, node: NodeID?) -> [UInt8]? {
        guard cqe.flags.contains(.buffer), !cqe.flags.contains(.notification), cqe.res >= 0,
              let node, let groupID = bufferGroupOfNode[node],
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

    /// The per-node tables.
    private static func nodeInfo(scenario: Scenario, plan: Plan, events: Bool, fastPaths: Bool) -> ([NodeInfo], [UInt64], [NodeID]) {
        let graph = scenario.graph
        var referenced = [Bool](repeating: false, count: graph.nodes.count)
        func mark(_ reference: RequestReference) {
            if case .request(let node, _, _) = reference, node < referenced.count { referenced[node] = true }
        }
        for node in graph.nodes {
            switch node.kind {
            case .request(let spec):
                for argument in spec.arguments {
                    switch argument.value {
                    case .request(let reference): mark(reference)
                    case .requests(let references): references.forEach(mark)
                    default: break
                    }
                }
            case .control(let step):
                if case .wait(let references, _) = step.action { references.forEach(mark) }
            default: break
            }
        }
        var infos: [NodeInfo] = []
        var strides: [UInt64] = []
        var producers: [NodeID] = []
        let renamesPolls = graph.nodes.contains { node in
            if case .request(let spec) = node.kind { return spec.operation == "poll_update" }
            return false
        }
        let uniqueAutomatic = !scenario.options.allowDuplicateUserData && !renamesPolls
        infos.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            // Registrations and control steps (peer actions included) wait for the captures they use too.
            func withCaptures(_ kind: NodeInfo.Kind) -> NodeInfo {
                var info = NodeInfo(kind: kind)
                let awaited = plan.steps[node.id].awaitedCaptures
                info.awaitsCaptures = !awaited.isEmpty
                info.producerStart = Int32(producers.count)
                info.producerCount = Int32(awaited.count)
                producers += awaited.map(\.producer)
                return info
            }
            switch node.kind {
            case .registration: infos.append(withCaptures(.registration)); continue
            case .control(let step):
                var info = withCaptures(.control)
                if case .submit(let wait) = step.action {
                    info.plainSubmit = step.expected == nil
                    info.submitWait = wait ?? 0
                    info.waitsForCompletions = info.submitWait > 0
                }
                infos.append(info)
                continue
            case .repeatBlock: infos.append(NodeInfo(kind: .repeatBlock)); continue
            case .request(let spec):
                let step = plan.steps[node.id]
                var info = NodeInfo(kind: .request)
                if case .head(_, let length)? = step.chain { info.needed = UInt32(clamping: length) }
                info.awaitsCaptures = !step.awaitedCaptures.isEmpty
                info.producerStart = Int32(producers.count)
                info.producerCount = Int32(step.awaitedCaptures.count)
                producers += step.awaitedCaptures.map(\.producer)
                info.capturesValue = step.capture != nil
                info.isClose = spec.operation == "close"
                info.isPollUpdate = spec.operation == "poll_update"
                info.skipSuccess = spec.flags.contains(.skipSuccess)
                if case .awaited = step.completion {
                    info.awaitMode = plan.openUserData.isEmpty && plan.openInstances[node.id] == nil ? 1 : 2
                }
                info.userDataBase = spec.userData.base
                info.strideStart = Int32(strides.count)
                info.depth = Int32(spec.userData.strides.count)
                strides += spec.userData.strides
                info.referenced = referenced[node.id]
                info.hasID = spec.id != nil
                if let id = spec.id {
                    // The checker names an instance from the id template and its iterations itself, the
                    // same way, when the enclosing blocks' index names are distinct.
                    let names = graph.enclosingBlocks(of: node.id).map { graph.blocks[$0].indexName }
                    info.rendersID = events || (id.isTemplate && Set(names).count != names.count)
                }
                info.templatable = fastPaths && templatable(spec)
                info.uniqueUserData = fastPaths && uniqueAutomatic && !spec.userData.isExplicit
                if info.templatable {
                    for argument in spec.arguments {
                        guard case .randomOffset(let random) = argument.value else { continue }
                        if argument.name == "in_offset" {
                            info.randomAddress = PreparedRandom(random)
                        } else {
                            info.randomOffset = PreparedRandom(random)
                        }
                    }
                }
                infos.append(info)
            }
        }
        return (infos, strides, producers)
    }

    /// Whether a template may stand for `spec`'s SQEs (see `templatableOperations`).
    private static func templatable(_ spec: RequestSpec) -> Bool {
        guard templatableOperations.contains(spec.operation), !spec.isMultishot || spec.operation == "read_multishot" else {
            return false
        }
        for argument in spec.arguments {
            switch argument.value {
            case .request, .requests, .text, .process, .addressField: return false
            case .randomOffset:
                guard ["offset", "in_offset", "out_offset"].contains(argument.name) else { return false }
            default: break
            }
        }
        return true
    }

    /// Marks the dense requests (`NodeInfo.dense`) and the runs of them queued together (`runLength`).
    private mutating func findRuns() {
        let graph = scenario.graph
        for node in info.indices where info[node].kind == .request {
            let facts = info[node]
            info[node].dense = core.isDense(node) && facts.uniqueUserData && !facts.rendersID && !facts.capturesValue
                && !facts.isPollUpdate && !facts.skipSuccess && facts.awaitMode == 1 && !producesDescriptor[node]
                && !followsMoreFlag[node] && !readsBufferData
            hasDense = hasDense || info[node].dense
        }
        guard hasDense else { return }
        for node in info.indices.reversed() {
            guard info[node].dense, info[node].templatable, plan.steps[node].chain == nil else { continue }
            var length: Int32 = 1
            let next = node + 1
            if next < graph.nodes.count, info[next].runLength > 0, graph.nodes[next].block == graph.nodes[node].block,
               info[next].userDataBase == info[node].userDataBase &+ 1 {
                length += info[next].runLength
            }
            // A run is queued with room for all of it in the SQ: no longer than the SQ.
            info[node].runLength = min(length, Int32(clamping: ring.sqEntries))
        }
        for block in graph.blocks where !block.body.isEmpty {
            let first = block.body.lowerBound
            let depth = Int(info[first].depth)
            guard Int(info[first].runLength) == block.body.count, depth > 0,
                  strides[Int(info[first].strideStart) + depth - 1] == UInt64(block.body.count) else { continue }
            info[first].runIsBody = true
            info[first].blockCount = block.count
            info[first].bodyEnd = block.body.upperBound
        }
    }

    private var elapsed: Duration { ContinuousClock.now - start }

    /// Whether events go to the observer (anything but the checker alone).
    private var emitsEvents: Bool { !feedsChecker }

    // MARK: - Walking the steps

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
    private mutating func stopOnFailedEnter(_ error: RunnerError, at mark: SourceMark) -> Bool {
        guard case .engine(.syscall(.enter, let errno)) = error else { return false }
        let call = failedEnter ?? "io_uring_enter: \(errno.name)"
        runnerMismatches.append(Mismatch(mark: mark, subject: "io_uring_enter", expected: "io_uring_enter to succeed",
                                         actual: call + " (\(errno.message))"))
        stopped = true
        return true
    }

    /// Marks the end of the checked part of the trace, then cancels everything in flight
    /// (IORING_ASYNC_CANCEL_ANY) and drains the ring within `grace`, observing the CQEs that come back.
    /// Returns false when the ring could not be proved idle (its memory then stays with the engine).
    /// Gives the checker its state back.
    ///
    /// A cancel reaches only requests that have started: one queued with IOSQE_IO_DRAIN behind a stuck
    /// request starts when the cancel completes that one, and may block in its turn. So the cancel and
    /// barrier are sent again, in slices of an eighth of the grace (at least 20 ms), until the barrier
    /// arrives or the grace is spent; a barrier the kernel refuses (a ring that has seen
    /// IOSQE_CQE_SKIP_SUCCESS) ends it at once. The ring's own `deinit` then gets only what is left of
    /// the grace, so teardown never takes longer than `grace`.
    mutating func tearDown(grace: Duration) -> Bool {
        let end = ContinuousClock.now + grace
        reapReady()
        if feedsChecker {
            core.tearDown()
        } else {
            observer.observe(.teardown(deadlineExpired: expired, elapsed: elapsed))
        }
        var drained: [CompletionQueueEntry] = []
        var idle = false
        let slice = max(grace / 8, .milliseconds(20))
        while !idle {
            let sliceStart = ContinuousClock.now
            let remaining = end - sliceStart
            if remaining <= .zero { break }
            let timeout = min(slice, remaining)
            do {
                idle = try ring.quiesce(cancelling: true, timeout: timeout) { cqe in drained.append(cqe) }
            } catch {
                break
            }
            // Back before its time without proof: the kernel refused the barrier; asking again cannot help.
            if !idle && ContinuousClock.now - sliceStart < timeout { break }
        }
        ring.teardownTimeout = max(end - ContinuousClock.now, .zero)
        let stamp = elapsed
        for cqe in drained { handle(cqe, elapsed: stamp) }
        if let checker, feedsChecker {
            checker.returnCore(core)
            feedsChecker = false
            hasDense = false
            core = CheckerCore.placeholder
        }
        return idle
    }

    // MARK: - Requests

    private mutating func queue(_ node: NodeID, _ iterations: [Int]) throws(RunnerError) {
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
                try ring.queue(templates + node, userData: userData, offset: offset, address: address)
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
    private func userData(of node: NodeID, _ iterations: [Int]) -> UInt64 {
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

    /// Queues the run of dense requests that starts at `first` (`NodeInfo.runLength`) from their templates
    /// and, when the run is the whole body of the innermost block, the block's remaining iterations too:
    /// what `queue` does for each instance, as many at a time as the SQ has room for, the checker told once
    /// per batch (`CheckerCore.queuedDense`). The SQ is submitted when full, between whole iterations.
    /// Returns false, having queued nothing, when a template is missing or out of date or a value the run
    /// uses is still to be captured: the caller then queues `first` on its own (which remakes its template).
    private mutating func queueRun(_ first: NodeID, _ cursor: inout StepInstances.Iterator) throws(RunnerError) -> Bool {
        let length = Int(info[first].runLength)
        var userData = userData(of: first, cursor.iterations)
        guard runIsReady(first, length) else { return false }
        let wholeBody = info[first].runIsBody
        let level = cursor.iterations.count - 1
        var iteration = wholeBody ? cursor.iterations[level] : 0
        let end = wholeBody ? info[first].blockCount : 1
        var queued = 0
        while iteration < end {
            if ring.sqSpaceLeft < UInt32(length) {
                try makeRoom(UInt32(length))
                if expired || !runIsReady(first, length) { break }
            }
            if queued > 0 && untilDeadlineCheck <= 0 {
                untilDeadlineCheck = RunDriver.deadlineStride
                if ContinuousClock.now >= deadline {
                    expired = true
                    break
                }
            }
            var rounds = min(end - iteration, Int(ring.sqSpaceLeft) / length)
            if inspect != nil {
                let untilInspection = Int(inspectionInterval - statistics.instances % inspectionInterval)
                rounds = min(rounds, max(1, untilInspection / length))
            }
            let firstUserData = userData
            let count = rounds * length
            if length == 1 && info[first].randomOffset == nil && info[first].randomAddress == nil {
                do {
                    try ring.queue(templates + first, firstUserData: userData, count: count)
                } catch {
                    throw .engine(error)
                }
                userData &+= UInt64(count)
            } else {
                let info = self.info
                do {
                    try ring.queue(templates + first, length: length, rounds: rounds, firstUserData: userData) {
                        index, userData, offset, address in
                        if let random = info[first + index].randomOffset { offset = random.value(userData) }
                        if let random = info[first + index].randomAddress { address = random.value(userData) }
                    }
                } catch {
                    throw .engine(error)
                }
                userData &+= UInt64(count)
            }
            iteration += rounds
            queued += count
            if wholeBody {
                cursor.setInnermost(iteration: iteration - 1, through: info[first].bodyEnd)
            } else {
                cursor.skip(to: first + length)
            }
            if core.queuedDense(firstUserData: firstUserData, count: count, firstNode: first, length: length,
                                lastIterations: cursor.iterations) {
                denseOutstanding += count
                statistics.denseRequests += UInt64(count)
                statistics.bulkRequests += UInt64(count)
            } else {
                // The checker's window cannot take them (their user_data do not come after its last): they
                // are reported one by one, as `queue` does for requests that are not dense.
                var iterations = cursor.iterations
                var instanceUserData = firstUserData
                for round in 0..<rounds {
                    if wholeBody { iterations[level] = iteration - rounds + round }
                    for node in first..<first + length {
                        core.queued(node: node, iterations: iterations, id: nil, userData: instanceUserData,
                                    sqeFlags: templates[node].flags, sqeAddress: templates[node].address)
                        track(instanceUserData, node: node, awaited: true)
                        instanceUserData &+= 1
                    }
                }
            }
            for node in first..<first + length where info[node].referenced {
                resources.lastUserData[node] = userData &- UInt64(first + length - node)
            }
            let before = statistics.instances
            statistics.requests += UInt64(count)
            statistics.instances += UInt64(count)
            untilDeadlineCheck -= count
            notePeakOutstanding()
            if let inspect, before / inspectionInterval != statistics.instances / inspectionInterval {
                inspect(ring, statistics)
            }
        }
        return queued > 0 || expired
    }

    /// Waits for the CQE of every producer whose capture `node` uses and which has not arrived yet,
    /// submitting what is queued and reaping (bounded by the deadline). False when the deadline came
    /// first (`expired` is then set).
    private mutating func awaitCaptures(of node: NodeID) throws(RunnerError) -> Bool {
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

    /// Whether every request of the run from `first` can be queued from its template now: templates made
    /// in this generation, captured values in.
    private mutating func runIsReady(_ first: NodeID, _ length: Int) -> Bool {
        // Found ready before, and nothing it depends on changed since.
        if info[first].readyGeneration == generation && info[first].readyCaptureEpoch == captureEpoch { return true }
        for node in first..<first + length {
            guard templateGenerations[node] == generation else { return false }
            if info[node].awaitsCaptures {
                let start = Int(info[node].producerStart)
                for position in start..<start + Int(info[node].producerCount) where capturePending[producers[position]] {
                    return false
                }
            }
        }
        info[first].readyGeneration = generation
        info[first].readyCaptureEpoch = captureEpoch
        return true
    }

    private mutating func notePeakOutstanding() {
        let distinct = outstanding.count + fifoLive + denseOutstanding
        if distinct > statistics.peakOutstanding { statistics.peakOutstanding = distinct }
    }

    /// Queues `instance` through the issuer, making the node's template from it when the node allows one.
    private mutating func issue(_ instance: StepInstance, userData: UInt64) throws(RunnerError) {
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
    private func renderID(_ instance: StepInstance) -> String? {
        guard case .request(let spec) = scenario.graph.nodes[instance.node].kind, let id = spec.id else { return nil }
        return resources.render(id, at: instance)
    }

    /// A capture producer or poll_update was queued: note what its CQE will do.
    private mutating func noteCaptureAndRename(_ instance: StepInstance, userData: UInt64) throws(RunnerError) {
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

    private mutating func track(_ userData: UInt64, node: NodeID, awaited: Bool) {
        if info[node].uniqueUserData {
            fifo.append(newEntry(Outstanding(userData: userData, node: Int32(node), count: 1, awaited: awaited ? 1 : 0)))
            fifoLive += 1
        } else if let slot = outstanding.value(for: userData) {
            let index = Int(slot)
            entries[index].count += 1
            if awaited { entries[index].awaited += 1 }
            if Int(entries[index].node) != node {
                otherNodes[slot, default: []].append(node)
                entries[index].hasOthers = true
            }
        } else {
            outstanding.set(newEntry(Outstanding(userData: userData, node: Int32(node), count: 1, awaited: awaited ? 1 : 0)),
                            for: userData)
        }
        outstandingByNode[node] += 1
        if awaited { awaitedOutstanding += 1 }
        notePeakOutstanding()
    }

    private func newEntry(_ entry: Outstanding) -> Int32 {
        if let free = freeEntries.popLast() {
            entries[Int(free)] = entry
            return free
        }
        entries.append(entry)
        return Int32(entries.count - 1)
    }

    /// The node of the outstanding request with `userData` (the oldest, when several share it), if any.
    private func ownerNode(of userData: UInt64) -> NodeID? {
        if let slot = outstanding.value(for: userData) { return Int(entries[Int(slot)].node) }
        if fifoHead < fifo.count {
            for position in fifoHead..<fifo.count {
                let slot = fifo[position]
                if slot >= 0 && entries[Int(slot)].userData == userData { return Int(entries[Int(slot)].node) }
            }
        }
        return nil
    }

    /// Moves the entries waiting in `fifo` into `outstanding` (their user_data are unique).
    private mutating func spill() {
        guard fifoHead < fifo.count else { return }
        for position in fifoHead..<fifo.count {
            let slot = fifo[position]
            if slot >= 0 { outstanding.set(slot, for: entries[Int(slot)].userData) }
        }
        fifo.removeAll()
        fifoHead = 0
        fifoLive = 0
    }

    /// Ends the FIFO entry at `position`: a -1 stays behind it, and the head moves past ended entries.
    private mutating func endFifoEntry(at position: Int) {
        fifo[position] = -1
        fifoLive -= 1
        while fifoHead < fifo.count && fifo[fifoHead] < 0 { fifoHead += 1 }
        if fifoHead == fifo.count {
            fifo.removeAll()
            fifoHead = 0
        }
    }

    /// The entry of the request `userData` names, and its position in `fifo` when it is there.
    private mutating func entry(for userData: UInt64) -> (slot: Int32, fifoPosition: Int?)? {
        let end = min(fifo.count, fifoHead + RunDriver.fifoWindow)
        var position = fifoHead
        while position < end {
            let slot = fifo[position]
            if slot >= 0 && entries[Int(slot)].userData == userData { return (slot, position) }
            position += 1
        }
        if !outstanding.isEmpty, let slot = outstanding.value(for: userData) { return (slot, nil) }
        guard end < fifo.count else { return nil }
        spill()
        return outstanding.value(for: userData).map { ($0, nil) }
    }

    private mutating func release(_ slot: Int32) {
        if entries[Int(slot)].hasOthers { otherNodes[slot] = nil }
        freeEntries.append(slot)
    }

    /// Frees `needed` SQ slots: submits what is queued and, with SQPOLL, waits for the kernel thread to
    /// consume it (IORING_ENTER_SQ_WAIT).
    private mutating func makeRoom(_ needed: UInt32) throws(RunnerError) {
        // SQEs a failed submit left take the room needed: they are offered to the kernel again.
        refusedSubmission = nil
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

    private mutating func register(_ step: RegistrationStep, _ instance: StepInstance) throws(RunnerError) {
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
    private mutating func noteProbeMismatch(_ step: RegistrationStep, node: NodeID) {
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

    private mutating func perform(_ step: ControlStep, _ instance: StepInstance) throws(RunnerError) {
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
    private mutating func submit(waitingFor wait: UInt32) throws(RunnerError) -> (taken: Int32, arrived: Int) {
        guard wait > 0 else { return (try submitPending(), 0) }
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
    private enum WaitCondition {
        /// No unfinished request with this user_data.
        case userData(UInt64)
        /// No unfinished instance of this node.
        case node(NodeID)
    }

    /// What `waitUntil` waits for.
    private enum Goal {
        /// Every awaited request has posted its final CQE.
        case awaitedDone
        /// The capture of this producer has arrived.
        case capture(NodeID)
        /// This many CQEs have arrived since the last wait.
        case completions(Int)
        /// Every condition of a `wait` step holds.
        case conditions([WaitCondition])
    }

    private func reached(_ goal: Goal) -> Bool {
        switch goal {
        case .awaitedDone: return awaitedOutstanding == 0 && denseOutstanding == 0
        case .capture(let producer): return !capturePending[producer]
        case .completions(let count): return completionsSinceWait >= count
        case .conditions(let conditions):
            for condition in conditions where !isDone(condition) { return false }
            return true
        }
    }

    /// min_complete for an enter that waits towards `goal`.
    private func minimum(_ goal: Goal) -> UInt32 {
        if case .completions(let count) = goal { return UInt32(clamping: max(count - completionsSinceWait, 1)) }
        return 1
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
        case .userData(let value):
            return outstanding.value(for: value) == nil && !(hasDense && core.isDenseOutstanding(userData: value))
        case .node(let node): return outstandingByNode[node] == 0 && !(info[node].dense && core.hasDenseOutstanding(node: node))
        }
    }

    // MARK: - Submitting and reaping

    /// Reaps what is ready (unless the caller just did: `reaped`), then submits every queued SQE with
    /// `io_uring_enter(2)` (unless an SQPOLL thread is awake to take them). With `waitingFor`, the enter
    /// also waits for that many CQEs (min_complete), bounded by the deadline. Returns what the first
    /// io_uring_enter(2) returned (the SQEs the kernel took, or -errno), the count handed to an awake
    /// SQPOLL thread, or 0 when nothing was queued; SQEs the kernel left are submitted again, as a
    /// program would.
    @discardableResult
    private mutating func submitPending(waitingFor wait: UInt32 = 0, reaped: Bool = false) throws(RunnerError) -> Int32 {
        if !reaped { reapReady() }
        if let refused = refusedSubmission {
            if wait == 0 && ring.sqReady == refused { return 0 }
            refusedSubmission = nil
        }
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
                let now = ContinuousClock.now
                // The deadline is not past: the next check between steps can wait its full stride.
                if now < deadline { untilDeadlineCheck = RunDriver.deadlineStride }
                result = try enter(toSubmit: toSubmit, minComplete: wait, flags: [], timeout: deadline - now)
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
    /// kernel holds some back. CQEs are copied out in batches, then handled.
    mutating func reapReady() {
        if ring.cqRingNeedsFlush {
            _ = try? enter(toSubmit: 0, minComplete: 0, flags: [.getEvents], timeout: nil)
        }
        while true {
            let count = ring.copyReadyCQEs(into: cqeBuffer)
            if count == 0 { return }
            handleReaped(count)
            if count < cqeBuffer.count { return }
        }
    }

    /// Handles the `count` CQEs `reapReady` copied into `cqeBuffer`: dense ones by batches, others one by
    /// one. Their time stamp (when the batch was reaped) is read from the clock only if something needs it.
    @inline(never)
    private mutating func handleReaped(_ count: Int) {
        let start = self.start
        var stamp: Duration?
        var index = 0
        while index < count {
            if hasDense {
                let handled = core.completedDense(cqeBuffer, from: index, to: count, arrival: arrivals) {
                    if stamp == nil { stamp = ContinuousClock.now - start }
                    return stamp!
                }
                if handled > 0 {
                    denseOutstanding -= handled
                    arrivals += handled
                    completionsSinceWait += handled
                    statistics.completions += handled
                    index += handled
                    continue
                }
            }
            if stamp == nil { stamp = ContinuousClock.now - start }
            handle(cqeBuffer[index], elapsed: stamp!)
            index += 1
        }
    }

    /// Waits, submitting what is queued, until `goal` is reached or `limit`; false when `limit` came first.
    /// `reaped`: the caller has just reaped, so a goal reached already needs no further reap.
    private mutating func waitUntil(_ limit: ContinuousClock.Instant, _ goal: Goal, reaped: Bool = false) throws(RunnerError) -> Bool {
        if reaped && reached(goal) { return true }
        reapReady()
        // Conditions on user_data look them up in `outstanding`; nothing is queued while waiting.
        if case .conditions = goal { spill() }
        while !reached(goal) {
            let now = ContinuousClock.now
            if now >= limit || now >= deadline { return false }
            let toSubmit = ring.flushSQ()
            var flags: EnterFlags = [.getEvents]
            _ = ring.sqRingNeedsEnter(&flags)
            let result = try enter(toSubmit: toSubmit, minComplete: minimum(goal), flags: flags, timeout: limit - now)
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
    private mutating func enter(toSubmit: UInt32, minComplete: UInt32, flags: EnterFlags, timeout: Duration?) throws(RunnerError) -> Int32 {
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
        if emitsEvents {
            observer.observe(.entered(EnterCall(toSubmit: toSubmit, minComplete: minComplete, flags: recorded,
                                                result: result, elapsed: elapsed)))
        }
        if let failure {
            switch failure.errno {
            case .EINTR?, .EAGAIN?, .EBUSY?, .ETIME?: return result
            default:
                let names = EnterFlags.named.filter { recorded.contains($0.flag) }.map(\.name)
                failedEnter = "io_uring_enter(to_submit: \(toSubmit), min_complete: \(minComplete), flags: "
                    + (names.isEmpty ? "0" : names.joined(separator: "|")) + "): " + (failure.errno?.name ?? "\(failure)")
                throw .engine(failure)
            }
        }
        return result
    }

    /// Reports one CQE and updates what is outstanding: captures, renamed polls, descriptors to close,
    /// and, for a final CQE (no IORING_CQE_F_MORE), the request it finishes. `elapsed` is when the batch
    /// it came in was reaped.
    private mutating func handle(_ cqe: CompletionQueueEntry, elapsed: Duration) {
        let arrival = arrivals
        arrivals += 1
        completionsSinceWait += 1
        statistics.completions += 1
        let data = readsBufferData ? bufferData(cqe, node: ownerNode(of: cqe.userData)) : nil
        if feedsChecker {
            core.completed(cqe, arrival: arrival, elapsed: elapsed, data: data)
        } else {
            observer.observe(.completed(ObservedCQE(cqe: cqe, arrival: arrival, elapsed: self.elapsed, data: data)))
        }
        let userData = cqe.userData
        let isNotification = cqe.flags.contains(.notification)
        if !pendingCaptures.isEmpty, !isNotification, let producer = pendingCaptures.removeValue(forKey: userData) {
            var value = Int64(cqe.res)
            if case .namedSlot(let slot)? = plan.steps[producer].capture?.source, cqe.res >= 0 { value = Int64(slot) }
            resources.captures[producer] = value
            capturePending[producer] = false
            generation &+= 1
        }
        if !pendingRenames.isEmpty, let rename = pendingRenames.removeValue(forKey: userData), cqe.res >= 0,
           let moved = outstanding.remove(rename.from) {
            if let existing = outstanding.value(for: rename.to) {
                entries[Int(existing)].count += entries[Int(moved)].count
                entries[Int(existing)].awaited += entries[Int(moved)].awaited
                release(moved)
            } else {
                entries[Int(moved)].userData = rename.to
                outstanding.set(moved, for: rename.to)
            }
        }
        guard let (slot, fifoPosition) = entry(for: userData) else { return }
        let index = Int(slot)
        let owner = Int(entries[index].node)
        if producesDescriptor[owner], cqe.res >= 0, !isNotification { resources.ringDescriptors.insert(cqe.res) }
        if cqe.flags.contains(.more) && followsMoreFlag[owner] { return }
        var node = owner
        if entries[index].hasOthers, var others = otherNodes[slot], !others.isEmpty {
            node = others.removeFirst()
            otherNodes[slot] = others.isEmpty ? nil : others
            entries[index].hasOthers = !others.isEmpty
        }
        outstandingByNode[node] -= 1
        entries[index].count -= 1
        // With a mix of awaited and open instances under one user_data, assume an open one finished
        // first: the run then waits longer rather than too little.
        let awaitedBefore = entries[index].awaited
        entries[index].awaited = min(entries[index].awaited, entries[index].count)
        awaitedOutstanding -= Int(awaitedBefore - entries[index].awaited)
        if entries[index].count == 0 {
            if let fifoPosition {
                endFifoEntry(at: fifoPosition)
            } else {
                outstanding.remove(userData)
            }
            release(slot)
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
    /// Requests the checker tracked densely, by their user_data, with no record of their own (requests
    /// whose every instance is checked the same way: `CheckerCore.isDense`).
    public var denseRequests: UInt64 = 0
    /// Of those, the requests queued in bulk from their templates, a run of steps or a repeat block's
    /// iterations at a time.
    public var bulkRequests: UInt64 = 0

    public init() {}
}
