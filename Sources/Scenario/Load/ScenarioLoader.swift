import IoUring

/// Options the runner (or `ringscript check`) passes to loading.
public struct LoadOptions: Hashable, Sendable {
    /// Accept paths outside the sandbox even when the scenario does not say `allow_outside_sandbox: true`.
    public var allowOutsideSandbox: Bool
    /// Accept addresses beyond loopback even when the scenario does not say `allow_network: true`.
    public var allowNetwork: Bool
    /// The most a scenario may ask for (file size, aliases, buffer sizes).
    public var limits: ScenarioLimits

    public init(allowOutsideSandbox: Bool = false, limits: ScenarioLimits = ScenarioLimits()) {
        self.allowOutsideSandbox = allowOutsideSandbox
        self.allowNetwork = false
        self.limits = limits
    }

    public init(allowOutsideSandbox: Bool = false, allowNetwork: Bool, limits: ScenarioLimits = ScenarioLimits()) {
        self.allowOutsideSandbox = allowOutsideSandbox
        self.allowNetwork = allowNetwork
        self.limits = limits
    }
}

/// Turns scenario text into a validated `Scenario`, or every problem found, compiler style.
public enum ScenarioLoader {
    /// Parses and validates `text`; `file` is the name diagnostics use.
    ///
    /// The steps are validated while the document is still being parsed (libyaml and the YAML tree run on
    /// a second thread for big files, see `YAMLParser`), when the keys they depend on come before them, as
    /// they usually do.
    public static func load(_ text: String, file: String, options: LoadOptions = LoadOptions()) -> Result<Scenario, DiagnosticList> {
        let streaming = StreamingLoad(file: file, options: options)
        switch YAMLParser.parse(text, file: file, limits: options.limits, stepObserver: streaming) {
        case .success(let root):
            if let result = streaming.finish(root) { return result }
            // The streamed steps were dropped from the tree: read the whole document again.
            guard streaming.hasReadSteps else { return load(root, file: file, options: options) }
            return YAMLParser.parse(text, file: file, limits: options.limits).flatMap { load($0, file: file, options: options) }
        case .failure(let list): return .failure(list)
        }
    }

    /// Validates an already parsed document.
    public static func load(_ root: YAMLNode, file: String, options: LoadOptions = LoadOptions()) -> Result<Scenario, DiagnosticList> {
        let builder = ScenarioBuilder(file: file, options: options)
        let scenario = builder.build(root)
        if builder.hasErrors || scenario == nil { return .failure(DiagnosticList(builder.diagnostics)) }
        return .success(scenario!)
    }
}

/// Validates the steps of a scenario as the parser completes each, after the top-level keys written
/// before them. When the document turns out to need another order (a key other than `expect` after the
/// steps), `finish` declines and the caller loads the whole tree the ordinary way, so the outcome,
/// diagnostics included, is the same either way.
private final class StreamingLoad: StepStreamObserver {
    private let builder: ScenarioBuilder
    private var header: ScenarioBuilder.Header?
    private var listMark: SourceMark?
    private var stepCount = 0

    /// Whether steps were streamed, and so are missing from the tree the parser returns.
    var hasReadSteps: Bool { stepCount > 0 }

    init(file: String, options: LoadOptions) {
        builder = ScenarioBuilder(file: file, options: options)
    }

    func stepsWillStart(rootMark: SourceMark, before: [YAMLPair], list: SourceMark) {
        // `steps` itself needs no check: it is a known key, and the list is read item by item below.
        header = builder.readHeader(before, rootMark: rootMark)
        listMark = list
    }

    func step(_ node: YAMLNode) {
        stepCount += 1
        builder.readStep(node)
    }

    /// The scenario, or its diagnostics; nil when the steps were not streamed or could not be.
    func finish(_ root: YAMLNode) -> Result<Scenario, DiagnosticList>? {
        guard let header, let listMark, let pairs = root.mapping,
              let stepsAt = pairs.firstIndex(where: { $0.key.isPlain && $0.key.scalar == "steps" }),
              pairs[(stepsAt + 1)...].allSatisfy({ $0.key.isPlain && $0.key.scalar == "expect" }) else { return nil }
        if stepCount == 0 { builder.error(listMark, "'steps' is empty: a scenario issues at least one step") }
        builder.finishSteps()
        let expect = pairs[(stepsAt + 1)...].first
        let scenario = builder.finish(header, expect: expect)
        if builder.hasErrors { return .failure(DiagnosticList(builder.diagnostics)) }
        return .success(scenario)
    }
}

