import IoUring
import Scenario

extension Plan {
    /// The deadline of a scenario that gives none.
    public static let defaultDeadline = Duration.seconds(10)
}

/// Renders a plan for people (`ringscript plan`) and for Graphviz (`--format dot`).
public struct PlanRenderer: Sendable {
    public let plan: Plan
    public let scenario: Scenario

    public init(plan: Plan, scenario: Scenario) {
        self.plan = plan
        self.scenario = scenario
    }

    // MARK: - Text

    /// The plan as a listing: every SQE (id, op, user_data, flags) in the order the runner queues it,
    /// every submit point and wait, link chains after their last SQE, repeat blocks once with their count.
    public var text: String {
        var output = TextOutput()
        output.line("plan: \(scenario.name) (\(scenario.file))")
        let total = plan.requestCount == 1 ? "1 SQE" : "\(plan.requestCount) SQEs"
        output.line("ring: \(plan.sqEntries) SQ entries, \(plan.cqEntries) CQ entries; \(total) in all")
        if scenario.ring.reapsManually {
            output.line("the runner also submits when the SQ is full or a link chain would not fit; submissions do not reap (ring.reap manual): reap steps, waits, captures and the end do")
        } else {
            output.line("the runner also submits when the SQ is full or a link chain would not fit, and reaps ready CQEs before every submission")
        }
        output.line("")
        var state = ListingState()
        emit(scenario.graph.topLevel, depth: 0, state: &state, into: &output)
        let deadline = plan.deadline.map(PlanRenderer.format) ?? "\(PlanRenderer.format(Plan.defaultDeadline)), the default"
        output.line("end: submit, wait for the final CQE of every awaited request (deadline \(deadline))")
        output.line("teardown: cancel what is still in flight (IORING_ASYNC_CANCEL_ANY) and drain")
        return output.text
    }

    /// What the listing knows at a point: whether SQEs are queued and not submitted, and which
    /// captures have been waited for since their producer was queued.
    private struct ListingState {
        var queued = false
        var reaped = Set<NodeID>()
    }

    private func emit(_ nodes: [NodeID], depth: Int, state: inout ListingState, into output: inout TextOutput) {
        let graph = scenario.graph
        let indent = String(repeating: "  ", count: depth)
        let submit = { (state: inout ListingState) -> String in
            defer { state.queued = false }
            return state.queued ? "submit, " : ""
        }
        for nodeID in nodes {
            let node = graph.nodes[nodeID]
            let step = plan.steps[nodeID]
            switch node.kind {
            case .request(let spec):
                for dependency in step.awaitedCaptures where !state.reaped.contains(dependency.producer) {
                    output.line(indent + "wait for $\(dependency.name): " + submit(&state) + "reap the CQE of \(name(of: dependency.producer))")
                    state.reaped.insert(dependency.producer)
                }
                output.row(indent, requestCells(spec, step: step, node: node))
                state.queued = true
                state.reaped.remove(nodeID)
                if case .member(let chainIndex, let position)? = step.chain, position == plan.chains[chainIndex].length - 1 {
                    output.line(indent + describe(plan.chains[chainIndex]))
                }
            case .registration(let registration):
                output.line(indent + submit(&state) + "register: \(registration.registration.kernelName), expect \(registration.expected)" + located(node))
            case .control(let control):
                var text: String
                if case .submit = control.action {
                    state.queued = false
                    text = indent + describe(control.action)
                } else if case .ring(let ring) = control.action {
                    // reap and ring_state submit nothing; enter submits what it says.
                    if case .enter = ring { state.queued = false }
                    text = indent + describe(control.action)
                } else {
                    text = indent + submit(&state) + describe(control.action)
                }
                if let capture = control.capture { text += ", capturing $\(capture.name)" }
                output.line(text + located(node))
            case .repeatBlock(let blockID):
                let block = graph.blocks[blockID]
                let times = block.count == 1 ? "once" : "\(block.count) times"
                output.line(indent + "repeat \(times), index \(block.indexName)" + located(node) + ":")
                let body = graph.body(of: blockID)
                if block.count > 1 {
                    // Later iterations start with whatever the end of the body left queued.
                    var probe = state
                    var scratch = TextOutput()
                    emit(body, depth: depth + 1, state: &probe, into: &scratch)
                    state.queued = state.queued || probe.queued
                }
                emit(body, depth: depth + 1, state: &state, into: &output)
                output.line(indent + "end repeat")
            }
        }
        output.flushRows()
    }

