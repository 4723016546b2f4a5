import IoUring

/// A stable, line-oriented text form of a validated scenario: every node with its op, opcode, flags,
/// user_data and arguments, every edge and every expectation. Tests compare it; humans read it.
extension Scenario {
    public func dump() -> String {
        var lines: [String] = []
        lines.append("scenario: \(name)")
        if let description { lines.append("description: \(description)") }
        if !tags.isEmpty { lines.append("tags: \(tags.joined(separator: ", "))") }
        if let expectedFailure {
            lines.append("xfail: \(expectedFailure)" + (expectedFailureFixedIn.isEmpty ? "" : " (fixed in " + expectedFailureFixedIn.map(\.string).joined(separator: ", ") + ")"))
        }
        if let deadlineNanoseconds { lines.append("deadline: \(deadlineNanoseconds)ns") }
        var requires: [String] = []
        if !requirements.operations.isEmpty { requires.append("ops=" + requirements.operations.map(\.kernelName).joined(separator: ",")) }
        if !requirements.setupFlags.isEmpty { requires.append("setup=0x" + String(requirements.setupFlags.rawValue, radix: 16)) }
        if !requirements.features.isEmpty { requires.append("features=" + requirements.features.names.joined(separator: ",")) }
        if let kernel = requirements.kernel { requires.append("kernel=\(kernel)") }
        if requirements.root { requires.append("root") }
        if requirements.napi { requires.append("napi") }
        if !requires.isEmpty { lines.append("requires: " + requires.joined(separator: " ")) }
        var ringText = "ring: entries=\(ring.entries)"
        if let cqEntries = ring.cqEntries { ringText += " cq_entries=\(cqEntries)" }
        let setupNames = SetupFlags.named.filter { ring.flags.contains($0.flag) }.map(\.name)
        if !setupNames.isEmpty { ringText += " flags=" + setupNames.joined(separator: "|") }
        if let idle = ring.sqThreadIdleMilliseconds { ringText += " sq_thread_idle=\(idle)ms" }
        if let cpu = ring.sqThreadCPU { ringText += " sq_thread_cpu=\(cpu)" }
        lines.append(ringText)
        if options.allowOutsideSandbox { lines.append("option: allow_outside_sandbox") }
        if options.allowDuplicateUserData { lines.append("option: allow_duplicate_user_data") }
        if options.allowNetwork { lines.append("option: allow_network") }
        if !resources.isEmpty {
            lines.append("resources:")
            for resource in resources { lines.append("  \(resource.name): \(Scenario.describe(resource.kind))") }
        }
        lines.append("nodes:")
        for node in graph.nodes {
            let indent = String(repeating: "  ", count: graph.enclosingBlocks(of: node.id).count + 1)
            lines.append(indent + "#\(node.id) " + describe(node) + " @\(node.mark.line):\(node.mark.column)")
        }
        if !graph.edges.isEmpty {
            lines.append("edges:")
            for edge in graph.edges { lines.append("  \(edge)") }
        }
        lines.append("requests: \(graph.requestCount)")
        lines.append(contentsOf: describe(expectations))
        return lines.joined(separator: "\n") + "\n"
    }

    private func describe(_ node: Node) -> String {
        switch node.kind {
        case .request(let request):
            var parts = [request.operation]
            if let id = request.id { parts.append("id=\(id)") }
            parts.append("user_data=\(request.userData)" + (request.userData.isExplicit ? "!" : ""))
            parts.append("opcode=" + (request.opcode?.kernelName ?? String(request.opcodeValue)))
            let flagNames = SubmissionFlags.named.filter { request.flags.contains($0.flag) }.map(\.name)
            if !flagNames.isEmpty { parts.append("sqe_flags=" + flagNames.joined(separator: "|")) }
            if request.isMultishot { parts.append("multishot") }
            if let capture = request.capture { parts.append("capture=$\(capture.name):\(capture.kind.rawValue)") }
            if request.allowsDanglingLink { parts.append("dangling-ok") }
            parts.append("{" + request.arguments.map { Scenario.describe($0) }.joined(separator: ", ") + "}")
            return parts.joined(separator: " ")
        case .registration(let step):
            return "register \(step.registration.kernelName) \(Scenario.describe(step.registration)) expect=\(step.expected)"
        case .control(let step):
            var text = "control " + Scenario.describe(step.action)
            if let capture = step.capture { text += " capture=$\(capture.name):\(capture.kind.rawValue)" }
            return text
        case .repeatBlock(let id):
            let block = graph.blocks[id]
            return "repeat \(block.count) as \(block.indexName) body=\(block.body.lowerBound)..<\(block.body.upperBound) requests/iteration=\(block.requestsPerIteration)"
        }
    }

