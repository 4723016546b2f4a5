#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
import IoUring
import Scenario
@testable import Runner

/// A scenario loaded from YAML, its resources made for real inside a sandbox, a ring, and a resolver
/// backed by them: enough to issue the scenario's steps one by one and look at SQEs, CQEs and effects.
/// Captures are set by the test from the CQEs it reaps (`capture(_:_:)`).
final class IssuingHarness {
    let scenario: Scenario
    let sandbox: Sandbox
    let resolver: TestResolver
    var ring: IoUring

    init(_ yaml: String, entries: UInt32 = 32, sourceLocation: SourceLocation = #_sourceLocation) throws {
        switch ScenarioLoader.load("name: issuing test\n" + yaml, file: "test.yaml") {
        case .success(let scenario): self.scenario = scenario
        case .failure(let diagnostics):
            Issue.record("scenario does not load (line numbers count the added name line): \(diagnostics.diagnostics.map { "\($0.mark): \($0.message)" })",
                         sourceLocation: sourceLocation)
            throw diagnostics
        }
        sandbox = try Sandbox.create(label: "issuing")
        ring = try IoUring(entries: entries)
        resolver = try TestResolver(scenario: scenario, sandbox: sandbox)
        try resolver.setUpRingResources(&ring)
    }

    deinit {
        resolver.close()
        sandbox.remove()
    }

    /// The node of the step whose id is `id` (its first instance: ids without placeholders).
    func node(_ id: String) -> NodeID {
        let found = scenario.graph.nodes.first { node in
            if case .request(let spec) = node.kind { return spec.id?.description == id }
            return false
        }
        precondition(found != nil, "no step with id \(id)")
        return found!.id
    }

    /// The instance of `node` at `iterations`, from the graph's own expansion (StepInstance has no
    /// public initializer).
    func instance(_ node: NodeID, _ iterations: [Int]) -> StepInstance {
        scenario.graph.instances.first { $0.node == node && $0.iterations == iterations }!
    }

    /// Issues the request step `id` (at repeat iterations `iterations`) with its user_data; returns it.
    @discardableResult
    func issue(_ id: String, iterations: [Int] = []) throws -> UInt64 {
        let node = node(id)
        guard case .request(let spec) = scenario.graph.nodes[node].kind else { preconditionFailure() }
        let userData = spec.userData.value(iterations: iterations)
        try OperationIssuer.issue(spec, instance: instance(node, iterations), userData: userData,
                                  resolver: resolver, ring: &ring)
        return userData
    }

    /// Performs the registration step at position `index` among the scenario's registration steps.
    func register(_ index: Int) throws -> Int32 {
        let steps = scenario.graph.nodes.compactMap { node -> (NodeID, RegistrationStep)? in
            if case .registration(let step) = node.kind { return (node.id, step) }
            return nil
        }
        let (node, step) = steps[index]
        return try RegistrationIssuer.perform(step, instance: instance(node, []), resolver: resolver,
                                              ring: &ring)
    }

    /// The user_data of step `id`.
    func userData(_ id: String) -> UInt64 {
        guard case .request(let spec) = scenario.graph.nodes[node(id)].kind else { preconditionFailure() }
        return spec.userData.value(iterations: [])
    }

