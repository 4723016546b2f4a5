#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring
import Scenario

/// The one switch for every fast path of a run, so that both implementations of one semantics can be
/// compared (RunnerTests' `FastPathEquivalenceTests`). Off, the checker tracks no request densely, keeps
/// no FIFO of records and checks every CQE in full (no `QuickPattern` shortcut); and the runner, seeing a
/// checker without fast paths, feeds it events, queues every SQE through the issuer (no `SQETemplate`,
/// no bulk `queueRun`) and finds outstanding requests by user_data (no FIFO window).
public enum FastPaths {
    /// False when the environment says `RINGSCRIPT_NO_FAST_PATHS=1`; read once, at first use.
    public static let enabledByDefault: Bool = {
        guard let value = getenv("RINGSCRIPT_NO_FAST_PATHS") else { return true }
        return String(cString: value) != "1"
    }()
}

/// Checks a run against its scenario's expectations while the run happens, from the runner's trace
/// events, and gives the verdict at the end.
///
/// Memory stays constant in the number of iterations: the checker keeps one aggregate per expectation
/// (the first failure and a count of later ones) and state only for requests still outstanding.
///
/// The rules it applies:
/// - A request instance is outstanding from `.queued` until its final CQE: the one without IORING_CQE_F_MORE
///   for multishot requests (and `raw` steps), the first one for single-shot requests (so CQEs a single-shot
///   request posts after a stray IORING_CQE_F_MORE are listed as unclaimed). A CQE goes to the outstanding
///   instance with its user_data; when several share it (`allow_duplicate_user_data`), by a matching of
///   CQEs to their expectations (SharedUserData.swift), or to the oldest when they are checked alike.
/// - A request with no written expectation only has to post its CQE (its final one, for multishot requests),
///   with any res. "No other CQEs" is about CQEs that belong to no request: a CQE whose user_data no
///   outstanding request has — an extra CQE of a finished request included — is unclaimed, and fails the
///   run unless `allow_other_cqes: true` (or a user_data expectation names that number, which claims it).
/// - Every expected request must post its final CQE before `.teardown`, except when an expectation says
///   `completes: false` or `final: none`, or the SQE had IOSQE_CQE_SKIP_SUCCESS (which posts nothing on
///   success; an expectation that rules success out then fails, when the first CQE of a later visible member
///   of its link chain proves it done, or else at the end). Those that did not are `neverCompleted`:
///   that is how a deadline shows up. CQEs after `.teardown` (the final cancel-and-drain) are not checked,
///   except that a IOSQE_CQE_SKIP_SUCCESS request that posted nothing before it and something after it was
///   still in flight when the steps ended, which fails its expectation (it never succeeded in the run).
/// - An expectation's CQE pattern applies to every CQE of the request (for zero-copy sends, to the result
///   CQE; the IORING_CQE_F_NOTIF CQE is the notification). A stream's `each` applies to the CQEs with
///   IORING_CQE_F_MORE, `final` to the one without; counts are checked when the stream ends (or at teardown,
///   for `final: none`).
/// - Order constraints compare first CQEs. When both sides are every iteration of requests inside the same
///   repeat blocks, the constraint holds per shared iteration (`a{i}` before `b{i}`); otherwise every
///   instance of the earlier side must post before any instance of the later one.
/// - CQEs with the engine's reserved user_data (its drain barrier, its cancel-everything request) are the
///   runner's own and are ignored.
/// - A run whose deadline expired never passes: if nothing else explains it, a `deadline` mismatch does.
///
/// The state lives in a `CheckerCore` value. A runner that feeds the checker itself borrows the core for
/// the run (`lendCore` / `returnCore`) and calls it directly, so a request costs no event dispatch.
public final class ExpectationChecker: TraceObserver {
    public let scenario: Scenario
    var core: CheckerCore
    /// Whether this run may take the fast paths (`FastPaths`); the runner asks.
    public let usesFastPaths: Bool

    /// Unclaimed CQEs listed in the outcome; more are only counted.
    static let unclaimedLimit = CheckerCore.unclaimedLimit

    /// `fastPaths: false` turns every fast path of the run off (`FastPaths`); by default they are on
    /// unless `RINGSCRIPT_NO_FAST_PATHS=1`.
    public init(scenario: Scenario, fastPaths: Bool = FastPaths.enabledByDefault) {
        self.scenario = scenario
        usesFastPaths = fastPaths
        core = CheckerCore(scenario: scenario, fastPaths: fastPaths)
    }

    /// The buffers and sandbox paths whose state after the run the post-conditions need.
    public var neededFacts: (buffers: [String], paths: [String]) {
        var buffers: [String] = []
        for condition in scenario.expectations.buffers where !buffers.contains(condition.buffer) { buffers.append(condition.buffer) }
        var paths: [String] = []
        for condition in scenario.expectations.files where !paths.contains(condition.path) { paths.append(condition.path) }
        return (buffers, paths)
    }

    /// Queued request instances that still owe their final CQE and are not excused from it
    /// (`completes: false`, `final: none`, IOSQE_CQE_SKIP_SUCCESS). Once the last step has run, the runner
    /// may stop waiting when this is 0: every request the expectations wait for has completed.
    public var awaitedCompletions: Int { core.awaitedCompletions }

    /// How many things the checker holds right now: outstanding instances, pending order entries, failure
    /// records, stored unclaimed CQEs. It does not grow with the number of iterations.
    var retainedStateCount: Int { core.retainedStateCount }
    var outstandingCount: Int { core.outstandingCount }
    var failures: FailureLog { core.failures }

    public func observe(_ event: TraceEvent) {
        core.observe(event)
    }

    /// Hands the checking state to a runner that calls it directly for the run. Until `returnCore`, the
    /// checker itself holds an empty state: do not observe events meanwhile.
    public func lendCore() -> CheckerCore {
        let lent = core
        core = CheckerCore.placeholder
        return lent
    }

    /// Takes back the state `lendCore` handed out, with everything the run recorded in it.
    public func returnCore(_ lent: consuming CheckerCore) {
        core = lent
    }

    /// The verdict and everything a report shows, once the run is over: what the trace showed, plus the
    /// requests that never completed, the order constraints, and the post-conditions against `facts`.
    public func finish(facts: PostRunFacts, ending: RunEnding) -> ScenarioOutcome {
        core.finish(facts: facts, ending: ending)
    }

}

