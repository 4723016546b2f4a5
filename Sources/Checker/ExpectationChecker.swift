import IoUring
import Scenario

/// Checks a run against its scenario's expectations while the run happens, from the runner's trace
/// events, and gives the verdict at the end.
///
/// Memory stays constant in the number of iterations: the checker keeps one aggregate per expectation
/// (the first failure and a count of later ones) and state only for requests still outstanding.
///
/// The rules it applies:
/// - A request instance is outstanding from `.queued` until its final CQE: the one without IORING_CQE_F_MORE
///   for multishot requests (and `raw` steps), the first one for single-shot requests (so CQEs a single-shot
///   request posts after a stray IORING_CQE_F_MORE are listed as unclaimed). A CQE goes to the oldest outstanding instance with that user_data (user_data shared on
///   purpose is attributed first in, first out).
/// - A request with no written expectation only has to post its CQE (its final one, for multishot requests),
///   with any res. "No other CQEs" is about CQEs that belong to no request: a CQE whose user_data no
///   outstanding request has — an extra CQE of a finished request included — is unclaimed, and fails the
///   run unless `allow_other_cqes: true` (or a user_data expectation names that number, which claims it).
/// - Every expected request must post its final CQE before `.teardown`, except when an expectation says
///   `completes: false` or `final: none`, or the SQE had IOSQE_CQE_SKIP_SUCCESS (which posts nothing on
///   success; an expectation that rules success out then fails). Those that did not are `neverCompleted`:
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
public final class ExpectationChecker: TraceObserver {
    public let scenario: Scenario
    let plan: CheckPlan

    /// Unclaimed CQEs listed in the outcome; more are only counted.
    static let unclaimedLimit = 100

    /// A queued request instance without its final CQE yet (or a run of CQEs for an expected user_data
    /// that no queued request has, with `node` -1).
    final class Instance {
        let node: NodeID
        let iterations: [Int]
        let id: String?
        var userData: UInt64
        let sequence: Int
        let skipSuccess: Bool
        /// A single-shot request ends with its first CQE, IORING_CQE_F_MORE or not (`raw` steps follow the flag).
        let singleShot: Bool
        /// Indices into `plan.expectations`: the instance's own first, then every-iteration ones, then user_data ones.
        var expectations: [Int]
        var orderRoles: [OrderRole]
        /// Whether order tracking waits for its first CQE.
        var pendingInOrder = false
        /// Whether the run must wait for its final CQE (counted in `awaitedCompletions`).
        var awaited = false
        /// CQEs other than notifications; those with IORING_CQE_F_MORE; notifications.
        var results = 0
        var more = 0
        var notifications = 0
        /// For an IOSQE_CQE_SKIP_SUCCESS request that posted nothing during the run: the res of a CQE it
        /// posted after `.teardown` (teardown's cancel reached it, so it had not finished).
        var teardownResult: Int32?
        /// The bytes its CQEs delivered, joined, for a stream `data` expectation.
        var data: [UInt8] = []
        /// For a poll_update with a new user_data: the poll it re-keys.
        var rename: (from: UInt64, to: UInt64)?
        var next: Instance?

        init(node: NodeID, iterations: [Int], id: String?, userData: UInt64, sequence: Int, skipSuccess: Bool,
             singleShot: Bool = false, expectations: [Int], orderRoles: [OrderRole]) {
            self.node = node
            self.iterations = iterations
            self.id = id
            self.userData = userData
            self.sequence = sequence
            self.skipSuccess = skipSuccess
            self.singleShot = singleShot
            self.expectations = expectations
            self.orderRoles = orderRoles
        }

        var hasPosted: Bool { results + notifications > 0 }
    }

    /// The outstanding instances with one user_data, oldest first.
    struct Bucket {
        var head: Instance
        var tail: Instance
    }

    /// Per order constraint: earlier-side instances still owing their first CQE, by shared iterations.
    struct OrderState {
        var pending: [[Int]: Int] = [:]
        var earlierSeen = false
        var violations = 0
        var first: Violation?

        struct Violation {
            var later: String
            var laterArrival: Int
            var key: [Int]
            var earlier: String?
            var earlierArrival: Int?
        }
    }

