import IoUring

/// A key of a step other than its op.
enum StepKey: Int, CaseIterable {
    case id, userData, link, hardlink, drain, async, skipSuccess, capture, allowDanglingLink, expect
    /// Keys of a repeat block, reported as misplaced on any other step.
    case `as`, steps

    /// The key as written.
    var name: String {
        switch self {
        case .id: "id"
        case .userData: "user_data"
        case .link: "link"
        case .hardlink: "hardlink"
        case .drain: "drain"
        case .async: "async"
        case .skipSuccess: "skip_success"
        case .capture: "capture"
        case .allowDanglingLink: "allow_dangling_link"
        case .expect: "expect"
        case .as: "as"
        case .steps: "steps"
        }
    }

    /// Every key by name: one hash per key written instead of a dozen comparisons.
    static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })
    /// The keys a request step takes, in the order the reference lists them.
    static let requestKeys = allCases.filter { $0 != .as && $0 != .steps }
}

/// The step keys written on one step, one place per key (no allocation per step).
struct StepKeys {
    /// One place per `StepKey` case.
    private var pairs = InlineArray<12, YAMLPair?>(repeating: nil)

    subscript(key: StepKey) -> YAMLPair? {
        get { pairs[key.rawValue] }
        set { pairs[key.rawValue] = newValue }
    }

    /// The keys written, in the order they were written.
    var written: [(key: StepKey, pair: YAMLPair)] {
        StepKey.allCases.compactMap { key in self[key].map { (key, $0) } }.sorted { $0.pair.key.mark < $1.pair.key.mark }
    }
}

extension ScenarioBuilder {
    func readSteps(_ items: YAMLItems) {
        for item in items { readStep(item) }
    }

