#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
internal import CIoUring
import IoUring
import Planner
import Scenario

/// Everything a running scenario owns besides its ring: the sandbox, the resources as created, the
/// values captured from CQEs, descriptors the ring opened, peer sockets and child processes. It
/// resolves a step's operands for the issuer (`OperandResolver`), performs peer actions, gathers the
/// post-run facts and closes everything at the end.
///
/// Descriptors are created close-on-exec, and a child process closes every descriptor it inherits, so
/// none holds a pipe end open.
final class RunResources: OperandResolver {
    let scenario: Scenario
    let plan: Plan
    let sandbox: Sandbox
    private(set) var handles: [String: Handle] = [:]

    /// The latest value each producer step captured, by node (requests and `peer_connect`).
    var captures: [Int64?]
    /// The user_data of the most recently queued instance of each request node.
    var lastUserData: [UInt64]
    /// Descriptors that requests of the scenario opened (openat, accept, socket…) and no close step has
    /// closed yet: closed at teardown.
    var ringDescriptors = Set<Int32>()
    /// The scenario's own ring descriptor, for `$ring` as a file.
    var ringDescriptor: Int32 = -1
    /// Sockets `peer_connect` opened.
    private var peerSockets = Set<Int32>()
    /// Buffers holding inline bytes (`data: "…"`), shared by every request that sends the same bytes.
    private var inlineBuffers: [[UInt8]: IoBuffer] = [:]

    /// A resource as created.
    struct Handle {
        var resource: Resource
        /// The descriptor of a one-descriptor resource; -1 when it has none or it was closed.
        var fd: Int32 = -1
        /// The descriptors of each end (pipes, socket pairs, connected pairs); -1 once closed.
        var ends: [Endpoint: Int32] = [:]
        var buffer: IoBuffer?
        var slices: [IoBufferSlice] = []
        /// Where a listener or UDP socket is bound (the server end, for pairs).
        var address: IoUring::SocketAddress?
        var pid: pid_t?
    }

    init(scenario: Scenario, plan: Plan, sandbox: Sandbox) {
        self.scenario = scenario
        self.plan = plan
        self.sandbox = sandbox
        captures = Array(repeating: nil, count: scenario.graph.nodes.count)
        lastUserData = Array(repeating: 0, count: scenario.graph.nodes.count)
    }

    // MARK: - Creating resources

    /// Creates every resource: first those outside the ring (files, descriptors, buffers, children),
    /// then iovecs over the buffers, then the ring's registrations, each in the order declared.
    func create(ring: inout IoUring, deadline: ContinuousClock.Instant) throws(ExecutionError) {
        ringDescriptor = ring.fd
        for resource in scenario.resources {
            do {
                try createPlain(resource, deadline: deadline)
            } catch {
                throw ExecutionError(mark: resource.mark, "resource '\(resource.name)': \(error)")
            }
        }
        // Buffers live for the whole run: the ring keeps them without retaining them per request.
        for handle in handles.values {
            if let buffer = handle.buffer { ring.pin(buffer) }
        }
        for resource in scenario.resources {
            do {
                try createDependent(resource, ring: &ring)
            } catch {
                throw ExecutionError(mark: resource.mark, "resource '\(resource.name)': \(error)")
            }
        }
    }

