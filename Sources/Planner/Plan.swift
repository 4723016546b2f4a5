import IoUring
import Scenario

/// How the runner follows a scenario's graph while it streams `graph.instances`: for every node, whether
/// the queued SQEs are submitted before it, which captured values it waits for, which link chain it
/// belongs to, and whether the run waits for its final CQE. The plan is per node, never per instance,
/// so a repeat block of a million iterations plans in the size of its body.
public struct Plan: Hashable, Sendable {
    /// The scenario's name and file, for rendering.
    public let name: String
    public let file: String
    /// The submission queue's size: a link chain must fit in it, since the kernel only links SQEs that
    /// one `io_uring_enter(2)` submits together.
    public let sqEntries: UInt32
    /// The completion queue's size. The runner reaps before every submission, so more requests than
    /// this may be in flight; CQEs beyond it wait in the kernel's overflow list (IORING_FEAT_NODROP).
    public let cqEntries: UInt32
    /// One entry per graph node, indexed by `NodeID`.
    public let steps: [PlannedStep]
    /// Every link chain, in source order.
    public let chains: [LinkChain]
    /// SQEs one run issues, repeat blocks expanded.
    public let requestCount: UInt64
    /// The scenario's own deadline (`deadline:`), if it gives one.
    public let deadline: Duration?
    /// Single instances of repeated requests whose expectation says they need not complete
    /// (`r3: { completes: false }` for a request `r{i}`), by node.
    public let openInstances: [NodeID: Set<[Int]>]
    /// Explicit user_data values whose expectation says they need not complete.
    public let openUserData: Set<UInt64>

    /// The planned step of `node`.
    public func step(_ node: NodeID) -> PlannedStep { steps[node] }

    /// Whether the run waits, after its last step, for the final CQE of the request at `node` queued
    /// at `iterations` with `userData`. Every request is awaited (a multishot one until its CQE without
    /// IORING_CQE_F_MORE), except IOSQE_CQE_SKIP_SUCCESS requests and those an expectation lets stay open
    /// (`completes: false`, `final: none`): the checker's rule, so the run never ends before a CQE the
    /// checker requires, nor waits for one it does not.
    public func awaitsCompletion(node: NodeID, iterations: [Int], userData: UInt64) -> Bool {
        guard case .awaited = steps[node].completion else { return false }
        if openUserData.contains(userData) { return false }
        if let open = openInstances[node], open.contains(iterations) { return false }
        return true
    }
}

/// What the plan says about one node of the graph.
public struct PlannedStep: Hashable, Sendable {
    public let node: NodeID
    public var kind: Kind
    /// The enclosing repeat blocks, outermost first.
    public var blocks: [BlockID]
    /// Whether (and why) everything queued is submitted before this step runs.
    public var submitsBefore: SubmitPoint?
    /// Values this step uses that an earlier request's CQE produces: the runner submits and waits for
    /// that CQE (if it has not been reaped yet) before preparing this step.
    public var awaitedCaptures: [CaptureDependency]
    /// This request's place in a link chain.
    public var chain: ChainRole?
    /// Whether the run waits for this request's final CQE (requests only).
    public var completion: CompletionPolicy
    /// The value this step captures, and where it comes from.
    public var capture: PlannedCapture?

    public enum Kind: Hashable, Sendable {
        case request
        case registration
        case control
        case repeatBlock(BlockID)
    }

    /// The number of enclosing repeat blocks.
    public var depth: Int { blocks.count }
}

/// Why the queued SQEs are submitted before a step.
public enum SubmitPoint: Hashable, Sendable, CustomStringConvertible {
    /// An explicit `submit` step (with `wait`, min_complete for that `io_uring_enter`).
    case submit(waitFor: UInt32?)
    /// A `wait` step: submit, then wait for the listed requests.
    case wait
    /// A `sleep` step: submit, then sleep.
    case sleep
    /// A peer action (`peer_write`…), which must see the effect of what was queued before it.
    case peerAction(String)
    /// An `io_uring_register(2)` step.
    case registration(String)
    /// `enter` (its own io_uring_enter(2)), `reap` and `ring_state` (no submission).
    case ringControl(String)

    public var description: String {
        switch self {
        case .submit(let wait):
            guard let wait else { return "submit" }
            return "submit, wait for \(wait) CQE\(wait == 1 ? "" : "s")"
        case .wait: return "submit for wait"
        case .sleep: return "submit for sleep"
        case .peerAction(let name): return "submit before \(name)"
        case .registration(let name): return "submit before \(name)"
        case .ringControl(let name): return name == "enter" ? "io_uring_enter as written" : "no submit (\(name))"
        }
    }
}

/// A step's use of a value an earlier request captures.
public struct CaptureDependency: Hashable, Sendable {
    /// The capture's name, without `$`.
    public var name: String
    /// The request whose CQE produces it.
    public var producer: NodeID
}

/// A request's place in a link chain.
public enum ChainRole: Hashable, Sendable {
    /// The first SQE of chain `chain` (an index into `Plan.chains`), which has `length` SQEs in all:
    /// the runner submits first if they would not all fit in the SQ.
    case head(chain: Int, length: Int)
    /// A later SQE of chain `chain`, at `position` (1 for the second SQE).
    case member(chain: Int, position: Int)
}

/// A run of SQEs joined by IOSQE_IO_LINK / IOSQE_IO_HARDLINK, always submitted by one `io_uring_enter`.
public struct LinkChain: Hashable, Sendable {
    /// The requests in order.
    public var nodes: [NodeID]
    /// `links[k]` joins `nodes[k]` to `nodes[k + 1]`: `.link` or `.hardlink`.
    public var links: [Edge.Kind]
    /// Where the first request is written.
    public var mark: SourceMark
    /// The innermost repeat block around it (a chain never crosses a block's edge).
    public var block: BlockID?

    public var length: Int { nodes.count }
}

/// Whether the run waits for a request's final CQE after its last step.
public enum CompletionPolicy: Hashable, Sendable, CustomStringConvertible {
    /// Not a request.
    case notApplicable
    /// The run waits for its final CQE (one without IORING_CQE_F_MORE), up to the deadline.
    case awaited
    /// The run does not wait for it; teardown cancels it if it is still in flight.
    case open(OpenReason)

    public enum OpenReason: String, Hashable, Sendable {
        /// IOSQE_CQE_SKIP_SUCCESS: a success posts nothing.
        case skipSuccess = "skip_success"
        /// `completes: false`.
        case notExpectedToComplete = "completes: false"
        /// A multishot stream expected to stay open (`final: none`).
        case streamStaysOpen = "stream stays open"
    }

    public var description: String {
        switch self {
        case .notApplicable: return "-"
        case .awaited: return "awaited"
        case .open(let reason): return "not awaited (\(reason.rawValue))"
        }
    }
}

/// A value a step captures (`capture: fd`) and how the runner reads it.
public struct PlannedCapture: Hashable, Sendable {
    public var name: String
    public var kind: CaptureKind
    public var source: Source

    public enum Source: Hashable, Sendable {
        /// The `res` of the request's first CQE (a zero-copy notification never counts).
        case result
        /// The request fills a slot it names: its CQE's res is 0 on success, so the value is this slot
        /// (or the negative res when it failed).
        case namedSlot(UInt32)
        /// A control step's own value (`peer_connect`'s socket), known once the step has run.
        case controlStep
    }
}