    private func requestCells(_ spec: RequestSpec, step: PlannedStep, node: Node) -> [String] {
        var operation = spec.operation
        if spec.operation == "raw" {
            operation += " " + (spec.opcode?.kernelName ?? "opcode \(spec.opcodeValue)")
        }
        var notes: [String] = []
        if spec.isMultishot { notes.append("multishot") }
        if let capture = step.capture { notes.append("captures $\(capture.name)") }
        if case .open(let reason) = step.completion { notes.append("not awaited: \(reason.rawValue)") }
        if let open = plan.openInstances[node.id] {
            let names = step.blocks.map { scenario.graph.blocks[$0].indexName }
            let instances = open.sorted { $0.lexicographicallyPrecedes($1) }.map { indices in
                zip(names, indices).map { "\($0)=\($1)" }.joined(separator: ",")
            }
            notes.append("not awaited at " + instances.joined(separator: "; ") + ": completes: false")
        }
        return ["sqe", spec.id?.description ?? "-", operation, "user_data " + userData(spec.userData, blocks: step.blocks),
                flags(spec.flags), notes.joined(separator: ", "), "line \(node.mark.line)"]
    }

    /// `1`, `2+3*i`, `5+10*outer+2*i`; explicit values as written.
    private func userData(_ rule: UserDataRule, blocks: [BlockID]) -> String {
        var text = String(rule.base)
        for (stride, block) in zip(rule.strides, blocks) where stride != 0 {
            let index = scenario.graph.blocks[block].indexName
            text += stride == 1 ? "+\(index)" : "+\(stride)*\(index)"
        }
        return text
    }

    private func flags(_ flags: SubmissionFlags) -> String {
        let names: [(SubmissionFlags, String)] = [
            (.link, "link"), (.hardlink, "hardlink"), (.drain, "drain"), (.async, "async"),
            (.skipSuccess, "skip_success"), (.fixedFile, "fixed_file"), (.bufferSelect, "buffer_select"),
        ]
        return names.filter { flags.contains($0.0) }.map(\.1).joined(separator: ",")
    }

    private func describe(_ chain: LinkChain) -> String {
        var text = "link chain: " + name(of: chain.nodes[0])
        for (index, link) in chain.links.enumerated() {
            text += (link == .hardlink ? " => " : " -> ") + name(of: chain.nodes[index + 1])
        }
        return text + " (\(chain.length) SQE\(chain.length == 1 ? "" : "s"), submitted together)"
    }

