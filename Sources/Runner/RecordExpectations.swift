import Checker
import IoUring
import Scenario

/// How a recorded value came out of the runs, for the round-trip figures.
enum RecordedKind: String, Hashable, Sendable, CaseIterable {
    /// The same in every run: written exactly.
    case exact
    /// A new descriptor, written `">= 0"` (without `--exact-fds`).
    case descriptor
    /// It differed between runs: the values seen, as a list.
    case set
    /// It differed between runs: the range seen.
    case range
    /// No CQE in any run: `never`.
    case never
}

/// One entry `record` writes under `expect:`: its key as YAML, and its value's lines (the first one goes
/// after `key:`, the rest are indented under it).
struct RecordedEntry: Sendable {
    /// The key as written (`r1`, `"r{i}"`, `0x1000`, `order`).
    var key: String
    /// The key's plain text, to find the hand-written entry with the same key.
    var name: String
    /// `: value  # comment` for a one-line entry, or nested lines (already indented by 2 per level).
    var inline: String
    var nested: [String] = []
    var kinds: [RecordedKind] = []

    /// The entry's lines, indented by `indent`.
    func lines(indent: String) -> [String] {
        [indent + key + ":" + inline] + nested.map { indent + "  " + $0 }
    }
}

/// What `record` made of the runs of one scenario.
struct RecordedExpectations: Sendable {
    var entries: [RecordedEntry] = []
    /// What could not be recorded, and why (one line each).
    var notRecorded: [String] = []
    /// Order constraints written (edges of the transitive reduction).
    var ordersKept = 0
}

/// Options of a recording that shape the expectations written.
struct RecordStyle: Sendable {
    var exactDescriptors = false
    var contents = false
}

/// Turns the runs of a scenario into expectations: exact where every run agreed, sets and ranges
/// (marked with a comment) where they did not, order where it held in every run.
struct ExpectationRecorder {
    let scenario: Scenario
    let runs: [RecordedRun]
    let style: RecordStyle
    /// Subjects that already have a hand-written expectation (top-level or in the step): left alone.
    var coveredNodes: Set<NodeID> = []
    var coveredUserData: Set<UInt64> = []
    var hasOrder = false
    var hasOtherCQEs = false
    var coveredBuffers: Set<String> = []
    var coveredFiles: Set<String> = []

    static let zeroCopyOperations: Set<String> = ["send_zc", "send_zc_fixed", "sendmsg_zc"]
    /// Entries per repeated request written instance by instance at most, when its instances differ.
    static let instanceLimit = 16
    /// Buffers and files larger than this are not recorded byte for byte (`--contents`).
    static let contentLimit = 4096

    init(scenario: Scenario, runs: [RecordedRun], style: RecordStyle) {
        self.scenario = scenario
        self.runs = runs
        self.style = style
        for expectation in scenario.expectations.completions {
            switch expectation.subject {
            case .request(let node, _, _): coveredNodes.insert(node)
            case .userData(let value): coveredUserData.insert(value)
            }
        }
        hasOrder = !scenario.expectations.order.isEmpty
        hasOtherCQEs = scenario.expectations.allowsOtherCompletions
        coveredBuffers = Set(scenario.expectations.buffers.map(\.buffer))
        coveredFiles = Set(scenario.expectations.files.flatMap { [$0.path] + ($0.resource.map { [$0] } ?? []) })
    }