/// The checker's state and rules (see `ExpectationChecker`), as a value: a runner holds it in place for
/// the run and calls `queued`, `completed`, `registered` and `tearDown` as things happen.
///
/// Outstanding request instances are records in a slab (freed slots are reused) found through a
/// `UserDataTable`; their expectations and order roles are indices into interned lists. Queuing a
/// request and checking its CQE allocate nothing and retain nothing in the common case. Instances of
/// dense requests (every instance checked alike) have no record: a runner that reports them with
/// `queuedDense` finds them again by user_data (`completedDense`; DenseTracking.swift).
public struct CheckerCore {
    let scenario: Scenario
    let plan: CheckPlan
    /// False: no dense tracking, no FIFO of records, no quick pattern check (`FastPaths`).
    let fastPaths: Bool

    /// Unclaimed CQEs listed in the outcome; more are only counted.
    static let unclaimedLimit = 100

    /// A queued request instance without its final CQE yet (or a run of CQEs for an expected user_data
    /// that no queued request has, with `node` -1).
    struct Record {
        var node: Int32
        var userData: UInt64
        var sequence: Int
        /// Interned expectation list: the instance's own first, then every-iteration ones, then user_data ones.
        var expectations: Int32
        /// Interned order-role list.
        var roles: Int32
        var skipSuccess: Bool
        /// A single-shot request ends with its first CQE, IORING_CQE_F_MORE or not (`raw` steps follow the flag).
        var singleShot: Bool
        /// Whether order tracking waits for its first CQE.
        var pendingInOrder = false
        /// Whether the run must wait for its final CQE (counted in `awaitedCompletions`).
        var awaited = false
        /// For a poll_update with a new user_data: it re-keys a poll (see `renameOf`).
        var renames = false
        /// For an IOSQE_CQE_SKIP_SUCCESS request that posted nothing during the run: the res of a CQE it
        /// posted after `.teardown` (teardown's cancel reached it, so it had not finished).
        var hasTeardownResult = false
        var teardownResult: Int32 = 0
        /// The bytes its CQEs delivered are in `recordData` (for a stream `data` expectation).
        var hasData = false
        /// CQEs other than notifications; those with IORING_CQE_F_MORE; notifications.
        var results: Int32 = 0
        var more: Int32 = 0
        var notifications: Int32 = 0
        /// The next instance with the same user_data (younger), and for a chain's head its last one.
        var next: Int32 = -1
        var tail: Int32 = -1
        var iterations: PackedIterations
        /// The resolved id is in `ids` (when the runner gave one).
        var hasID = false
        /// Its first CQE proves IOSQE_CQE_SKIP_SUCCESS members of its link chain done (`silentProofs`).
        var provesSilent = false
        /// The slot is free (a stale `SilentMember` must not act on it).
        var isFree = false

        var hasPosted: Bool { results + notifications > 0 }
    }

    /// An IOSQE_CQE_SKIP_SUCCESS record of a link chain: slots are reused, so its sequence is kept too.
    struct SilentMember {
        var slot: Int32
        var sequence: Int
    }

    /// Per order constraint: earlier-side instances still owing their first CQE, by shared iterations.
    struct OrderState {
        var pending: [[Int]: Int] = [:]
        var earlierSeen = false
        var violations = 0
        var first: Violation?
        /// Instances whose CQE a side names (`rx[5]`, `zc.notification`) never came: how many, and the first.
        var missing = 0
        var firstMissing: (name: String, actual: String, position: Int)?

        struct Violation {
            var later: String
            var laterArrival: Int
            var key: [Int]
            var earlier: String?
            var earlierArrival: Int?
        }
    }

    /// An expectation's CQE pattern in a form checked without touching the expectation itself: a result
    /// interval and flag masks. `nil` for patterns that need the full check (streams, buffer ids, `!=`…).
    struct QuickPattern {
        /// False for an expectation that needs the full check.
        var valid = true
        var low: Int64
        var high: Int64
        var set: UInt64
        var clear: UInt64
    }

    // The slab of records and the user_data index (head of each chain, oldest first).
    // References (like `outstanding`): copies of the core share them.
    let records = FlatArray<Record>(capacity: 64)
    let freeSlots = FlatArray<Int32>(capacity: 64)
    /// A reference: copies of the core (`finish` works on one) share it.
    let outstanding = UserDataTable(capacity: 64)
    /// Outstanding records not (yet) in `outstanding`, in queue order; every record in `outstanding` is
    /// older than all of them. CQEs mostly come in queue order: the oldest record is then the one a CQE
    /// is for, found without a hash look-up (a CQE a little out of order by looking `fifoWindow` records
    /// ahead). A CQE for anything else moves them all into `outstanding` (`spill`), which keeps the
    /// oldest-first rule for shared user_data.
    var fifo = SlotQueue()
    static let fifoWindow = 16
    var outstandingCount = 0
    /// Queued request instances that still owe their final CQE and are not excused from it.
    public internal(set) var awaitedCompletions = 0
    /// CQEs for expected user_data numbers that no queued request has (a poll re-keyed by poll_update…): slots.
    var requestless: [UInt64: Int32] = [:]
    /// `allow_duplicate_user_data`: CQEs of a user_data several requests have may be held for matching
    /// (`holdShared`), and records skip the FIFO.
    let sharesUserData: Bool
    /// Per user_data: CQEs held until their requests are decided (SharedUserData.swift).
    var sharedGroups: [UInt64: SharedGroup] = [:]
    /// Per user_data: the notes about its ambiguous (or not made) assignments.
    var assignmentNotes: [NoteKey: AssignmentNote] = [:]
    /// Explicit user_data numbers whose every request is checked alike (one step, no expectation of a
    /// single instance, no order constraint naming one): their CQEs are never held.
    var uniformUserData: Set<UInt64> = []
    /// Per interned expectation list: its class; lists whose expectations check alike share one.
    var listClass: [Int32] = []
    var classIndex: [[CompletionExpectation]: Int32] = [:]
    /// user_data numbers that expectations name and CQEs carried.
    var expectedUserDataSeen: Set<UInt64> = []
    /// poll_update's new user_data → the old one, until the update completes.
    var renames: [UInt64: UInt64] = [:]
    /// Per slot of a poll_update record: the rename it does.
    var renameOf: [Int32: (from: UInt64, to: UInt64)] = [:]
    /// Per slot: the resolved id the runner gave, when it gave one.
    var ids: [Int32: String] = [:]
    /// Per slot: iterations of more than four repeat blocks (or beyond Int32).
    var deepIterations: [Int32: [Int]] = [:]
    /// Per slot: its progress through `cqes:` lists (StreamSequence.swift).
    var sequenceMatches: [Int32: [SequenceMatch]] = [:]
    /// Per slot: the bytes its CQEs delivered, joined (only when the runner reads them).
    var recordData: [Int32: [UInt8]] = [:]
    /// Silent members of the link chain being queued that no later member proves yet (queue order).
    var silentChain: [SilentMember] = []
    /// Per slot of a record with `provesSilent`: the silent members its first CQE proves done.
    var silentProofs: [Int32: [SilentMember]] = [:]
    let queuedCounts: FlatArray<UInt64>
    /// Valid where `queuedCounts` is not 0.
    let lastQueued: FlatArray<PackedIterations>
    /// `lastQueued` of nodes whose iterations do not pack.
    var lastQueuedDeep: [Int: [Int]] = [:]
    var orderStates: [OrderState]
    var failures = FailureLog()
    var unclaimed: [ObservedCompletion] = []
    var unclaimedTotal = 0
    var unclaimedOverflowPosition = 0
    var sequence = 0
    /// CQEs seen so far (the position of events between CQEs).
    var arrivals = 0
    var tornDown = false

