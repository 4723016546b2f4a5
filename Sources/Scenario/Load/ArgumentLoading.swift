import IoUring

/// The arguments of one step while they are read, kept as they are returned: in op-table order, the
/// ones not given left out, in one array sized for the op. Bit `i` of `present` says whether the table's
/// argument `i` is there; its place in `items` is the number of present arguments before it.
struct ArgumentDraft {
    let spec: StepSpec
    private(set) var items: [StepArgument] = []
    private var present: UInt64 = 0

    init(spec: StepSpec) {
        self.spec = spec
        items.reserveCapacity(spec.arguments.count)
    }

    /// The argument at `index` of the op table.
    subscript(index: Int) -> StepArgument? {
        present & (1 << index) == 0 ? nil : items[place(of: index)]
    }

    /// Sets the argument at `index` of the op table; arguments given in table order are appended.
    mutating func set(_ index: Int, _ argument: StepArgument) {
        let place = place(of: index)
        if present & (1 << index) != 0 {
            items[place] = argument
        } else if place == items.count {
            items.append(argument)
        } else {
            items.insert(argument, at: place)
        }
        present |= 1 << index
    }

    subscript(name: String) -> StepArgument? {
        spec.arguments.firstIndex { $0.name == name }.flatMap { self[$0] }
    }

    private func place(of index: Int) -> Int { (present & ((1 << index) - 1)).nonzeroBitCount }
}

extension ScenarioBuilder {
    /// Timeout clocks and the IORING_TIMEOUT_* flag that selects each (none for CLOCK_MONOTONIC).
    static let clocks: [(name: String, flag: UInt64)] = [("monotonic", 0), ("boottime", 4), ("realtime", 8)]

    /// Reads a step's arguments against its op-table entry: unknown names, types, required ones,
    /// the rules between them, defaults and derived lengths. Returns them in table order.
    func readArguments(_ spec: StepSpec, key: YAMLNode, value: YAMLNode?) -> Arguments {
        var values = ArgumentDraft(spec: spec)
        // Which table arguments were written, and which of those are bools written as `false` (they do
        // not count as given for the rules); one bit per argument.
        var written: UInt64 = 0
        var writtenFalse: UInt64 = 0
        func take(_ index: Int, _ node: YAMLNode) {
            written |= 1 << index
            if spec.arguments[index].isBool && node.isPlain && node.scalar == "false" { writtenFalse |= 1 << index }
            if let decoded = decode(spec.arguments[index], node, in: spec) {
                values.set(index, StepArgument(name: spec.arguments[index].name, value: decoded, mark: node.mark))
            }
        }
        if let value, !value.isNull {
            if let pairs = value.mapping {
                for pair in pairs {
                    guard let name = pair.key.scalar else {
                        error(pair.key.mark, "argument names must be names, not \(pair.key.kindDescription)")
                        continue
                    }
                    // `sqe:` overrides of a typed op's SQE fields: read by readSQEOverrides (SQEOverrides.swift).
                    if name == "sqe", spec.opcode != nil, !spec.isRaw { continue }
                    guard let index = spec.arguments.firstIndex(where: { $0.name == name }) else {
                        let names = spec.arguments.map(\.name)
                        let known = names.isEmpty ? " ('\(spec.name)' takes no arguments)" : didYouMean(name, names)
                        error(pair.key.mark, "unknown argument '\(name)' of '\(spec.name)'\(known)")
                        continue
                    }
                    take(index, pair.value)
                }
            } else if let shorthand = spec.shorthand, let index = spec.arguments.firstIndex(where: { $0.name == shorthand }) {
                take(index, value)
            } else {
                error(value.mark, "'\(spec.name)' takes a mapping of arguments, not \(value.kindDescription)")
                return Arguments()
            }
        }
        for (index, argument) in spec.arguments.enumerated() where written & (1 << index) == 0 {
            switch argument.presence {
            case .required:
                error(key.mark, "'\(spec.name)' is missing its required argument '\(argument.name)'")
            case .defaulted(let value, _):
                values.set(index, StepArgument(name: argument.name, value: value, mark: key.mark, isDefault: true))
            default:
                break
            }
        }
        if !spec.rules.isEmpty {
            checkRules(spec, given: written & ~writtenFalse, key: key, value: value)
        }
        deriveLengths(spec, &values, key: key)
        checkIssuerAllocations(spec, values, key: key)
        checkSlotArguments(spec, values)
        if spec.hasPaths { checkPathArguments(spec, values) }
        if spec.isRaw { checkRawSandbox(spec, values, key: key) }
        checkTimespecArguments(spec, values, key: key, value: value)
        if spec.opcode == .socket, let domain = values["domain"] { checkSocketDomain(domain) }
        return Arguments(values.items)
    }