    func readStep(_ node: YAMLNode) {
        // `- submit`, `- nop`: a step with no arguments.
        if let text = node.scalar, !node.isNull {
            guard let spec = OpTable.spec(named: text) else {
                error(node.mark, "unknown op '\(text)'\(didYouMean(text, OpTable.names))")
                return
            }
            addStep(spec, key: node, value: nil, common: StepKeys(), step: node)
            return
        }
        guard let pairs = mapping(node, "a step") else { return }
        if pairs.contains(where: { $0.key.scalar == "repeat" }) {
            readRepeat(node, pairs)
            return
        }
        var op: (pair: YAMLPair, spec: StepSpec)?
        // Further op keys, each an error (empty, so not allocated, in a well-formed step).
        var extraOps: [YAMLPair] = []
        var common = StepKeys()
        var unknown: [YAMLPair] = []
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error(pair.key.mark, "step keys must be names, not \(pair.key.kindDescription)")
                continue
            }
            if let stepKey = StepKey.byName[key] {
                common[stepKey] = pair
            } else if let spec = OpTable.spec(named: key) {
                if op == nil { op = (pair, spec) } else { extraOps.append(pair) }
            } else {
                unknown.append(pair)
            }
        }
        var reportedUnknownOp = false
        for pair in unknown {
            let key = pair.key.scalar!
            let asOp = suggestion(for: key, among: OpTable.names)
            let asKey = suggestion(for: key, among: requestStepKeys)
            if op == nil, !reportedUnknownOp, asOp != nil || asKey == nil {
                error(pair.key.mark, "unknown op '\(key)'\(asOp.map { " (did you mean '\($0)'?)" } ?? "")")
                reportedUnknownOp = true
            } else {
                error(pair.key.mark, "unknown step key '\(key)'\(asKey.map { " (did you mean '\($0)'?)" } ?? "")")
            }
        }
        for key in [StepKey.as, .steps] {
            if let pair = common[key] {
                common[key] = nil
                error(pair.key.mark, "'\(key.name)' belongs to a repeat block, which needs 'repeat: N'")
            }
        }
        for extra in extraOps {
            error(extra.key.mark, "a step holds one op; this one already has '\(op!.spec.name)'")
        }
        guard let (opPair, spec) = op else {
            if unknown.isEmpty {
                error(node.mark, "a step needs an op such as read, write or nop, or a control step such as submit")
            }
            return
        }
        addStep(spec, key: opPair.key, value: opPair.value, common: common, step: node)
    }

    private func addStep(_ spec: StepSpec, key: YAMLNode, value: YAMLNode?, common: StepKeys, step: YAMLNode) {
        switch spec.category {
        case .operation:
            addRequest(spec, key: key, value: value, common: common, step: step)
        case .registration:
            rejectKeys(common, except: [.expect], for: spec, kindName: "a registration")
            addRegistration(spec, key: key, value: value, expect: common[.expect], step: step)
        case .control:
            var allowed: [StepKey] = spec.captures == nil ? [] : [.capture]
            if spec.name == "submit" || spec.name == "enter" { allowed.append(.expect) }
            rejectKeys(common, except: allowed, for: spec, kindName: "a control step")
            addControl(spec, key: key, value: value, capture: common[.capture], expect: common[.expect], step: step)
        }
    }

    private func rejectKeys(_ common: StepKeys, except allowed: [StepKey], for spec: StepSpec, kindName: String) {
        for (key, pair) in common.written where !allowed.contains(key) {
            error(pair.key.mark, "'\(key.name)' does not apply to '\(spec.name)', which is \(kindName), not an SQE")
        }
    }

    // MARK: - Submit points

    /// A control or registration step at `node`: the queued SQEs are submitted first.
    private func closeBatch(before node: NodeID) {
        reportDanglingLink(reason: "before a submit point")
        if let last = lastRequestSinceBoundary { edges.append(Edge(from: last, to: node, kind: .submitBoundary)) }
        lastRequestSinceBoundary = nil
    }

    private func reportDanglingLink(reason: String) {
        guard let pending = pendingLink else { return }
        pendingLink = nil
        guard !pending.allowsDangling else { return }
        let flag = pending.kind == .hardlink ? "hardlink" : "link"
        error(pending.mark, "'\(flag)' on the last request \(reason): nothing follows it in the chain; remove it, or add 'allow_dangling_link: true' to keep it on purpose")
    }

    /// The end of the steps: an implicit final submit.
    func finishSteps() {
        reportDanglingLink(reason: "of the scenario")
    }

    // MARK: - Requests

    /// The step keys that set SQE flags.
    static let stepFlags: [(key: StepKey, flag: SubmissionFlags)] = [
        (.link, .link), (.hardlink, .hardlink), (.drain, .drain), (.async, .async), (.skipSuccess, .skipSuccess),
    ]

    private func addRequest(_ spec: StepSpec, key: YAMLNode, value: YAMLNode?, common: StepKeys, step: YAMLNode) {
        let nodeID = nodes.count
        nodes.append(Node(id: nodeID, kind: .repeatBlock(-1), mark: step.mark, block: openBlocks.last))
        let linkedFromPrevious = pendingLink
        if let pending = pendingLink {
            edges.append(Edge(from: pending.node, to: nodeID, kind: pending.kind))
            pendingLink = nil
        }
        captureUses = []
        let arguments = readArguments(spec, key: key, value: value)
        if spec.isLinkTimeout { checkLoneLinkTimeout(arguments, linked: linkedFromPrevious != nil, key: key) }
        let opcodeValue = resolveOpcode(spec, arguments)
        let sqeOverrides = readSQEOverrides(spec, opcode: opcodeValue, value: value)

        // Flags written on the step, then implied ones.
        var flags: SubmissionFlags = []
        var linkMark: SourceMark?
        var allowsDangling = false
        if let pair = common[.allowDanglingLink] {
            allowsDangling = bool(pair.value, "'allow_dangling_link'") ?? false
        }
        for (key, flag) in ScenarioBuilder.stepFlags {
            guard let pair = common[key], let on = bool(pair.value, "'\(key.name)'"), on else { continue }
            flags.insert(flag)
            if flag == .link || flag == .hardlink { linkMark = pair.key.mark }
        }
        if impliesFixedFile(spec), case .file(let operand)? = arguments[spec.primaryFileArgument], operand.isFixed {
            flags.insert(.fixedFile)
        }
        if spec.takesBufferGroup, arguments["buffer_group"] != nil { flags.insert(.bufferSelect) }
        if spec.isRaw, let extra = arguments.named("sqe_flags") {
            flags.formUnion(SubmissionFlags(rawValue: UInt8(truncatingIfNeeded: extra.value)))
        }
        if let sqeOverrides { flags.formUnion(SubmissionFlags(rawValue: sqeOverrides.sqeFlags)) }

        // Data dependencies. A chain member may use a capture made before the chain (the runner waits for
        // it before queuing the chain's first request), not one made inside it.
        let head = linkedFromPrevious == nil ? nodeID : (chainHead ?? nodeID)
        chainHead = head
        for use in captureUses {
            edges.append(Edge(from: use.reference.producer, to: nodeID, kind: .capture(use.reference.name)))
            if let linked = linkedFromPrevious, use.reference.producer >= head {
                error(use.mark, "'$\(use.reference.name)' is only known once its CQE has arrived, but this request is linked to the one before it and is submitted together with it",
                      notes: [note(linked.mark, "the link is set here")])
            }
        }
        if flags.contains(.drain), let last = lastRequest { edges.append(Edge(from: last, to: nodeID, kind: .drain)) }

        let id = readRequestID(common[.id], node: nodeID)
        let userData = readUserData(common[.userData])
        var capture: CaptureSpec?
        if let pair = common[.capture] {
            capture = declareCapture(pair, kind: spec.captures, producer: nodeID, stepName: spec.name)
        }
        let isMultishot: Bool
        switch spec.multishot {
        case .never: isMultishot = false
        case .always: isMultishot = true
        case .whenArgument(let name): isMultishot = arguments.bool(name) ?? false
        }

        let request = RequestSpec(operation: spec.name, opcodeValue: opcodeValue, arguments: arguments, flags: flags,
                                  userData: userData, id: id, capture: capture, isMultishot: isMultishot,
                                  allowsDanglingLink: allowsDangling, sqeOverrides: sqeOverrides)
        nodes[nodeID].kind = .request(request)

        if let pair = common[.expect] {
            let written = id?.description ?? "the request at line \(step.mark.line)"
            if let expectation = readCompletionExpectation(pair.value, subject: .request(node: nodeID, iterations: .each, written: written),
                                                           request: request, mark: pair.key.mark) {
                inlineExpectations.append(expectation)
                inlineExpectationNodes[nodeID] = pair.key.mark
            }
        }

        if flags.contains(.link) || flags.contains(.hardlink), let linkMark {
            pendingLink = (nodeID, flags.contains(.hardlink) ? .hardlink : .link, linkMark, allowsDangling)
        } else if allowsDangling, let pair = common[.allowDanglingLink] {
            error(pair.key.mark, "'allow_dangling_link' only matters on a request with 'link' or 'hardlink'")
        }
        lastRequest = nodeID
        lastRequestSinceBoundary = nodeID
        requestCursor += 1
        if let name = spec.postedUserDataArgument, let newUserData = arguments.unsigned(name) { extraUserData.insert(newUserData) }
        applyRegistrationEffects(ofOperation: spec, arguments)
    }

    /// Whether a slot in the primary file argument sets IOSQE_FIXED_FILE (cancel uses its own flag).
    private func impliesFixedFile(_ spec: StepSpec) -> Bool { !spec.isCancel }

    private func resolveOpcode(_ spec: StepSpec, _ arguments: Arguments) -> UInt8 {
        if spec.isRaw {
            if case .opcode(let opcode)? = arguments["opcode"] { return opcode.rawValue }
            if case .unsigned(let number)? = arguments["opcode"] { return UInt8(truncatingIfNeeded: number) }
            return 0
        }
        if let variant = spec.opcodeVariant, arguments[variant.argument] != nil { return variant.opcode.rawValue }
        return spec.opcode?.rawValue ?? 0
    }

    private func readRequestID(_ pair: YAMLPair?, node: NodeID) -> TemplateText? {
        guard let pair else { return nil }
        guard let text = string(pair.value, "'id'") else { return nil }
        let mark = pair.value.mark
        if NodeReader.parseInteger(text) != nil {
            error(mark, "id '\(text)' looks like a number; ids are names (use 'user_data: \(text)' for a numeric user_data)")
            return nil
        }
        if isReservedExpectKey(text) {
            error(mark, "id '\(text)' is reserved: it is a key of 'expect'")
            return nil
        }
        guard isValidName(text), !text.utf8.contains(UInt8(ascii: ".")) else {
            error(mark, "id '\(text)' must be letters, digits, '_' and '-', with {index} placeholders inside repeat blocks")
            return nil
        }
        let template = TemplateText(parsing: text)
        guard checkPlaceholders(template, at: mark) else { return nil }
        guard requireDistinctIterations(template, node: node, mark: mark) else { return nil }
        // One hash for the usual case, a new id: insert, and put the first definition back if there was one.
        if let first = ids.updateValue((node, mark, template.isTemplate), forKey: text) {
            ids[text] = first
            error(mark, "duplicate id '\(text)'", notes: [note(first.mark, "'\(text)' first defined here")])
            return nil
        }
        if template.isTemplate {
            if let clash = ids.first(where: { !$0.value.isTemplate && template.match($0.key) != nil }) {
                ids[text] = nil
                error(mark, "id '\(text)' would repeat the id '\(clash.key)'", notes: [note(clash.value.mark, "'\(clash.key)' defined here")])
                return nil
            }
            templateIDs.append((template, node))
        } else if let clash = templateIDs.first(where: { $0.template.match(text) != nil }) {
            ids[text] = nil
            error(mark, "id '\(text)' is also an iteration of '\(clash.template)'",
                  notes: [note(ids[clash.template.description]!.mark, "'\(clash.template)' defined here")])
            return nil
        }
        return template
    }

    /// Inside a repeat block that runs more than once, an id must name each iteration apart.
    @discardableResult
    private func requireDistinctIterations(_ template: TemplateText, node: NodeID, mark: SourceMark) -> Bool {
        guard !openBlocks.isEmpty else { return true }
        let used = Set(template.indexNames)
        for block in openBlocks where blocks[block].count > 1 && !used.contains(blocks[block].indexName) {
            let name = blocks[block].indexName
            error(mark, "id '\(template)' repeats in every iteration of the repeat block at line \(blocks[block].mark.line); add its index, as in '\(template){\(name)}'")
            return false
        }
        return true
    }

    /// Every `{name}` must be the index of an enclosing repeat block.
    func checkPlaceholders(_ template: TemplateText, at mark: SourceMark) -> Bool {
        guard template.isTemplate else { return true }
        let names = openBlocks.map { blocks[$0].indexName }
        for name in template.indexNames where !names.contains(name) {
            if names.isEmpty {
                error(mark, "'{\(name)}' is only meaningful inside a repeat block")
            } else {
                error(mark, "'{\(name)}' is not the index of an enclosing repeat block\(didYouMean(name, names))")
            }
            return false
        }
        return true
    }

    private func readUserData(_ pair: YAMLPair?) -> UserDataRule {
        let depth = openBlocks.count
        guard let pair, let value = unsigned(pair.value, "'user_data'", bits: 64) else {
            automaticCursor += 1
            return UserDataRule(base: automaticCursor, strides: [UInt64](repeating: 0, count: depth))
        }
        let mark = pair.value.mark
        if !scenarioOptions.allowDuplicateUserData {
            if let first = explicitUserData[value] {
                error(mark, "user_data \(value) is already used; set 'allow_duplicate_user_data: true' to reuse it on purpose",
                      notes: [note(first, "first used here")])
            } else if let block = openBlocks.first(where: { blocks[$0].count > 1 }) {
                error(mark, "user_data \(value) repeats in every iteration of the repeat block at line \(blocks[block].mark.line); set 'allow_duplicate_user_data: true' to reuse it on purpose")
            }
        }
        if explicitUserData[value] == nil { explicitUserData[value] = mark }
        var rule = UserDataRule(base: value, strides: [UInt64](repeating: 0, count: depth), isExplicit: true)
        let prefix = pair.value.scalar?.lowercased().prefix(2)
        rule.radix = prefix == "0x" ? 16 : prefix == "0o" ? 8 : prefix == "0b" ? 2 : 10
        return rule
    }

    private func declareCapture(_ pair: YAMLPair, kind: CaptureKind?, producer: NodeID, stepName: String) -> CaptureSpec? {
        guard let name = string(pair.value, "'capture'") else { return nil }
        guard let kind else {
            error(pair.key.mark, "'\(stepName)' produces nothing to capture")
            return nil
        }
        let bare = name.hasPrefix("$") ? String(name.dropFirst()) : name
        guard !bare.isEmpty, bare.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            error(pair.value.mark, "capture name '\(name)' must be letters, digits and '_'")
            return nil
        }
        if "$" + bare == ringOperand {
            error(pair.value.mark, ringCaptureRefusal)
            return nil
        }
        if let existing = captures[bare] {
            error(pair.value.mark, "'$\(bare)' is already captured", notes: [note(existing.mark, "first captured here")])
            return nil
        }
        let block = openBlocks.last
        captures[bare] = (producer, kind, pair.value.mark, block)
        if allCaptures[bare] == nil { allCaptures[bare] = (pair.value.mark, block) }
        if !blockCaptures.isEmpty { blockCaptures[blockCaptures.count - 1].append(bare) }
        return CaptureSpec(name: bare, kind: kind, mark: pair.value.mark)
    }

    /// Data dependencies of a control or registration step on the captures it uses.
    private func addCaptureEdges(to nodeID: NodeID) {
        for use in captureUses {
            edges.append(Edge(from: use.reference.producer, to: nodeID, kind: .capture(use.reference.name)))
        }
    }

    // MARK: - Registrations

    private func addRegistration(_ spec: StepSpec, key: YAMLNode, value: YAMLNode?, expect: YAMLPair?, step: YAMLNode) {
        let nodeID = nodes.count
        nodes.append(Node(id: nodeID, kind: .repeatBlock(-1), mark: step.mark, block: openBlocks.last))
        closeBatch(before: nodeID)
        captureUses = []
        let arguments = readArguments(spec, key: key, value: value)
        addCaptureEdges(to: nodeID)
        var expected = ResultPattern.success
        var expectationMark: SourceMark?
        if let expect {
            expectationMark = expect.key.mark
            if let pattern = readCallExpectation(expect, of: "a registration") { expected = pattern }
        }
        let succeeds = expected.matches(0)
        let registration: Registration
        switch spec.name {
        case "register_files":
            if case .files(let files)? = arguments["files"] {
                registration = .files(files)
                if succeeds { fileTableSlots = UInt32(files.count) }
            } else {
                let count = UInt32(arguments.unsigned("sparse") ?? 0)
                registration = .sparseFiles(count: count)
                if succeeds { fileTableSlots = count }
            }
        case "register_files_update":
            let offset = UInt32(arguments.unsigned("offset") ?? 0)
            var files: [FileOperand] = []
            if case .files(let list)? = arguments["files"] { files = list }
            // A step expecting only a refusal (-ENXIO: no table) is not held to the table it lacks.
            if ScenarioBuilder.admitsSuccess(expected) {
                checkSlotRange(offset, count: UInt32(files.count), at: arguments.argument("files")?.mark ?? key.mark)
            }
            registration = .filesUpdate(offset: offset, files)
        case "register_file_alloc_range":
            let offset = UInt32(arguments.unsigned("offset") ?? 0)
            let count = UInt32(arguments.unsigned("count") ?? 0)
            if ScenarioBuilder.admitsSuccess(expected) {
                checkSlotRange(offset, count: count, at: arguments.argument("count")?.mark ?? key.mark)
            }
            registration = .fileAllocRange(offset: offset, count: count)
        case "unregister_files":
            registration = .unregisterFiles
            if succeeds { fileTableSlots = nil }
        case "register_buffers":
            var names: [String] = []
            if case .buffers(let list)? = arguments["buffers"] { names = list }
            registration = .buffers(names)
            if succeeds {
                var table: [String: UInt16] = [:]
                for (index, name) in names.enumerated() where table[name] == nil { table[name] = UInt16(truncatingIfNeeded: index) }
                registeredBuffers = table
            }
        case "unregister_buffers":
            registration = .unregisterBuffers
            if succeeds { registeredBuffers = nil }
        case "register_eventfd", "register_eventfd_async":
            registration = .eventfd(arguments.file("eventfd") ?? .empty, async: spec.name == "register_eventfd_async")
        case "unregister_eventfd":
            registration = .unregisterEventfd
        case "register_napi":
            registration = .napi(busyPollTimeoutNanoseconds: arguments.duration("busy_poll_timeout") ?? 0,
                                 preferBusyPoll: arguments.bool("prefer_busy_poll") ?? false)
        case "unregister_napi":
            registration = .unregisterNAPI
        case "register_buffer_ring":
            let group = UInt16(arguments.unsigned("group") ?? 0)
            let entries = arguments.unsigned("entries") ?? 0
            if let mark = arguments.argument("entries")?.mark { checkRingEntries(entries, at: mark) }
            if let mark = arguments.argument("size")?.mark {
                checkBufferGroupSize(arguments.unsigned("size") ?? 0, count: entries, what: "'register_buffer_ring'", at: mark)
            }
            if succeeds { bufferGroups.insert(group) }
            registration = .bufferRing(BufferRingSpec(group: group, entries: UInt32(entries), size: UInt32(arguments.unsigned("size") ?? 0),
                                                      incremental: arguments.bool("incremental") ?? false))
        case "unregister_buffer_ring":
            var group: UInt16 = 0
            if case .bufferGroup(let reference)? = arguments["group"] { group = reference.group }
            registration = .unregisterBufferRing(group: group)
        case "enable_rings":
            registration = .enableRings
        default:
            var supported: [Opcode] = []
            var unsupported: [Opcode] = []
            if case .opcodes(let list)? = arguments["supported"] { supported = list }
            if case .opcodes(let list)? = arguments["unsupported"] { unsupported = list }
            registration = .probe(supported: supported, unsupported: unsupported)
        }
        nodes[nodeID].kind = .registration(RegistrationStep(registration: registration, expected: expected, expectationMark: expectationMark))
    }

    /// Slots `offset ..< offset + count` must exist in the file table registered at this point.
    func checkSlotRange(_ offset: UInt32, count: UInt32, at mark: SourceMark) {
        guard let slots = fileTableSlots else {
            error(mark, "no file table is registered at this point (add a file_table resource or a register_files step)")
            return
        }
        if UInt64(offset) + UInt64(count) > UInt64(slots) {
            let valid = slots == 0 ? "no slots" : slots == 1 ? "only slot 0" : "slots 0…\(slots - 1)"
            error(mark, "slots \(offset)…\(UInt64(offset) + UInt64(count) - 1) are out of range: the registered file table has \(valid)")
        }
    }

    /// A single slot must exist in the file table registered at this point.
    func checkSlot(_ slot: UInt32, at mark: SourceMark) {
        guard let slots = fileTableSlots else {
            error(mark, "slot \(slot) is used, but no file table is registered at this point (add a file_table resource or a register_files step)")
            return
        }
        if slot >= slots {
            let valid = slots == 0 ? "no slots" : slots == 1 ? "only slot 0" : "slots 0…\(slots - 1)"
            error(mark, "slot \(slot) is out of range: the registered file table has \(valid) (to reach it on purpose, write a slot in range and override the SQE field, e.g. 'sqe: { fd: { slot: \(slot) } }')")
        }
    }

    /// Ops that change the registration state the validator follows.
    private func applyRegistrationEffects(ofOperation spec: StepSpec, _ arguments: Arguments) {
        if spec.name == "provide_buffers", case .bufferGroup(let reference)? = arguments["group"] {
            bufferGroups.insert(reference.group)
        }
    }

    // MARK: - Control steps

    /// The `expect:` of a step that is a system call (a registration, a `submit`): a result, or `{ res: … }`.
    private func readCallExpectation(_ expect: YAMLPair, of what: String) -> ResultPattern? {
        if let pairs = expect.value.mapping {
            let keys = checkKeys(pairs, allowed: ["res"], in: "the expectation of \(what)")
            if let res = keys["res"] { return readResultPattern(res.value) }
            return nil
        }
        return readResultPattern(expect.value)
    }

    private func addControl(_ spec: StepSpec, key: YAMLNode, value: YAMLNode?, capture: YAMLPair?, expect: YAMLPair?,
                            step: YAMLNode) {
        let nodeID = nodes.count
        nodes.append(Node(id: nodeID, kind: .repeatBlock(-1), mark: step.mark, block: openBlocks.last))
        closeBatch(before: nodeID)
        captureUses = []
        let arguments = readArguments(spec, key: key, value: value)
        addCaptureEdges(to: nodeID)
        let action: ControlAction
        switch spec.name {
        case "submit":
            action = .submit(waitFor: arguments.unsigned("wait").map { UInt32($0) })
        case "wait":
            var requests: [RequestReference] = []
            if case .requests(let list)? = arguments["ids"] { requests = list }
            action = .wait(for: requests, timeoutNanoseconds: arguments.duration("timeout"))
        case "sleep":
            action = .sleep(nanoseconds: arguments.duration("duration") ?? 0)
        case "peer_write":
            var bytes: [UInt8] = []
            if case .bytes(let data)? = arguments["data"] { bytes = data }
            action = .peerWrite(arguments.file("fd") ?? .empty, bytes)
        case "peer_read":
            action = .peerRead(arguments.file("fd") ?? .empty, length: arguments.unsigned("len") ?? 0)
        case "peer_close":
            action = .peerClose(arguments.file("fd") ?? .empty)
        case "peer_shutdown":
            action = .peerShutdown(arguments.file("fd") ?? .empty, how: arguments.named("how") ?? NamedValue(value: 0))
        case "peer_connect":
            var listener = ResourceReference(name: "")
            if case .file(.resource(let reference))? = arguments["to"] { listener = reference }
            let count = Int(arguments.unsigned("count") ?? 1)
            action = .peerConnect(to: listener, count: count)
            if count != 1, let capture {
                error(capture.key.mark, "'capture' names one socket, so it needs 'count: 1'")
            }
        case "peer_send":
            var bytes: [UInt8] = []
            if case .bytes(let data)? = arguments["data"] { bytes = data }
            var address = SocketAddress.ipv4(host: "127.0.0.1", port: 0)
            if case .address(let value)? = arguments["to"] { address = value }
            action = .peerSend(to: address, bytes)
        case "replenish_buffers":
            var group = BufferGroupReference(group: 0, resource: nil)
            if case .bufferGroup(let reference)? = arguments["group"] { group = reference }
            if let name = group.resource, let index = resourceIndex[name], case .providedBuffers = resources[index].kind,
               let mark = arguments.argument("group")?.mark {
                error(mark, "'\(name)' is a legacy provided_buffers group: refill it with provide_buffers; replenish_buffers is for buffer rings")
            }
            let first = UInt16(truncatingIfNeeded: arguments.unsigned("first") ?? 0)
            let count = UInt16(truncatingIfNeeded: arguments.unsigned("count") ?? 1)
            if case .bufferIDs(let ids)? = arguments["ids"] {
                action = replenishUnderNewIDs(group, first: first, count: count, ids, at: arguments.argument("ids")?.mark)
            } else {
                action = .replenishBuffers(group: group, first: first, count: count)
            }
        case "reap", "enter", "ring_state":
            action = .ring(readRingControl(spec, arguments, at: key.mark))
        case "check_eventfd", "lseek", "check_position":
            action = positionOrCounterAction(spec.name, arguments)
        default:
            action = .peerSignal(arguments.file("eventfd") ?? .empty, value: arguments.unsigned("value") ?? 1)
        }
        var captureSpec: CaptureSpec?
        if let capture { captureSpec = declareCapture(capture, kind: spec.captures, producer: nodeID, stepName: spec.name) }
        var expected: ResultPattern?
        if let expect { expected = readCallExpectation(expect, of: "\(article(spec.name)) \(spec.name) step") }
        nodes[nodeID].kind = .control(ControlStep(action: action, capture: captureSpec, expected: expected,
                                                  expectationMark: expect?.key.mark))
        if spec.name == "wait", case .control(var step) = nodes[nodeID].kind {
            step.expectsTimeout = readWaitExpectation(arguments, hasTimeout: arguments.duration("timeout") != nil)
            nodes[nodeID].kind = .control(step)
        }
    }

    // MARK: - Repeat blocks

    private func readRepeat(_ node: YAMLNode, _ pairs: YAMLPairs) {
        let keys = checkKeys(pairs, allowed: ["repeat", "as", "steps"], in: "a repeat block")
        var count = 1
        if let pair = keys["repeat"], let value = integer(pair.value, "'repeat' (the number of iterations)", in: 1...1_000_000_000) {
            count = Int(value)
        }
        var indexName = "i"
        if let pair = keys["as"], let name = string(pair.value, "'as'") {
            let enclosing = openBlocks.map { blocks[$0].indexName }
            if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) || name.first!.isNumber {
                error(pair.value.mark, "'as' must be a name such as i or j")
            } else if enclosing.contains(name) {
                error(pair.value.mark, "'\(name)' is already the index of an enclosing repeat block; pick another with 'as'")
            } else {
                indexName = name
            }
        } else if openBlocks.contains(where: { blocks[$0].indexName == "i" }) {
            let nested = ["j", "k", "l", "m", "n"].first { name in !openBlocks.contains { blocks[$0].indexName == name } } ?? "i"
            indexName = nested
        }
        guard let stepsPair = keys["steps"] else {
            error(node.mark, "a repeat block needs 'steps'")
            return
        }
        guard let items = sequence(stepsPair.value, "'steps' of a repeat block") else { return }
        if items.isEmpty {
            error(stepsPair.value.mark, "a repeat block needs at least one step")
            return
        }

        if let pending = pendingLink {
            pendingLink = nil
            error(pending.mark, "a link chain cannot continue into a repeat block; end it before the block")
        }
        let nodeID = nodes.count
        let blockID = blocks.count
        nodes.append(Node(id: nodeID, kind: .repeatBlock(blockID), mark: node.mark, block: openBlocks.last))
        blocks.append(RepeatBlock(id: blockID, node: nodeID, count: count, indexName: indexName, body: nodeID + 1..<nodeID + 1,
                                  parent: openBlocks.last, requestsPerIteration: 0, mark: node.mark))
        let automaticStart = automaticCursor
        let requestStart = requestCursor
        openBlocks.append(blockID)
        blockCaptures.append([])

        readSteps(items)

        if let pending = pendingLink {
            pendingLink = nil
            error(pending.mark, "a link chain cannot continue past the end of a repeat block (it would run into the next iteration); end it inside the block")
        }
        for name in blockCaptures.removeLast() { captures[name] = nil }
        openBlocks.removeLast()

        let depth = openBlocks.count
        let automaticPerIteration = automaticCursor - automaticStart
        let requestsPerIteration = requestCursor - requestStart
        blocks[blockID].body = nodeID + 1..<nodes.count
        blocks[blockID].requestsPerIteration = requestsPerIteration
        for inner in blocks[blockID].body {
            guard case .request(var request) = nodes[inner].kind, !request.userData.isExplicit else { continue }
            request.userData.strides[depth] = automaticPerIteration
            nodes[inner].kind = .request(request)
        }
        let (automaticTotal, overflow1) = automaticPerIteration.multipliedReportingOverflow(by: UInt64(count))
        let (requestTotal, overflow2) = requestsPerIteration.multipliedReportingOverflow(by: UInt64(count))
        // Both cursors stay at most 2^48 (checked here), so none of these sums can overflow.
        if overflow1 || overflow2 || automaticTotal > UInt64(1) << 48 || requestTotal > UInt64(1) << 48
            || requestStart + requestTotal > UInt64(1) << 48 || automaticStart + automaticTotal > UInt64(1) << 48 {
            error(node.mark, "this repeat block issues too many requests")
            return
        }
        automaticCursor = automaticStart + automaticTotal
        requestCursor = requestStart + requestTotal
    }

    /// SQEs in one run, repeat blocks expanded.
    func totalRequestCount() -> UInt64 { requestCursor }
}