    // Interned lists and what is known about each.
    var expectationLists: [[Int]] = []
    /// The interned lists again, flat (`listStart`, `listCount` into `expectationFlat`), for the per-CQE loop.
    let expectationFlat = FlatArray<Int32>(capacity: 64)
    var listStart: [Int32] = []
    var listCount: [Int32] = []
    var expectationListIndex: [[Int]: Int32] = [:]
    /// Per expectation list: some expectation says `completes: false`; some relaxes (see `CheckPlan.relaxes`).
    var listHasNotCompletes: [Bool] = []
    var listRelaxes: [Bool] = []
    var roleLists: [[OrderRole]] = []
    var roleListIndex: [[OrderRole]: Int32] = [:]
    var roleListHasEarlier: [Bool] = []
    var roleListEmpty: [Bool] = []
    /// Per interned role list: whether a role means a CQE other than the first (`poll.final`, `rx[2]`…).
    var roleListHasReferences: [Bool] = []

    // Per node, precomputed.
    var nodeEachList: [Int32]
    var nodeRoles: [Int32]
    var nodeRolesHaveInstances: [Bool]
    var nodeIsRequest: [Bool]
    var nodeSingleShot: [Bool]
    /// poll_update's `new_user_data`, for poll_update nodes that have one.
    var nodeNewUserData: [UInt64?]
    /// Per expectation: its quick form, and whether it `completes`.
    let quick: FlatArray<QuickPattern>
    var hasUserDataExpectations: Bool
    var hasUserDataOrderRoles: Bool
    var allowsOtherCompletions: Bool

    // Dense tracking (DenseTracking.swift): instances found by their automatic user_data, without a record.
    /// A reference: copies of the core (`finish` works on one) share it.
    let dense = DenseWindow()
    /// Dense instances moved out of `dense` to keep it small (an old one never completed): by user_data.
    var denseSpilled: [UInt64: DenseWindow.Entry] = [:]
    /// Per node: whether its instances may be tracked densely (`isDense`).
    var denseNodes: [Bool] = []

    /// Timing bounds (TimingChecks.swift) and outcome shares (OutcomeShares.swift).
    var timing = TimingState()
    var shares = OutcomeTallies()

    /// How many things the checker holds right now: outstanding instances, pending order entries, failure
    /// records, stored unclaimed CQEs. It does not grow with the number of iterations.
    var retainedStateCount: Int {
        outstandingCount + requestless.count + renames.count + orderStates.reduce(0) { $0 + $1.pending.count }
            + failures.records.count + unclaimed.count + silentChain.count + silentProofs.count + fifo.storedCount
            + timing.submittedAt.count + timing.stamps.count + timing.pendingLater.count
    }

    /// A core of an empty scenario, held by a checker whose core is lent out.
    public static var placeholder: CheckerCore { CheckerCore(scenario: Scenario.empty) }

    init(scenario: Scenario, fastPaths: Bool = true) {
        self.scenario = scenario
        self.fastPaths = fastPaths
        sharesUserData = scenario.options.allowDuplicateUserData
        let plan = CheckPlan(scenario)
        self.plan = plan
        timing = TimingState(plan: plan)
        shares = OutcomeTallies(plan: plan)
        let nodeCount = scenario.graph.nodes.count
        queuedCounts = FlatArray(repeating: 0, count: nodeCount)
        lastQueued = FlatArray(repeating: PackedIterations([]), count: nodeCount)
        orderStates = [OrderState](repeating: OrderState(), count: plan.orders.count)
        nodeEachList = []
        nodeRoles = []
        nodeRolesHaveInstances = []
        nodeIsRequest = []
        nodeSingleShot = []
        nodeNewUserData = []
        quick = FlatArray(capacity: plan.expectations.count)
        for expectation in plan.expectations {
            quick.append(CheckerCore.quickPattern(expectation) ?? QuickPattern(valid: false, low: 0, high: 0, set: 0, clear: 0))
        }
        hasUserDataExpectations = !plan.userDataExpectations.isEmpty
        hasUserDataOrderRoles = !plan.userDataOrderRoles.isEmpty
        allowsOtherCompletions = scenario.expectations.allowsOtherCompletions
        nodeEachList.reserveCapacity(nodeCount)
        nodeRoles.reserveCapacity(nodeCount)
        var automaticEnd: UInt64 = 1
        var renamesPolls = false
        for node in scenario.graph.nodes {
            let spec = scenario.graph.request(node.id)
            nodeIsRequest.append(spec != nil)
            nodeSingleShot.append(spec.map { !$0.isMultishot && $0.operation != "raw" } ?? false)
            if let spec, spec.operation == "poll_update" {
                nodeNewUserData.append(spec.arguments.unsigned("new_user_data"))
            } else {
                nodeNewUserData.append(nil)
            }
            nodeEachList.append(spec == nil ? -1 : intern(expectations: plan.eachExpectations[node.id]))
            nodeRoles.append(spec == nil ? -1 : intern(roles: plan.orderRoles[node.id]))
            nodeRolesHaveInstances.append(plan.orderRoles[node.id].contains { $0.instance != nil })
            noteDenseCandidate(node.id, spec, automaticEnd: &automaticEnd, renamesPolls: &renamesPolls)
        }
        findDenseNodes(automaticEnd: automaticEnd, renamesPolls: renamesPolls)
        // A dense instance has no record to prove silent members with (`noteLinkChain`).
        if plan.linksSilentRequests { denseNodes = denseNodes.map { _ in false } }
        if sharesUserData { findUniformUserData(automaticEnd: automaticEnd) }
    }