/// Keys of a step that are not its op.
let requestStepKeys = StepKey.requestKeys.map(\.name)
/// Keys of `expect` that are not ids.
let reservedExpectKeys = ["order", "orders", "allow_other_cqes", "buffers", "files"]

/// Whether `text` is one of `reservedExpectKeys`; most ids differ in the first byte, before any comparison.
func isReservedExpectKey(_ text: String) -> Bool {
    guard let first = text.utf8.first, reservedExpectKeys.contains(where: { $0.utf8.first == first }) else { return false }
    return reservedExpectKeys.contains(text)
}

/// Builds a scenario from its YAML tree in one forward pass over the steps (so every look-up is a
/// dictionary hit and loading stays linear), then resolves expectations.
///
/// One builder serves one load on one thread, so the properties read for every step skip the run-time
/// exclusivity checks (`@exclusivity(unchecked)`), which cost a few percent of loading a big scenario.
final class ScenarioBuilder: NodeReader {
    let options: LoadOptions
    var scenarioOptions = ScenarioOptions()
    /// `ring: { reap: manual }`: submissions do not reap, and `reap` steps may be written.
    var reapsManually = false

    // Resources.
    @exclusivity(unchecked) var resources: [Resource] = []
    @exclusivity(unchecked) var resourceIndex: [String: Int] = [:]

    // The graph under construction.
    @exclusivity(unchecked) var nodes: [Node] = []
    @exclusivity(unchecked) var edges: [Edge] = []
    var blocks: [RepeatBlock] = []
    /// Index names of the repeat blocks around the step being read, outermost first.
    @exclusivity(unchecked) var openBlocks: [BlockID] = []

    // Requests by id, as written (`r1`, `r{i}`), with where each was defined; templates also in a short list.
    @exclusivity(unchecked) var ids: [String: (node: NodeID, mark: SourceMark, isTemplate: Bool)] = [:]
    @exclusivity(unchecked) var templateIDs: [(template: TemplateText, node: NodeID)] = []
    /// Explicit user_data values already used, with the first mark.
    @exclusivity(unchecked) var explicitUserData: [UInt64: SourceMark] = [:]
    /// Requests numbered automatically so far (one iteration of each open block).
    @exclusivity(unchecked) var automaticCursor: UInt64 = 0
    /// SQEs so far, repeat blocks expanded (one iteration of each open block).
    @exclusivity(unchecked) var requestCursor: UInt64 = 0

    // Captures visible at the current step: name → producer. Captures made inside a repeat block are
    // dropped when it ends.
    var captures: [String: (node: NodeID, kind: CaptureKind, mark: SourceMark, block: BlockID?)] = [:]
    /// Every capture ever made, for "used before produced" and "made inside a repeat block" messages.
    var allCaptures: [String: (mark: SourceMark, block: BlockID?)] = [:]
    var pendingCaptureUses: [(name: String, mark: SourceMark)] = []
    /// Captures made inside each open repeat block, dropped when it ends.
    var blockCaptures: [[String]] = []
    /// Captures the step being read uses.
    @exclusivity(unchecked) var captureUses: [(reference: CaptureReference, mark: SourceMark)] = []
    var pendingRequestUses: [(name: String, mark: SourceMark)] = []

    // Link state.
    /// The request before, when it set `link` / `hardlink`: the next request joins its chain.
    @exclusivity(unchecked) var pendingLink: (node: NodeID, kind: Edge.Kind, mark: SourceMark, allowsDangling: Bool)?
    /// The first request of the link chain being read (chain members are consecutive nodes).
    @exclusivity(unchecked) var chainHead: NodeID?
    /// The last request since the last submit point, for submit-boundary edges.
    @exclusivity(unchecked) var lastRequestSinceBoundary: NodeID?
    /// The last request issued, for drain edges.
    @exclusivity(unchecked) var lastRequest: NodeID?