    func record() -> RecordedExpectations {
        var result = RecordedExpectations()
        var unnamed = 0
        // Requests by subject, in source order.
        var userDataSubjects: [UInt64] = []
        for node in scenario.graph.nodes {
            guard let spec = scenario.graph.request(node.id) else { continue }
            if spec.id == nil {
                if spec.userData.isExplicit, node.block == nil {
                    if !userDataSubjects.contains(spec.userData.base) { userDataSubjects.append(spec.userData.base) }
                } else {
                    unnamed += 1
                }
                continue
            }
            guard !coveredNodes.contains(node.id) else { continue }
            recordNode(node, spec, into: &result)
        }
        for value in userDataSubjects where !coveredUserData.contains(value) {
            let observations = runs.map { $0.instances.filter { $0.userData == value && scenario.graph.request($0.node)?.id == nil } }
            let nodes = scenario.graph.nodes.filter { scenario.graph.request($0.id)?.userData.base == value }
            guard let spec = nodes.first.flatMap({ scenario.graph.request($0.id) }) else { continue }
            let key = value > 255 ? "0x" + String(value, radix: 16) : String(value)
            if let entry = entry(key: key, name: key, spec: spec, observations: observations.flatMap { $0 },
                                 runCount: runs.count, notes: &result.notRecorded) {
                result.entries.append(entry)
            }
        }
        if unnamed > 0 {
            result.notRecorded.append("\(unnamed) request\(unnamed == 1 ? "" : "s") without an id or explicit user_data: "
                                      + "not recorded (give \(unnamed == 1 ? "it" : "them") an id); each must still complete")
        }
        if !hasOrder { recordOrder(into: &result) }
        if !hasOtherCQEs { recordOtherCQEs(into: &result) }
        if style.contents { recordContents(into: &result) }
        return result
    }

    // MARK: - Requests

    private func recordNode(_ node: Node, _ spec: RequestSpec, into result: inout RecordedExpectations) {
        let all = runs.map { run in run.instances.filter { $0.node == node.id } }
        let written = spec.id?.text ?? ""
        if node.block == nil {
            if let entry = entry(key: RecordedEntry.quotedKey(written), name: written, spec: spec,
                                 observations: all.flatMap { $0 }, runCount: runs.count, notes: &result.notRecorded) {
                result.entries.append(entry)
            }
            return
        }
        // A repeated request: one template entry when every instance agrees, else instance by instance.
        var scratch: [String] = []
        guard let template = entry(key: RecordedEntry.quotedKey(written), name: written, spec: spec,
                                   observations: all.flatMap { $0 }, runCount: runs.count, notes: &scratch) else {
            result.notRecorded += scratch
            return
        }
        let varied = template.kinds.contains { $0 == .set || $0 == .range }
        let perRun = all.map(\.count)
        if varied, let count = perRun.first, count <= ExpectationRecorder.instanceLimit, perRun.allSatisfy({ $0 == count }) {
            var instances: [RecordedEntry] = []
            var notes: [String] = []
            for position in 0..<count {
                let observations = all.map { $0[position] }
                guard let id = observations[0].id, observations.allSatisfy({ $0.id == id }),
                      let entry = entry(key: RecordedEntry.quotedKey(id), name: id, spec: spec, observations: observations,
                                        runCount: runs.count, notes: &notes) else { break }
                instances.append(entry)
            }
            if instances.count == count, !instances.contains(where: { $0.kinds.contains { $0 == .set || $0 == .range } }) {
                result.entries += instances
                return
            }
        }
        result.entries.append(template)
    }