    /// `given`: one bit per table argument written (bools written `false` left out).
    private func checkRules(_ spec: StepSpec, given: UInt64, key: YAMLNode, value: YAMLNode?) {
        func isGiven(_ index: Int) -> Bool { given & (1 << index) != 0 }
        /// Where a given argument's key was written (the op's key for the shorthand form).
        func mark(of name: String) -> SourceMark? {
            guard let index = spec.arguments.firstIndex(where: { $0.name == name }), isGiven(index) else { return nil }
            guard let pairs = value?.mapping else { return key.mark }
            return pairs.first { $0.key.scalar == name }?.key.mark
        }
        func quoted(_ names: [String], _ conjunction: String) -> String {
            let parts = names.map { "'\($0)'" }
            return parts.count <= 1 ? parts.joined() : parts.dropLast().joined(separator: ", ") + " \(conjunction) " + parts.last!
        }
        for (rule, indices) in zip(spec.rules, spec.ruleArguments) {
            // Most steps keep every rule; only a broken one needs the names and marks below.
            let count = indices.lazy.filter(isGiven).count
            switch rule {
            case .exactlyOne: if count == 1 { continue }
            case .atMostOne: if count <= 1 { continue }
            case .atLeastOne: if count >= 1 { continue }
            case .requires: if !isGiven(indices[0]) || isGiven(indices[1]) { continue }
            }
            switch rule {
            case .exactlyOne(let names), .atMostOne(let names):
                var present: [(name: String, mark: SourceMark)] = []
                for name in names { if let found = mark(of: name) { present.append((name, found)) } }
                if present.count > 1 {
                    present.sort { $0.mark < $1.mark }
                    error(present[1].mark, "'\(spec.name)' takes only one of \(quoted(present.map(\.name), "and"))")
                } else if present.isEmpty, case .exactlyOne = rule {
                    error(key.mark, "'\(spec.name)' needs one of \(quoted(names, "or"))")
                }
            case .atLeastOne(let names):
                if !names.contains(where: { mark(of: $0) != nil }) {
                    error(key.mark, "'\(spec.name)' needs at least one of \(quoted(names, "or"))")
                }
            case .requires(let first, let second):
                if let firstMark = mark(of: first), mark(of: second) == nil {
                    error(firstMark, "'\(first)' of '\(spec.name)' needs '\(second)'")
                }
            }
        }
    }

    // MARK: - Lengths

    /// Fills in derived lengths and checks given ones against the buffer they read or write.
    private func deriveLengths(_ spec: StepSpec, _ values: inout ArgumentDraft, key: YAMLNode) {
        var available: UInt64?
        var bufferName: String?
        var bufferOffset: UInt64 = 0
        let buffer = spec.bufferIndex.flatMap { values[$0] }
        switch buffer?.value {
        case .buffer(.resource(let name, let offset))?:
            if let resource = resourceBuffer(name) {
                available = resource.size - min(offset, resource.size)
                (bufferName, bufferOffset) = (name, offset)
            }
        case .registeredBuffer(let operand)?:
            if let resource = resourceBuffer(operand.name) {
                available = resource.size - min(operand.offset, resource.size)
                (bufferName, bufferOffset) = (operand.name, operand.offset)
            }
        default:
            if let index = spec.dataIndex, case .bytes(let bytes)? = values[index]?.value, spec.category != .control {
                available = UInt64(bytes.count)
            }
        }
        /// What holds the bytes, for messages (built only when one is needed).
        var source: String {
            guard let bufferName else { return "the inline data holds" }
            return "buffer '\(bufferName)' holds" + (bufferOffset == 0 ? "" : " from offset \(bufferOffset)")
        }
        let length = spec.lengthIndex.flatMap { values[$0] }
        if let length, !length.isDefault, case .unsigned(let count) = length.value, let available, count > available {
            error(length.mark, "'len' \(count) is more than \(source) (\(available) byte\(available == 1 ? "" : "s"))")
        }
        if let buffer, let available {
            let needed: UInt64? = switch spec.name {
            case "statx": 256
            case "waitid": 128
            default: nil
            }
            if let needed, available < needed {
                error(buffer.mark, "'\(spec.name)' writes \(needed) bytes into 'buf', but \(source) \(available)")
            }
        }
        if let buffer, spec.name == "provide_buffers", let available, let count = values["count"], let size = values["size"],
           case .unsigned(let buffers) = count.value, case .unsigned(let bytes) = size.value,
           case let (needed, overflow) = buffers.multipliedReportingOverflow(by: bytes), overflow || needed > available {
            error(buffer.mark, "\(buffers) buffers of \(bytes) bytes need \(overflow ? "more than \(UInt64.max)" : String(needed)) bytes, but \(source) \(available)")
        }
        if let lengthIndex = spec.lengthIndex, length == nil, case .derived = spec.arguments[lengthIndex].presence,
           spec.iovecsIndex.flatMap({ values[$0] }) == nil {
            // Without a buffer, getsockopt still needs room for an int option.
            let fallback: UInt64 = spec.name == "getsockopt" ? 4 : 0
            values.set(lengthIndex, StepArgument(name: "len", value: .unsigned(available ?? fallback), mark: key.mark, isDefault: true))
        }
    }