    // Registration state along the steps, for slot and buffer checks.
    @exclusivity(unchecked) var fileTableSlots: UInt32?
    @exclusivity(unchecked) var registeredBuffers: [String: UInt16]?
    var bufferGroups: Set<UInt16> = []
    var symlinks: [String: SourceMark] = [:]

    /// Order constraints from `before` / `after` of per-id expectations.
    var pendingOrder: [OrderConstraint] = []
    /// user_data values requests get later (poll_update's new_user_data), usable as expect keys.
    var extraUserData: Set<UInt64> = []

    // Inline expectations from steps.
    @exclusivity(unchecked) var inlineExpectations: [CompletionExpectation] = []
    @exclusivity(unchecked) var inlineExpectationNodes: [NodeID: SourceMark] = [:]

    init(file: String, options: LoadOptions) {
        self.options = options
        super.init(file: file)
        limits = options.limits
    }

    var allowsOutsideSandbox: Bool { options.allowOutsideSandbox || scenarioOptions.allowOutsideSandbox }
    var allowsNetwork: Bool { options.allowNetwork || scenarioOptions.allowNetwork }

    // MARK: - Top level

    static let topLevelKeys = ["name", "description", "tags", "requires", "xfail", "deadline", "ring", "resources",
                               "steps", "expect", "allow_outside_sandbox", "allow_duplicate_user_data", "allow_network"]

    /// What the top-level keys other than `steps` and `expect` say, read before the steps.
    struct Header {
        var keys: [String: YAMLPair]
        var name = ""
        var description: String?
        var tags: [String] = []
        var expectedFailure: String?
        var expectedFailureFixedIn: [KernelRelease] = []
        var deadline: Int64?
        var requirements = Requirements()
        var ring = RingSpec()
    }

    func build(_ root: YAMLNode) -> Scenario? {
        guard let pairs = mapping(root, "a scenario") else { return nil }
        let header = readHeader(pairs, rootMark: root.mark)
        if let pair = header.keys["steps"] {
            if let items = sequence(pair.value, "'steps'") {
                if items.isEmpty { error(pair.value.mark, "'steps' is empty: a scenario issues at least one step") }
                ids.reserveCapacity(items.count)
                nodes.reserveCapacity(items.count)
                readSteps(items)
                finishSteps()
            }
        } else if header.ring.expectedSetupFailure == nil {
            error(root.mark, "a scenario needs 'steps'")
        }
        return finish(header, expect: header.keys["expect"])
    }

    /// Reads the top-level keys that come before the steps (all but `steps` and `expect`), resources last.
    func readHeader(_ pairs: some Sequence<YAMLPair>, rootMark: SourceMark) -> Header {
        var header = Header(keys: checkKeys(pairs, allowed: ScenarioBuilder.topLevelKeys, in: "the scenario"))
        let keys = header.keys

        if let pair = keys["name"] {
            header.name = string(pair.value, "'name'") ?? ""
        } else {
            error(rootMark, "a scenario needs a 'name'")
        }
        header.description = keys["description"].flatMap { string($0.value, "'description'") }
        if let pair = keys["tags"] {
            header.tags = list(pair.value).compactMap { string($0, "a tag") }
        }
        if let pair = keys["xfail"] {
            if let pairs = pair.value.mapping {
                let xfail = checkKeys(pairs, allowed: ["reason", "fixed_in"], in: "'xfail'")
                if let reason = xfail["reason"] {
                    header.expectedFailure = string(reason.value, "'reason' (why the scenario is expected to fail)")
                } else {
                    error(pair.value.mark, "'xfail' needs a 'reason'")
                }
                for item in xfail["fixed_in"].map({ Array(list($0.value)) }) ?? [] {
                    guard let text = string(item, "a release in 'fixed_in'") else { continue }
                    if let release = KernelRelease(parsing: text), text.first?.isNumber == true {
                        header.expectedFailureFixedIn.append(release)
                    } else {
                        error(item.mark, "'fixed_in' lists releases such as \"7.1\" or \"6.18.50\", not '\(text)'")
                    }
                }
            } else {
                header.expectedFailure = string(pair.value, "'xfail' (the reason the scenario is expected to fail, or { reason, fixed_in })")
            }
        }
        header.deadline = keys["deadline"].flatMap { duration($0.value, "'deadline'") }
        if let pair = keys["allow_outside_sandbox"] {
            scenarioOptions.allowOutsideSandbox = bool(pair.value, "'allow_outside_sandbox'") ?? false
        }
        if let pair = keys["allow_network"] {
            scenarioOptions.allowNetwork = bool(pair.value, "'allow_network'") ?? false
        }
        if let pair = keys["allow_duplicate_user_data"] {
            scenarioOptions.allowDuplicateUserData = bool(pair.value, "'allow_duplicate_user_data'") ?? false
        }
        header.requirements = keys["requires"].map { readRequirements($0.value) } ?? Requirements()
        header.ring = keys["ring"].map { readRing($0.value) } ?? RingSpec()
        if let pair = keys["resources"] { readResources(pair.value) }
        return header
    }