    /// The index of `list` among the interned expectation lists.
    mutating func intern(expectations list: [Int]) -> Int32 {
        if let index = expectationListIndex[list] { return index }
        let index = Int32(expectationLists.count)
        expectationLists.append(list)
        listStart.append(Int32(expectationFlat.count))
        listCount.append(Int32(list.count))
        for expectation in list { expectationFlat.append(Int32(expectation)) }
        expectationListIndex[list] = index
        listHasNotCompletes.append(list.contains { !plan.expectations[$0].completes })
        timing.listTimed.append(list.contains { !plan.expectations[$0].timing.isEmpty })
        // What the expectations check, without where they are written or whom they name.
        let anywhere = SourceMark(file: "", line: 0, column: 0)
        let checks = list.map { index in
            var expectation = plan.expectations[index]
            expectation.subject = .userData(0)
            expectation.mark = anywhere
            expectation.cqe.mark = anywhere
            return expectation
        }
        if let known = classIndex[checks] {
            listClass.append(known)
        } else {
            let next = Int32(classIndex.count)
            classIndex[checks] = next
            listClass.append(next)
        }
        listRelaxes.append(list.contains { plan.relaxes[$0] })
        return index
    }

    mutating func intern(roles list: [OrderRole]) -> Int32 {
        if let index = roleListIndex[list] { return index }
        let index = Int32(roleLists.count)
        roleLists.append(list)
        roleListIndex[list] = index
        roleListHasEarlier.append(list.contains { $0.isEarlier })
        roleListEmpty.append(list.isEmpty)
        roleListHasReferences.append(list.contains { $0.cqe != .first })
        return index
    }

    /// The quick form of an expectation whose CQE check is a result interval and flag masks only.
    static func quickPattern(_ expectation: CompletionExpectation) -> QuickPattern? {
        guard expectation.completes, expectation.stream == nil, expectation.notification != true,
              expectation.cqe.bufferIDs == nil, expectation.cqe.data == nil,
              expectation.timing.isEmpty, expectation.shares.isEmpty else { return nil }
        var low = Int64.min
        var high = Int64.max
        switch expectation.cqe.result {
        case nil, .any?: break
        case .exact(let value)?: (low, high) = (value, value)
        case .errno(let errno)?: (low, high) = (-Int64(errno.rawValue), -Int64(errno.rawValue))
        case .range(let lower, let upper)?: (low, high) = (lower ?? .min, upper ?? .max)
        case .comparison(let comparison, let operand)?:
            switch comparison {
            case .equal: (low, high) = (operand, operand)
            case .notEqual: return nil
            case .less: guard operand > .min else { return nil }; high = operand - 1
            case .lessOrEqual: high = operand
            case .greater: guard operand < .max else { return nil }; low = operand + 1
            case .greaterOrEqual: low = operand
            }
        case .anyOf?: return nil
        }
        return QuickPattern(low: low, high: high, set: expectation.cqe.setMask, clear: expectation.cqe.clearMask)
    }

    // MARK: - Events

    mutating func observe(_ event: TraceEvent) {
        guard !tornDown else {
            if case .completed(let observed) = event { completedAfterTeardown(observed.cqe) }
            return
        }
        switch event {
        case .queued(let request):
            queued(node: request.node, iterations: request.iterations, id: request.id, userData: request.userData,
                   sqeFlags: request.sqe.flags, sqeAddress: request.sqe.addr)
            // Until an enter submits it (never, with an SQPOLL thread taking it): the time it was queued.
            if let slot = timing.awaitingSubmission.last, timing.submittedAt[slot] == nil { timing.submittedAt[slot] = request.elapsed }
        case .entered(let call) where call.toSubmit > 0:
            submitted(at: call.started)
        case .completed(let observed):
            completed(observed.cqe, arrival: observed.arrival, elapsed: observed.elapsed, data: observed.data)
        case .registered(let outcome): registered(node: outcome.node, result: outcome.result)
        case .teardown: tearDown()
        case .entered, .controlled: break
        }
    }

    /// The steps are over (`.teardown`): CQEs held for matching are assigned; later CQEs are not checked.
    public mutating func tearDown() {
        guard !tornDown else { return }
        assignAllShared()
        tornDown = true
    }

    // MARK: - Slots

    mutating func allocate(_ record: Record) -> Int32 {
        if let slot = freeSlots.popLast() {
            records[Int(slot)] = record
            return slot
        }
        records.append(record)
        return Int32(records.count - 1)
    }

    mutating func free(_ slot: Int32) {
        let record = records[Int(slot)]
        if record.hasID { ids[slot] = nil }
        if record.renames { renameOf[slot] = nil }
        if record.iterations.isDeep { deepIterations[slot] = nil }
        if record.hasData { recordData[slot] = nil }
        if !sequenceMatches.isEmpty { sequenceMatches[slot] = nil }
        records[Int(slot)].isFree = true
        freeSlots.append(slot)
    }

    func iterations(_ slot: Int32) -> [Int] {
        let packed = records[Int(slot)].iterations
        return packed.isDeep ? deepIterations[slot] ?? [] : packed.array
    }

    func id(_ slot: Int32) -> String? { records[Int(slot)].hasID ? ids[slot] : nil }

    /// The iterations of the last instance of `node` queued, if any was.
    func lastQueuedIterations(_ node: Int) -> [Int]? {
        guard queuedCounts[node] > 0 else { return nil }
        let packed = lastQueued[node]
        return packed.isDeep ? lastQueuedDeep[node] ?? [] : packed.array
    }

    func expectationList(_ slot: Int32) -> [Int] { expectationLists[Int(records[Int(slot)].expectations)] }

    // MARK: - Queued SQEs