    private func resourceBuffer(_ name: String) -> BufferResource? {
        guard let index = resourceIndex[name], case .buffer(let buffer) = resources[index].kind else { return nil }
        return buffer
    }

    /// Memory the runner allocates for an op from its numbers (provide_buffers without `buf`, the events
    /// of epoll_wait, getsockopt's value without `buf`) counts against the scenario's limits, once per
    /// iteration of the enclosing repeat blocks: provided buffers stay with the ring.
    private func checkIssuerAllocations(_ spec: StepSpec, _ values: ArgumentDraft, key: YAMLNode) {
        func number(_ name: String) -> UInt64 {
            if case .unsigned(let value)? = values[name]?.value { return value }
            return 0
        }
        let hasBuffer = spec.bufferIndex.flatMap { values[$0] } != nil
        if spec.name == "provide_buffers", number("count") > 65535, let mark = values["count"]?.mark {
            error(mark, "'count' of provide_buffers is at most 65535 (the SQE's 16-bit buffer count), not \(number("count"))")
            return
        }
        let bytes: UInt64
        let mark: SourceMark
        switch spec.name {
        case "provide_buffers" where !hasBuffer:
            bytes = number("count") * number("size")  // two 32-bit numbers
            mark = values["size"]?.mark ?? key.mark
        case "epoll_wait":
            bytes = number("max_events") * 12  // struct epoll_event, packed on x86-64
            mark = values["max_events"]?.mark ?? key.mark
        case "getsockopt" where !hasBuffer:
            bytes = number("len")
            mark = values["len"]?.mark ?? key.mark
        default:
            return
        }
        guard admitMemory(bytes, for: "'\(spec.name)'", at: mark) else { return }
        var iterations: UInt64 = 1
        for block in openBlocks {
            let (product, overflow) = iterations.multipliedReportingOverflow(by: UInt64(blocks[block].count))
            iterations = overflow ? .max : product
        }
        guard iterations > 1 else { return }
        let (rest, overflow) = bytes.multipliedReportingOverflow(by: iterations - 1)
        admitMemory(overflow ? .max : rest, for: "'\(spec.name)' repeated \(iterations) times", at: mark, inOneBuffer: false)
    }

    /// Slot numbers must exist in the file table registered at this point.
    private func checkSlotArguments(_ spec: StepSpec, _ values: ArgumentDraft) {
        // A raw SQE is written as given: that is the point of it.
        guard !spec.isRaw else { return }
        for argument in values.items where !argument.isDefault {
            switch argument.value {
            case .file(.slot(let slot)): checkSlot(slot, at: argument.mark)
            case .slot(.index(let slot)):
                if spec.name == "files_update" {
                    var count: UInt32 = 0
                    if case .files(let files)? = values["files"]?.value { count = UInt32(files.count) }
                    checkSlotRange(slot, count: count, at: argument.mark)
                } else {
                    checkSlot(slot, at: argument.mark)
                }
            default: break
            }
        }
        if spec.name == "files_update", values["offset"]?.isDefault == true, case .files(let files)? = values["files"]?.value {
            checkSlotRange(0, count: UInt32(files.count), at: values["files"]!.mark)
        }
    }