    var outstanding: [UInt64: Bucket] = [:]
    var outstandingCount = 0
    /// Queued request instances that still owe their final CQE and are not excused from it
    /// (`completes: false`, `final: none`, IOSQE_CQE_SKIP_SUCCESS). Once the last step has run, the runner
    /// may stop waiting when this is 0: every request the expectations wait for has completed.
    public private(set) var awaitedCompletions = 0
    /// CQEs for expected user_data numbers that no queued request has (a poll re-keyed by poll_update…).
    var requestless: [UInt64: Instance] = [:]
    /// user_data numbers that expectations name and CQEs carried.
    var expectedUserDataSeen: Set<UInt64> = []
    /// poll_update's new user_data → the old one, until the update completes.
    var renames: [UInt64: UInt64] = [:]
    var queuedCounts: [UInt64]
    var lastQueued: [[Int]?]
    var orderStates: [OrderState]
    var failures = FailureLog()
    var unclaimed: [ObservedCompletion] = []
    var unclaimedTotal = 0
    var unclaimedOverflowPosition = 0
    var sequence = 0
    /// CQEs seen so far (the position of events between CQEs).
    var arrivals = 0
    var tornDown = false

    /// How many things the checker holds right now: outstanding instances, pending order entries, failure
    /// records, stored unclaimed CQEs. It does not grow with the number of iterations.
    var retainedStateCount: Int {
        outstandingCount + requestless.count + renames.count + orderStates.reduce(0) { $0 + $1.pending.count }
            + failures.records.count + unclaimed.count
    }

    public init(scenario: Scenario) {
        self.scenario = scenario
        plan = CheckPlan(scenario)
        queuedCounts = [UInt64](repeating: 0, count: scenario.graph.nodes.count)
        lastQueued = [[Int]?](repeating: nil, count: scenario.graph.nodes.count)
        orderStates = [OrderState](repeating: OrderState(), count: plan.orders.count)
    }

    /// The buffers and sandbox paths whose state after the run the post-conditions need.
    public var neededFacts: (buffers: [String], paths: [String]) {
        var buffers: [String] = []
        for condition in scenario.expectations.buffers where !buffers.contains(condition.buffer) { buffers.append(condition.buffer) }
        var paths: [String] = []
        for condition in scenario.expectations.files where !paths.contains(condition.path) { paths.append(condition.path) }
        return (buffers, paths)
    }

    public func observe(_ event: TraceEvent) {
        guard !tornDown else {
            if case .completed(let observed) = event { completedAfterTeardown(observed) }
            return
        }
        switch event {
        case .queued(let request): queued(request)
        case .completed(let observed): completed(observed)
        case .registered(let outcome): registered(outcome)
        case .teardown: tornDown = true
        case .entered, .controlled: break
        }
    }

    // MARK: - Queued SQEs

    func queued(_ request: QueuedRequest) {
        let node = request.node
        guard node >= 0, node < plan.graph.nodes.count, let spec = plan.graph.request(node) else { return }
        queuedCounts[node] += 1
        lastQueued[node] = request.iterations
        sequence += 1

        var expectations = plan.eachExpectations[node]
        if let byIterations = plan.instanceExpectations[node], let own = byIterations[request.iterations] {
            expectations = own + expectations
        }
        if let byUserData = plan.userDataExpectations[request.userData] { expectations += byUserData }
        var roles = plan.orderRoles[node]
        if roles.contains(where: { $0.instance != nil }) {
            roles = roles.filter { $0.instance == nil || $0.instance! == request.iterations }
        }
        let skipSuccess = request.sqe.flags & SubmissionFlags.skipSuccess.rawValue != 0
        let instance = Instance(node: node, iterations: request.iterations, id: request.id, userData: request.userData,
                                sequence: sequence, skipSuccess: skipSuccess,
                                singleShot: !spec.isMultishot && spec.operation != "raw",
                                expectations: expectations, orderRoles: roles)
        if !roles.isEmpty, !skipSuccess, !expectations.contains(where: { !plan.expectations[$0].completes }) {
            instance.pendingInOrder = true
            for role in roles where role.isEarlier {
                orderStates[role.rule].pending[key(instance.iterations, role.rule), default: 0] += 1
            }
        }
        if !skipSuccess, !expectations.contains(where: { plan.relaxes[$0] }) {
            instance.awaited = true
            awaitedCompletions += 1
        }
        if spec.operation == "poll_update", let newUserData = spec.arguments.unsigned("new_user_data") {
            instance.rename = (request.sqe.addr, newUserData)
            renames[newUserData] = request.sqe.addr
        }
        push(instance)
    }