    private func describe(_ action: ControlAction) -> String {
        switch action {
        case .submit(let wait):
            guard let wait else { return "submit" }
            return "submit, wait for \(wait) CQE\(wait == 1 ? "" : "s")"
        case .wait(let requests, let timeout):
            let names = requests.map(describe).joined(separator: ", ")
            return "wait for \(names)" + (timeout.map { " (at most \(PlanRenderer.format(.nanoseconds($0))))" } ?? "")
        case .sleep(let nanoseconds):
            return "sleep \(PlanRenderer.format(.nanoseconds(nanoseconds)))"
        case .peerWrite(let file, let bytes):
            return "peer_write \(bytes.count) byte\(bytes.count == 1 ? "" : "s") to \(file)"
        case .peerRead(let file, let length):
            return "peer_read up to \(length) byte\(length == 1 ? "" : "s") from \(file)"
        case .peerClose(let file):
            return "peer_close \(file)"
        case .peerShutdown(let file, let how):
            return "peer_shutdown \(file) \(how)"
        case .peerConnect(let listener, let count):
            return "peer_connect \(count) client\(count == 1 ? "" : "s") to \(listener)"
        case .peerSend(let address, let bytes):
            return "peer_send \(bytes.count) byte\(bytes.count == 1 ? "" : "s") to \(address)"
        case .peerSignal(let file, let value):
            return "peer_signal \(file) +\(value)"
        case .replenishBuffersAs(let group, let first, let count, let ids):
            return "replenish_buffers \(count == 1 ? "id \(first)" : "ids \(first)…\(Int(first) + Int(count) - 1)") of group \(group.group) as \(ids.map(String.init).joined(separator: ", "))"
        case .checkEventfd(let file, let value):
            return "check_eventfd \(file) is \(value)"
        case .seek(let file, let offset, let whence):
            return "lseek \(file) \(offset) \(whence)"
        case .checkPosition(let file, let offset):
            return "check_position \(file) is \(offset)"
        case .replenishBuffers(let group, let first, let count):
            return "replenish_buffers \(count == 1 ? "id \(first)" : "ids \(first)…\(Int(first) + Int(count) - 1)") of group \(group.group)"
        case .ring(let control):
            return control.description
        }
    }

    private func describe(_ reference: RequestReference) -> String {
        switch reference {
        case .request(_, _, let written): return written
        case .userData(let value): return "user_data \(value)"
        }
    }

    /// How a node is named in the listing: its id, or its op and line.
    func name(of node: NodeID) -> String {
        let graphNode = scenario.graph.nodes[node]
        if case .request(let spec) = graphNode.kind {
            if let id = spec.id { return id.description }
            return "\(spec.operation)@\(graphNode.mark.line)"
        }
        return "step@\(graphNode.mark.line)"
    }

    private func located(_ node: Node) -> String { "  (line \(node.mark.line))" }