    /// Paths are checked against the sandbox as the kernel will resolve them: relative to their directory
    /// argument when that is a directory resource.
    private func checkPathArguments(_ spec: StepSpec, _ values: ArgumentDraft) {
        let directoryArgument = ["path": "dir", "old_path": "old_dir", "new_path": "new_dir", "link": "dir"]
        guard spec.hasPaths else { return }
        for argument in spec.arguments where argument.isPath {
            guard let value = values[argument.name], case .text(let template) = value.value else { continue }
            let written = template.description
            var directory = ""
            if let name = directoryArgument[argument.name], case .file(.resource(let reference))? = values[name]?.value,
               let index = resourceIndex[reference.name], let path = resources[index].kind.path {
                directory = path
            }
            let isTarget = spec.name == "symlinkat" && argument.name == "target"
            checkSandbox(path: written, at: value.mark, what: isTarget ? "symlink target" : "path", relativeTo: isTarget ? "" : directory)
            if spec.name == "symlinkat", argument.name == "link" {
                symlinks[directory.isEmpty ? written : directory + "/" + written] = value.mark
            }
        }
    }

    // MARK: - Types

    func decode(_ argument: ArgumentSpec, _ node: YAMLNode, in spec: StepSpec) -> ArgumentValue? {
        let what = argument.quotedName
        switch argument.type {
        case .file, .directory:
            // A raw SQE's `fd` is judged with its opcode (IORING_OP_SOCKET's is the domain).
            return readFile(node, what: what, allowDirectory: argument.type == .directory, checksNumber: !spec.isRaw)
                .map(ArgumentValue.file)
        case .ring:
            // `$ring`: the scenario's own ring (second rings are not a resource yet); `{ slot: N }` a registered one.
            if node.isPlain, node.scalar == "$ring" { return .text(TemplateText(parsing: "$ring")) }
            guard node.mapping != nil else {
                error(node.mark, "\(what) must be $ring (this scenario's ring) or { slot: N } (a registered ring descriptor)")
                return nil
            }
            return readFile(node, what: what, allowDirectory: false).map(ArgumentValue.file)
        case .listener:
            guard let (reference, index) = readResourceReference(node, what: what) else { return nil }
            guard case .tcpListener = resources[index].kind else {
                error(node.mark, "\(what) must be a tcp_listener resource; '\(reference.name)' is \(describe(reference))")
                return nil
            }
            return .file(.resource(reference))
        case .buffer:
            guard let operand = readBufferOperand(node, allowLength: false) else { return nil }
            return .buffer(.resource(name: operand.buffer, offset: operand.offset))
        case .registeredBuffer:
            guard let operand = readBufferOperand(node, allowLength: false) else { return nil }
            guard let table = registeredBuffers else {
                error(node.mark, "'\(spec.name)' needs a registered buffer, but no buffers are registered at this point (add a registered_buffers resource or a register_buffers step)")
                return nil
            }
            guard let index = table[operand.buffer] else {
                let names = table.sorted { $0.value < $1.value }.map(\.key)
                error(node.mark, "buffer '\(operand.buffer)' is not registered (registered: \(names.joined(separator: ", ")))")
                return nil
            }
            return .registeredBuffer(RegisteredBufferOperand(name: operand.buffer, index: index, offset: operand.offset))
        case .data:
            return bytes(node, what).map(ArgumentValue.bytes)
        case .iovecs:
            guard let name = string(node, what), let resource = lookUpResource(name, at: node.mark) else { return nil }
            guard case .iovecs = resource.kind else {
                error(node.mark, "\(what) must be an iovecs resource; '\(name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword)")
                return nil
            }
            return .iovecs(name)
        case .unsigned(let bits, let capturable):
            if capturable, let text = node.scalar, text.hasPrefix("$") {
                guard let reference = readCapture(text, at: node.mark) else { return nil }
                guard reference.kind == .count || reference.kind == .value else {
                    error(node.mark, "\(what) takes a number, but '\(text)' is a captured \(reference.kind.rawValue)")
                    return nil
                }
                return .capture(reference)
            }
            return unsigned(node, what, bits: bits).map(ArgumentValue.unsigned)
        case .signed(let bits):
            // 1 << 63 does not fit an Int64: a 64-bit argument takes the whole range.
            let range = bits >= 64 ? Int64.min...Int64.max : -(Int64(1) << Int64(bits - 1))...((Int64(1) << Int64(bits - 1)) - 1)
            return integer(node, what, in: range).map(ArgumentValue.signed)
        case .offset:
            if let pairs = node.mapping { return readRandomOffset(node, pairs, what: what).map(ArgumentValue.randomOffset) }
            return integer(node, what, in: -1...Int64.max).map(ArgumentValue.signed)
        case .bool:
            return bool(node, what).map(ArgumentValue.bool)
        case .duration:
            return duration(node, what).map { ArgumentValue.duration(nanoseconds: $0) }
        case .timespec:
            return readTimespec(node, what)
        case .path:
            guard let text = pathString(node, what) else { return nil }
            let template = TemplateText(parsing: text)
            guard checkPlaceholders(template, at: node.mark) else { return nil }
            return .text(template)
        case .text:
            guard let text = string(node, what) else { return nil }
            // An attribute name is a C string: the kernel would end it at the first NUL.
            if argument.name == "name", text.utf8.contains(0) {
                error(node.mark, "\(what) contains a NUL byte; an attribute name ends at the first one")
                return nil
            }
            let template = TemplateText(parsing: text)
            guard checkPlaceholders(template, at: node.mark) else { return nil }
            return .text(template)
        case .constants(let family):
            return readConstants(node, family, what: what).map(ArgumentValue.named)
        case .address:
            return readAddress(node, what: what).map(ArgumentValue.address)
        case .request:
            return readRequestReference(node).map(ArgumentValue.request)
        case .requests:
            let references = list(node).compactMap(readRequestReference)
            return .requests(references)
        case .bufferGroup:
            return readBufferGroup(node, what: what).map(ArgumentValue.bufferGroup)
        case .slot:
            if let text = node.scalar, text.hasPrefix("$") {
                guard let reference = readCapture(text, at: node.mark) else { return nil }
                guard reference.kind == .slot else {
                    error(node.mark, "\(what) takes a slot, but '\(text)' is a captured \(reference.kind.rawValue)")
                    return nil
                }
                return .capture(reference)
            }
            return unsigned(node, what, bits: 31).map { ArgumentValue.slot(.index(UInt32($0))) }
        case .slotOrAuto:
            if node.isPlain, node.scalar == "auto" { return .slot(.allocate) }
            guard node.isPlain, let text = node.scalar, NodeReader.parseInteger(text) != nil else {
                error(node.mark, "\(what) must be a slot number or auto, not \(node.kindDescription)")
                return nil
            }
            return unsigned(node, what, bits: 31).map { ArgumentValue.slot(.index(UInt32($0))) }
        case .opcode:
            if spec.isRaw, node.isPlain, let text = node.scalar, NodeReader.parseInteger(text) != nil {
                return unsigned(node, what, bits: 8).map { number in
                    Opcode(rawValue: UInt8(number)).map(ArgumentValue.opcode) ?? .unsigned(number)
                }
            }
            return readOpcode(node).map(ArgumentValue.opcode)
        case .opcodes:
            return .opcodes(list(node).compactMap { readOpcode($0) })
        case .bufferIDs:
            return readBufferIDs(node, what: what).map(ArgumentValue.bufferIDs)
        case .files:
            return .files(readFiles(node))
        case .buffers:
            var names: [String] = []
            for item in list(node) {
                guard let name = string(item, "a buffer"), bufferResource(name, at: item.mark) != nil else { continue }
                names.append(name)
            }
            return .buffers(names)
        case .process:
            if node.isPlain, let text = node.scalar, NodeReader.parseInteger(text) != nil {
                return integer(node, what, in: 0...Int64(Int32.max)).map { ArgumentValue.process(.pid(Int32($0))) }
            }
            guard let name = string(node, what), let resource = lookUpResource(name, at: node.mark) else { return nil }
            guard case .childProcess = resource.kind else {
                error(node.mark, "\(what) must be a child_process resource or a pid; '\(name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword)")
                return nil
            }
            return .process(.resource(name))
        case .clock:
            guard let text = string(node, what) else { return nil }
            guard let clock = ScenarioBuilder.clocks.first(where: { $0.name == text }) else {
                let names = ScenarioBuilder.clocks.map(\.name)
                error(node.mark, "\(what) must be monotonic, boottime or realtime, not '\(text)'\(didYouMean(text, names))")
                return nil
            }
            return .named(NamedValue(value: clock.flag, names: [clock.name]))
        case .rawAddress:
            if node.isPlain, let text = node.scalar, NodeReader.parseInteger(text) != nil {
                return unsigned(node, what, bits: 64).map { ArgumentValue.addressField(nil, $0) }
            }
            guard let operand = readBufferOperand(node, allowLength: false) else { return nil }
            return .addressField(.resource(name: operand.buffer, offset: operand.offset), 0)
        }
    }

