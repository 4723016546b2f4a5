import IoUring

/// What the runner reports as a scenario runs. The runner calls these in the order things happen; a
/// `TraceObserver` sees each event once and keeps only what it needs, so a scenario that streams a
/// million requests is observed in constant memory.
public enum TraceEvent: Sendable {
    /// An SQE was queued (and will be submitted by the next enter). Every field as written.
    case queued(QueuedRequest)
    /// `io_uring_enter(2)` was called.
    case entered(EnterCall)
    /// A CQE was reaped.
    case completed(ObservedCQE)
    /// An `io_uring_register(2)` step ran, or a `submit` step with `expect:` made its io_uring_enter(2).
    case registered(RegistrationOutcome)
    /// A control step ran (submit, wait, sleep, peer action): what it did, for the live log.
    case controlled(node: Int, iterations: [Int], summary: String, elapsed: Duration)
    /// The scenario's steps are over (or its deadline passed): from here on the runner cancels what is
    /// still in flight and drains the ring. CQEs after this event are logged but not checked.
    case teardown(deadlineExpired: Bool, elapsed: Duration)
}

/// An SQE as the runner queued it.
public struct QueuedRequest: Sendable {
    /// The graph node and the iteration of each enclosing repeat block (outermost first).
    public var node: Int
    public var iterations: [Int]
    /// The resolved id (`r3`), if the step has one.
    public var id: String?
    public var userData: UInt64
    /// Every SQE field as written to the ring.
    public var sqe: RawSQE
    public var elapsed: Duration

    public init(node: Int, iterations: [Int], id: String?, userData: UInt64, sqe: RawSQE, elapsed: Duration) {
        self.node = node
        self.iterations = iterations
        self.id = id
        self.userData = userData
        self.sqe = sqe
        self.elapsed = elapsed
    }
}

/// One `io_uring_enter(2)` call and its result (`-errno` on failure).
public struct EnterCall: Sendable {
    public var toSubmit: UInt32
    public var minComplete: UInt32
    public var flags: EnterFlags
    public var result: Int32
    public var elapsed: Duration
    /// When the call was made (`elapsed` is when it returned): the submission time of the SQEs it took.
    public var started: Duration

    public init(toSubmit: UInt32, minComplete: UInt32, flags: EnterFlags, result: Int32, elapsed: Duration,
                started: Duration? = nil) {
        self.toSubmit = toSubmit
        self.minComplete = minComplete
        self.flags = flags
        self.result = result
        self.elapsed = elapsed
        self.started = started ?? elapsed
    }
}

/// A reaped CQE with its arrival position.
public struct ObservedCQE: Sendable {
    public var cqe: CompletionQueueEntry
    /// 0-based position among every CQE of the run.
    public var arrival: Int
    public var elapsed: Duration
    /// The bytes the CQE delivered into a buffer-ring buffer, when the runner was asked to read them
    /// (a `data` expectation) and could (the buffer came from a buffer ring, whole or in part).
    public var data: [UInt8]?

    public init(cqe: CompletionQueueEntry, arrival: Int, elapsed: Duration, data: [UInt8]? = nil) {
        self.cqe = cqe
        self.arrival = arrival
        self.elapsed = elapsed
        self.data = data
    }
}

/// The result of a registration step (`-errno` on failure).
public struct RegistrationOutcome: Sendable {
    public var node: Int
    public var iterations: [Int]
    /// The call's result: ≥ 0 (for a submit step, the SQEs the kernel took) or -errno.
    public var result: Int32
    public var elapsed: Duration
    /// Whether the step is a `submit` (its io_uring_enter(2)) rather than a registration.
    public var isSubmit: Bool

    public init(node: Int, iterations: [Int], result: Int32, elapsed: Duration, isSubmit: Bool = false) {
        self.node = node
        self.iterations = iterations
        self.result = result
        self.elapsed = elapsed
        self.isSubmit = isSubmit
    }
}

/// Receives trace events as they happen.
public protocol TraceObserver: AnyObject {
    func observe(_ event: TraceEvent)
}

