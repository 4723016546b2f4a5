import IoUring

extension ScenarioBuilder {
    static let resourceKinds = ResourceTable.kinds.map(\.name)
    /// Kinds that refer to other resources, read after the rest.
    private static let referringKinds: Set<String> = ["iovecs", "file_table", "registered_buffers"]

    func readResources(_ node: YAMLNode) {
        guard let pairs = mapping(node, "'resources'") else { return }
        // Names and kinds first, so references between resources do not depend on order.
        var declared: [(name: String, kind: String, body: YAMLNode, mark: SourceMark)] = []
        var seen: [String: SourceMark] = [:]
        for pair in pairs {
            guard let name = string(pair.key, "a resource name") else { continue }
            if !isValidResourceName(name) {
                error(pair.key.mark, "resource name '\(name)' must be letters, digits, '_' and '-' (no '.', which picks a pipe or socket end)")
                continue
            }
            if name == "cwd" {
                error(pair.key.mark, "'cwd' is reserved for the sandbox directory (AT_FDCWD)")
                continue
            }
            if let first = seen[name] {
                error(pair.key.mark, "duplicate resource '\(name)'", notes: [note(first, "'\(name)' first defined here")])
                continue
            }
            seen[name] = pair.key.mark
            guard let kindPairs = mapping(pair.value, "resource '\(name)'") else { continue }
            guard kindPairs.count == 1, let kind = kindPairs[0].key.scalar else {
                error(pair.value.mark, "resource '\(name)' must have exactly one kind (\(ScenarioBuilder.resourceKinds.joined(separator: ", ")))")
                continue
            }
            guard ScenarioBuilder.resourceKinds.contains(kind) else {
                error(kindPairs[0].key.mark, "unknown resource kind '\(kind)'\(didYouMean(kind, ScenarioBuilder.resourceKinds))")
                continue
            }
            declared.append((name, kind, kindPairs[0].value, pair.key.mark))
        }
        for (name, kind, _, mark) in declared {
            resourceIndex[name] = resources.count
            resources.append(Resource(name: name, kind: placeholder(for: kind), mark: mark))
        }
        for pass in 0..<2 {
            for (name, kind, body, _) in declared where ScenarioBuilder.referringKinds.contains(kind) == (pass == 1) {
                if let resolved = readResource(kind, name: name, body) {
                    resources[resourceIndex[name]!].kind = resolved
                }
            }
        }
    }

