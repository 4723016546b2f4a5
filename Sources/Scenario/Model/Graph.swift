import IoUring

/// A node's position in `ScenarioGraph.nodes`.
public typealias NodeID = Int
/// A repeat block's position in `ScenarioGraph.blocks`.
public typealias BlockID = Int

/// The steps of a scenario as a graph. `nodes` lists every step once, in source order; a repeat block
/// is a node followed by its body (a contiguous range of nodes), so N iterations are never materialised.
/// `edges` carry what the planner must honour: link chains, drains, data dependencies and submit points.
public struct ScenarioGraph: Hashable, Sendable {
    public internal(set) var nodes: [Node]
    public internal(set) var edges: [Edge]
    public internal(set) var blocks: [RepeatBlock]
    /// How many SQEs one run issues, repeat blocks expanded.
    public internal(set) var requestCount: UInt64

    public init(nodes: [Node] = [], edges: [Edge] = [], blocks: [RepeatBlock] = [], requestCount: UInt64 = 0) {
        self.nodes = nodes
        self.edges = edges
        self.blocks = blocks
        self.requestCount = requestCount
    }

    /// The nodes that are not inside any repeat block, in order (a repeat block appears as its own node).
    public var topLevel: [NodeID] { nodes.filter { $0.block == nil }.map(\.id) }

    /// The nodes directly inside `block` (nested blocks appear as their own node).
    public func body(of block: BlockID) -> [NodeID] {
        blocks[block].body.filter { nodes[$0].block == block }
    }

    /// The SQE spec of `node`, if it is a request.
    public func request(_ node: NodeID) -> RequestSpec? {
        if case .request(let spec) = nodes[node].kind { return spec }
        return nil
    }

    /// Edges leaving `node`, of any kind.
    public func edges(from node: NodeID) -> [Edge] { edges.filter { $0.from == node } }

    /// The enclosing repeat blocks of `node`, outermost first.
    public func enclosingBlocks(of node: NodeID) -> [BlockID] {
        var chain: [BlockID] = []
        var block = nodes[node].block
        while let current = block {
            chain.append(current)
            block = blocks[current].parent
        }
        return chain.reversed()
    }

    /// Every step instance in execution order, repeat blocks expanded lazily (the runner streams this).
    public var instances: StepInstances { StepInstances(graph: self) }
}

/// A step as it executes: the node, and the current iteration of each enclosing repeat block (outermost first).
public struct StepInstance: Hashable, Sendable {
    public var node: NodeID
    public var iterations: [Int]

    public init(node: NodeID, iterations: [Int]) {
        self.node = node
        self.iterations = iterations
    }
}

/// The steps of a graph in execution order, expanding repeat blocks one iteration at a time.
public struct StepInstances: Sequence, Sendable {
    let graph: ScenarioGraph

    public func makeIterator() -> Iterator { Iterator(graph: graph) }

    /// Streams instances from flat tables of the graph (what each node is, where each block's body
    /// ends), so a step costs a few loads: no node or block is copied, and the iterations array is
    /// updated in place (a caller that keeps an instance's `iterations` gets its own copy on write).
    public struct Iterator: IteratorProtocol, Sendable {
        /// Per node: the repeat block it opens, or -1 for a step.
        private let opens: [Int]
        /// Per block: the first node of its body, the end of its body, its count.
        private let bodyStart: [Int]
        private let bodyEnd: [Int]
        private let counts: [Int]
        private var position: NodeID = 0
        /// Open repeat blocks, innermost last, and the iteration of each (`iterations` is handed out).
        private var openBlocks: [BlockID] = []
        /// The iterations of the open blocks, outermost first: those of the node `nextNode()` returned.
        public private(set) var iterations: [Int] = []

        init(graph: ScenarioGraph) {
            var opens = [Int](repeating: -1, count: graph.nodes.count)
            for block in graph.blocks { opens[block.node] = block.id }
            self.opens = opens
            bodyStart = graph.blocks.map(\.body.lowerBound)
            bodyEnd = graph.blocks.map(\.body.upperBound)
            counts = graph.blocks.map(\.count)
        }

        public mutating func next() -> StepInstance? {
            guard let node = nextNode() else { return nil }
            return StepInstance(node: node, iterations: iterations)
        }

        /// The next step's node, its iterations left in `iterations` (no instance is built).
        public mutating func nextNode() -> NodeID? {
            while true {
                if let innermost = openBlocks.last, position >= bodyEnd[innermost] {
                    let level = openBlocks.count - 1
                    if iterations[level] + 1 < counts[innermost] {
                        iterations[level] += 1
                        position = bodyStart[innermost]
                    } else {
                        openBlocks.removeLast()
                        iterations.removeLast()
                    }
                    continue
                }
                guard position < opens.count else { return nil }
                let block = opens[position]
                if block >= 0 {
                    if counts[block] == 0 || bodyStart[block] >= bodyEnd[block] {
                        position = bodyEnd[block]
                    } else {
                        openBlocks.append(block)
                        iterations.append(0)
                        position = bodyStart[block]
                    }
                    continue
                }
                position += 1
                return position - 1
            }
        }

        /// Goes on from `node`, a later node of the current body (for a caller that ran the ones before
        /// it itself).
        public mutating func skip(to node: NodeID) {
            position = node
        }

        /// Sets the innermost block's iteration and goes on from `node` of its body (`bodyEnd`: after
        /// that iteration), for a caller that ran those instances itself.
        public mutating func setInnermost(iteration: Int, through node: NodeID) {
            iterations[iterations.count - 1] = iteration
            position = node
        }
    }
}