    /// The entry for one subject from every observation of it (all runs, all iterations).
    private func entry(key: String, name: String, spec: RequestSpec, observations: [RecordedInstance], runCount: Int,
                       notes: inout [String]) -> RecordedEntry? {
        guard !observations.isEmpty else {
            notes.append("'\(name)': never queued in any run: not recorded")
            return nil
        }
        var entry = RecordedEntry(key: key, name: name, inline: "")
        let posted = observations.filter { !$0.completions.isEmpty || !$0.notifications.isEmpty }
        if posted.isEmpty {
            if spec.flags.contains(.skipSuccess), observations.contains(where: \.postedInTeardown) {
                notes.append("'\(name)': IOSQE_CQE_SKIP_SUCCESS request still running when the steps ended: not recorded"
                             + " (link it before a request the run waits for)")
                return nil
            }
            entry.inline = " never"
            entry.kinds = [.never]
            return entry
        }
        if posted.count < observations.count {
            notes.append("'\(name)': posted a CQE in \(posted.count) of \(observations.count) instances over \(runCount) runs: not recorded")
            return nil
        }
        let descriptor = RunDriver.descriptorOperations.contains(spec.operation)
        if ExpectationRecorder.zeroCopyOperations.contains(spec.operation) {
            return zeroCopyEntry(entry, name: name, observations: observations, descriptor: descriptor, notes: &notes)
        }
        if spec.isMultishot {
            return streamEntry(entry, name: name, observations: observations, descriptor: descriptor, notes: &notes)
        }
        guard observations.allSatisfy({ $0.completions.count == 1 }) else {
            notes.append("'\(name)': posted \(Set(observations.map(\.completions.count)).sorted()) CQEs, but is not multishot: not recorded")
            return nil
        }
        let pattern = CQESummary(observations.map { $0.completions[0] }, descriptor: descriptor, exactDescriptors: style.exactDescriptors)
        entry.inline = " " + pattern.text + pattern.comment
        entry.kinds = pattern.kinds
        return entry
    }

    private func zeroCopyEntry(_ base: RecordedEntry, name: String, observations: [RecordedInstance], descriptor: Bool,
                               notes: inout [String]) -> RecordedEntry? {
        var entry = base
        guard observations.allSatisfy({ $0.completions.count == 1 }) else {
            notes.append("'\(name)': a zero-copy send without exactly one result CQE in every run: not recorded")
            return nil
        }
        let result = CQESummary(observations.map { $0.completions[0] }, descriptor: false, exactDescriptors: true)
        var parts = result.parts
        var kinds = result.kinds
        var varied = result.varied
        let notified = observations.filter { !$0.notifications.isEmpty }
        if notified.isEmpty {
            parts.append("notification: false")
        } else if notified.count == observations.count, observations.allSatisfy({ $0.notifications.count == 1 }) {
            let notification = CQESummary(observations.map { $0.notifications[0] }, descriptor: false, exactDescriptors: true)
            parts.append("notification: " + notification.text)
            kinds += notification.kinds
            varied = varied || notification.varied
        } else {
            notes.append("'\(name)': its notification came in \(notified.count) of \(observations.count) instances: the notification is not recorded")
        }
        entry.inline = " { " + parts.joined(separator: ", ") + " }" + (varied ? CQESummary.variedComment : "")
        entry.kinds = kinds
        return entry
    }

    private func streamEntry(_ base: RecordedEntry, name: String, observations: [RecordedInstance], descriptor: Bool,
                             notes: inout [String]) -> RecordedEntry? {
        var entry = base
        let finished = observations.filter(\.finished)
        guard finished.isEmpty || finished.count == observations.count else {
            notes.append("'\(name)': its stream ended in \(finished.count) of \(observations.count) instances: not recorded")
            return nil
        }
        var lines: [String] = []
        var kinds: [RecordedKind] = []
        let counts = observations.map(\.completions.count)
        let countSummary = ValueSummary(counts.map(Int64.init), descriptor: false, exactDescriptors: true, asCount: true)
        lines.append("count: " + countSummary.text + (countSummary.varied ? CQESummary.variedComment : ""))
        kinds.append(countSummary.kind)
        let more = observations.flatMap { $0.finished ? Array($0.completions.dropLast()) : $0.completions }
        if !more.isEmpty {
            let each = CQESummary(more, descriptor: descriptor, exactDescriptors: style.exactDescriptors, perCQE: true)
            var comment = ""
            if each.varied {
                // The same sequence in every run: the CQEs differ from one another, not between runs.
                let sequences = observations.map { instance in
                    (instance.finished ? Array(instance.completions.dropLast()) : instance.completions).map { [Int64($0.res), Int64($0.flags.rawValue)] }
                }
                if sequences.dropFirst().allSatisfy({ $0 == sequences[0] }) {
                    let results = sequences[0].map { ResultPattern.exact($0[0]).description }
                    comment = "  # CQE by CQE, the same in every run: res " + results.joined(separator: ", ")
                } else {
                    comment = "  # varied between the stream's CQEs and between runs"
                }
            }
            lines.append("each: " + each.text + comment)
            kinds += each.kinds
        }
        if finished.isEmpty {
            lines.append("final: none")
        } else {
            let final = CQESummary(finished.map { $0.completions.last! }, descriptor: descriptor, exactDescriptors: style.exactDescriptors)
            lines.append("final: " + final.text + final.comment)
            kinds += final.kinds
        }
        entry.inline = ""
        entry.nested = ["stream:"] + lines.map { "  " + $0 }
        entry.kinds = kinds
        return entry
    }