    func push(_ instance: Instance) {
        if let bucket = outstanding[instance.userData] {
            bucket.tail.next = instance
            outstanding[instance.userData]!.tail = instance
        } else {
            outstanding[instance.userData] = Bucket(head: instance, tail: instance)
        }
        outstandingCount += 1
    }

    /// Removes the oldest outstanding instance with `userData`.
    @discardableResult
    func popHead(_ userData: UInt64) -> Instance? {
        guard let bucket = outstanding[userData] else { return nil }
        let head = bucket.head
        if let next = head.next {
            outstanding[userData]!.head = next
        } else {
            outstanding[userData] = nil
        }
        head.next = nil
        outstandingCount -= 1
        return head
    }

    /// poll_update gave a poll a new user_data: its instance moves there and takes that number's expectations.
    func applyRename(from old: UInt64, to new: UInt64) {
        renames[new] = nil
        guard let instance = popHead(old) else { return }
        instance.userData = new
        for index in plan.userDataExpectations[new] ?? [] where !instance.expectations.contains(index) {
            instance.expectations.append(index)
            if plan.relaxes[index], instance.awaited {
                instance.awaited = false
                awaitedCompletions -= 1
            }
        }
        push(instance)
    }

    // MARK: - CQEs

    func completed(_ observed: ObservedCQE) {
        arrivals = max(arrivals, observed.arrival + 1)
        let userData = observed.cqe.userData
        if userData == IoUring.reservedBarrierUserData || userData == IoUring.reservedCancelUserData { return }
        if outstanding[userData] == nil, let old = renames[userData] { applyRename(from: old, to: userData) }
        let expectedUserData = plan.userDataExpectations[userData]
        if expectedUserData != nil { expectedUserDataSeen.insert(userData) }
        if let bucket = outstanding[userData] {
            if handle(bucket.head, observed), let done = popHead(userData), done.awaited {
                done.awaited = false
                awaitedCompletions -= 1
            }
        } else if let expectations = expectedUserData {
            let instance = requestless[userData] ?? {
                sequence += 1
                return Instance(node: -1, iterations: [], id: nil, userData: userData, sequence: sequence,
                                skipSuccess: false, expectations: expectations, orderRoles: [])
            }()
            requestless[userData] = handle(instance, observed) ? nil : instance
        } else {
            unclaimedCQE(observed)
        }
    }

    /// CQEs after `.teardown` are not checked, except that one for an IOSQE_CQE_SKIP_SUCCESS request that
    /// had posted nothing shows the request was still in flight: its silence was not a success.
    func completedAfterTeardown(_ observed: ObservedCQE) {
        var instance = outstanding[observed.cqe.userData]?.head
        while let current = instance {
            if current.skipSuccess, !current.hasPosted, current.teardownResult == nil {
                current.teardownResult = observed.cqe.res
                return
            }
            instance = current.next
        }
    }

    func unclaimedCQE(_ observed: ObservedCQE) {
        guard !scenario.expectations.allowsOtherCompletions else { return }
        unclaimedTotal += 1
        guard unclaimed.count < ExpectationChecker.unclaimedLimit else {
            if unclaimedTotal == ExpectationChecker.unclaimedLimit + 1 { unclaimedOverflowPosition = observed.arrival }
            return
        }
        let cqe = observed.cqe
        let owner = plan.request(withUserData: cqe.userData)
        unclaimed.append(ObservedCompletion(id: owner.map { plan.name(node: $0.node, iterations: $0.iterations, id: nil) },
                                            userData: cqe.userData, res: cqe.res, flags: cqe.flags.rawValue,
                                            arrival: observed.arrival, elapsed: observed.elapsed))
    }

