import Checker
import IoUring
import Scenario

/// One request instance as `ringscript record` saw it in one run: its CQEs before teardown (the checked
/// part of the run), its zero-copy notifications, and whether teardown's cancel made it post.
struct RecordedInstance: Sendable {
    var node: NodeID
    var iterations: [Int]
    /// The rendered id (`r3`), when the step has one.
    var id: String?
    var userData: UInt64
    /// Result CQEs before teardown, in arrival order (notifications excluded).
    var completions: [CompletionQueueEntry] = []
    /// IORING_CQE_F_NOTIF CQEs before teardown.
    var notifications: [CompletionQueueEntry] = []
    /// The arrival position of its first CQE, before teardown.
    var firstArrival: Int?
    /// A CQE without IORING_CQE_F_MORE arrived before teardown.
    var finished = false
    /// It posted only after teardown began (teardown's cancel, or a late completion).
    var postedInTeardown = false
}

/// Everything one run showed that `record` turns into expectations.
struct RecordedRun: Sendable {
    var instances: [RecordedInstance] = []
    /// CQEs whose user_data no queued request had, before teardown.
    var unclaimed: [CompletionQueueEntry] = []
    var deadlineExpired = false
    /// io_uring_enter(2) calls that failed (`-errno`), as the trace reported them.
    var failedEnters: [Int32] = []
    /// Registration steps and checked submits, with their results.
    var registrations: [RegistrationOutcome] = []
    var facts = PostRunFacts()
}

/// A `TraceObserver` that keeps what `record` needs of one run: every request instance with its CQEs.
/// It runs next to the checker (`TraceFanOut`), so the run is the one `ringscript run` makes.
final class RecordObserver: TraceObserver {
    private(set) var run = RecordedRun()
    /// user_data → the instances that still owe a CQE without IORING_CQE_F_MORE, oldest first.
    private var open: [UInt64: [Int]] = [:]
    /// user_data → the last instance queued with it (a late notification finds its send here).
    private var last: [UInt64: Int] = [:]
    private var tornDown = false
    /// Per node: whether its CQEs with IORING_CQE_F_MORE keep it open (multishot requests, zero-copy
    /// sends, raw SQEs); a single-shot request ends with its first CQE, as the checker has it.
    private let followsMore: [Bool]
    /// IORING_POLL_UPDATE_USER_DATA: the new user_data → the poll's old one. The poll's CQEs then carry
    /// the new value, and belong to it (as the checker has it).
    private var renames: [UInt64: UInt64] = [:]
    private let newUserData: [UInt64?]

    init(graph: ScenarioGraph) {
        followsMore = graph.nodes.map { node in
            guard let spec = graph.request(node.id) else { return false }
            return spec.isMultishot || spec.operation == "raw"
        }
        newUserData = graph.nodes.map { node in
            guard let spec = graph.request(node.id), spec.operation == "poll_update" else { return nil }
            return spec.arguments.unsigned("new_user_data")
        }
    }

    func observe(_ event: TraceEvent) {
        switch event {
        case .queued(let request):
            let index = run.instances.count
            run.instances.append(RecordedInstance(node: request.node, iterations: request.iterations, id: request.id,
                                                  userData: request.userData))
            if let renamed = newUserData[request.node] { renames[renamed] = request.sqe.addr }
            open[request.userData, default: []].append(index)
            last[request.userData] = index
        case .entered(let call):
            if call.result < 0, ![Errno.EINTR, .EAGAIN, .EBUSY, .ETIME].contains(Errno(rawValue: -call.result)) {
                run.failedEnters.append(call.result)
            }
        case .completed(let observed):
            let cqe = observed.cqe
            let isNotification = cqe.flags.contains(.notification)
            let index: Int?
            if isNotification {
                index = open[cqe.userData]?.first ?? last[cqe.userData]
            } else if let first = open[cqe.userData]?.first {
                index = first
            } else if let old = renames[cqe.userData], let poll = open[old]?.first {
                // A renamed poll: from now on its CQEs carry the new user_data.
                open[old]?.removeFirst()
                if open[old]?.isEmpty == true { open[old] = nil }
                open[cqe.userData, default: []].insert(poll, at: 0)
                index = poll
            } else {
                index = nil
            }
            guard let index else {
                if !tornDown { run.unclaimed.append(cqe) }
                return
            }
            let final = !cqe.flags.contains(.more) || !followsMore[run.instances[index].node]
            if final, open[cqe.userData]?.first == index {
                open[cqe.userData]?.removeFirst()
                if open[cqe.userData]?.isEmpty == true { open[cqe.userData] = nil }
            }
            if tornDown {
                run.instances[index].postedInTeardown = true
                return
            }
            if run.instances[index].firstArrival == nil { run.instances[index].firstArrival = observed.arrival }
            if isNotification {
                run.instances[index].notifications.append(cqe)
            } else {
                run.instances[index].completions.append(cqe)
            }
            if final { run.instances[index].finished = true }
        case .registered(let outcome):
            run.registrations.append(outcome)
        case .controlled:
            break
        case .teardown(let deadlineExpired, _):
            tornDown = true
            run.deadlineExpired = deadlineExpired
        }
    }

    /// The run, with the post-run facts the runner gathered.
    func finish(facts: PostRunFacts) -> RecordedRun {
        var result = run
        result.facts = facts
        return result
    }
}