    /// `{ random: N, align: A, seed: S }`: N ≥ 1 bytes to choose in, A a power of two not above N.
    private func readRandomOffset(_ node: YAMLNode, _ pairs: YAMLPairs, what: String) -> RandomOffset? {
        let keys = checkKeys(pairs, allowed: ["random", "align", "seed"], in: "a random offset")
        guard let range = keys["random"] else {
            error(node.mark, "\(what) given as a mapping needs 'random' (the size of the range offsets fall in)")
            return nil
        }
        guard let size = integer(range.value, "'random'", in: 1...Int64.max) else { return nil }
        var offset = RandomOffset(range: UInt64(size))
        if let align = keys["align"] {
            guard let value = integer(align.value, "'align'", in: 1...Int64.max) else { return nil }
            guard value & (value - 1) == 0 else {
                error(align.value.mark, "'align' must be a power of two, not \(value)")
                return nil
            }
            guard value <= size else {
                error(align.value.mark, "'align' \(value) is larger than the range 'random: \(size)': no aligned offset fits")
                return nil
            }
            offset.align = UInt64(value)
        }
        if let seed = keys["seed"] {
            guard let value = unsigned(seed.value, "'seed'", bits: 64) else { return nil }
            offset.seed = value
        }
        return offset
    }

    // MARK: - Files