    /// An SQE was queued: the request instance of `node` at `iterations` with `userData`; `id` is its
    /// resolved id (nil: the checker names it from the node's id template when it has to).
    public mutating func queued(node: Int, iterations: [Int], id: String?, userData: UInt64, sqeFlags: UInt8,
                                sqeAddress: UInt64) {
        guard !tornDown, node >= 0, node < nodeIsRequest.count, nodeIsRequest[node] else { return }
        queuedCounts[node] += 1
        let packed = PackedIterations(iterations)
        lastQueued[node] = packed
        if packed.isDeep { lastQueuedDeep[node] = iterations }
        sequence += 1

        var expectations = nodeEachList[node]
        if !plan.instanceExpectations.isEmpty || hasUserDataExpectations {
            expectations = instanceExpectations(node: node, iterations: iterations, userData: userData, each: expectations)
        }
        var roles = nodeRoles[node]
        if nodeRolesHaveInstances[node] {
            roles = intern(roles: roleLists[Int(roles)].filter { $0.instance == nil || $0.instance! == iterations })
        }
        let skipSuccess = sqeFlags & SubmissionFlags.skipSuccess.rawValue != 0
        var record = Record(node: Int32(node), userData: userData, sequence: sequence, expectations: expectations,
                            roles: roles, skipSuccess: skipSuccess, singleShot: nodeSingleShot[node],
                            iterations: packed, hasID: id != nil)
        if !roleListEmpty[Int(roles)], !skipSuccess, !listHasNotCompletes[Int(expectations)] {
            record.pendingInOrder = true
            for role in roleLists[Int(roles)] where role.isEarlier {
                orderStates[role.rule].pending[key(iterations, role.rule), default: 0] += 1
            }
        }
        if !skipSuccess, !listRelaxes[Int(expectations)] {
            record.awaited = true
            awaitedCompletions += 1
        }
        var rename: (from: UInt64, to: UInt64)?
        if let newUserData = nodeNewUserData[node] {
            record.renames = true
            rename = (sqeAddress, newUserData)
            renames[newUserData] = sqeAddress
        }
        let slot = allocate(record)
        if timing.active, timing.listTimed[Int(expectations)] { queuedTimed(slot) }
        if let rename { renameOf[slot] = rename }
        if let id { ids[slot] = id }
        if packed.isDeep { deepIterations[slot] = iterations }
        if fastPaths && !sharesUserData { fifo.append(slot) } else { push(slot) }
        outstandingCount += 1
        if skipSuccess || !silentChain.isEmpty { noteLinkChain(slot, node: node, sqeFlags: sqeFlags) }
    }

    /// Notes the record at `slot` in the link chain being queued, as the engine's `SilentRequestLedger`
    /// does: a chain member starts only once the member before it has completed, so the first CQE of a
    /// later member that is not IOSQE_CQE_SKIP_SUCCESS proves every silent member before it done. An
    /// IORING_OP_LINK_TIMEOUT is neither member nor proof; a chain ends at an SQE without IOSQE_IO_LINK or
    /// IOSQE_IO_HARDLINK. Not kept when requests may share a user_data (their CQEs may be held for
    /// matching, so a record's first CQE is not known when it arrives), as the engine does not either.
    mutating func noteLinkChain(_ slot: Int32, node: Int, sqeFlags: UInt8) {
        let linked = sqeFlags & (SubmissionFlags.link.rawValue | SubmissionFlags.hardlink.rawValue) != 0
        defer { if !linked { silentChain.removeAll(keepingCapacity: true) } }
        guard !sharesUserData, !plan.isLinkTimeout[node] else { return }
        let record = records[Int(slot)]
        if record.skipSuccess {
            silentChain.append(SilentMember(slot: slot, sequence: record.sequence))
        } else if !silentChain.isEmpty {
            silentProofs[slot] = silentChain
            records[Int(slot)].provesSilent = true
            silentChain.removeAll(keepingCapacity: true)
        }
    }

    /// The first CQE of a later chain member came (at `position`): the silent `members` that have posted
    /// nothing succeeded. Each is concluded as a silent success (`checkSilentSuccess`) and its record
    /// dropped; a member that posted (it failed) or whose record is gone is left as it is.
    mutating func concludeSilentMembers(_ members: [SilentMember], position: Int) {
        for member in members {
            let index = Int(member.slot)
            let record = records[index]
            guard !record.isFree, record.sequence == member.sequence, !record.hasPosted else { continue }
            checkSilentSuccess(member.slot, position: position)
            removeOutstanding(member.slot)
            outstandingCount -= 1
            if record.awaited {
                records[index].awaited = false
                awaitedCompletions -= 1
            }
            free(member.slot)
        }
    }

    /// An IOSQE_CQE_SKIP_SUCCESS instance that posted nothing succeeded: every expectation of it that
    /// rules success out fails (at `position`).
    mutating func checkSilentSuccess(_ slot: Int32, position: Int) {
        for index in expectationList(slot) where plan.expectations[index].completes {
            guard let result = plan.expectations[index].cqe.result, !result.acceptsSuccess else { continue }
            if !failures.bump(.expectation(index), "res") {
                let text = FailureLog.Text(mark: plan.expectations[index].mark, subject: subjectName(index, slot) + ": res",
                                           family: family(index), expected: result.description,
                                           actual: "no CQE: with IOSQE_CQE_SKIP_SUCCESS that means it succeeded")
                failures.add(.expectation(index), "res", position: position, text)
            }
        }
    }

    /// Takes the outstanding record at `slot` out of whichever holds it, the FIFO or `outstanding` (the
    /// caller frees it and counts it).
    mutating func removeOutstanding(_ slot: Int32) {
        if let position = fifo.position(within: nil, where: { $0 == slot }).found {
            fifo.end(at: position)
            return
        }
        let userData = records[Int(slot)].userData
        guard var current = outstanding.value(for: userData) else { return }
        if current == slot {
            popHead(userData)
            return
        }
        while true {
            let next = records[Int(current)].next
            guard next >= 0 else { return }
            if next == slot {
                records[Int(current)].next = records[Int(slot)].next
                if let head = outstanding.value(for: userData), records[Int(head)].tail == slot {
                    records[Int(head)].tail = current
                }
                records[Int(slot)].next = -1
                return
            }
            current = next
        }
    }

    /// Moves the records waiting in `fifo` into `outstanding`, oldest first.
    mutating func spill() {
        guard !fifo.isEmpty else { return }
        let waiting = fifo.liveSlots
        fifo.removeAll()
        for slot in waiting { push(slot) }
    }

    /// The expectation list of an instance with instance-specific or user_data expectations.
    mutating func instanceExpectations(node: Int, iterations: [Int], userData: UInt64, each: Int32) -> Int32 {
        var list = expectationLists[Int(each)]
        var changed = false
        if let byIterations = plan.instanceExpectations[node], let own = byIterations[iterations] {
            list = own + list
            changed = true
        }
        if hasUserDataExpectations, let byUserData = plan.userDataExpectations[userData] {
            list += byUserData
            changed = true
        }
        return changed ? intern(expectations: list) : each
    }