    /// The scenario's opt-ins with the loader's folded in: the runner enforces the sandbox and loopback
    /// rules again at run time, as the scenario was checked.
    var effectiveOptions: ScenarioOptions {
        var options = scenarioOptions
        options.allowOutsideSandbox = allowsOutsideSandbox
        options.allowNetwork = allowsNetwork
        return options
    }

    /// After the steps: what is checked across them, then `expect`, then the scenario.
    func finish(_ header: Header, expect: YAMLPair?) -> Scenario {
        reportPendingUses()
        placeAutomaticUserData()

        var expectations = Expectations()
        if header.ring.expectedSetupFailure != nil {
            // The run ends with the refused setup: nothing else could run, so nothing else may be written.
            let what = "a ring expected to fail ('ring.expect') runs nothing:"
            if let pair = header.keys["resources"] { error(pair.key.mark, "\(what) 'resources' has no place in this scenario") }
            if let first = nodes.first { error(first.mark, "\(what) 'steps' has no place in this scenario") }
            if let expect { error(expect.key.mark, "\(what) 'expect' has no place in this scenario") }
        } else if let pair = expect {
            expectations = readExpectations(pair.value)
        }
        mergeInlineExpectations(into: &expectations)
        checkOrder(expectations.order)

        let graph = ScenarioGraph(nodes: nodes, edges: edges, blocks: blocks, requestCount: totalRequestCount())
        var scenario = Scenario(file: file, name: header.name, description: header.description, tags: header.tags,
                                expectedFailure: header.expectedFailure, deadlineNanoseconds: header.deadline,
                                requirements: header.requirements, ring: header.ring, options: effectiveOptions,
                                resources: resources, graph: graph, expectations: expectations)
        scenario.expectedFailureFixedIn = header.expectedFailureFixedIn
        return scenario
    }

    // MARK: - requires

    func readRequirements(_ node: YAMLNode) -> Requirements {
        var requirements = Requirements()
        guard let pairs = mapping(node, "'requires'") else { return requirements }
        let keys = checkKeys(pairs, allowed: ["ops", "setup", "features", "kernel", "root", "napi", "zcrx", "xattrs"], in: "'requires'")
        if let pair = keys["ops"] {
            for item in list(pair.value) {
                if let opcode = readOpcode(item) { requirements.operations.append(opcode) }
            }
        }
        if let pair = keys["setup"] {
            let value = readConstants(pair.value, .setupFlags, what: "'setup'")
            requirements.setupFlags = SetupFlags(rawValue: UInt32(truncatingIfNeeded: value?.value ?? 0))
        }
        if let pair = keys["features"] {
            let value = readConstants(pair.value, .features, what: "'features'")
            requirements.features = Features(rawValue: UInt32(truncatingIfNeeded: value?.value ?? 0))
        }
        if let pair = keys["kernel"] {
            if let text = string(pair.value, "'kernel'") {
                if let release = KernelRelease(parsing: text), text.first?.isNumber == true {
                    requirements.kernel = release
                } else {
                    error(pair.value.mark, "'kernel' must be a release such as \"6.1\" or \"6.8.2\", not '\(text)'")
                }
            }
        }
        if let pair = keys["root"] { requirements.root = bool(pair.value, "'root'") ?? false }
        if let pair = keys["napi"] { requirements.napi = bool(pair.value, "'napi'") ?? false }
        if let pair = keys["zcrx"] { requirements.zcrx = bool(pair.value, "'zcrx'") ?? false }
        if let pair = keys["xattrs"] { requirements.xattrs = bool(pair.value, "'xattrs'") ?? false }
        return requirements
    }