/// One step of a scenario.
public struct Node: Hashable, Sendable {
    public let id: NodeID
    public var kind: NodeKind
    /// Where the step starts in the YAML file.
    public var mark: SourceMark
    /// The innermost repeat block around the step.
    public var block: BlockID?

    public init(id: NodeID, kind: NodeKind, mark: SourceMark, block: BlockID?) {
        self.id = id
        self.kind = kind
        self.mark = mark
        self.block = block
    }
}

public enum NodeKind: Hashable, Sendable {
    /// An SQE to issue.
    case request(RequestSpec)
    /// An `io_uring_register(2)` call made at this point.
    case registration(RegistrationStep)
    /// Something the runner does at this point: submit, wait, sleep, or act as a peer.
    case control(ControlStep)
    /// A repeat block; its body follows it in `nodes`.
    case repeatBlock(BlockID)
}

/// A `repeat` block: its body runs `count` times; `{index}` in ids and paths is the iteration (from 0).
public struct RepeatBlock: Hashable, Sendable {
    public let id: BlockID
    /// The repeat node itself.
    public var node: NodeID
    public var count: Int
    /// The name of the iteration index (`i` unless the block says `as: j`).
    public var indexName: String
    /// The nodes inside the block, nested blocks included.
    public var body: Range<NodeID>
    public var parent: BlockID?
    /// SQEs one iteration issues (nested blocks expanded).
    public var requestsPerIteration: UInt64
    public var mark: SourceMark
}

/// The user_data of a request: `base` plus, for each enclosing repeat block, the iteration times the
/// block's stride. Outside repeat blocks it is just `base`.
public struct UserDataRule: Hashable, Sendable, CustomStringConvertible {
    public var base: UInt64
    /// One stride per enclosing block, outermost first (0 for an explicit `user_data`, which repeats as is).
    public var strides: [UInt64]
    /// Whether the scenario wrote the number (`user_data:`) rather than ringscript numbering the request.
    public var isExplicit: Bool
    /// The base the scenario wrote an explicit number in (16 for `0x…`, 8 for `0o…`, 2 for `0b…`), so
    /// logs can show it the same way.
    public var radix = 10

    public init(base: UInt64, strides: [UInt64] = [], isExplicit: Bool = false) {
        self.base = base
        self.strides = strides
        self.isExplicit = isExplicit
    }

    /// The user_data of the instance at `iterations` (outermost first).
    public func value(iterations: [Int]) -> UInt64 {
        var value = base
        for (stride, iteration) in zip(strides, iterations) { value &+= stride &* UInt64(iteration) }
        return value
    }

    public var description: String {
        var text = String(base)
        for (index, stride) in strides.enumerated() where stride != 0 { text += " + \(stride)*it\(index)" }
        return text
    }
}

/// A value a step names from its CQE (`capture: fd`), usable later as `$fd`.
public struct CaptureSpec: Hashable, Sendable {
    public var name: String
    public var kind: CaptureKind
    public var mark: SourceMark
}

/// An SQE to issue: everything the runner needs to fill it in exactly.
public struct RequestSpec: Hashable, Sendable {
    /// The op-table name (`read`, `accept_direct`, `raw`).
    public var operation: String
    /// The kernel opcode number (any byte for `raw`).
    public var opcodeValue: UInt8
    /// The typed arguments, op-table defaults filled in.
    public var arguments: Arguments
    /// IOSQE_* flags: written ones plus implied ones (fixed file, buffer select).
    public var flags: SubmissionFlags
    public var userData: UserDataRule
    /// The symbolic id (`r1`, `r{i}`), if any.
    public var id: TemplateText?
    public var capture: CaptureSpec?
    /// Whether the request may post several CQEs (multishot accept/recv/poll/timeout, zero-copy sends).
    public var isMultishot: Bool
    /// `allow_dangling_link: true`: a link flag before a submit point is wanted (bug reproduction).
    public var allowsDanglingLink: Bool
    /// `sqe:`: raw SQE fields set after the op prepared its SQE.
    public var sqeOverrides: SQEOverrides? = nil

    /// The opcode, when it is one this engine knows.
    public var opcode: Opcode? { Opcode(rawValue: opcodeValue) }
}

/// An edge of the graph. All edges point forward in execution order.
public struct Edge: Hashable, Sendable, CustomStringConvertible {
    public var from: NodeID
    public var to: NodeID
    public var kind: Kind

    public enum Kind: Hashable, Sendable {
        /// IOSQE_IO_LINK: `to` starts only if `from` succeeds.
        case link
        /// IOSQE_IO_HARDLINK: `to` starts after `from`, whatever its result.
        case hardlink
        /// IOSQE_IO_DRAIN on `to`: it starts only after `from` and every request before it completed.
        case drain
        /// `to` uses a value captured from `from`'s CQE: the runner waits for that CQE before preparing `to`.
        case capture(String)
        /// `to` is a control or registration step: the SQEs up to `from` are submitted before it.
        case submitBoundary
    }

    public init(from: NodeID, to: NodeID, kind: Kind) {
        self.from = from
        self.to = to
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .link: return "\(from) -link-> \(to)"
        case .hardlink: return "\(from) -hardlink-> \(to)"
        case .drain: return "\(from) -drain-> \(to)"
        case .capture(let name): return "\(from) -$\(name)-> \(to)"
        case .submitBoundary: return "\(from) -submit-> \(to)"
        }
    }
}