    /// Appends the record at `slot` to the outstanding instances with its user_data in `outstanding`
    /// (not counted again in `outstandingCount`).
    mutating func push(_ slot: Int32) {
        let userData = records[Int(slot)].userData
        records[Int(slot)].next = -1
        if let head = outstanding.value(for: userData) {
            let tail = records[Int(head)].tail
            records[Int(tail)].next = slot
            records[Int(head)].tail = slot
        } else {
            records[Int(slot)].tail = slot
            outstanding.set(slot, for: userData)
        }
    }

    /// Removes the oldest instance with `userData` from `outstanding` (the caller frees or re-pushes its
    /// slot, and counts it).
    @discardableResult
    mutating func popHead(_ userData: UInt64) -> Int32? {
        guard let head = outstanding.value(for: userData) else { return nil }
        let next = records[Int(head)].next
        if next >= 0 {
            records[Int(next)].tail = records[Int(head)].tail
            outstanding.set(next, for: userData)
        } else {
            outstanding.remove(userData)
        }
        records[Int(head)].next = -1
        return head
    }

    /// poll_update gave a poll a new user_data: its instance moves there and takes that number's expectations.
    mutating func applyRename(from old: UInt64, to new: UInt64) {
        renames[new] = nil
        spill()
        guard let slot = popHead(old) else { return }
        records[Int(slot)].userData = new
        var list = expectationList(slot)
        for index in plan.userDataExpectations[new] ?? [] where !list.contains(index) {
            list.append(index)
            if plan.relaxes[index], records[Int(slot)].awaited {
                records[Int(slot)].awaited = false
                awaitedCompletions -= 1
            }
        }
        records[Int(slot)].expectations = intern(expectations: list)
        push(slot)
    }

    // MARK: - CQEs

    /// CQEs after `.teardown` are not checked, except that one for an IOSQE_CQE_SKIP_SUCCESS request that
    /// had posted nothing shows the request was still in flight: its silence was not a success.
    mutating func completedAfterTeardown(_ cqe: CompletionQueueEntry) {
        spill()
        var slot = outstanding.value(for: cqe.userData) ?? -1
        while slot >= 0 {
            let record = records[Int(slot)]
            if record.skipSuccess, !record.hasPosted, !record.hasTeardownResult {
                records[Int(slot)].hasTeardownResult = true
                records[Int(slot)].teardownResult = cqe.res
                return
            }
            slot = record.next
        }
    }

    /// A CQE was reaped: the `arrival`-th of the run, `elapsed` after the start; `data`, the bytes it
    /// delivered into a buffer-ring buffer, when the runner read them. After `tearDown()`, only what
    /// `completedAfterTeardown` notes.
    public mutating func completed(_ cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration, data: [UInt8]? = nil) {
        guard !tornDown else {
            completedAfterTeardown(cqe)
            return
        }
        arrivals = max(arrivals, arrival + 1)
        let userData = cqe.userData
        if sharesUserData, holdShared(cqe, arrival: arrival, elapsed: elapsed, data: data) { return }
        var head: Int32?
        var fifoPosition: Int?
        if !outstanding.isEmpty { head = outstanding.value(for: userData) }
        if head == nil, !fifo.isEmpty {
            // The oldest record with this user_data among the first `fifoWindow` waiting.
            let search = fifo.position(within: CheckerCore.fifoWindow, where: { records[Int($0)].userData == userData })
            if let found = search.found {
                head = fifo.slot(at: found)
                fifoPosition = found
            } else if search.more {
                spill()
                head = outstanding.value(for: userData)
            }
        }
        if head == nil, !renames.isEmpty, let old = renames[userData] {
            applyRename(from: old, to: userData)
            head = outstanding.value(for: userData)
        }
        var expectedUserData: [Int]?
        if hasUserDataExpectations {
            expectedUserData = plan.userDataExpectations[userData]
            if expectedUserData != nil { expectedUserDataSeen.insert(userData) }
        }
        if let head {
            // Its first CQE: the silent members before it in its link chain are done.
            var proven: [SilentMember]?
            if records[Int(head)].provesSilent {
                records[Int(head)].provesSilent = false
                proven = silentProofs.removeValue(forKey: head)
            }
            defer { if let proven { concludeSilentMembers(proven, position: arrival) } }
            guard handle(head, cqe, arrival: arrival, elapsed: elapsed, data: data) else { return }
            let done: Int32?
            if let fifoPosition, fifoPosition < fifo.storedCount, fifo.slot(at: fifoPosition) == head {
                fifo.end(at: fifoPosition)
                done = head
            } else {
                done = popHead(userData)
            }
            if let done {
                outstandingCount -= 1
                if records[Int(done)].awaited {
                    records[Int(done)].awaited = false
                    awaitedCompletions -= 1
                }
                free(done)
            }
        } else if let expectations = expectedUserData {
            let slot: Int32
            if let existing = requestless[userData] {
                slot = existing
            } else {
                sequence += 1
                slot = allocate(Record(node: -1, userData: userData, sequence: sequence,
                                       expectations: intern(expectations: expectations), roles: intern(roles: []),
                                       skipSuccess: false, singleShot: false, iterations: PackedIterations([])))
            }
            if handle(slot, cqe, arrival: arrival, elapsed: elapsed, data: data) {
                requestless[userData] = nil
                free(slot)
            } else {
                requestless[userData] = slot
            }
        } else {
            unclaimedCQE(cqe, arrival: arrival, elapsed: elapsed)
        }
    }

    mutating func unclaimedCQE(_ cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration) {
        guard !allowsOtherCompletions else { return }
        unclaimedTotal += 1
        guard unclaimed.count < CheckerCore.unclaimedLimit else {
            if unclaimedTotal == CheckerCore.unclaimedLimit + 1 { unclaimedOverflowPosition = arrival }
            return
        }
        let owner = plan.request(withUserData: cqe.userData)
        unclaimed.append(ObservedCompletion(id: owner.map { plan.name(node: $0.node, iterations: $0.iterations, id: nil) },
                                            userData: cqe.userData, res: cqe.res, flags: cqe.flags.rawValue,
                                            arrival: arrival, elapsed: elapsed))
    }