    // MARK: - ring

    func readRing(_ node: YAMLNode) -> RingSpec {
        var ring = RingSpec()
        ring.mark = node.mark
        guard let pairs = mapping(node, "'ring'") else { return ring }
        let keys = checkKeys(pairs, allowed: ["entries", "cq_entries", "flags", "sqpoll", "expect", "reap"], in: "'ring'")
        if let pair = keys["reap"] { ring.reapsManually = readReapMode(pair.value) }
        reapsManually = ring.reapsManually
        if let pair = keys["expect"], let pattern = readResultPattern(pair.value) {
            if ScenarioBuilder.admitsSuccess(pattern) {
                error(pair.value.mark, "'ring.expect' is the error io_uring_setup must fail with, such as -EINVAL; '\(pattern)' admits a ring that sets up (a ring that must set up needs no 'expect')")
            } else {
                ring.expectedSetupFailure = pattern
                ring.mark = pair.key.mark
            }
        }
        if let pair = keys["flags"], let value = readConstants(pair.value, .setupFlags, what: "'flags'") {
            let flags = SetupFlags(rawValue: UInt32(truncatingIfNeeded: value.value))
            if !flags.intersection([.noMmap, .registeredFDOnly]).isEmpty {
                error(pair.value.mark, "IORING_SETUP_NO_MMAP and IORING_SETUP_REGISTERED_FD_ONLY need ring memory the application provides, which ringscript does not")
            }
            ring.flags.formUnion(flags)
        }
        // IORING_SETUP_CLAMP makes the kernel clamp sizes above its limits instead of refusing them.
        let clamp = ring.flags.contains(.clamp)
        var entriesValid = true
        if let pair = keys["entries"] {
            if let value = integer(pair.value, "'entries'", in: 1...(clamp ? 1 << 31 : 32768)) {
                ring.entries = UInt32(value)
            } else {
                entriesValid = false
            }
        }
        if let pair = keys["cq_entries"] {
            if let value = integer(pair.value, "'cq_entries'", in: 1...(clamp ? 1 << 31 : 65536)) {
                ring.cqEntries = UInt32(value)
                ring.flags.insert(.cqSize)
                // The kernel compares the sizes after clamping and rounding up.
                let sq = clamp ? min(ring.entries, 32768) : ring.entries
                let cq = clamp ? min(UInt32(value), 65536) : UInt32(value)
                if entriesValid, cq < sq {
                    error(pair.value.mark, "'cq_entries' (\(value)) must be at least 'entries' (\(ring.entries))")
                }
            }
        }
        if let pair = keys["sqpoll"] {
            ring.flags.insert(.sqPoll)
            if pair.value.mapping != nil {
                let sqpoll = checkKeys(pair.value.mapping!, allowed: ["idle", "cpu"], in: "'sqpoll'")
                if let idle = sqpoll["idle"], let nanoseconds = duration(idle.value, "'idle'") {
                    ring.sqThreadIdleMilliseconds = UInt32(clamping: nanoseconds / 1_000_000)
                }
                if let cpu = sqpoll["cpu"], let value = unsigned(cpu.value, "'cpu'", bits: 32) {
                    ring.sqThreadCPU = UInt32(value)
                    ring.flags.insert(.sqAffinity)
                }
            } else if bool(pair.value, "'sqpoll' (true, or a mapping with idle and cpu)") == false {
                ring.flags.remove(.sqPoll)
            }
        }
        return ring
    }

    /// Whether `pattern` matches some result io_uring_setup(2) returns when it succeeds (a descriptor, ≥ 0).
    static func admitsSuccess(_ pattern: ResultPattern) -> Bool {
        var candidates: [Int64] = [0, 3, Int64(Int32.max)]
        switch pattern {
        case .exact(let value): candidates.append(value)
        case .range(let lower, _): candidates.append(max(lower ?? 0, 0))
        case .comparison(_, let operand): candidates += [operand - 1, operand, operand + 1]
        case .anyOf(let patterns): return patterns.contains(where: admitsSuccess)
        default: break
        }
        return candidates.contains { $0 >= 0 && $0 <= Int64(Int32.max) && pattern.matches(Int32($0)) }
    }