    // MARK: - Order

    /// The order of first CQEs that held in every run and that the steps guarantee, as the edges of its
    /// transitive reduction, written as the fewest chains. An order is guaranteed when the runner waits
    /// for the earlier CQE before it queues the later request (a `wait` step naming it, or a capture
    /// from it used on the way), when both are in one link chain without a link_timeout, or when either
    /// drains (IOSQE_IO_DRAIN: it starts after every earlier request, and later ones start after it).
    /// Orders that only happened to hold (requests of one submission racing in io-wq) are left out: a
    /// golden must not flake.
    private func recordOrder(into result: inout RecordedExpectations) {
        // Subjects: named requests outside repeat blocks, queued once and posting in every run.
        var names: [String] = []
        var nodes: [NodeID] = []
        var observed: [[RecordedInstance]] = []   // per subject, per run
        for node in scenario.graph.nodes {
            guard node.block == nil, let spec = scenario.graph.request(node.id), let id = spec.id?.text else { continue }
            var perRun: [RecordedInstance] = []
            for run in runs {
                let instances = run.instances.filter { $0.node == node.id }
                guard instances.count == 1, instances[0].firstArrival != nil else { break }
                perRun.append(instances[0])
            }
            guard perRun.count == runs.count, !runs.isEmpty else { continue }
            names.append(id)
            nodes.append(node.id)
            observed.append(perRun)
        }
        let count = names.count
        guard count >= 2, count <= 400 else {
            if count > 400 { result.notRecorded.append("order: \(count) named requests; order not recorded above 400") }
            return
        }
        let chains = linkChains()
        var held = Array(repeating: Array(repeating: false, count: count), count: count)
        var kept = held
        for a in 0..<count {
            for b in 0..<count where a != b {
                held[a][b] = (0..<runs.count).allSatisfy { observed[a][$0].firstArrival! < observed[b][$0].firstArrival! }
                guard held[a][b] else { continue }
                guard nodes[a] < nodes[b] else { continue }
                let chained = chains[nodes[a]] != nil && chains[nodes[a]] == chains[nodes[b]]
                let drained = scenario.graph.request(nodes[b])!.flags.contains(.drain)
                    || scenario.graph.request(nodes[a])!.flags.contains(.drain)
                kept[a][b] = chained || drained || awaited(nodes[a], before: nodes[b])
            }
        }
        // Orders that held but nothing guarantees, beyond what the kept ones imply.
        var implied = kept
        for via in 0..<count {
            for a in 0..<count where implied[a][via] {
                for b in 0..<count where implied[via][b] { implied[a][b] = true }
            }
        }
        var unguaranteed: [String] = []
        for a in 0..<count {
            for b in 0..<count where held[a][b] && !implied[a][b] {
                if !(0..<count).contains(where: { held[a][$0] && held[$0][b] }) { unguaranteed.append("\(names[a]) before \(names[b])") }
            }
        }
        if !unguaranteed.isEmpty {
            result.notRecorded.append("order: \(unguaranteed.joined(separator: ", ")) held in every run, but nothing in the steps"
                                      + " guarantees it (no wait, capture, link chain or drain between them): not recorded")
        }
        // Transitive reduction: a → b unless some c has a → c → b.
        var edges: [(Int, Int)] = []
        for a in 0..<count {
            for b in 0..<count where implied[a][b] {
                if !(0..<count).contains(where: { implied[a][$0] && implied[$0][b] }) { edges.append((a, b)) }
            }
        }
        guard !edges.isEmpty else { return }
        result.ordersKept = edges.count
        // Chains: follow unused edges from their source, in arrival order of the first run.
        let position = (0..<count).sorted { observed[$0][0].firstArrival! < observed[$1][0].firstArrival! }
        let rank = Dictionary(uniqueKeysWithValues: position.enumerated().map { ($1, $0) })
        var unused = edges.sorted { (rank[$0.0]!, rank[$0.1]!) < (rank[$1.0]!, rank[$1.1]!) }
        var lists: [[Int]] = []
        while let first = unused.first {
            unused.removeFirst()
            var list = [first.0, first.1]
            while let next = unused.firstIndex(where: { $0.0 == list.last! }) {
                list.append(unused[next].1)
                unused.remove(at: next)
            }
            lists.append(list)
        }
        func text(_ list: [Int]) -> String { "[" + list.map { RecordedEntry.quotedKey(names[$0]) }.joined(separator: ", ") + "]" }
        result.entries.append(RecordedEntry(key: "order", name: "order", inline: " " + text(lists[0])))
        if lists.count > 1 {
            result.entries.append(RecordedEntry(key: "orders", name: "orders", inline: "", nested: lists.dropFirst().map { "- " + text($0) }))
        }
    }