    /// Checks one CQE of the instance at `slot`; returns whether it was its final one.
    mutating func handle(_ slot: Int32, _ cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration,
                         data: [UInt8]? = nil) -> Bool {
        let raw = cqe.flags.rawValue
        let more = raw & CompletionFlags.more.rawValue != 0
        let notification = raw & CompletionFlags.notification.rawValue != 0
        let index = Int(slot)
        if timing.active, !records[index].hasPosted, !notification { timedFirstCQE(slot, elapsed: elapsed, arrival: arrival) }
        if !records[index].hasPosted, !roleListEmpty[Int(records[index].roles)] || hasUserDataOrderRoles {
            firstCQE(of: slot, cqe, arrival: arrival)
        }
        let list = Int(records[index].expectations)
        let start = Int(listStart[list])
        for position in start..<start + Int(listCount[list]) {
            let expectation = Int(expectationFlat[position])
            if !notification {
                let quick = self.quick[expectation]
                let res = Int64(cqe.res)
                let flags = UInt64(raw)
                if fastPaths && quick.valid && res >= quick.low && res <= quick.high && flags & quick.set == quick.set
                    && flags & quick.clear == 0 { continue }
            }
            check(expectation, slot, cqe, arrival: arrival, elapsed: elapsed, more: more, notification: notification, data: data)
        }
        if notification {
            records[index].notifications += 1
        } else {
            records[index].results += 1
            if more { records[index].more += 1 }
            if let data {
                records[index].hasData = true
                recordData[slot, default: []] += data
            }
            if records[index].renames, records[index].results == 1, let rename = renameOf[slot] {
                if cqe.res >= 0 { applyRename(from: rename.from, to: rename.to) } else { renames[rename.to] = nil }
            }
        }
        if roleListHasReferences[Int(records[index].roles)] {
            referencedCQE(of: slot, arrival: arrival, notification: notification, final: !more || records[index].singleShot)
        }
        guard !more || records[index].singleShot else { return false }
        let final = Int(records[index].expectations)
        let finalStart = Int(listStart[final])
        for position in finalStart..<finalStart + Int(listCount[final]) {
            let expectation = Int(expectationFlat[position])
            if !quick[expectation].valid { finalChecks(expectation, slot, position: arrival, ending: (cqe, arrival, elapsed)) }
        }
        return true
    }

    /// What a mismatch calls the instance: the user_data for user_data expectations, else its id.
    func subjectName(_ index: Int, _ slot: Int32) -> String {
        if case .userData = plan.expectations[index].subject { return plan.labels[index] }
        return plan.name(node: Int(records[Int(slot)].node), iterations: iterations(slot), id: id(slot))
    }

    /// What further failures of an every-iteration expectation are instances of (`r{i}`).
    func family(_ index: Int) -> String? {
        if case .request(let node, .each, _) = plan.expectations[index].subject, plan.instanceCounts[node] > 1 {
            return plan.labels[index]
        }
        return nil
    }

    mutating func check(_ index: Int, _ slot: Int32, _ cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration,
                        more: Bool, notification: Bool, data: [UInt8]?) {
        let expectation = plan.expectations[index]
        let position = arrival
        let observed = ObservedCQE(cqe: cqe, arrival: arrival, elapsed: elapsed)
        if !expectation.completes {
            if !failures.bump(.expectation(index), "completes") {
                let text = FailureLog.Text(mark: expectation.mark, subject: subjectName(index, slot) + ": completes", family: family(index),
                      expected: "no CQE", actual: MatchingText.cqe(observed))
                failures.add(.expectation(index), "completes", position: position, text)
            }
            return
        }
        if let sequence = expectation.stream?.cqes {
            advanceSequence(sequence, index, slot, cqe, arrival: arrival, data: data)
            return
        }
        if notification {
            if expectation.notification == false {
                if !failures.bump(.expectation(index), "notification") {
                    let text = FailureLog.Text(mark: expectation.mark, subject: subjectName(index, slot) + ": notification", family: family(index),
                          expected: "no notification CQE", actual: "a notification: " + MatchingText.cqe(observed))
                    failures.add(.expectation(index), "notification", position: position, text)
                }
            }
            if let pattern = expectation.notificationPattern {
                check(pattern, index, slot, cqe, data: data, position: position, aspect: "notification: ", mark: pattern.mark)
            }
            return
        }
        check(expectation.cqe, index, slot, cqe, data: data, position: position, aspect: "", mark: expectation.mark)
        guard let stream = expectation.stream else { return }
        if more {
            if let each = stream.each {
                check(each, index, slot, cqe, data: data, position: position, aspect: "each CQE: ", mark: each.mark)
            }
            return
        }
        switch stream.final {
        case .required: break
        case .matching(let pattern):
            check(pattern, index, slot, cqe, data: data, position: position, aspect: "final CQE: ", mark: pattern.mark)
        case .absent:
            if !failures.bump(.expectation(index), "final CQE") {
                let text = FailureLog.Text(mark: stream.mark, subject: subjectName(index, slot) + ": final CQE", family: family(index),
                      expected: "none (the stream stays open)", actual: MatchingText.cqe(observed))
                failures.add(.expectation(index), "final CQE", position: position, text)
            }
        }
    }

    /// Checks `res`, flags and buffer id of one CQE against a pattern, one mismatch per part.
    mutating func check(_ pattern: CQEPattern, _ index: Int, _ slot: Int32, _ cqe: CompletionQueueEntry, data: [UInt8]?,
                        position: Int, aspect: String, mark: SourceMark) {
        let res = cqe.res
        let flags = cqe.flags.rawValue
        if let result = pattern.result, !result.matches(res) {
            if !failures.bump(.expectation(index), aspect + "res") {
                let text = FailureLog.Text(mark: mark, subject: subjectName(index, slot) + ": " + aspect + "res", family: family(index),
                      expected: result.description, actual: describeResult(res))
                failures.add(.expectation(index), aspect + "res", position: position, text)
            }
        }
        if !pattern.flagsMatch(flags) {
            if !failures.bump(.expectation(index), aspect + "flags") {
                let text = FailureLog.Text(mark: mark, subject: subjectName(index, slot) + ": " + aspect + "flags", family: family(index),
                      expected: MatchingText.flagsPattern(pattern), actual: describeFlags(flags))
                failures.add(.expectation(index), aspect + "flags", position: position, text)
            }
        }
        if let expected = pattern.data {
            if let actual = data {
                if actual != expected, !failures.bump(.expectation(index), aspect + "data") {
                    let contents = MatchingText.contents(expected: expected, actual: actual, prefixOnly: false)
                    let text = FailureLog.Text(mark: mark, subject: subjectName(index, slot) + ": " + aspect + "data",
                                               family: family(index), expected: contents.expected, actual: contents.actual)
                    failures.add(.expectation(index), aspect + "data", position: position, text)
                }
            } else if !failures.bump(.expectation(index), aspect + "data") {
                let text = FailureLog.Text(mark: mark, subject: subjectName(index, slot) + ": " + aspect + "data", family: family(index),
                                           expected: MatchingText.byteCount(expected.count),
                                           actual: "no data: the CQE has no buffer from a buffer ring")
                failures.add(.expectation(index), aspect + "data", position: position, text)
            }
        }
        if let ids = pattern.bufferIDs {
            let id = CompletionFlags(rawValue: flags).bufferID
            if id == nil || !ids.contains(id!) {
                if !failures.bump(.expectation(index), aspect + "buffer") {
                    let text = FailureLog.Text(mark: mark, subject: subjectName(index, slot) + ": " + aspect + "buffer", family: family(index),
                          expected: MatchingText.bufferIDs(ids), actual: MatchingText.bufferOf(flags: flags))
                    failures.add(.expectation(index), aspect + "buffer", position: position, text)
                }
            }
        }
    }