    /// `10s`, `1.5s`, `10ms`, `250us`, `100ns`: a duration as the scenario language writes it.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int64(seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        for (unit, size) in [("s", Int64(1_000_000_000)), ("ms", 1_000_000), ("us", 1_000)] where nanoseconds >= size {
            let whole = nanoseconds / size
            let rest = nanoseconds % size
            if rest == 0 { return "\(whole)\(unit)" }
            var fraction = String(rest)
            fraction = String(repeating: "0", count: String(size).count - 1 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return "\(whole).\(fraction)\(unit)"
        }
        return "\(nanoseconds)ns"
    }

    // MARK: - Graphviz

    /// The graph in Graphviz's dot language: requests as boxes (id, op, user_data), registrations as
    /// hexagons, control steps as ellipses, repeat blocks as clusters; link, hardlink, drain, capture
    /// and submit edges styled apart.
    public var dot: String {
        let graph = scenario.graph
        var lines: [String] = []
        lines.append("digraph \(PlanRenderer.quoted(scenario.name)) {")
        lines.append("  rankdir=TB;")
        lines.append("  node [fontname=\"monospace\", fontsize=10];")
        lines.append("  edge [fontname=\"monospace\", fontsize=9];")
        func emitNodes(_ nodes: [NodeID], indent: String) {
            for nodeID in nodes {
                let node = graph.nodes[nodeID]
                switch node.kind {
                case .request(let spec):
                    var label = (spec.id?.description ?? "-") + "\\n" + spec.operation
                    label += "\\nuser_data " + userData(spec.userData, blocks: plan.steps[nodeID].blocks)
                    let flagText = flags(spec.flags)
                    if !flagText.isEmpty { label += "\\n" + flagText }
                    lines.append(indent + "n\(nodeID) [shape=box, label=\"\(PlanRenderer.escape(label))\"];")
                case .registration(let registration):
                    lines.append(indent + "n\(nodeID) [shape=hexagon, label=\"\(registration.registration.kernelName)\"];")
                case .control(let control):
                    lines.append(indent + "n\(nodeID) [shape=ellipse, label=\"\(PlanRenderer.escape(describe(control.action)))\"];")
                case .repeatBlock(let blockID):
                    let block = graph.blocks[blockID]
                    lines.append(indent + "subgraph cluster_\(blockID) {")
                    lines.append(indent + "  label=\"repeat \(block.count)× (\(block.indexName))\";")
                    lines.append(indent + "  style=dashed;")
                    emitNodes(graph.body(of: blockID), indent: indent + "  ")
                    lines.append(indent + "}")
                }
            }
        }
        emitNodes(graph.topLevel, indent: "  ")
        // Consecutive steps in order, faintly, so the layout follows the listing.
        let joined = Set(graph.edges.map { [$0.from, $0.to] })
        var previous: NodeID?
        for node in graph.nodes {
            if case .repeatBlock = node.kind { continue }
            if let previous, !joined.contains([previous, node.id]) {
                lines.append("  n\(previous) -> n\(node.id) [style=invis];")
            }
            previous = node.id
        }
        for edge in graph.edges {
            let attributes: String
            switch edge.kind {
            case .link: attributes = "label=\"link\", color=\"black\""
            case .hardlink: attributes = "label=\"hardlink\", color=\"black\", style=bold"
            case .drain: attributes = "label=\"drain\", color=\"red\""
            case .capture(let name): attributes = "label=\"$\(PlanRenderer.escape(name))\", color=\"blue\", style=dashed"
            case .submitBoundary: attributes = "label=\"submit\", color=\"gray\", style=dotted"
            }
            lines.append("  n\(edge.from) -> n\(edge.to) [\(attributes)];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func quoted(_ text: String) -> String { "\"" + escape(text) + "\"" }
}

/// Lines of text, where consecutive table rows are aligned in columns.
private struct TextOutput {
    private(set) var lines: [String] = []
    private var rows: [(indent: String, cells: [String])] = []

    mutating func line(_ text: String) {
        flushRows()
        lines.append(text)
    }

    mutating func row(_ indent: String, _ cells: [String]) {
        if let last = rows.last, last.indent != indent { flushRows() }
        rows.append((indent, cells))
    }

    mutating func flushRows() {
        guard !rows.isEmpty else { return }
        let columns = rows.map(\.cells.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.cells.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        for row in rows {
            var text = row.indent
            var pending = ""
            for (index, cell) in row.cells.enumerated() where widths[index] > 0 {
                text += pending + cell
                pending = String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            lines.append(text)
        }
        rows.removeAll()
    }

    var text: String { lines.joined(separator: "\n") + "\n" }
}

/// What `ringscript plan` prints for a file: the rendered plan, or the rendered diagnostics.
public enum PlanOutput {
    public enum Format: Sendable {
        case text
        case dot
    }

    /// Diagnostics in compiler form with the offending lines and a summary line.
    public struct Failure: Error, Sendable {
        public let text: String
    }

    /// Loads, validates and plans the scenario at `path`, then renders the plan.
    public static func render(path: String, format: Format, options: LoadOptions = LoadOptions()) -> Result<String, Failure> {
        let report = ScenarioChecker.check(paths: [path], options: options)
        guard let file = report.files.first, let scenario = file.scenario else {
            return .failure(Failure(text: report.renderedDiagnostics))
        }
        switch Planner.plan(scenario) {
        case .success(let plan):
            let renderer = PlanRenderer(plan: plan, scenario: scenario)
            return .success(format == .dot ? renderer.dot : renderer.text)
        case .failure(let list):
            return .failure(Failure(text: DiagnosticRenderer(sources: [file.path: file.text]).render(list.diagnostics)))
        }
    }
}