    /// A file operand: resource (or end), `$capture`, `{ slot: N }`, a number, or `cwd` for directories.
    /// A number that could name a descriptor the scenario did not create is refused (`checksNumber`).
    func readFile(_ node: YAMLNode, what: String, allowDirectory: Bool, checksNumber: Bool = true) -> FileOperand? {
        if let pairs = node.mapping {
            let keys = checkKeys(pairs, allowed: ["slot"], in: "a file reference")
            guard let slot = keys["slot"] else {
                error(node.mark, "a file given as a mapping needs 'slot' (a registered file slot)")
                return nil
            }
            if let text = slot.value.scalar, text.hasPrefix("$") {
                guard let reference = readCapture(text, at: slot.value.mark) else { return nil }
                guard reference.kind == .slot else {
                    error(slot.value.mark, "'slot' takes a slot, but '\(text)' is a captured \(reference.kind.rawValue)")
                    return nil
                }
                return .capture(reference)
            }
            return unsigned(slot.value, "'slot'", bits: 31).map { FileOperand.slot(UInt32($0)) }
        }
        guard let text = node.scalar, !node.isNull else {
            error(node.mark, "\(what) must name a file (a resource, $capture, { slot: N } or a number), not \(node.kindDescription)")
            return nil
        }
        if node.isPlain, NodeReader.parseInteger(text) != nil {
            guard let number = integer(node, what, in: Int64(Int32.min)...Int64(Int32.max)) else { return nil }
            if checksNumber { checkDescriptorNumber(Int32(number), at: node.mark) }
            return .descriptor(Int32(number))
        }
        if text == "cwd" {
            guard allowDirectory else {
                error(node.mark, "'cwd' (AT_FDCWD) stands for a directory; \(what) needs a file")
                return nil
            }
            return .currentDirectory
        }
        if text == ringOperand { return .ring }
        if text.hasPrefix("$") {
            guard let reference = readCapture(text, at: node.mark) else { return nil }
            guard reference.kind.isFile else {
                error(node.mark, "\(what) needs a file, but '\(text)' is a captured \(reference.kind.rawValue)")
                return nil
            }
            return .capture(reference)
        }
        guard let (reference, index) = readResourceReference(node, what: what) else { return nil }
        guard resources[index].kind.isDescriptor else {
            let resource = resources[index]
            if case .file = resource.kind {
                error(node.mark, "file '\(reference.name)' is not opened ('open: false'); open it with openat")
            } else if case .directory = resource.kind {
                error(node.mark, "directory '\(reference.name)' is not opened ('open: false')")
            } else {
                error(node.mark, "'\(reference.name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword), not a file")
            }
            return nil
        }
        return .resource(reference)
    }

