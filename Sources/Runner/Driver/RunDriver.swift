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
///
/// Its files, one job each: this one (the state, made once per run), NodeTables (what the plan says per
/// node), StepWalk (the steps in order: requests, submit points, waits, captures, registrations, control
/// steps), OutstandingRequests (the outstanding-request table and its FIFO window), Reaping (enter, the
/// wait loops, what each CQE changes), Teardown, and BulkRuns (the template and bulk-queue fast paths).
struct RunDriver: ~Copyable {
    var ring: IoUring
    let scenario: Scenario
    let plan: Plan
    let resources: RunResources
    let observer: any TraceObserver
    /// The deadline passed before the run was over.
    var expired = false
    /// An io_uring_enter(2) failed where no step expected it: the walk stopped there, and
    /// `runnerMismatches` says which call and errno.
    var stopped = false
    /// What the driver found to differ beyond what the checker sees (see `ExecutionResult.runnerMismatches`).
    var runnerMismatches: [Mismatch] = []
    /// The last io_uring_enter(2) that failed, as a call (`io_uring_enter(to_submit: 1, …): EBADFD`).
    var failedEnter: String?
    /// After a `submit` step whose enter failed as it expected: the SQEs the kernel left in the SQ. The
    /// runner's own submissions (before a registration, at the end…) do not ask the kernel again while
    /// nothing new is queued; a later `submit` step does.
    var refusedSubmission: UInt32?
    var statistics = ExecutionStatistics()

    /// The checker, when it is the only observer: its state is lent to `core` for the run
    /// (`feedsChecker`), and given back at teardown.
    let checker: ExpectationChecker?
    var core: CheckerCore
    var feedsChecker: Bool

    /// The outstanding-request table (OutstandingRequests.swift): `Outstanding` entries found by user_data.
    let outstanding = UserDataTable(capacity: 64)
    /// Entries of requests whose user_data no other request can have (automatic numbers, when the
    /// scenario allows no duplicates and renames nothing), not in `outstanding`, in queue order: CQEs
    /// mostly come in that order and find theirs without a hash look-up (a CQE a little out of order by
    /// looking `fifoWindow` entries ahead). Any other CQE moves them into `outstanding` (`spill`).
    var fifo = SlotQueue()
    static let fifoWindow = 16
    let entries = FlatArray<Outstanding>(capacity: 64)
    let freeEntries = FlatArray<Int32>(capacity: 64)
    var otherNodes: [Int32: [NodeID]] = [:]
    let outstandingByNode: FlatArray<Int>
    var awaitedOutstanding = 0
    /// Producers whose capture is awaited: their user_data → node.
    var pendingCaptures: [UInt64: NodeID] = [:]
    var capturePending: [Bool]
    /// poll_update requests that move a poll to a new user_data: the update's user_data → (from, to).
    var pendingRenames: [UInt64: (from: UInt64, to: UInt64)] = [:]
    /// Requests whose CQE res is a new descriptor the run must close at the end.
    let producesDescriptor: [Bool]
    /// Requests that may post several CQEs (multishot, zero-copy, `raw`): they end with the CQE without
    /// IORING_CQE_F_MORE. Others end with their first CQE, as the checker counts them.
    let followsMoreFlag: [Bool]
    /// The provided-buffer group each request selects from, if any.
    let bufferGroupOfNode: [UInt16?]
    /// Whether some expectation checks the bytes CQEs delivered into provided buffers.
    let readsBufferData: Bool
    var bufferDataByGroup: [UInt16: BufferData] = [:]
    var arrivals = 0
    /// CQEs reaped since the scenario last waited (`submit: { wait: N }`, `wait`, a capture): what a
    /// program that reaps only when it waits would still find in its CQ.
    var completionsSinceWait = 0
    let isSQPoll: Bool
    let isIOPoll: Bool
    /// `ring: { reap: manual }`: submissions do not reap (ManualReaping.swift).
    let reapsManually: Bool

    /// What the plan says about each node, flattened (see `NodeInfo`), and the template of each request.
    var info: [NodeInfo]
    /// Per node: the user_data strides of its enclosing blocks, from `strideStart[node]`.
    let strides: [UInt64]
    /// Per node: the requests whose captured values it waits for, from `producerStart[node]`.
    let producers: [NodeID]
    /// One per node, read in place by the engine (`SQETemplate.empty` where there is none).
    let templates: SQETemplates
    /// The `generation` each template was made in (0: none).
    var templateGenerations: [UInt64]
    /// Some request is dense (`NodeInfo.dense`): CQEs go to `CheckerCore.completedDense` first.
    var hasDense = false
    /// Dense instances queued whose CQE has not arrived (`CheckerCore.denseOutstanding`, counted here).
    var denseOutstanding = 0
    /// Bumped whenever something an operand resolves through may have changed (a capture arrived, a
    /// registration or control step ran): templates made before are checked again.
    var generation: UInt64 = 1
    /// Bumped whenever a capture becomes pending (its producer was queued).
    var captureEpoch: UInt64 = 0
    /// CQEs are copied here in batches, then handled.
    let cqes = CompletionBatch(capacity: 256)
    /// Deadline checks between steps are made every `deadlineStride` instances (steps that block check
    /// it themselves).
    static let deadlineStride = 32
    var untilDeadlineCheck = 0

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
    struct NodeInfo {
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
    struct PreparedRandom {
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
                || expectation.stream?.cqes?.elements.contains { $0.pattern.data != nil } == true
                || { if case .matching(let final)? = expectation.stream?.final { return final.data != nil } else { return false } }()
        }
        isSQPoll = self.ring.setupFlags.contains(.sqPoll)
        isIOPoll = self.ring.setupFlags.contains(.ioPoll)
        reapsManually = scenario.ring.reapsManually
        // The one fast-path switch (`FastPaths`): without it the checker is fed events, and no SQE
        // template, bulk run or FIFO window is used.
        let fastPaths = (observer as? ExpectationChecker)?.usesFastPaths ?? FastPaths.enabledByDefault
        let checker = fastPaths ? observer as? ExpectationChecker : nil
        self.checker = checker
        core = checker?.lendCore() ?? CheckerCore.placeholder
        feedsChecker = checker != nil
        (info, strides, producers) = RunDriver.nodeInfo(scenario: scenario, plan: plan, events: checker == nil,
                                                        fastPaths: fastPaths)
        templates = SQETemplates(count: count)
        templateGenerations = Array(repeating: 0, count: count)
        if feedsChecker { findRuns() }
    }

    deinit {
        if let checker, feedsChecker { checker.returnCore(core) }
    }

    /// Ops whose CQE res (when ≥ 0) is a new descriptor in this process.
    static let descriptorOperations: Set<String> = ["openat", "openat2", "accept", "accept_multishot", "socket", "fixed_fd_install"]

    var elapsed: Duration { ContinuousClock.now - start }

    /// Whether events go to the observer (anything but the checker alone).
    var emitsEvents: Bool { !feedsChecker }
}