    static func describe(_ argument: StepArgument) -> String {
        "\(argument.name)=\(describe(argument.value))" + (argument.isDefault ? "*" : "")
    }

    static func describe(_ value: ArgumentValue) -> String {
        switch value {
        case .signed(let number): return String(number)
        case .unsigned(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .duration(let nanoseconds): return "\(nanoseconds)ns"
        case .timespec(let seconds, let nanoseconds): return "{sec \(seconds), nsec \(nanoseconds)}"
        case .named(let named): return named.names.isEmpty ? String(named.value) : "\(named)(\(named.value))"
        case .text(let text): return "\"\(text)\""
        case .bytes(let bytes): return describe(bytes)
        case .file(.capture(let capture)): return "$\(capture.name)<-#\(capture.producer)"
        case .file(let file): return file.description
        case .buffer(let buffer): return buffer.description
        case .registeredBuffer(let operand): return "\(operand.name)[index \(operand.index)]" + (operand.offset == 0 ? "" : "+\(operand.offset)")
        case .iovecs(let name): return name
        case .address(let address): return address.description
        case .request(let reference): return describe(reference)
        case .bufferGroup(let group): return group.resource.map { "\($0)(group \(group.group))" } ?? "group \(group.group)"
        case .slot(let slot): return "slot \(slot)"
        case .opcode(let opcode): return opcode.kernelName
        case .opcodes(let opcodes): return "[" + opcodes.map(\.kernelName).joined(separator: ",") + "]"
        case .bufferIDs(let ids): return "[" + ids.map(String.init).joined(separator: ",") + "]"
        case .files(let files): return "[" + files.map(\.description).joined(separator: ",") + "]"
        case .buffers(let names): return "[" + names.joined(separator: ",") + "]"
        case .requests(let references): return "[" + references.map(describe).joined(separator: ",") + "]"
        case .process(.resource(let name)): return name
        case .process(.pid(let pid)): return "pid \(pid)"
        case .capture(let capture): return "$\(capture.name)<-#\(capture.producer)"
        case .addressField(let buffer, let number): return buffer.map { "&\($0)" } ?? String(number)
        case .randomOffset(let offset): return "random(\(offset.range) align \(offset.align) seed \(offset.seed))"
        }
    }

    static func describe(_ reference: RequestReference) -> String {
        switch reference {
        case .request(let node, let iterations, let written):
            if case .instance(let indices) = iterations { return "\(written)(#\(node)\(indices))" }
            return "\(written)(#\(node))"
        case .userData(let value): return "user_data \(value)"
        }
    }

    static func describe(_ bytes: [UInt8]) -> String {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }), bytes.count <= 64 { return "\"" + String(decoding: bytes, as: UTF8.self) + "\"" }
        let shown = bytes.prefix(16).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        return "\(bytes.count) bytes 0x\(shown)" + (bytes.count > 16 ? "…" : "")
    }

    static func describe(_ kind: ResourceKind) -> String {
        switch kind {
        case .file(let file):
            var text = "file path=\(file.path) content=\(describe(file.content))"
            if let size = file.size { text += " size=\(size)" }
            if file.sparse { text += " sparse" }
            text += " mode=0o\(String(file.mode, radix: 8))"
            text += file.opens ? " open=\(file.openFlags)" : " not-opened"
            return text
        case .directory(let directory): return "directory path=\(directory.path)" + (directory.opens ? " opened" : "")
        case .symlink(let symlink): return "symlink path=\(symlink.path) target=\(symlink.target)"
        case .pipe(let pipe): return "pipe" + (pipe.capacity.map { " capacity=\($0)" } ?? "") + (pipe.nonblocking ? " nonblocking" : "")
        case .socketPair(let pair): return "socketpair type=\(pair.type)" + (pair.nonblocking ? " nonblocking" : "")
        case .tcpListener(let spec), .udpSocket(let spec), .tcpPair(let spec), .udpPair(let spec):
            return "\(kind.keyword) \(spec.ipv6 ? "ipv6" : "ipv4") port=\(spec.port) backlog=\(spec.backlog)" + (spec.nonblocking ? " nonblocking" : "")
        case .eventfd(let eventfd): return "eventfd initial=\(eventfd.initialValue) flags=\(eventfd.flags)"
        case .epoll: return "epoll"
        case .buffer(let buffer):
            return "buffer size=\(buffer.size)" + (buffer.content.isEmpty ? "" : " content=\(describe(buffer.content))")
                + (buffer.fill == 0 ? "" : " fill=\(buffer.fill)") + (buffer.alignment == 0 ? "" : " align=\(buffer.alignment)")
        case .iovecs(let iovecs): return "iovecs [" + iovecs.map { "\($0.buffer)+\($0.offset):\($0.length)" }.joined(separator: ", ") + "]"
        case .fileTable(let table):
            return "file_table " + (table.sparse.map { "sparse=\($0)" } ?? "[" + table.files.map(\.description).joined(separator: ",") + "]")
        case .registeredBuffers(let names): return "registered_buffers [" + names.joined(separator: ",") + "]"
        case .providedBuffers(let group): return "provided_buffers group=\(group.group) count=\(group.count) size=\(group.size) start_id=\(group.startID)"
        case .bufferRing(let ring): return "buffer_ring group=\(ring.group) entries=\(ring.entries) size=\(ring.size)" + (ring.incremental ? " incremental" : "")
            + (ring.ids.map { " ids=" + $0.map(String.init).joined(separator: ",") } ?? "")
        case .childProcess(let child): return "child_process exit_code=\(child.exitCode) delay=\(child.delayNanoseconds)ns"
        case .existing(let existing): return "existing path=\(existing.path) access=\(existing.access.rawValue)" + (existing.nonblocking ? " nonblocking" : "")
        case .unboundSocket(let socket): return "unbound_socket domain=\(socket.domain) type=\(socket.type) protocol=\(socket.proto)" + (socket.nonblocking ? " nonblocking" : "")
        case .fifo(let fifo): return "fifo path=\(fifo.path) mode=0o\(String(fifo.mode, radix: 8))" + (fifo.nonblocking ? " nonblocking" : "")
        }
    }

    static func describe(_ registration: Registration) -> String {
        switch registration {
        case .files(let files): return "files=[" + files.map(\.description).joined(separator: ",") + "]"
        case .sparseFiles(let count): return "sparse=\(count)"
        case .filesUpdate(let offset, let files): return "offset=\(offset) files=[" + files.map(\.description).joined(separator: ",") + "]"
        case .fileAllocRange(let offset, let count): return "offset=\(offset) count=\(count)"
        case .buffers(let names): return "buffers=[" + names.joined(separator: ",") + "]"
        case .eventfd(let file, _): return "eventfd=\(file)"
        case .napi(let timeout, let prefer): return "busy_poll_timeout=\(timeout)ns prefer_busy_poll=\(prefer)"
        case .bufferRing(let ring): return "group=\(ring.group) entries=\(ring.entries) size=\(ring.size)" + (ring.incremental ? " incremental" : "")
        case .unregisterBufferRing(let group): return "group=\(group)"
        case .probe(let supported, let unsupported):
            return "supported=[" + supported.map(\.kernelName).joined(separator: ",") + "] unsupported=[" + unsupported.map(\.kernelName).joined(separator: ",") + "]"
        case .unregisterFiles, .unregisterBuffers, .unregisterEventfd, .unregisterNAPI, .enableRings: return ""
        }
    }

    static func describe(_ action: ControlAction) -> String {
        switch action {
        case .submit(let wait): return "submit" + (wait.map { " wait=\($0)" } ?? "")
        case .wait(let requests, let timeout): return "wait [" + requests.map(describe).joined(separator: ",") + "]" + (timeout.map { " timeout=\($0)ns" } ?? "")
        case .sleep(let nanoseconds): return "sleep \(nanoseconds)ns"
        case .peerWrite(let file, let bytes): return "peer_write \(file) \(describe(bytes))"
        case .peerRead(let file, let length): return "peer_read \(file) len=\(length)"
        case .peerClose(let file): return "peer_close \(file)"
        case .peerShutdown(let file, let how): return "peer_shutdown \(file) \(how)"
        case .replenishBuffersAs(let group, let first, let count, let ids):
            return "replenish_buffers group=\(group.group) first=\(first) count=\(count) ids=\(ids.map(String.init).joined(separator: ","))"
        case .checkEventfd(let file, let value): return "check_eventfd \(file) value=\(value)"
        case .seek(let file, let offset, let whence): return "lseek \(file) offset=\(offset) whence=\(whence)"
        case .checkPosition(let file, let offset): return "check_position \(file) offset=\(offset)"
        case .peerConnect(let listener, let count): return "peer_connect \(listener) count=\(count)"
        case .peerSend(let address, let bytes): return "peer_send \(address) \(describe(bytes))"
        case .peerSignal(let file, let value): return "peer_signal \(file) value=\(value)"
        case .replenishBuffers(let group, let first, let count): return "replenish_buffers group=\(group.group) first=\(first) count=\(count)"
        case .ring(let control): return control.description
        }
    }

    private func describe(_ expectations: Expectations) -> [String] {
        var lines: [String] = []
        guard !expectations.completions.isEmpty || !expectations.order.isEmpty || !expectations.buffers.isEmpty
                || !expectations.files.isEmpty || expectations.allowsOtherCompletions else { return lines }
        lines.append("expect:")
        for completion in expectations.completions {
            var parts = ["  \(Scenario.describe(completion.subject)):"]
            if !completion.completes { parts.append("never") }
            parts.append(contentsOf: Scenario.describe(completion.cqe))
            if let stream = completion.stream {
                var text = "stream("
                var fields: [String] = []
                if let more = stream.moreCount { fields.append("more=\(more)") }
                if let total = stream.totalCount { fields.append("count=\(total)") }
                if let each = stream.each { fields.append("each=[" + Scenario.describe(each).joined(separator: " ") + "]") }
                if let data = stream.data { fields.append("data=\(Scenario.describe(data))") }
                switch stream.final {
                case .required: fields.append("final=required")
                case .absent: fields.append("final=none")
                case .matching(let pattern): fields.append("final=[" + Scenario.describe(pattern).joined(separator: " ") + "]")
                }
                text += fields.joined(separator: " ") + ")"
                parts.append(text)
            }
            if let pattern = completion.notificationPattern {
                parts.append("notification=[" + Scenario.describe(pattern).joined(separator: " ") + "]")
            } else if let notification = completion.notification {
                parts.append("notification=\(notification)")
            }
            lines.append(parts.joined(separator: " ") + " @\(completion.mark.line)")
        }
        for constraint in expectations.order {
            lines.append("  order: \(Scenario.describe(constraint.earlier)) < \(Scenario.describe(constraint.later)) @\(constraint.mark.line)")
        }
        if expectations.allowsOtherCompletions { lines.append("  allow_other_cqes") }
        for condition in expectations.buffers { lines.append("  buffer \(condition.buffer): \(Scenario.describe(condition.check))") }
        for condition in expectations.files {
            var parts = ["  file \(condition.path):"]
            if let exists = condition.exists { parts.append("exists=\(exists)") }
            if let type = condition.type { parts.append("type=\(type.rawValue)") }
            if let size = condition.size { parts.append("size=\(size)") }
            if let content = condition.content { parts.append(Scenario.describe(content)) }
            lines.append(parts.joined(separator: " "))
        }
        return lines
    }

    static func describe(_ subject: ExpectationSubject) -> String {
        switch subject {
        case .request(let node, let iterations, let written):
            if case .instance(let indices) = iterations { return "\(written)(#\(node)\(indices))" }
            return "\(written)(#\(node))"
        case .userData(let value): return "user_data \(value)"
        }
    }

    static func describe(_ pattern: CQEPattern) -> [String] {
        var parts: [String] = []
        if let result = pattern.result { parts.append("res=\(result)") }
        if let set = pattern.flagsSet { parts.append("flags+=\(set)") }
        if let clear = pattern.flagsClear { parts.append("flags-=\(clear)") }
        if let ids = pattern.bufferIDs { parts.append("buffer=\(ids)") }
        if let data = pattern.data { parts.append("data=\(describe(data))") }
        return parts
    }

    static func describe(_ check: ContentCheck) -> String {
        switch check {
        case .equals(let bytes): return "equals \(describe(bytes))"
        case .prefix(let bytes): return "prefix \(describe(bytes))"
        case .at(let offset, let bytes): return "at \(offset): \(describe(bytes))"
        case .unchanged: return "unchanged"
        case .field(let field): return field.description
        }
    }
}