    /// `name` or `name.end`, checked against the resource's kind, with the resource's position in `resources`.
    func readResourceReference(_ node: YAMLNode, what: String) -> (ResourceReference, index: Int)? {
        guard let text = string(node, what) else { return nil }
        var name = text
        var endName: String?
        if let dot = text.utf8.firstIndex(of: UInt8(ascii: ".")) {
            name = String(text[..<dot])
            endName = String(text[text.index(after: dot)...])
        }
        guard let index = lookUpResourceIndex(name, at: node.mark) else { return nil }
        let resource = resources[index]
        let ends = resource.kind.endpoints
        var endList: String { ends.map { "'\(name).\($0.rawValue)'" }.joined(separator: " or ") }
        guard let endName else {
            if !ends.isEmpty {
                error(node.mark, "'\(name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword): name one end, \(endList)")
                return nil
            }
            return (ResourceReference(name: name), index)
        }
        guard let end = Endpoint(rawValue: endName), ends.contains(end) else {
            if ends.isEmpty {
                error(node.mark, "'\(name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword), which has no ends; write '\(name)'")
            } else {
                error(node.mark, "\(resource.kind.keyword) '\(name)' has no end '\(endName)'; use \(endList)")
            }
            return nil
        }
        return (ResourceReference(name: name, endpoint: end), index)
    }

    private func describe(_ reference: ResourceReference) -> String {
        guard let index = resourceIndex[reference.name] else { return "unknown" }
        let keyword = resources[index].kind.keyword
        return "\(article(keyword)) \(keyword)"
    }

    /// A list of files for a file table: `-1` or null leave a slot empty; slots cannot be listed.
    func readFiles(_ node: YAMLNode) -> [FileOperand] {
        guard let items = sequence(node, "'files'") else { return [] }
        var files: [FileOperand] = []
        for item in items {
            if item.isNull || (item.isPlain && item.scalar == "-1") {
                files.append(.empty)
                continue
            }
            if item.mapping != nil {
                error(item.mark, "a file table lists descriptors, not slots")
                continue
            }
            if let file = readFile(item, what: "a file", allowDirectory: false) { files.append(file) }
        }
        return files
    }

    // MARK: - Captures

    /// `$name` as a value: the capture visible at this step, recorded as a data dependency.
    func readCapture(_ text: String, at mark: SourceMark) -> CaptureReference? {
        let name = String(text.dropFirst())
        guard let capture = captures[name] else {
            pendingCaptureUses.append((name, mark))
            return nil
        }
        let reference = CaptureReference(name: name, producer: capture.node, kind: capture.kind)
        captureUses.append((reference, mark))
        return reference
    }

    /// Reports captures and request ids used where they were not (yet) available.
    func reportPendingUses() {
        for use in pendingCaptureUses {
            if let made = allCaptures[use.name] {
                if made.mark > use.mark {
                    error(use.mark, "'$\(use.name)' is used before it is produced", notes: [note(made.mark, "'$\(use.name)' is captured here")])
                } else {
                    error(use.mark, "'$\(use.name)' is captured inside a repeat block, so it only exists within that block",
                          notes: [note(made.mark, "'$\(use.name)' is captured here")])
                }
            } else {
                error(use.mark, "no step captures '$\(use.name)'\(didYouMean(use.name, allCaptures.keys.sorted()))")
            }
        }
        for use in pendingRequestUses {
            if let defined = ids[use.name] {
                error(use.mark, "'\(use.name)' is defined after this step; a step can only refer to requests before it",
                      notes: [note(defined.mark, "'\(use.name)' is defined here")])
            } else {
                error(use.mark, "no request has the id '\(use.name)'\(didYouMean(use.name, ids.keys.sorted()))")
            }
        }
    }

    // MARK: - Requests, groups, addresses

    /// A reference to an earlier request: id, repeated id (`r{i}`), one iteration (`r3`), or user_data number.
    func readRequestReference(_ node: YAMLNode) -> RequestReference? {
        guard let text = string(node, "a request id") else { return nil }
        if node.isPlain, let parts = NodeReader.parseInteger(text) {
            guard !parts.negative else {
                error(node.mark, "a user_data must not be negative")
                return nil
            }
            return .userData(parts.magnitude)
        }
        switch resolveID(text, at: node.mark) {
        case .found(let subject):
            if case .request(let target, let iterations, _) = subject { return .request(node: target, iterations: iterations, written: text) }
            return nil
        case .invalid:
            return nil
        case .unknown:
            pendingRequestUses.append((text, node.mark))
            return nil
        }
    }