    /// Whether the runner waits for `earlier`'s CQE before it queues `later`: a `wait` step between them
    /// names it, or a request from it up to `later` uses a value it captures.
    private func awaited(_ earlier: NodeID, before later: NodeID) -> Bool {
        for node in scenario.graph.nodes[(earlier + 1)...later] {
            if case .control(let step) = node.kind, node.id < later, case .wait(let references, _) = step.action,
               references.contains(where: { if case .request(earlier, _, _) = $0 { return true } else { return false } }) {
                return true
            }
        }
        return scenario.graph.edges.contains { edge in
            if case .capture = edge.kind { return edge.from == earlier && edge.to > earlier && edge.to <= later }
            return false
        }
    }

    /// Each request of a link chain (IOSQE_IO_LINK / IOSQE_IO_HARDLINK) → its chain's first node, for
    /// chains without a link_timeout (whose timer may post before the request it guards).
    private func linkChains() -> [NodeID: NodeID] {
        var head: [NodeID: NodeID] = [:]
        for edge in scenario.graph.edges.sorted(by: { $0.from < $1.from }) {
            guard edge.kind == .link || edge.kind == .hardlink else { continue }
            let first = head[edge.from] ?? edge.from
            head[edge.from] = first
            head[edge.to] = first
        }
        var timed: Set<NodeID> = []
        for (node, first) in head where scenario.graph.request(node)?.operation == "link_timeout" { timed.insert(first) }
        return head.filter { !timed.contains($0.value) }
    }

    // MARK: - Other CQEs and contents

    private func recordOtherCQEs(into result: inout RecordedExpectations) {
        let unclaimed = runs.map(\.unclaimed)
        guard let most = unclaimed.map(\.count).max(), most > 0 else { return }
        let example = unclaimed.first { !$0.isEmpty }!.prefix(3).map { "user_data \($0.userData) res \(ResultPattern.exact(Int64($0.res)).description)" }
        result.entries.append(RecordedEntry(key: "allow_other_cqes", name: "allow_other_cqes",
                                            inline: " true  # recorded: up to \(most) CQE\(most == 1 ? "" : "s") no request claims ("
                                                + example.joined(separator: "; ") + ")"))
    }