    /// Checks one CQE of `instance`; returns whether it was its final one.
    func handle(_ instance: Instance, _ observed: ObservedCQE) -> Bool {
        let raw = observed.cqe.flags.rawValue
        let more = raw & CompletionFlags.more.rawValue != 0
        let notification = raw & CompletionFlags.notification.rawValue != 0
        if !instance.hasPosted { firstCQE(of: instance, observed) }
        for index in instance.expectations { check(index, instance, observed, more: more, notification: notification) }
        if notification {
            instance.notifications += 1
        } else {
            instance.results += 1
            if more { instance.more += 1 }
            if let bytes = observed.data { instance.data += bytes }
            if let rename = instance.rename, instance.results == 1 {
                if observed.cqe.res >= 0 { applyRename(from: rename.from, to: rename.to) } else { renames[rename.to] = nil }
            }
        }
        guard !more || instance.singleShot else { return false }
        for index in instance.expectations { finalChecks(index, instance, position: observed.arrival, ending: observed) }
        return true
    }

    /// What a mismatch calls the instance: the user_data for user_data expectations, else its id.
    func subjectName(_ index: Int, _ instance: Instance) -> String {
        if case .userData = plan.expectations[index].subject { return plan.labels[index] }
        return plan.name(node: instance.node, iterations: instance.iterations, id: instance.id)
    }

    /// What further failures of an every-iteration expectation are instances of (`r{i}`).
    func family(_ index: Int) -> String? {
        if case .request(let node, .each, _) = plan.expectations[index].subject, plan.instanceCounts[node] > 1 {
            return plan.labels[index]
        }
        return nil
    }

    func check(_ index: Int, _ instance: Instance, _ observed: ObservedCQE, more: Bool, notification: Bool) {
        let expectation = plan.expectations[index]
        let position = observed.arrival
        if !expectation.completes {
            failures.record(.expectation(index), "completes", position: position) {
                .init(mark: expectation.mark, subject: subjectName(index, instance) + ": completes", family: family(index),
                      expected: "no CQE", actual: MatchingText.cqe(observed))
            }
            return
        }
        if notification {
            if expectation.notification == false {
                failures.record(.expectation(index), "notification", position: position) {
                    .init(mark: expectation.mark, subject: subjectName(index, instance) + ": notification", family: family(index),
                          expected: "no notification CQE", actual: "a notification: " + MatchingText.cqe(observed))
                }
            }
            if let pattern = expectation.notificationPattern {
                check(pattern, index, instance, observed, aspect: "notification: ", mark: pattern.mark)
            }
            return
        }
        check(expectation.cqe, index, instance, observed, aspect: "", mark: expectation.mark)
        guard let stream = expectation.stream else { return }
        if more {
            if let each = stream.each { check(each, index, instance, observed, aspect: "each CQE: ", mark: each.mark) }
            return
        }
        switch stream.final {
        case .required: break
        case .matching(let pattern): check(pattern, index, instance, observed, aspect: "final CQE: ", mark: pattern.mark)
        case .absent:
            failures.record(.expectation(index), "final CQE", position: position) {
                .init(mark: stream.mark, subject: subjectName(index, instance) + ": final CQE", family: family(index),
                      expected: "none (the stream stays open)", actual: MatchingText.cqe(observed))
            }
        }
    }