    private func createPlain(_ resource: Resource, deadline: ContinuousClock.Instant) throws(RunnerError) {
        var handle = Handle(resource: resource)
        switch resource.kind {
        case .file(let file):
            handle.fd = try createFile(file)
        case .directory(let directory):
            let path = sandbox.resolve(directory.path)
            try System.makeParents(of: path)
            if mkdir(path, mode_t(directory.mode)) != 0 {
                var status = stat()
                guard System.errno == .EEXIST, lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                    throw .system("mkdir(\(directory.path))", System.errno)
                }
            }
            if directory.opens {
                handle.fd = try System.check(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open(\(directory.path))")
            }
        case .symlink(let link):
            let path = sandbox.resolve(link.path)
            try System.makeParents(of: path)
            try System.check(symlink(link.target, path), "symlink(\(link.target), \(link.path))")
        case .pipe(let spec):
            var fds: [Int32] = [-1, -1]
            try System.check(System.pipe2(&fds, O_CLOEXEC | (spec.nonblocking ? O_NONBLOCK : 0)), "pipe2")
            handle.ends = [.read: fds[0], .write: fds[1]]
            if let capacity = spec.capacity {
                try System.check(fcntl(fds[1], System.F_SETPIPE_SZ, Int32(bitPattern: capacity)), "fcntl(F_SETPIPE_SZ, \(capacity))")
            }
        case .socketPair(let spec):
            var fds: [Int32] = [-1, -1]
            let type = Int32(truncatingIfNeeded: spec.type.value) | System.SOCK_CLOEXEC | (spec.nonblocking ? System.SOCK_NONBLOCK : 0)
            try System.check(socketpair(AF_UNIX, type, 0, &fds), "socketpair(AF_UNIX, \(spec.type))")
            handle.ends = [.a: fds[0], .b: fds[1]]
        case .tcpListener(let spec):
            let fd = try System.socket(family: spec.ipv6 ? AF_INET6 : AF_INET, type: System.SOCK_STREAM, nonblocking: spec.nonblocking)
            handle.fd = fd
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            try System.bind(fd, System.loopback(ipv6: spec.ipv6, port: spec.port))
            try System.check(listen(fd, Int32(clamping: spec.backlog)), "listen")
            handle.address = try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: fd) }
        case .udpSocket(let spec):
            let fd = try System.socket(family: spec.ipv6 ? AF_INET6 : AF_INET, type: System.SOCK_DGRAM, nonblocking: spec.nonblocking)
            handle.fd = fd
            try System.bind(fd, System.loopback(ipv6: spec.ipv6, port: spec.port))
            handle.address = try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: fd) }
        case .tcpPair(let spec):
            let family = spec.ipv6 ? AF_INET6 : AF_INET
            let listener = try System.socket(family: family, type: System.SOCK_STREAM)
            defer { close(listener) }
            try System.bind(listener, System.loopback(ipv6: spec.ipv6, port: spec.port))
            try System.check(listen(listener, 1), "listen")
            let address = try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: listener) }
            let client = try System.socket(family: family, type: System.SOCK_STREAM)
            handle.ends[.client] = client
            try System.connect(client, address, until: deadline)
            let server = try System.check(System.accept4(listener, nil, nil, System.SOCK_CLOEXEC), "accept4")
            handle.ends[.server] = server
            handle.address = try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: server) }
            if spec.nonblocking {
                try System.setNonblocking(client, true)
                try System.setNonblocking(server, true)
            }
        case .udpPair(let spec):
            let family = spec.ipv6 ? AF_INET6 : AF_INET
            let server = try System.socket(family: family, type: System.SOCK_DGRAM, nonblocking: spec.nonblocking)
            handle.ends[.server] = server
            try System.bind(server, System.loopback(ipv6: spec.ipv6, port: spec.port))
            let client = try System.socket(family: family, type: System.SOCK_DGRAM, nonblocking: spec.nonblocking)
            handle.ends[.client] = client
            try System.bind(client, System.loopback(ipv6: spec.ipv6, port: 0))
            let serverAddress = try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: server) }
            let clientAddress = try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: client) }
            try System.connect(client, serverAddress, until: deadline)
            try System.connect(server, clientAddress, until: deadline)
            handle.address = serverAddress
        case .eventfd(let spec):
            let flags = Int32(truncatingIfNeeded: spec.flags.value) | Int32(EFD_CLOEXEC)
            handle.fd = try System.check(eventfd(spec.initialValue, flags), "eventfd(\(spec.initialValue), \(spec.flags))")
        case .epoll:
            handle.fd = try System.check(epoll_create1(Int32(EPOLL_CLOEXEC)), "epoll_create1")
        case .buffer(let spec):
            guard spec.alignment <= 4096 else {
                throw .unsupported("an alignment of \(spec.alignment) bytes: buffers are page-aligned (4096), no more")
            }
            guard let size = Int(exactly: spec.size), spec.content.count <= size else {
                throw .unsupported("\(spec.content.count) content bytes do not fit a buffer of \(spec.size) bytes")
            }
            let buffer = IoBuffer(count: size)
            buffer.write(spec.content, at: 0)
            if spec.fill != 0 && size > spec.content.count { buffer.fill(spec.fill, in: spec.content.count..<size) }
            handle.buffer = buffer
        case .childProcess(let spec):
            handle.pid = try ChildProcesses.spawn(exitCode: spec.exitCode, delayNanoseconds: spec.delayNanoseconds)
        case .existing(let existing):
            handle.fd = try openExisting(existing)
        case .unboundSocket(let spec):
            handle.fd = try openUnboundSocket(spec)
        case .fifo(let spec):
            let ends = try makeFifo(spec)
            handle.ends = [.read: ends.read, .write: ends.write]
        case .iovecs, .fileTable, .registeredBuffers, .providedBuffers, .bufferRing:
            break
        }
        handles[resource.name] = handle
    }

    private func createDependent(_ resource: Resource, ring: inout IoUring) throws(RunnerError) {
        switch resource.kind {
        case .iovecs(let entries):
            var slices: [IoBufferSlice] = []
            for entry in entries {
                slices.append(try slice(of: entry.buffer, offset: entry.offset, length: Int(clamping: entry.length)))
            }
            handles[resource.name]?.slices = slices
        case .fileTable(let table):
            if let sparse = table.sparse {
                try engine { () throws(IoUringError) in try ring.registerFilesSparse(count: sparse) }
            } else {
                var fds: [Int32] = []
                for operand in table.files {
                    if operand == .empty {
                        fds.append(-1)
                    } else if case .descriptor(let fd) = try resolveFile(operand) {
                        fds.append(fd)
                    } else {
                        throw .unsupported("a file table holds descriptors, not registered slots ('\(operand)')")
                    }
                }
                try engine { () throws(IoUringError) in try ring.registerFiles(fds) }
            }
        case .registeredBuffers(let names):
            var regions: [any BufferRegion] = []
            for name in names { regions.append(try slice(of: name, offset: 0, length: nil)) }
            try engine { () throws(IoUringError) in try ring.registerBuffers(regions) }
        case .providedBuffers(let spec):
            guard let count = UInt16(exactly: spec.count) else {
                throw .unsupported("IORING_OP_PROVIDE_BUFFERS takes at most 65535 buffers, not \(spec.count)")
            }
            let memory = IoBuffer(count: Int(spec.count) * Int(spec.size))
            handles[resource.name]?.buffer = memory
            var result: Int32 = 0
            try engine { () throws(IoUringError) in
                try ring.provideBuffers(userData: 0, memory, bufferSize: spec.size, count: count, groupID: spec.group,
                                        startingBufferID: spec.startID)
                try ring.submit()
                result = try ring.copyCQE().res
            }
            if result < 0 {
                throw .system("IORING_OP_PROVIDE_BUFFERS(group \(spec.group))", Errno(rawValue: -result))
            }
        case .bufferRing(let spec):
            guard let entries = UInt16(exactly: spec.entries) else {
                throw .unsupported("a buffer ring has at most 32768 entries, not \(spec.entries)")
            }
            try engine { () throws(IoUringError) in
                _ = try BufferGroup(&ring, groupID: spec.group, bufferSize: Int(spec.size), count: entries,
                                    incremental: spec.incremental, bufferIDs: spec.ids)
            }
        default:
            break
        }
    }

    /// Creates a regular file with its content and size, then opens it as the scenario asks. The file
    /// must not exist (O_CREAT | O_EXCL, which does not follow a symlink either): what the scenario did
    /// not create — `/dev/null` with `allow_outside_sandbox`, a file another resource made — is never
    /// truncated or chmod'ed. An `existing` resource opens such a path unchanged.
    private func createFile(_ file: FileResource) throws(RunnerError) -> Int32 {
        let path = sandbox.resolve(file.path)
        try System.makeParents(of: path)
        let created = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode_t(0o600))
        if created < 0 && System.errno == .EEXIST {
            throw .unsupported("open(\(file.path), O_CREAT|O_EXCL): EEXIST: a file resource creates its file, and '\(file.path)' exists already; it is left unchanged (to open an existing path or device as it is, declare it as { existing: { path: \(file.path), access: read|write|read_write } })")
        }
        let fd = try System.check(created, "open(\(file.path), O_CREAT|O_EXCL)")
        defer { close(fd) }
        let (written, error) = System.writeAll(fd, file.content)
        if let error, written < file.content.count { throw .system("write(\(file.path))", error) }
        if let size = file.size, size != UInt64(file.content.count) {
            if size < UInt64(file.content.count) || file.sparse {
                try System.check(ftruncate(fd, off_t(size)), "ftruncate(\(file.path), \(size))")
            } else {
                let zeros = [UInt8](repeating: 0, count: 1 << 16)
                var remaining = size - UInt64(file.content.count)
                while remaining > 0 {
                    let chunk = Array(zeros.prefix(Int(min(remaining, UInt64(zeros.count)))))
                    let (count, error) = System.writeAll(fd, chunk)
                    if let error { throw .system("write(\(file.path))", error) }
                    remaining -= UInt64(count)
                }
            }
        }
        try System.check(fchmod(fd, mode_t(file.mode)), "fchmod(\(file.path))")
        guard file.opens else { return -1 }
        let flags = Int32(truncatingIfNeeded: file.openFlags.value) | O_CLOEXEC
        return try System.check(open(path, flags, mode_t(file.mode)), "open(\(file.path), \(file.openFlags))")
    }

    /// Opens an `existing` path with its access mode and nothing that changes it (no O_CREAT, no O_TRUNC,
    /// no chmod); O_NOCTTY so a terminal never becomes the controlling one. A FIFO is opened O_NONBLOCK
    /// (then made blocking again unless `nonblocking`), so that opening it never waits for its other end:
    /// for writing with no reader that is ENXIO, reported, instead of a hang.
    private func openExisting(_ existing: ExistingResource) throws(RunnerError) -> Int32 {
        let path = sandbox.resolve(existing.path)
        var status = stat()
        let isFIFO = stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO
        let nonblockingOpen = existing.nonblocking || isFIFO
        let flags = existing.access.openFlag | O_CLOEXEC | O_NOCTTY | (nonblockingOpen ? O_NONBLOCK : 0)
        let mode = ["O_RDONLY", "O_WRONLY", "O_RDWR"][Int(existing.access.openFlag)] + (nonblockingOpen ? "|O_NONBLOCK" : "")
        let fd = open(path, flags)
        if fd < 0 && isFIFO && System.errno == .ENXIO {
            throw .unsupported("open(\(existing.path), \(mode)): ENXIO: the FIFO has no reader, and opening it for writing alone would wait for one (use access: read_write)")
        }
        _ = try System.check(fd, "open(\(existing.path), \(mode))")
        if isFIFO && !existing.nonblocking {
            do {
                try System.setNonblocking(fd, false)
            } catch {
                close(fd)
                throw error
            }
        }
        return fd
    }

    // MARK: - Look-ups

    private func handle(_ name: String) throws(RunnerError) -> Handle {
        guard let handle = handles[name] else { throw .unsupported("no resource named '\(name)'") }
        return handle
    }

    /// `length` bytes (nil: the rest) of buffer resource `name` from `offset`.
    func slice(of name: String, offset: UInt64, length: Int?) throws(RunnerError) -> IoBufferSlice {
        guard let buffer = try handle(name).buffer else { throw .unsupported("'\(name)' is not a buffer") }
        guard let start = Int(exactly: offset), start <= buffer.count else {
            throw .unsupported("offset \(offset) is past the end of buffer '\(name)' (\(buffer.count) bytes)")
        }
        let count = length ?? buffer.count - start
        guard count >= 0, start + count <= buffer.count else {
            throw .unsupported("\(count) bytes from offset \(start) overrun buffer '\(name)' (\(buffer.count) bytes)")
        }
        return buffer.slice(start..<start + count)
    }

    /// The descriptor of a resource or one of its ends (-1 once closed by `peer_close`).
    func descriptor(of reference: ResourceReference) throws(RunnerError) -> Int32 {
        let handle = try handle(reference.name)
        if let endpoint = reference.endpoint {
            guard let fd = handle.ends[endpoint] else { throw .unsupported("'\(reference.name)' has no end '\(endpoint.rawValue)'") }
            return fd
        }
        switch handle.resource.kind {
        case .file(let file) where !file.opens:
            throw .unsupported("file '\(reference.name)' is not opened (it says open: false)")
        case .directory(let directory) where !directory.opens:
            throw .unsupported("directory '\(reference.name)' is not opened (it says open: false)")
        default:
            guard handle.resource.kind.isDescriptor else {
                throw .unsupported("'\(reference.name)' is a \(handle.resource.kind.keyword), not a descriptor")
            }
            return handle.fd
        }
    }

    /// `template` with the repeat indices of `instance` filled in, without building a dictionary.
    func render(_ template: TemplateText, at instance: StepInstance) -> String {
        guard template.isTemplate else { return template.description }
        let blocks = plan.steps[instance.node].blocks
        var text = ""
        for part in template.parts {
            switch part {
            case .literal(let literal): text += literal
            case .index(let name):
                if let position = blocks.firstIndex(where: { scenario.graph.blocks[$0].indexName == name }),
                   position < instance.iterations.count {
                    text += String(instance.iterations[position])
                } else {
                    text += "{\(name)}"
                }
            }
        }
        return text
    }

    // MARK: - OperandResolver

    func file(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> FileReference {
        try resolveFile(operand)
    }

    /// The descriptor or slot `operand` names now (captures hold their latest value). A number, or a
    /// captured value that is not a descriptor the scenario holds, is refused where it could reach
    /// outside the sandbox (see `SandboxRules`), unless the scenario allows that.
    func resolveFile(_ operand: FileOperand) throws(RunnerError) -> FileReference {
        switch operand {
        case .resource(let reference): return .descriptor(try descriptor(of: reference))
        case .descriptor(let fd):
            if !scenario.options.allowOutsideSandbox, SandboxRules.reachesOutside(descriptor: fd) {
                throw .unsupported(SandboxRules.descriptorRefusal(fd))
            }
            return .descriptor(fd)
        case .slot(let slot): return .fixed(slot)
        case .capture(let capture):
            guard capture.producer < captures.count, let value = captures[capture.producer] else {
                throw .unsupported("$\(capture.name) has no value: its producer has not completed")
            }
            if capture.kind == .slot, let slot = UInt32(exactly: value) { return .fixed(slot) }
            let fd = Int32(truncatingIfNeeded: value)
            if !scenario.options.allowOutsideSandbox, SandboxRules.reachesOutside(descriptor: fd), !holds(fd), isOpen(fd) {
                throw .unsupported("$\(capture.name) = \(value): " + SandboxRules.descriptorRefusal(fd))
            }
            return .descriptor(fd)
        case .currentDirectory: return .descriptor(sandbox.directoryFD)
        case .empty: return .descriptor(-1)
        case .ring: return .descriptor(ringDescriptor)
        }
    }

    func directory(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> Int32 {
        if operand == .currentDirectory { return sandbox.directoryFD }
        switch try resolveFile(operand) {
        case .descriptor(let fd): return fd
        case .fixed(let slot): throw .unsupported("a directory must be a descriptor, not registered slot \(slot)")
        }
    }

    func buffer(_ operand: BufferOperand, length: Int?) throws(RunnerError) -> IoBufferSlice {
        switch operand {
        case .resource(let name, let offset):
            return try slice(of: name, offset: offset, length: length)
        case .inline(let bytes):
            let buffer: IoBuffer
            if let cached = inlineBuffers[bytes] {
                buffer = cached
            } else {
                buffer = IoBuffer(bytes)
                inlineBuffers[bytes] = buffer
            }
            let count = length ?? bytes.count
            guard count >= 0, count <= bytes.count else {
                throw .unsupported("\(count) bytes asked of \(bytes.count) inline bytes")
            }
            return buffer.slice(0..<count)
        }
    }

    func registeredBuffer(_ operand: RegisteredBufferOperand, length: Int?) throws(RunnerError) -> (slice: IoBufferSlice, index: UInt16) {
        (try slice(of: operand.name, offset: operand.offset, length: length), operand.index)
    }

    func iovecs(_ name: String) throws(RunnerError) -> [IoBufferSlice] {
        let handle = try handle(name)
        guard case .iovecs = handle.resource.kind else { throw .unsupported("'\(name)' is not an iovecs resource") }
        return handle.slices
    }

    func path(_ text: TemplateText, at instance: StepInstance) throws(RunnerError) -> String {
        render(text, at: instance)
    }

    /// Where a scenario sends, connects or binds: refused beyond loopback unless `allow_network`, for a
    /// literal as for a computed address.
    func address(_ address: Scenario::SocketAddress, at instance: StepInstance) throws(RunnerError) -> IoUring::SocketAddress {
        let resolved = try resolveAddress(address, at: instance)
        if let refusal = SandboxRules.addressRefusal(resolved, allowsNetwork: scenario.options.allowNetwork) {
            throw .unsupported(refusal)
        }
        return resolved
    }

    private func resolveAddress(_ address: Scenario::SocketAddress, at instance: StepInstance) throws(RunnerError) -> IoUring::SocketAddress {
        switch address {
        case .capture(let capture):
            let value = try capturedValue(capture, at: instance)
            guard let fd = Int32(exactly: value), fd >= 0 else {
                throw .unsupported("\(capture) = \(value) is not a socket (its CQE failed), so it has no address")
            }
            return try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: fd) }
        case .resource(let reference):
            let handle = try handle(reference.name)
            if let endpoint = reference.endpoint, let fd = handle.ends[endpoint], fd >= 0 {
                return try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: fd) }
            }
            if case .unboundSocket = handle.resource.kind, handle.fd >= 0 {
                // Where the ring's bind (or connect) put it by now.
                let fd = handle.fd
                return try engine { () throws(IoUringError) in try IoUring::SocketAddress.local(of: fd) }
            }
            guard let bound = handle.address else { throw .unsupported("'\(reference)' has no address") }
            return bound
        case .ipv4(let host, let port):
            guard let value = System.address(host: host, port: port, ipv6: false) else { throw .unsupported("bad IPv4 address '\(host)'") }
            return value
        case .ipv6(let host, let port):
            guard let value = System.address(host: host, port: port, ipv6: true) else { throw .unsupported("bad IPv6 address '\(host)'") }
            return value
        }
    }

    func userData(_ reference: RequestReference, at instance: StepInstance) throws(RunnerError) -> UInt64 {
        switch reference {
        case .userData(let value):
            return value
        case .request(let node, let iterations, _):
            guard case .request(let spec) = scenario.graph.nodes[node].kind else {
                throw .unsupported("'\(reference)' is not a request")
            }
            switch iterations {
            case .instance(let indices):
                return spec.userData.value(iterations: indices)
            case .each:
                let target = plan.steps[node].blocks
                let current = plan.steps[instance.node].blocks
                if current.starts(with: target) {
                    return spec.userData.value(iterations: Array(instance.iterations.prefix(target.count)))
                }
                return lastUserData[node]
            }
        }
    }

    func capturedValue(_ capture: CaptureReference, at instance: StepInstance) throws(RunnerError) -> Int64 {
        guard capture.producer < captures.count, let value = captures[capture.producer] else {
            throw .unsupported("$\(capture.name) has no value: its producer has not completed")
        }
        return value
    }

    var sandboxOptions: ScenarioOptions { scenario.options }

    func process(_ reference: ProcessReference) throws(RunnerError) -> Int32 {
        switch reference {
        case .pid(let pid): return pid
        case .resource(let name):
            guard let pid = try handle(name).pid else { throw .unsupported("'\(name)' is not a child_process") }
            return pid
        }
    }

    /// Whether `fd` is open as one of the scenario's own: a resource's, one a request opened, or a
    /// `peer_connect` socket.
    func holds(_ fd: Int32) -> Bool {
        if ringDescriptors.contains(fd) || peerSockets.contains(fd) { return true }
        return handles.values.contains { $0.fd == fd || $0.ends.values.contains(fd) }
    }

    /// Whether `fd` names an open descriptor of the process. A captured descriptor the scenario has
    /// closed since (closing it twice, on purpose) names nothing while it is not reused, and may be used:
    /// the kernel answers EBADF. Once the number is reused it is someone else's, and refused.
    private func isOpen(_ fd: Int32) -> Bool {
        fd == SandboxRules.currentWorkingDirectory || fcntl(fd, F_GETFD) >= 0 || System.errno != .EBADF
    }

    // MARK: - Descriptors the scenario closes

    /// Forgets `fd` as one to close at teardown: a close step or `peer_close` closed it.
    func forget(_ fd: Int32) {
        ringDescriptors.remove(fd)
        peerSockets.remove(fd)
    }

    /// Marks the resource end or capture `operand` names as closed, so teardown does not close a
    /// number the process may have reused since.
    func markClosed(_ operand: FileOperand) {
        switch operand {
        case .resource(let reference):
            guard var handle = handles[reference.name] else { return }
            if let endpoint = reference.endpoint {
                handle.ends[endpoint] = -1
            } else {
                handle.fd = -1
            }
            handles[reference.name] = handle
        case .capture(let capture):
            if let value = captures[capture.producer] { forget(Int32(truncatingIfNeeded: value)) }
        default:
            break
        }
    }

    func addPeerSocket(_ fd: Int32) { peerSockets.insert(fd) }

    // MARK: - After the run

    /// The bytes of every buffer and the state of every path the expectations name. File contents are
    /// read until `deadline` (the run's deadline and teardown grace): what is not read by then is
    /// reported as such, not waited for.
    func facts(for expectations: Expectations, until deadline: ContinuousClock.Instant) -> PostRunFacts {
        var facts = PostRunFacts()
        for condition in expectations.buffers where facts.buffers[condition.buffer] == nil {
            if let buffer = handles[condition.buffer]?.buffer { facts.buffers[condition.buffer] = buffer.bytes() }
        }
        // Content is read only as far as the checks on a path need (`contentBytesToRead`).
        var readLimits: [String: UInt64] = [:]
        for condition in expectations.files {
            guard let limit = condition.contentBytesToRead(in: scenario) else { continue }
            readLimits[condition.path] = max(readLimits[condition.path] ?? 0, limit)
        }
        for condition in expectations.files where facts.files[condition.path] == nil {
            facts.files[condition.path] = fileFacts(condition.path, readingUpTo: readLimits[condition.path], until: deadline)
        }
        return facts
    }

    /// The kind and size of the file at `relative`, and for a regular file its first `limit` bytes, if a
    /// limit is given.
    private func fileFacts(_ relative: String, readingUpTo limit: UInt64?, until deadline: ContinuousClock.Instant) -> FileFacts {
        let path = sandbox.resolve(relative)
        var status = stat()
        guard lstat(path, &status) == 0 else { return FileFacts(kind: .missing) }
        let size = UInt64(clamping: status.st_size)
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            guard let limit else { return FileFacts(kind: .file, size: size) }
            switch readFile(path, upTo: limit, until: deadline) {
            case .success(let content): return FileFacts(kind: .file, size: size, content: content)
            case .failure(let errno):
                let reason = errno == .ETIMEDOUT ? "not read: the run's deadline passed while reading it"
                                                 : "not read: \(errno.name)"
                return FileFacts(kind: .file, size: size, unread: reason)
            }
        case S_IFDIR: return FileFacts(kind: .directory, size: size)
        case S_IFLNK: return FileFacts(kind: .symlink, size: size)
        default: return FileFacts(kind: .other, size: size)
        }
    }

    /// The first `limit` bytes of the regular file at `path`, read until `deadline` (O_NONBLOCK: a path
    /// that became a FIFO since `lstat` cannot block the read).
    private func readFile(_ path: String, upTo limit: UInt64, until deadline: ContinuousClock.Instant) -> Result<[UInt8], Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else { return .failure(System.errno) }
        defer { close(fd) }
        return System.readToEnd(fd, upTo: limit, until: deadline)
    }

    /// Closes every descriptor the run owns and reaps (killing if needed) every child process.
    func closeAll() {
        for handle in handles.values {
            if handle.fd >= 0 { close(handle.fd) }
            for fd in handle.ends.values where fd >= 0 { close(fd) }
            if let pid = handle.pid { ChildProcesses.reap(pid) }
        }
        for fd in ringDescriptors { close(fd) }
        for fd in peerSockets { close(fd) }
        handles.removeAll()
        ringDescriptors.removeAll()
        peerSockets.removeAll()
        inlineBuffers.removeAll()
    }
}

/// Runs an engine call, turning its error into `RunnerError.engine`.
func engine<T>(_ body: () throws(IoUringError) -> T) throws(RunnerError) -> T {
    do {
        return try body()
    } catch {
        throw .engine(error)
    }
}