    private func recordContents(into result: inout RecordedExpectations) {
        var buffers: [String] = []
        var files: [String] = []
        for resource in scenario.resources {
            switch resource.kind {
            case .buffer:
                guard !coveredBuffers.contains(resource.name) else { continue }
                let seen = runs.map { $0.facts.buffers[resource.name] }
                guard let bytes = seen.first ?? nil, seen.allSatisfy({ $0 == bytes }) else {
                    result.notRecorded.append("buffer '\(resource.name)': its bytes differed between runs: not recorded")
                    continue
                }
                guard bytes.count <= ExpectationRecorder.contentLimit else {
                    result.notRecorded.append("buffer '\(resource.name)': \(bytes.count) bytes, more than --contents records")
                    continue
                }
                buffers.append("\(RecordedEntry.quotedKey(resource.name)): " + ContentText.check(bytes, text: "equals", hex: "hex"))
            case .file(let file):
                guard !coveredFiles.contains(resource.name), !coveredFiles.contains(file.path) else { continue }
                let seen = runs.map { $0.facts.files[file.path] }
                guard let facts = seen.first ?? nil, seen.allSatisfy({ $0 == facts }) else {
                    result.notRecorded.append("file '\(resource.name)': it differed between runs: not recorded")
                    continue
                }
                switch facts.kind {
                case .missing: files.append("\(RecordedEntry.quotedKey(resource.name)): { exists: false }")
                case .file:
                    if let content = facts.content, content.count <= ExpectationRecorder.contentLimit {
                        files.append("\(RecordedEntry.quotedKey(resource.name)): " + ContentText.check(content, text: "content", hex: "hex"))
                    } else {
                        files.append("\(RecordedEntry.quotedKey(resource.name)): { size: \(facts.size) }  # content not recorded: more than \(ExpectationRecorder.contentLimit) bytes")
                    }
                default: files.append("\(RecordedEntry.quotedKey(resource.name)): { type: \(facts.kind.rawValue) }")
                }
            default: continue
            }
        }
        if !buffers.isEmpty { result.entries.append(RecordedEntry(key: "buffers", name: "buffers", inline: "", nested: buffers)) }
        if !files.isEmpty { result.entries.append(RecordedEntry(key: "files", name: "files", inline: "", nested: files)) }
    }

    /// The scenario with a post-condition that always holds on every buffer and file resource, so that
    /// the runner gathers their bytes (`--contents`).
    static func withContentFacts(_ scenario: Scenario) -> Scenario {
        var copy = scenario
        let mark = SourceMark(file: scenario.file, line: 1, column: 1)
        for resource in scenario.resources {
            switch resource.kind {
            case .buffer:
                copy.expectations.buffers.append(.gathering(resource.name, mark: mark))
            case .file(let file):
                copy.expectations.files.append(.gathering(file.path, resource: resource.name, mark: mark))
            default: continue
            }
        }
        return copy
    }
}

extension RecordedEntry {
    /// An id as a YAML key: quoted when YAML would read it otherwise (`{`, a leading digit…).
    static func quotedKey(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
        let first = text.unicodeScalars.first
        if plain, let first, !("0"..."9").contains(first), first != "-", !["true", "false", "null", "never", "any"].contains(text) { return text }
        return ContentText.quoted(text)
    }
}

// MARK: - Values

/// One number over all runs: exact, `">= 0"` for descriptors, a list, or a range.
struct ValueSummary {
    var text: String
    var kind: RecordedKind
    var varied: Bool { kind == .set || kind == .range }

    static let setLimit = 4