    // MARK: - Shared readers

    /// An op by table name, kernel name (`IORING_OP_READ`) or, when `allowNumber`, number.
    func readOpcode(_ node: YAMLNode, allowNumber: Bool = false) -> Opcode? {
        guard let text = string(node, "an op") else { return nil }
        if allowNumber, node.isPlain, let value = NodeReader.parseInteger(text) {
            guard !value.negative, value.magnitude <= 255 else {
                error(node.mark, "an opcode must be between 0 and 255, not \(text)")
                return nil
            }
            return Opcode(rawValue: UInt8(value.magnitude))
        }
        if let spec = OpTable.spec(named: text), let opcode = spec.opcode, spec.name != "raw" { return opcode }
        if text.hasPrefix("IORING_OP_"), let opcode = Opcode(kernelName: text) { return opcode }
        let names = OpTable.operations.filter { $0.name != "raw" }.map(\.name)
        error(node.mark, "unknown op '\(text)'\(didYouMean(text, names + Opcode.allCases.map(\.kernelName)))")
        return nil
    }

    /// Names of `family` (`O_CREAT`, `[O_CREAT, O_RDWR]`, `"O_CREAT|O_RDWR"`) or a number.
    func readConstants(_ node: YAMLNode, _ family: ConstantFamily, what: String) -> NamedValue? {
        if node.isPlain, let text = node.scalar, let parts = NodeReader.parseInteger(text) {
            guard !parts.negative else {
                error(node.mark, "\(what) must not be negative")
                return nil
            }
            return NamedValue(value: parts.magnitude)
        }
        var words: [(String, SourceMark)] = []
        if let items = node.sequence {
            guard family.isBitSet else {
                error(node.mark, "\(what) takes one \(family.title), not a list")
                return nil
            }
            for item in items {
                guard let text = string(item, "a \(family.title)") else { continue }
                words.append((text, item.mark))
            }
        } else if let text = node.scalar, !node.isNull {
            let pieces = text.split(separator: "|", omittingEmptySubsequences: false)
            guard family.isBitSet || pieces.count == 1 else {
                error(node.mark, "\(what) takes one \(family.title), not a combination")
                return nil
            }
            for piece in pieces { words.append((piece.trimmingSpaces, node.mark)) }
        } else {
            error(node.mark, "\(what) must be \(family.isBitSet ? "names of \(family.title)s" : "a \(family.title) name") or a number, not \(node.kindDescription)")
            return nil
        }
        var value: UInt64 = 0
        var names: [String] = []
        var failed = false
        for (word, mark) in words {
            if let bits = family.value(of: word) {
                value |= bits
                names.append(word)
            } else {
                error(mark, "unknown \(family.title) '\(word)'\(didYouMean(word, family.names))")
                failed = true
            }
        }
        return failed ? nil : NamedValue(value: value, names: names)
    }

    /// A name made of letters, digits, `_`, `-` and `.`, possibly with `{i}` placeholders.
    func isValidName(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        var hasNonASCII = false
        for byte in text.utf8 {
            if byte >= 0x80 {
                hasNonASCII = true
            } else if !isASCIIAlphanumeric(byte), !"_-.{}".utf8.contains(byte) {
                return false
            }
        }
        return !hasNonASCII || text.allSatisfy { $0.isASCII || $0.isLetter || $0.isNumber }
    }
}

/// Whether a byte is an ASCII letter or digit.
@inline(__always)
func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
}

extension StringProtocol {
    /// The parts before and after the first `separator`, if it occurs.
    func splitOnce(_ separator: String) -> (SubSequence, SubSequence)? {
        let pattern = Array(separator.utf8)
        guard let first = pattern.first else { return nil }
        let bytes = utf8
        var index = bytes.startIndex
        while let found = bytes[index...].firstIndex(of: first) {
            if bytes[found...].starts(with: pattern) {
                let after = bytes.index(found, offsetBy: pattern.count)
                return (self[..<found], self[after...])
            }
            index = bytes.index(after: found)
        }
        return nil
    }

    /// The text without leading and trailing spaces.
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