    private func isValidResourceName(_ name: String) -> Bool {
        !name.isEmpty && name.first != "$" && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    /// A stand-in with the right kind, so references can be checked before the body is read.
    private func placeholder(for kind: String) -> ResourceKind {
        let listener = ListenerResource(ipv6: false, port: 0, backlog: 128, nonblocking: false)
        if let resource = ScenarioBuilder.socketOrFifoPlaceholder(kind) { return resource }
        switch kind {
        case "file": return .file(FileResource(path: "", content: [], size: nil, sparse: false, mode: 0o644, opens: true, openFlags: NamedValue(value: 2)))
        case "directory": return .directory(DirectoryResource(path: "", opens: true, mode: 0o755))
        case "symlink": return .symlink(SymlinkResource(path: "", target: ""))
        case "pipe": return .pipe(PipeResource(capacity: nil, nonblocking: false))
        case "socketpair": return .socketPair(SocketPairResource(type: NamedValue(value: 1), nonblocking: false))
        case "tcp_listener": return .tcpListener(listener)
        case "udp_socket": return .udpSocket(listener)
        case "tcp_pair": return .tcpPair(listener)
        case "udp_pair": return .udpPair(listener)
        case "eventfd": return .eventfd(EventfdResource(initialValue: 0, flags: NamedValue(value: 0)))
        case "epoll": return .epoll
        case "buffer": return .buffer(BufferResource(size: 0, content: [], fill: 0, alignment: 0))
        case "iovecs": return .iovecs([])
        case "file_table": return .fileTable(FileTableResource(files: [], sparse: nil))
        case "registered_buffers": return .registeredBuffers([])
        case "provided_buffers": return .providedBuffers(ProvidedBuffersResource(group: 0, count: 0, size: 0, startID: 0))
        case "buffer_ring": return .bufferRing(BufferRingSpec(group: 0, entries: 0, size: 0, incremental: false))
        case "existing": return .existing(ExistingResource(path: "", access: .read, nonblocking: false))
        default: return .childProcess(ChildProcessResource(exitCode: 0, delayNanoseconds: 0))
        }
    }

    private func readResource(_ kind: String, name: String, _ body: YAMLNode) -> ResourceKind? {
        if kind == "iovecs" || kind == "registered_buffers", body.sequence != nil {
            return kind == "iovecs" ? readIovecs(body, name: name) : readRegisteredBuffers(body, name: name)
        }
        guard let pairs = mapping(body, "'\(kind)' of resource '\(name)'") else { return nil }
        let context = "\(kind) '\(name)'"
        if let resource = readSocketOrFifo(kind, name: name, pairs, body) { return resource }
        switch kind {
        case "file":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            let path = readResourcePath(keys["path"], name: name)
            let sources = ["content", "hex", "pattern"].filter { keys[$0] != nil }
            if sources.count > 1 {
                error(body.mark, "\(context) takes one of content, hex or pattern, not \(sources.map { "'\($0)'" }.joined(separator: " and "))")
            }
            var content: [UInt8] = []
            var size: UInt64?
            if let pair = keys["size"] { size = unsigned(pair.value, "'size'", bits: 64) }
            if let pair = keys["content"], let text = string(pair.value, "'content'") { content = Array(text.utf8) }
            if let pair = keys["hex"], let text = string(pair.value, "'hex'") {
                if let decoded = NodeReader.parseHex(text) { content = decoded } else {
                    error(pair.value.mark, "'hex' must be pairs of hex digits, as in \"68 65 6c 6c 6f\"")
                }
            }
            let bytes = max(size ?? 0, UInt64(content.count))
            guard admitMemory(bytes, for: context, at: keys["size"]?.value.mark ?? body.mark) else { return nil }
            if let pair = keys["pattern"], let text = string(pair.value, "'pattern'") {
                if size == nil {
                    error(pair.key.mark, "'pattern' needs a 'size' to fill")
                } else if text.isEmpty {
                    error(pair.value.mark, "'pattern' must not be empty")
                } else if let size {
                    let unit = Array(text.utf8)
                    content = (0..<Int(size)).map { unit[$0 % unit.count] }
                }
            }
            let sparse = keys["sparse"].flatMap { bool($0.value, "'sparse'") } ?? false
            if sparse, size == nil, let pair = keys["sparse"] { error(pair.key.mark, "'sparse' needs a 'size'") }
            let mode = keys["mode"].flatMap { unsigned($0.value, "'mode'", bits: 12) }.map(UInt32.init) ?? 0o644
            let opens = keys["open"].flatMap { bool($0.value, "'open'") } ?? true
            let flags = keys["flags"].flatMap { readConstants($0.value, .openFlags, what: "'flags'") }
                ?? NamedValue(value: 2, names: ["O_RDWR"])
            return .file(FileResource(path: path, content: content, size: size, sparse: sparse, mode: mode, opens: opens, openFlags: flags))
        case "existing":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            guard keys["path"] != nil else {
                error(body.mark, "\(context) needs a 'path': the existing file, device or FIFO to open")
                return nil
            }
            let path = readResourcePath(keys["path"], name: name)
            var access = ExistingResource.Access.read
            if let pair = keys["access"], let text = string(pair.value, "'access'") {
                if let value = ExistingResource.Access(rawValue: text) {
                    access = value
                } else {
                    let names = ExistingResource.Access.allCases.map(\.rawValue)
                    error(pair.value.mark, "'access' is \(names.joined(separator: ", ")), not '\(text)'\(didYouMean(text, names))")
                }
            }
            let nonblocking = keys["nonblocking"].flatMap { bool($0.value, "'nonblocking'") } ?? false
            return .existing(ExistingResource(path: path, access: access, nonblocking: nonblocking))
        case "directory":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            let path = readResourcePath(keys["path"], name: name)
            let opens = keys["open"].flatMap { bool($0.value, "'open'") } ?? true
            let mode = keys["mode"].flatMap { unsigned($0.value, "'mode'", bits: 12) }.map(UInt32.init) ?? 0o755
            return .directory(DirectoryResource(path: path, opens: opens, mode: mode))
        case "symlink":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            let path = readResourcePath(keys["path"], name: name)
            var target = ""
            if let pair = keys["target"], let text = pathString(pair.value, "'target'") {
                target = text
                // A relative target resolves from the link's own directory.
                let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                checkSandbox(path: text, at: pair.value.mark, what: "symlink target", relativeTo: directory)
            } else if keys["target"] == nil {
                error(body.mark, "\(context) needs a 'target'")
            }
            symlinks[path] = resources[resourceIndex[name]!].mark
            return .symlink(SymlinkResource(path: path, target: target))
        case "pipe":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            let capacity = keys["capacity"].flatMap { unsigned($0.value, "'capacity'", bits: 31) }.map(UInt32.init)
            let nonblocking = keys["nonblocking"].flatMap { bool($0.value, "'nonblocking'") } ?? false
            return .pipe(PipeResource(capacity: capacity, nonblocking: nonblocking))
        case "socketpair":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            var type = NamedValue(value: 1, names: ["SOCK_STREAM"])
            if let pair = keys["type"], let value = readConstants(pair.value, .socketTypes, what: "'type'") {
                if [1, 2, 5].contains(value.value & 0xf) { type = value } else {
                    error(pair.value.mark, "a socketpair is SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET")
                }
            }
            let nonblocking = keys["nonblocking"].flatMap { bool($0.value, "'nonblocking'") } ?? false
            return .socketPair(SocketPairResource(type: type, nonblocking: nonblocking))
        case "tcp_listener", "udp_socket", "tcp_pair", "udp_pair":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            let ipv6 = keys["ipv6"].flatMap { bool($0.value, "'ipv6'") } ?? false
            let port = keys["port"].flatMap { unsigned($0.value, "'port'", bits: 16) }.map(UInt16.init) ?? 0
            let backlog = keys["backlog"].flatMap { unsigned($0.value, "'backlog'", bits: 31) }.map(UInt32.init) ?? 128
            let nonblocking = keys["nonblocking"].flatMap { bool($0.value, "'nonblocking'") } ?? false
            let spec = ListenerResource(ipv6: ipv6, port: port, backlog: backlog, nonblocking: nonblocking)
            switch kind {
            case "tcp_listener": return .tcpListener(spec)
            case "udp_socket": return .udpSocket(spec)
            case "tcp_pair": return .tcpPair(spec)
            default: return .udpPair(spec)
            }
        case "eventfd":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            let initial = keys["initial"].flatMap { unsigned($0.value, "'initial'", bits: 32) }.map(UInt32.init) ?? 0
            let flags = keys["flags"].flatMap { readConstants($0.value, .eventfdFlags, what: "'flags'") } ?? NamedValue(value: 0)
            return .eventfd(EventfdResource(initialValue: initial, flags: flags))
        case "epoll":
            checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            return .epoll
        case "buffer":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            if keys["content"] != nil, keys["hex"] != nil {
                error(body.mark, "\(context) takes 'content' or 'hex', not both")
            }
            var content: [UInt8] = []
            if let pair = keys["content"], let text = string(pair.value, "'content'") { content = Array(text.utf8) }
            if let pair = keys["hex"], let text = string(pair.value, "'hex'") {
                if let decoded = NodeReader.parseHex(text) { content = decoded } else {
                    error(pair.value.mark, "'hex' must be pairs of hex digits, as in \"68 65 6c 6c 6f\"")
                }
            }
            var size = UInt64(content.count)
            if let pair = keys["size"], let value = unsigned(pair.value, "'size'", bits: 32) {
                if value < UInt64(content.count) {
                    error(pair.value.mark, "'size' \(value) is smaller than the \(content.count) bytes of content")
                }
                size = value
            } else if keys["size"] == nil, content.isEmpty {
                error(body.mark, "\(context) needs a 'size' (or 'content')")
            }
            if size == 0, keys["size"] != nil { error(keys["size"]!.value.mark, "a buffer needs at least one byte") }
            admitMemory(size, for: context, at: keys["size"]?.value.mark ?? body.mark)
            let fill = keys["fill"].flatMap { unsigned($0.value, "'fill' (a byte value)", bits: 8) }.map(UInt8.init) ?? 0
            var alignment: UInt64 = 0
            if let pair = keys["align"], let value = unsigned(pair.value, "'align'", bits: 32) {
                if value == 0 || value & (value - 1) != 0 {
                    error(pair.value.mark, "'align' must be a power of two, not \(value)")
                } else {
                    alignment = value
                }
            }
            return .buffer(BufferResource(size: size, content: content, fill: fill, alignment: alignment))
        case "iovecs":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            guard let pair = keys["buffers"] else {
                error(body.mark, "\(context) needs 'buffers' (or write the list directly)")
                return nil
            }
            return readIovecs(pair.value, name: name)
        case "file_table":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            if fileTableSlots != nil { error(body.mark, "a ring has one file table; '\(name)' is the second") }
            if keys["files"] != nil, keys["sparse"] != nil {
                error(body.mark, "\(context) takes 'files' or 'sparse', not both")
                return nil
            }
            var table = FileTableResource(files: [], sparse: nil)
            if let pair = keys["files"] {
                table.files = readFiles(pair.value)
            } else if let pair = keys["sparse"] {
                table.sparse = unsigned(pair.value, "'sparse'", bits: 31).map(UInt32.init)
            } else {
                error(body.mark, "\(context) needs 'files' or 'sparse'")
            }
            // io_uring_register(IORING_REGISTER_FILES) refuses 0 entries (EINVAL) and more than
            // IORING_MAX_FIXED_FILES (EMFILE).
            if let pair = keys["files"] ?? keys["sparse"], table.sparse == 0 || pair.value.sequence?.isEmpty == true {
                error(pair.value.mark, "a file table needs at least one slot (IORING_REGISTER_FILES refuses an empty one)")
            } else if let pair = keys["sparse"], let slots = table.sparse, slots > 1 << 20 {
                error(pair.value.mark, "a file table has at most 1048576 slots (IORING_MAX_FIXED_FILES), not \(slots)")
            }
            fileTableSlots = table.slotCount
            return .fileTable(table)
        case "registered_buffers":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            guard let pair = keys["buffers"] else {
                error(body.mark, "\(context) needs 'buffers'")
                return nil
            }
            return readRegisteredBuffers(pair.value, name: name)
        case "provided_buffers":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            guard let group = requiredUnsigned(keys, "group", bits: 16, context, body),
                  let count = requiredUnsigned(keys, "count", bits: 16, context, body),
                  let size = requiredUnsigned(keys, "size", bits: 31, context, body) else { return nil }
            checkBufferGroupSize(size, count: count, what: context, at: keys["size"]!.value.mark)
            let start = keys["start_id"].flatMap { unsigned($0.value, "'start_id'", bits: 16) } ?? 0
            declareBufferGroup(UInt16(group), at: keys["group"]!.value.mark)
            return .providedBuffers(ProvidedBuffersResource(group: UInt16(group), count: UInt32(count), size: UInt32(size), startID: UInt16(start)))
        case "buffer_ring":
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            guard let group = requiredUnsigned(keys, "group", bits: 16, context, body),
                  let entries = requiredUnsigned(keys, "entries", bits: 16, context, body),
                  let size = requiredUnsigned(keys, "size", bits: 31, context, body) else { return nil }
            checkRingEntries(entries, at: keys["entries"]!.value.mark)
            checkBufferGroupSize(size, count: entries, what: context, at: keys["size"]!.value.mark)
            let incremental = keys["incremental"].flatMap { bool($0.value, "'incremental'") } ?? false
            declareBufferGroup(UInt16(group), at: keys["group"]!.value.mark)
            var spec = BufferRingSpec(group: UInt16(group), entries: UInt32(entries), size: UInt32(size), incremental: incremental)
            spec.ids = readBufferRingIDs(keys, entries: entries, context: context)
            return .bufferRing(spec)
        default:
            let keys = checkKeys(pairs, allowed: ResourceTable.keys(of: kind), in: context)
            let exitCode = keys["exit_code"].flatMap { integer($0.value, "'exit_code'", in: 0...255) } ?? 0
            let delay = keys["delay"].flatMap { duration($0.value, "'delay'") } ?? 0
            return .childProcess(ChildProcessResource(exitCode: Int32(exitCode), delayNanoseconds: delay))
        }
    }

    private func requiredUnsigned(_ keys: [String: YAMLPair], _ key: String, bits: Int, _ context: String, _ body: YAMLNode) -> UInt64? {
        guard let pair = keys[key] else {
            error(body.mark, "\(context) needs '\(key)'")
            return nil
        }
        return unsigned(pair.value, "'\(key)'", bits: bits)
    }

    func checkRingEntries(_ entries: UInt64, at mark: SourceMark) {
        if entries == 0 || entries > 32768 || entries & (entries - 1) != 0 {
            error(mark, "'entries' of a buffer ring must be a power of two up to 32768, not \(entries)")
        }
    }

    /// A group's buffers hold at least a byte each (the engine refuses 0), and all of them together are
    /// memory the scenario asks for.
    func checkBufferGroupSize(_ size: UInt64, count: UInt64, what: String, at mark: SourceMark) {
        guard size > 0 else {
            error(mark, "the buffers of \(what) need at least one byte each, not 0")
            return
        }
        admitMemory(size * count, for: what, at: mark)
    }

    /// Records a provided-buffer group id; two groups may not share one.
    func declareBufferGroup(_ group: UInt16, at mark: SourceMark) {
        if bufferGroups.contains(group) {
            error(mark, "buffer group \(group) is already declared")
        }
        bufferGroups.insert(group)
    }

    private func readResourcePath(_ pair: YAMLPair?, name: String) -> String {
        guard let pair else { return name }
        guard let text = pathString(pair.value, "'path'") else { return name }
        checkSandbox(path: text, at: pair.value.mark, what: "path")
        return text
    }

    private func readIovecs(_ node: YAMLNode, name: String) -> ResourceKind? {
        guard let items = sequence(node, "iovecs '\(name)'") else { return nil }
        if items.isEmpty { error(node.mark, "iovecs '\(name)' needs at least one buffer") }
        var iovecs: [IovecSpec] = []
        for item in items {
            guard let operand = readBufferOperand(item, allowLength: true) else { continue }
            iovecs.append(operand)
        }
        return .iovecs(iovecs)
    }

    private func readRegisteredBuffers(_ node: YAMLNode, name: String) -> ResourceKind? {
        if registeredBuffers != nil { error(node.mark, "a ring has one registered buffer table; '\(name)' is the second") }
        guard let items = sequence(node, "registered_buffers '\(name)'") else { return nil }
        var names: [String] = []
        var table: [String: UInt16] = [:]
        for item in items {
            guard let operand = readBufferOperand(item, allowLength: false) else { continue }
            if table[operand.buffer] == nil { table[operand.buffer] = UInt16(names.count) }
            names.append(operand.buffer)
        }
        registeredBuffers = table
        return .registeredBuffers(names)
    }

    /// `buf` or `{ buffer: buf, offset: N, len: M }`, naming a buffer resource.
    func readBufferOperand(_ node: YAMLNode, allowLength: Bool) -> IovecSpec? {
        var nameNode = node
        var offset: UInt64 = 0
        var length: UInt64?
        if let pairs = node.mapping {
            let keys = checkKeys(pairs, allowed: allowLength ? ["buffer", "offset", "len"] : ["buffer", "offset"], in: "a buffer reference")
            guard let pair = keys["buffer"] else {
                error(node.mark, "a buffer reference needs 'buffer'")
                return nil
            }
            nameNode = pair.value
            if let pair = keys["offset"] { offset = unsigned(pair.value, "'offset'", bits: 32) ?? 0 }
            if let pair = keys["len"] { length = unsigned(pair.value, "'len'", bits: 32) }
        }
        guard let name = string(nameNode, "a buffer") else { return nil }
        guard let buffer = bufferResource(name, at: nameNode.mark) else { return nil }
        guard offset <= buffer.size else {
            error(node.mark, "offset \(offset) is past the end of buffer '\(name)' (\(buffer.size) bytes)")
            return nil
        }
        let available = buffer.size - offset
        if let length, length > available {
            error(node.mark, "'len' \(length) is longer than buffer '\(name)' (\(available) bytes from offset \(offset))")
            return nil
        }
        return IovecSpec(buffer: name, offset: offset, length: length ?? available)
    }

    /// The buffer resource called `name`, or an error saying what it is instead.
    func bufferResource(_ name: String, at mark: SourceMark) -> BufferResource? {
        guard let resource = lookUpResource(name, at: mark) else { return nil }
        guard case .buffer(let buffer) = resource.kind else {
            error(mark, "'\(name)' is \(article(resource.kind.keyword)) \(resource.kind.keyword), not a buffer")
            return nil
        }
        return buffer
    }

    /// The resource called `name`, or an error with a suggestion.
    func lookUpResource(_ name: String, at mark: SourceMark) -> Resource? {
        lookUpResourceIndex(name, at: mark).map { resources[$0] }
    }

    /// Where the resource called `name` is in `resources`, or an error with a suggestion.
    func lookUpResourceIndex(_ name: String, at mark: SourceMark) -> Int? {
        if let index = resourceIndex[name] { return index }
        error(mark, "no resource named '\(name)'\(didYouMean(name, resources.map(\.name)))")
        return nil
    }

    func article(_ word: String) -> String {
        guard let first = word.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }
}