    init(_ values: [Int64], descriptor: Bool, exactDescriptors: Bool, asCount: Bool = false) {
        let unique = Array(Set(values)).sorted()
        func format(_ value: Int64) -> String { asCount ? String(value) : ResultPattern.exact(value).description }
        if descriptor, !exactDescriptors, unique.allSatisfy({ $0 >= 0 }) {
            text = "\">= 0\""
            kind = .descriptor
        } else if unique.count == 1 {
            text = format(unique[0])
            kind = .exact
        } else if unique.count <= ValueSummary.setLimit {
            text = "[" + unique.map(format).joined(separator: ", ") + "]"
            kind = .set
        } else if unique[0] < 0 {
            text = "{ min: \(format(unique[0])), max: \(format(unique.last!)) }"
            kind = .range
        } else {
            text = "\(unique[0])..\(unique.last!)"
            kind = .range
        }
        if asCount, kind == .set { text = "\(unique[0])..\(unique.last!)"; kind = .range }
    }
}

/// A CQE pattern over several CQEs (one request over the runs, or every CQE of a stream): res, flags
/// exactly (buffer-id bits apart), the buffer ids.
struct CQESummary {
    var parts: [String] = []
    var kinds: [RecordedKind] = []
    var varied = false

    static let variedComment = "  # varied between runs"
    static let shortFlagNames: [(CompletionFlags, String)] = [
        (.buffer, "buffer"), (.more, "more"), (.socketNonEmpty, "sock_nonempty"), (.notification, "notif"),
        (.bufferMore, "buf_more"), (.skip, "skip"), (.big, "32"),
    ]

    /// `perCQE`: the CQEs are the stream's, which naturally differ in their buffer ids (not a variation).
    init(_ cqes: [CompletionQueueEntry], descriptor: Bool, exactDescriptors: Bool, perCQE: Bool = false) {
        let result = ValueSummary(cqes.map { Int64($0.res) }, descriptor: descriptor, exactDescriptors: exactDescriptors)
        parts.append("res: " + result.text)
        kinds.append(result.kind)
        varied = result.varied
        let low = cqes.map { $0.flags.rawValue & 0xFFFF }
        let unique = Set(low)
        if unique.count == 1 {
            parts.append("flags: " + CQESummary.flagList(low[0]))
        } else {
            let set = low.reduce(0xFFFF) { $0 & $1 }
            let everSet = low.reduce(0) { $0 | $1 }
            let known = CQESummary.shortFlagNames.reduce(UInt32(0)) { $0 | $1.0.rawValue }
            parts.append("flags: { set: " + CQESummary.flagList(set) + ", clear: " + CQESummary.flagList(known & ~everSet) + " }")
            varied = true
        }
        if cqes.allSatisfy({ $0.flags.contains(.buffer) }) {
            let ids = Array(Set(cqes.compactMap { $0.flags.bufferID })).sorted()
            parts.append("buffer: " + (ids.count == 1 ? String(ids[0]) : "[" + ids.map(String.init).joined(separator: ", ") + "]"))
            if ids.count > 1, !perCQE { varied = true }
        }
    }

    var text: String { "{ " + parts.joined(separator: ", ") + " }" }
    var comment: String { varied ? CQESummary.variedComment : "" }

    /// `[more, buffer]`, `[]`, or a hex number when a bit has no name.
    static func flagList(_ flags: UInt32) -> String {
        var names: [String] = []
        var rest = flags
        for (flag, name) in shortFlagNames where flags & flag.rawValue != 0 {
            names.append(name)
            rest &= ~flag.rawValue
        }
        if rest != 0 { return "0x" + String(flags, radix: 16) }
        return "[" + names.joined(separator: ", ") + "]"
    }
}

/// Bytes as a content check: text where printable, hex otherwise.
enum ContentText {
    static func check(_ bytes: [UInt8], text textKey: String, hex hexKey: String) -> String {
        let printable = bytes.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x09 }
        if printable, let text = String(validating: bytes, as: UTF8.self) {
            return "{ \(textKey): " + quoted(text) + " }"
        }
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
        return "{ \(hexKey): \"\(hex)\" }"
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