    /// Submits what is queued and returns exactly `count` CQEs (failing the test instead of hanging).
    func reap(_ count: Int, timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [CompletionQueueEntry] {
        var cqes: [CompletionQueueEntry] = []
        let start = ContinuousClock.now
        try ring.submit()
        while cqes.count < count {
            let remaining = timeout - (ContinuousClock.now - start)
            if remaining <= .zero { break }
            try ring.waitCQEs(UInt32(count - cqes.count), timeout: remaining) { cqes.append($0) }
        }
        #expect(cqes.count == count, "expected \(count) CQEs, got \(cqes.count): \(cqes)", sourceLocation: sourceLocation)
        return cqes
    }

    /// Submits and returns the one CQE of step `id`.
    func complete(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CompletionQueueEntry {
        let cqes = try reap(1, sourceLocation: sourceLocation)
        let cqe = try #require(cqes.first, sourceLocation: sourceLocation)
        #expect(cqe.userData == userData(id), sourceLocation: sourceLocation)
        return cqe
    }

    /// The res of the first CQE among `cqes` with step `id`'s user_data; nil when none has it.
    func res(_ id: String, in cqes: [CompletionQueueEntry]) -> Int32? {
        cqes.first { $0.userData == userData(id) }?.res
    }

    /// Records `cqe.res` as the value of capture `$name`.
    func capture(_ name: String, _ cqe: CompletionQueueEntry) { resolver.captures[name] = Int64(cqe.res) }

    /// The descriptor of resource (end) `name` (`data`, `p.read`).
    func fd(_ name: String) -> Int32 { resolver.descriptors[name]! }

    func buffer(_ name: String) -> IoBuffer { resolver.buffers[name]! }

    /// The content of the sandbox file at `path`, or nil.
    func fileContent(_ path: String) -> [UInt8]? {
        let fd = open(sandbox.resolve(path), O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            result += chunk[0..<count]
        }
        return result
    }

    /// The SQE most recently queued and not yet submitted.
    var lastSQE: RawSQE? { ring.lastQueuedSQE() }
}

/// An `OperandResolver` over resources made for real (files, pipes, sockets, buffers, a child process)
/// and captures the test sets by hand.
final class TestResolver: OperandResolver {
    let scenario: Scenario
    let sandbox: Sandbox
    /// Descriptors by resource name, or `name.end`.
    var descriptors: [String: Int32] = [:]
    var buffers: [String: IoBuffer] = [:]
    var addresses: [String: IoUring::SocketAddress] = [:]
    var processes: [String: Int32] = [:]
    var captures: [String: Int64] = [:]
    /// Buffers handed out for inline bytes, by content (the kernel only reads them).
    var inline: [[UInt8]: IoBuffer] = [:]

    init(scenario: Scenario, sandbox: Sandbox) throws {
        self.scenario = scenario
        self.sandbox = sandbox
        for resource in scenario.resources { try make(resource) }
    }

    func close() {
        for fd in descriptors.values { _ = Glibc.close(fd) }
        for pid in processes.values {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, WNOHANG)
        }
    }

    private func check(_ result: Int32, _ call: String) throws -> Int32 {
        guard result >= 0 else { throw RunnerError.system(call, Errno(rawValue: errno)) }
        return result
    }

    private func make(_ resource: Resource) throws {
        let name = resource.name
        switch resource.kind {
        case .file(let file):
            let path = sandbox.resolve(file.path)
            let fd = try check(open(path, O_CREAT | O_RDWR | O_TRUNC, mode_t(file.mode)), "open(\(path))")
            _ = file.content.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if let size = file.size { _ = ftruncate(fd, off_t(size)) }
            Glibc.close(fd)
            if file.opens {
                descriptors[name] = try check(open(path, Int32(file.openFlags.value)), "open(\(path))")
            }
        case .existing(let existing):
            descriptors[name] = try check(open(sandbox.resolve(existing.path), existing.access.openFlag), "open(\(existing.path))")
        case .directory(let directory):
            let path = sandbox.resolve(directory.path)
            _ = try check(mkdir(path, mode_t(directory.mode)), "mkdir(\(path))")
            if directory.opens { descriptors[name] = try check(open(path, O_RDONLY | O_DIRECTORY), "open(\(path))") }
        case .symlink(let link):
            _ = try check(symlink(link.target, sandbox.resolve(link.path)), "symlink")
        case .pipe(let pipe):
            var ends: [Int32] = [0, 0]
            _ = try check(Glibc.pipe(&ends), "pipe")
            if pipe.nonblocking { for end in ends { _ = fcntl(end, F_SETFL, O_NONBLOCK) } }
            descriptors["\(name).read"] = ends[0]
            descriptors["\(name).write"] = ends[1]
        case .socketPair(let pair):
            var ends: [Int32] = [0, 0]
            var type = Int32(pair.type.value)
            if pair.nonblocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
            _ = try check(socketpair(AF_UNIX, type, 0, &ends), "socketpair")
            descriptors["\(name).a"] = ends[0]
            descriptors["\(name).b"] = ends[1]
        case .tcpListener:
            let fd = try check(Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
            try bindLoopback(fd)
            _ = try check(Glibc.listen(fd, 16), "listen")
            descriptors[name] = fd
            addresses[name] = try IoUring::SocketAddress.local(of: fd)
        case .udpSocket:
            let fd = try check(Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0), "socket")
            try bindLoopback(fd)
            descriptors[name] = fd
            addresses[name] = try IoUring::SocketAddress.local(of: fd)
        case .tcpPair:
            let listener = try check(Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
            try bindLoopback(listener)
            _ = try check(Glibc.listen(listener, 1), "listen")
            let client = try check(Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
            }
            _ = try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try check(Glibc.connect(client, $0, length), "connect") }
            }
            descriptors["\(name).client"] = client
            descriptors["\(name).server"] = try check(Glibc.accept(listener, nil, nil), "accept")
            Glibc.close(listener)
        case .udpPair:
            let server = try check(Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0), "socket")
            let client = try check(Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0), "socket")
            try bindLoopback(server)
            try bindLoopback(client)
            try connectTo(client, server)
            try connectTo(server, client)
            descriptors["\(name).client"] = client
            descriptors["\(name).server"] = server
        case .eventfd(let spec):
            descriptors[name] = try check(eventfd(spec.initialValue, Int32(spec.flags.value)), "eventfd")
        case .epoll:
            descriptors[name] = try check(epoll_create1(0), "epoll_create1")
        case .unboundSocket(let spec):
            descriptors[name] = try check(Glibc.socket(Int32(spec.domain.value), Int32(spec.type.value), Int32(spec.proto.value)), "socket")
        case .fifo(let spec):
            let path = sandbox.resolve(spec.path)
            _ = try check(mkfifo(path, mode_t(spec.mode)), "mkfifo(\(path))")
            descriptors["\(name).read"] = try check(open(path, O_RDONLY | O_NONBLOCK), "open(\(path))")
            descriptors["\(name).write"] = try check(open(path, O_WRONLY | O_NONBLOCK), "open(\(path))")
        case .buffer(let spec):
            let buffer = IoBuffer(count: Int(spec.size))
            buffer.fill(spec.fill)
            buffer.write(spec.content)
            buffers[name] = buffer
        case .childProcess(let child):
            let seconds = Double(child.delayNanoseconds) / 1e9
            let arguments = ["/bin/sh", "-c", "sleep \(seconds); exit \(child.exitCode)"]
            var pid: pid_t = 0
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            let status = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
            guard status == 0 else { throw RunnerError.system("posix_spawn", Errno(rawValue: status)) }
            processes[name] = pid
        case .iovecs, .fileTable, .registeredBuffers, .providedBuffers, .bufferRing:
            break  // iovecs are resolved from buffers; the rest need the ring (setUpRingResources)
        }
    }

    private func bindLoopback(_ fd: Int32) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        _ = try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try check(Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)), "bind")
            }
        }
    }

    private func connectTo(_ fd: Int32, _ other: Int32) throws {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(other, $0, &length) }
        }
        _ = try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try check(Glibc.connect(fd, $0, length), "connect") }
        }
    }

    /// The resources that live in the ring: the file table, registered buffers, provided buffers.
    func setUpRingResources(_ ring: inout IoUring) throws {
        for resource in scenario.resources {
            switch resource.kind {
            case .fileTable(let table):
                if let sparse = table.sparse {
                    try ring.registerFilesSparse(count: sparse)
                } else {
                    try ring.registerFiles(table.files.map { operand in
                        guard case .resource(let reference) = operand else { return -1 }
                        return descriptors[reference.description] ?? -1
                    })
                }
            case .registeredBuffers(let names):
                try ring.registerBuffers(names.map { buffers[$0]! })
            case .providedBuffers(let group):
                let memory = IoBuffer(count: Int(group.count) * Int(group.size))
                try ring.provideBuffers(userData: 0xB0F, memory, bufferSize: group.size, count: UInt16(group.count),
                                        groupID: group.group, startingBufferID: group.startID)
                try ring.submit()
                var result: Int32 = .min
                try ring.waitCQEs(1, timeout: .seconds(2)) { result = $0.res }
                precondition(result == 0, "provide_buffers at setup: \(result)")
            case .bufferRing(let spec):
                _ = try BufferGroup(&ring, groupID: spec.group, bufferSize: Int(spec.size), count: UInt16(spec.entries),
                                    incremental: spec.incremental)
            default:
                break
            }
        }
    }

    // MARK: - OperandResolver

    func file(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> FileReference {
        switch operand {
        case .resource(let reference):
            guard let fd = descriptors[reference.description] else { throw .unsupported("no descriptor for \(reference)") }
            return .descriptor(fd)
        case .descriptor(let fd): return .descriptor(fd)
        case .slot(let slot): return .fixed(slot)
        case .capture(let capture):
            guard let value = captures[capture.name] else { throw .unsupported("\(capture) not captured yet") }
            return capture.kind == .slot ? .fixed(UInt32(value)) : .descriptor(Int32(value))
        case .currentDirectory: return .descriptor(sandbox.directoryFD)
        case .empty: return .descriptor(-1)
        case .ring: throw .unsupported("$ring: this harness resolves no ring descriptor")
        }
    }

    func directory(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> Int32 {
        try file(operand, at: instance).sqeNumber
    }

    func buffer(_ operand: BufferOperand, length: Int?) throws(RunnerError) -> IoBufferSlice {
        switch operand {
        case .resource(let name, let offset):
            guard let buffer = buffers[name] else { throw .unsupported("no buffer \(name)") }
            let start = Int(offset)
            return buffer.slice(start..<(start + (length ?? buffer.count - start)))
        case .inline(let bytes):
            let buffer = inline[bytes] ?? IoBuffer(bytes)
            inline[bytes] = buffer
            return buffer.slice(0..<(length ?? bytes.count))
        }
    }

    func registeredBuffer(_ operand: RegisteredBufferOperand, length: Int?) throws(RunnerError)
        -> (slice: IoBufferSlice, index: UInt16) {
        (try buffer(.resource(name: operand.name, offset: operand.offset), length: length), operand.index)
    }

    func iovecs(_ name: String) throws(RunnerError) -> [IoBufferSlice] {
        guard case .iovecs(let entries)? = scenario.resource(named: name)?.kind else { throw .unsupported("no iovecs \(name)") }
        var slices: [IoBufferSlice] = []
        for entry in entries {
            slices.append(try buffer(.resource(name: entry.buffer, offset: entry.offset), length: Int(entry.length)))
        }
        return slices
    }

    func path(_ text: TemplateText, at instance: StepInstance) throws(RunnerError) -> String {
        var indices: [String: Int] = [:]
        let graph = scenario.graph
        for (block, iteration) in zip(graph.enclosingBlocks(of: instance.node), instance.iterations) {
            indices[graph.blocks[block].indexName] = iteration
        }
        return text.resolved(indices)
    }

    func address(_ address: Scenario::SocketAddress, at instance: StepInstance) throws(RunnerError) -> IoUring::SocketAddress {
        switch address {
        case .capture(let capture):
            let fd = Int32(try capturedValue(capture, at: instance))
            do { return try IoUring::SocketAddress.local(of: fd) } catch { throw .unsupported("no address for \(capture): \(error)") }
        case .resource(let reference):
            guard let bound = addresses[reference.name] else { throw .unsupported("no address for \(reference)") }
            return bound
        case .ipv4(let host, let port):
            guard let parsed = IPv4Address(host) else { throw .unsupported("bad IPv4 \(host)") }
            return .ipv4(parsed, port: port)
        case .ipv6(let host, let port):
            guard let parsed = IPv6Address(host) else { throw .unsupported("bad IPv6 \(host)") }
            return .ipv6(parsed, port: port)
        }
    }

    func userData(_ reference: RequestReference, at instance: StepInstance) throws(RunnerError) -> UInt64 {
        switch reference {
        case .userData(let value): return value
        case .request(let node, let iterations, _):
            guard let spec = scenario.graph.request(node) else { throw .unsupported("node \(node) is not a request") }
            switch iterations {
            case .each: return spec.userData.value(iterations: instance.iterations)
            case .instance(let indices): return spec.userData.value(iterations: indices)
            }
        }
    }

    func capturedValue(_ capture: CaptureReference, at instance: StepInstance) throws(RunnerError) -> Int64 {
        guard let value = captures[capture.name] else { throw .unsupported("\(capture) not captured yet") }
        return value
    }

    func process(_ reference: ProcessReference) throws(RunnerError) -> Int32 {
        switch reference {
        case .pid(let pid): return pid
        case .resource(let name):
            guard let pid = processes[name] else { throw .unsupported("no process \(name)") }
            return pid
        }
    }
}

/// The op-table argument name the raw step uses for the SQE's `off` (renamed `offset` in a later
/// version of the language).
let rawOffsetKey = OpTable.spec(named: "raw")?.argument("offset") != nil ? "offset" : "off"

/// `-errno` as a CQE carries it.
func negated(_ errno: Errno) -> Int32 { -errno.rawValue }