    /// Checks `res`, flags and buffer id of one CQE against a pattern, one mismatch per part.
    func check(_ pattern: CQEPattern, _ index: Int, _ instance: Instance, _ observed: ObservedCQE, aspect: String, mark: SourceMark) {
        let res = observed.cqe.res
        let flags = observed.cqe.flags.rawValue
        let position = observed.arrival
        if let result = pattern.result, !result.matches(res) {
            failures.record(.expectation(index), aspect + "res", position: position) {
                .init(mark: mark, subject: subjectName(index, instance) + ": " + aspect + "res", family: family(index),
                      expected: result.description, actual: describeResult(res))
            }
        }
        let setOK = pattern.flagsSet.map { UInt64(flags) & $0.value == $0.value } ?? true
        let clearOK = pattern.flagsClear.map { UInt64(flags) & $0.value == 0 } ?? true
        if !setOK || !clearOK {
            failures.record(.expectation(index), aspect + "flags", position: position) {
                .init(mark: mark, subject: subjectName(index, instance) + ": " + aspect + "flags", family: family(index),
                      expected: MatchingText.flagsPattern(set: pattern.flagsSet, clear: pattern.flagsClear),
                      actual: describeFlags(flags))
            }
        }
        if let expected = pattern.data {
            if let actual = observed.data {
                if actual != expected {
                    let text = MatchingText.contents(expected: expected, actual: actual, prefixOnly: false)
                    failures.record(.expectation(index), aspect + "data", position: position) {
                        .init(mark: mark, subject: subjectName(index, instance) + ": " + aspect + "data", family: family(index),
                              expected: text.expected, actual: text.actual)
                    }
                }
            } else {
                failures.record(.expectation(index), aspect + "data", position: position) {
                    .init(mark: mark, subject: subjectName(index, instance) + ": " + aspect + "data", family: family(index),
                          expected: MatchingText.byteCount(expected.count), actual: "no data: the CQE has no buffer from a buffer ring")
                }
            }
        }
        if let ids = pattern.bufferIDs {
            let id = CompletionFlags(rawValue: flags).bufferID
            if id == nil || !ids.contains(id!) {
                failures.record(.expectation(index), aspect + "buffer", position: position) {
                    .init(mark: mark, subject: subjectName(index, instance) + ": " + aspect + "buffer", family: family(index),
                          expected: MatchingText.bufferIDs(ids), actual: MatchingText.bufferOf(flags: flags))
                }
            }
        }
    }

    /// Checks what can only be known once a request is over: stream counts and the notification.
    /// `ending` is its final CQE, or nil at teardown for a stream that stays open.
    func finalChecks(_ index: Int, _ instance: Instance, position: Int, ending: ObservedCQE?) {
        let expectation = plan.expectations[index]
        guard expectation.completes else { return }
        if let stream = expectation.stream {
            if let range = stream.moreCount, !range.contains(instance.more) {
                failures.record(.expectation(index), "more count", position: position) {
                    .init(mark: stream.mark, subject: subjectName(index, instance) + ": CQEs with more", family: family(index),
                          expected: ExpectationChecker.count(range), actual: String(instance.more))
                }
            }
            if let expected = stream.data, instance.data != expected {
                let text = MatchingText.contents(expected: expected, actual: instance.data, prefixOnly: false)
                failures.record(.expectation(index), "stream data", position: position) {
                    .init(mark: stream.mark, subject: subjectName(index, instance) + ": data", family: family(index),
                          expected: text.expected, actual: text.actual)
                }
            }
            if let range = stream.totalCount, !range.contains(instance.results) {
                failures.record(.expectation(index), "count", position: position) {
                    .init(mark: stream.mark, subject: subjectName(index, instance) + ": CQE count", family: family(index),
                          expected: ExpectationChecker.count(range), actual: String(instance.results))
                }
            }
        }
        if expectation.notification == true, instance.notifications == 0, let ending {
            failures.record(.expectation(index), "notification", position: position) {
                .init(mark: expectation.mark, subject: subjectName(index, instance) + ": notification", family: family(index),
                      expected: "a notification CQE (notif)", actual: "none; it ended with " + MatchingText.cqe(ending))
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

    func registered(_ outcome: RegistrationOutcome) {
        let node = outcome.node
        guard node >= 0, node < plan.graph.nodes.count else { return }
        if case .control(let control) = plan.graph.nodes[node].kind, let expected = control.expected {
            guard !expected.matches(outcome.result) else { return }
            failures.record(.registration(node), "", position: arrivals) {
                .init(mark: control.expectationMark ?? plan.graph.nodes[node].mark, subject: "submit: SQEs the kernel took",
                      family: nil, expected: expected.description, actual: describeResult(outcome.result))
            }
            return
        }
        guard case .registration(let step) = plan.graph.nodes[node].kind else { return }
        guard !step.expected.matches(outcome.result) else { return }
        let mark = step.expectationMark ?? plan.graph.nodes[node].mark
        failures.record(.registration(node), "", position: arrivals) {
            .init(mark: mark, subject: step.registration.stepName, family: nil,
                  expected: step.expected.description, actual: describeResult(outcome.result))
        }
    }
}