/// What the sandbox and the buffers looked like after the run, gathered by the runner for the
/// post-conditions the scenario states (and only those).
public struct PostRunFacts: Sendable {
    /// The bytes of each buffer resource a condition names.
    public var buffers: [String: [UInt8]]
    /// The state of each sandbox path a condition names.
    public var files: [String: FileFacts]

    public init(buffers: [String: [UInt8]] = [:], files: [String: FileFacts] = [:]) {
        self.buffers = buffers
        self.files = files
    }
}

/// One sandbox path after the run, from lstat(2) and, for regular files, its content.
public struct FileFacts: Hashable, Sendable {
    public enum Kind: String, Sendable { case missing, file, directory, symlink, other }
    public var kind: Kind
    public var size: UInt64
    /// The content of a regular file (nil for other kinds, or when no condition needs it).
    public var content: [UInt8]?
    /// Why a content a condition needs was not read (an error, or the run's deadline passing).
    public var unread: String?

    public init(kind: Kind, size: UInt64 = 0, content: [UInt8]? = nil, unread: String? = nil) {
        self.kind = kind
        self.size = size
        self.content = content
        self.unread = unread
    }
}

/// How a run ended, as the runner saw it.
public struct RunEnding: Sendable {
    /// The deadline passed before every expected CQE arrived; in-flight work was cancelled.
    public var deadlineExpired: Bool
    /// How long the run took.
    public var duration: Duration

    public init(deadlineExpired: Bool, duration: Duration) {
        self.deadlineExpired = deadlineExpired
        self.duration = duration
    }
}

/// Fans events out to several observers (the checker, the live `--trace` log, a bounded recorder).
public final class TraceFanOut: TraceObserver {
    public var observers: [any TraceObserver]

    public init(_ observers: [any TraceObserver]) { self.observers = observers }

    public func observe(_ event: TraceEvent) {
        for observer in observers { observer.observe(event) }
    }
}

/// The trace of one run as the JSON reports carry it: every SQE, enter, CQE and step in the order they
/// happened, up to a cap; `dropped` says how many records past the cap were not kept.
public struct RecordedTrace: Sendable {
    public enum Record: Sendable {
        case sqe(QueuedRequest)
        case enter(EnterCall)
        /// A CQE with the id its user_data maps to (nil when no queued SQE had it).
        case cqe(ObservedCQE, id: String?)
        case registration(RegistrationOutcome)
        case step(node: Int, iterations: [Int], summary: String, elapsed: Duration)
        case teardown(deadlineExpired: Bool, elapsed: Duration)
    }

    public var records: [Record] = []
    /// The most records kept.
    public var limit: Int
    /// Records that happened past `limit`.
    public var dropped = 0

    public init(limit: Int) { self.limit = limit }
}

/// Keeps the trace for the JSON reports, bounded by `limit` records per run (a streamed scenario of a
/// million requests keeps its first `limit` and counts the rest).
public final class TraceRecorder: TraceObserver {
    public private(set) var trace: RecordedTrace
    /// user_data → id of the SQEs recorded, to name the CQEs.
    private var ids: [UInt64: String] = [:]

    /// 10,000 records: a few MB of JSON at most per scenario.
    public static let defaultLimit = 10_000

    public init(limit: Int = TraceRecorder.defaultLimit) { trace = RecordedTrace(limit: limit) }

    public func observe(_ event: TraceEvent) {
        guard trace.records.count < trace.limit else {
            trace.dropped += 1
            return
        }
        switch event {
        case .queued(let request):
            if let id = request.id { ids[request.userData] = id }
            var kept = request
            kept.sqe.keepAlive = []  // the record is for the report: it must not hold kernel memory alive
            trace.records.append(.sqe(kept))
        case .entered(let call): trace.records.append(.enter(call))
        case .completed(let observed): trace.records.append(.cqe(observed, id: ids[observed.cqe.userData]))
        case .registered(let outcome): trace.records.append(.registration(outcome))
        case .controlled(let node, let iterations, let summary, let elapsed):
            trace.records.append(.step(node: node, iterations: iterations, summary: summary, elapsed: elapsed))
        case .teardown(let expired, let elapsed): trace.records.append(.teardown(deadlineExpired: expired, elapsed: elapsed))
        }
    }
}