    enum IDResolution {
        case found(ExpectationSubject)
        /// Known, but wrong (an error was reported).
        case invalid
        case unknown
    }

    /// Resolves an id as written: a literal id, a repeated id's template, or one iteration of it.
    func resolveID(_ text: String, at mark: SourceMark) -> IDResolution {
        if let entry = ids[text] { return .found(.request(node: entry.node, iterations: .each, written: text)) }
        for (template, node) in templateIDs {
            if template.description == text { return .found(.request(node: node, iterations: .each, written: text)) }
            guard let values = template.match(text) else { continue }
            var indices: [Int] = []
            for block in enclosingBlocks(of: node) {
                let name = blocks[block].indexName
                guard let value = values[name] else {
                    indices.append(0)
                    continue
                }
                if value >= blocks[block].count {
                    error(mark, "'\(text)' does not exist: '\(template)' has \(name) from 0 to \(blocks[block].count - 1)")
                    return .invalid
                }
                indices.append(value)
            }
            return .found(.request(node: node, iterations: .instance(indices), written: text))
        }
        return .unknown
    }

    func enclosingBlocks(of node: NodeID) -> [BlockID] {
        var chain: [BlockID] = []
        var block = nodes[node].block
        while let current = block {
            chain.append(current)
            block = blocks[current].parent
        }
        return chain.reversed()
    }

    private func readBufferGroup(_ node: YAMLNode, what: String) -> BufferGroupReference? {
        if node.isPlain, let text = node.scalar, NodeReader.parseInteger(text) != nil {
            return unsigned(node, what, bits: 16).map { BufferGroupReference(group: UInt16($0)) }
        }
        guard let name = string(node, what), let resource = lookUpResource(name, at: node.mark) else { return nil }
        switch resource.kind {
        case .providedBuffers(let group): return BufferGroupReference(group: group.group, resource: name)
        case .bufferRing(let ring): return BufferGroupReference(group: ring.group, resource: name)
        default:
            error(node.mark, "\(what) must be a provided_buffers or buffer_ring resource (or a group number); '\(name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword)")
            return nil
        }
    }

    /// A socket resource's address, `127.0.0.1:port`, `[::1]:port`, or `$s` (where a captured socket is bound).
    private func readAddress(_ node: YAMLNode, what: String) -> SocketAddress? {
        guard let text = string(node, what) else { return nil }
        if text.hasPrefix("$") {
            guard let reference = readCapture(text, at: node.mark) else { return nil }
            guard reference.kind == .fd || reference.kind == .peerSocket else {
                error(node.mark, "\(what) needs a socket descriptor to ask where it is bound, but '\(text)' is a captured \(reference.kind.rawValue)")
                return nil
            }
            return .capture(reference)
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":"),
                  let port = UInt16(text[text.index(close, offsetBy: 2)...]) else {
                error(node.mark, "\(what) must look like \"[::1]:8080\", not '\(text)'")
                return nil
            }
            let host = String(text[text.index(after: text.startIndex)..<close])
            guard host.contains(":"), let parsed = IPv6Address(host) else {
                error(node.mark, "'\(host)' is not an IPv6 address (RFC 4291 text, no zone, strict dotted-quad IPv4 inside)")
                return nil
            }
            checkLiteralAddress(.ipv6(parsed, port: port), at: node.mark)
            return .ipv6(host: host, port: port)
        }
        if let colon = text.lastIndex(of: ":"), text.first?.isNumber == true {
            let host = String(text[..<colon])
            guard let port = UInt16(text[text.index(after: colon)...]), let parsed = IPv4Address(host) else {
                error(node.mark, "\(what) must look like \"127.0.0.1:8080\" (four decimal octets, no leading zeros), not '\(text)'")
                return nil
            }
            checkLiteralAddress(.ipv4(parsed, port: port), at: node.mark)
            return .ipv4(host: host, port: port)
        }
        guard let (reference, index) = readResourceReference(node, what: what) else { return nil }
        let resource = resources[index]
        switch resource.kind {
        case .tcpListener, .udpSocket, .unboundSocket: return .resource(reference)
        default:
            error(node.mark, "\(what) must be a tcp_listener, udp_socket or unbound_socket resource, or an address such as \"127.0.0.1:8080\"; '\(reference.name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword)")
            return nil
        }
    }
}