    /// Checks what can only be known once a request is over: stream counts and the notification.
    /// `ending` is its final CQE, or nil at teardown for a stream that stays open.
    mutating func finalChecks(_ index: Int, _ slot: Int32, position: Int,
                              ending: (cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration)?) {
        let expectation = plan.expectations[index]
        guard expectation.completes else { return }
        if let ending, !expectation.shares.isEmpty { tallyOutcome(index, res: ending.cqe.res) }
        if let sequence = expectation.stream?.cqes {
            finishSequence(sequence, index, slot, position: position, ended: ending != nil)
            return
        }
        let record = records[Int(slot)]
        if let stream = expectation.stream {
            if let range = stream.moreCount, !range.contains(Int(record.more)) {
                if !failures.bump(.expectation(index), "more count") {
                    let text = FailureLog.Text(mark: stream.mark, subject: subjectName(index, slot) + ": CQEs with more", family: family(index),
                          expected: CheckerCore.count(range), actual: String(record.more))
                    failures.add(.expectation(index), "more count", position: position, text)
                }
            }
            if let expected = stream.data {
                let actual = record.hasData ? recordData[slot] ?? [] : []
                if actual != expected, !failures.bump(.expectation(index), "stream data") {
                    let contents = MatchingText.contents(expected: expected, actual: actual, prefixOnly: false)
                    let text = FailureLog.Text(mark: stream.mark, subject: subjectName(index, slot) + ": data", family: family(index),
                                               expected: contents.expected, actual: contents.actual)
                    failures.add(.expectation(index), "stream data", position: position, text)
                }
            }
            if let range = stream.totalCount, !range.contains(Int(record.results)) {
                if !failures.bump(.expectation(index), "count") {
                    let text = FailureLog.Text(mark: stream.mark, subject: subjectName(index, slot) + ": CQE count", family: family(index),
                          expected: CheckerCore.count(range), actual: String(record.results))
                    failures.add(.expectation(index), "count", position: position, text)
                }
            }
        }
        if expectation.notification == true, record.notifications == 0, let ending {
            let observed = ObservedCQE(cqe: ending.cqe, arrival: ending.arrival, elapsed: ending.elapsed)
            if !failures.bump(.expectation(index), "notification") {
                let text = FailureLog.Text(mark: expectation.mark, subject: subjectName(index, slot) + ": notification", family: family(index),
                      expected: "a notification CQE (notif)", actual: "none; it ended with " + MatchingText.cqe(observed))
                failures.add(.expectation(index), "notification", position: position, text)
            }
        }
    }

    /// `3`, `2 to 5`, `at least 1`, `at most 4`.
    static func count(_ range: CountRange) -> String {
        switch (range.lower, range.upper) {
        case (let lower, let upper?) where lower == upper: return String(lower)
        case (0, let upper?): return "at most \(upper)"
        case (let lower, let upper?): return "\(lower) to \(upper)"
        case (let lower, nil): return "at least \(lower)"
        }
    }

    // MARK: - Registrations

    /// A registration step ran with `result`, or a `submit` step with `expect:` made its io_uring_enter(2)
    /// (`result`: the SQEs the kernel took, or -errno).
    public mutating func registered(node: Int, result: Int32) {
        guard !tornDown, node >= 0, node < plan.graph.nodes.count else { return }
        if case .control(let control) = plan.graph.nodes[node].kind, let expected = control.expected {
            guard !expected.matches(result) else { return }
            if !failures.bump(.registration(node), "") {
                let text = FailureLog.Text(mark: control.expectationMark ?? plan.graph.nodes[node].mark,
                                           subject: control.action.resultSubject, family: nil,
                                           expected: expected.description, actual: describeResult(result))
                failures.add(.registration(node), "", position: arrivals, text)
            }
            return
        }
        guard case .registration(let step) = plan.graph.nodes[node].kind else { return }
        guard !step.expected.matches(result) else { return }
        let mark = step.expectationMark ?? plan.graph.nodes[node].mark
        if !failures.bump(.registration(node), "") {
            let text = FailureLog.Text(mark: mark, subject: step.registration.stepName, family: nil,
                                       expected: step.expected.description, actual: describeResult(result))
            failures.add(.registration(node), "", position: arrivals, text)
        }
    }
}

/// The iterations of an instance, without an allocation for up to four enclosing repeat blocks; deeper
/// ones (or iterations beyond Int32) are `isDeep` and kept by the caller.
struct PackedIterations: Hashable {
    private var count: Int32
    private var a: Int32, b: Int32, c: Int32, d: Int32

    init(_ iterations: [Int]) {
        (a, b, c, d) = (0, 0, 0, 0)
        let n = iterations.count
        count = n <= 4 ? Int32(n) : -1
        guard n <= 4 else { return }
        for level in 0..<n {
            guard let value = Int32(exactly: iterations[level]) else {
                count = -1
                return
            }
            switch level {
            case 0: a = value
            case 1: b = value
            case 2: c = value
            default: d = value
            }
        }
    }

    var isDeep: Bool { count < 0 }

    /// The iterations (empty when `isDeep`).
    var array: [Int] {
        switch count {
        case 1: return [Int(a)]
        case 2: return [Int(a), Int(b)]
        case 3: return [Int(a), Int(b), Int(c)]
        case 4: return [Int(a), Int(b), Int(c), Int(d)]
        default: return []
        }
    }
}
