#if canImport(Glibc)
import Glibc
#endif
import Checker
import IoUring
import Scenario
import Testing
@testable import Runner

@Suite struct ResourceTests {
    static let everyKind = """
        name: every resource kind
        resources:
          text:   { file: { content: "hello" } }
          bin:    { file: { path: sub/bin.dat, hex: "de ad be ef" } }
          pat:    { file: { pattern: "ab", size: 5 } }
          zeros:  { file: { size: 4096, mode: 0o600 } }
          hole:   { file: { size: 1048576, sparse: true, flags: [O_RDONLY] } }
          closed: { file: { content: "x", open: false } }
          sub:    { directory: { path: sub } }
          link:   { symlink: { target: text } }
          p:      { pipe: { capacity: 65536 } }
          nb:     { pipe: { nonblocking: true } }
          s:      { socketpair: {} }
          d:      { socketpair: { type: SOCK_DGRAM, nonblocking: true } }
          l:      { tcp_listener: { backlog: 4 } }
          l6:     { tcp_listener: { ipv6: true } }
          u:      { udp_socket: {} }
          conn:   { tcp_pair: {} }
          up:     { udp_pair: {} }
          efd:    { eventfd: { initial: 3, flags: [EFD_NONBLOCK] } }
          ep:     { epoll: {} }
          buf:    { buffer: { size: 16, fill: 0xAA } }
          pre:    { buffer: { content: "prefilled" } }
          vec:    { iovecs: [buf, { buffer: pre, offset: 2, len: 4 }] }
          table:  { file_table: { files: [text, pat] } }
          regs:   { registered_buffers: [pre] }
          group:  { provided_buffers: { group: 7, count: 2, size: 8, start_id: 10 } }
          br:     { buffer_ring: { group: 4, entries: 4, size: 8 } }
          child:  { child_process: { exit_code: 3, delay: 20ms } }
        steps:
          - read: { fd: { slot: 1 }, buf: buf, len: 5 }
            id: viaslot
          - read_fixed: { fd: text, buf: pre, len: 5 }
            id: fixedread
          - send: { fd: s.a, data: "hi" }
            id: tx
          - recv: { fd: s.b, buffer_group: group }
            id: provided
          - write: { fd: p.write, data: "ring" }
            id: w
          - read: { fd: p.read, buffer_group: br, len: 8 }
            id: ringbuf
          - waitid: { id: child }
            id: wait
        expect:
          viaslot: 5
          fixedread: 5
          tx: 2
          provided: { res: 2, buffer: 10 }
          w: 4
          ringbuf: { res: 4, buffer: 0 }
          wait: 0
          buffers:
            buf: { prefix: "ababa" }
            pre: { prefix: "hello" }
          files:
            closed: { content: "x" }
            sub: { type: directory }
            link: { type: symlink }
            nothing.txt: { exists: false }
        """

    @Test func everyResourceIsCreatedAsDeclared() throws {
        var checked = false
        let observer = RecordingObserver()
        let result = try execute(ResourceTests.everyKind, observer: observer) { execution in
            execution.inspectResources = { resources in
                checked = true
                ResourceTests.inspect(resources)
            }
        }
        #expect(checked)
        #expect(result.error == nil)
        #expect(observer.results == ["viaslot: 5", "fixedread: 5", "tx: 2", "provided: 2", "w: 4", "ringbuf: 4", "wait: 0"])
        let byID = Dictionary(uniqueKeysWithValues: observer.checkedCompletions.map { (observer.ids[$0.cqe.userData]!, $0.cqe) })
        #expect(byID["provided"]?.flags.bufferID == 10)
        #expect(byID["ringbuf"]?.flags.bufferID == 0)
        let facts = try #require(result.facts)
        #expect(facts.buffers["buf"]?.prefix(6) == [0x61, 0x62, 0x61, 0x62, 0x61, 0xAA])
        #expect(facts.buffers["pre"] == Array("hellolled".utf8))
        #expect(facts.files["closed"] == FileFacts(kind: .file, size: 1, content: [UInt8(ascii: "x")]))
        #expect(facts.files["sub"]?.kind == .directory)
        #expect(facts.files["link"]?.kind == .symlink)
        #expect(facts.files["nothing.txt"]?.kind == .missing)
    }

    /// Checks each resource against its declaration, from outside: the sandbox, fstat, fcntl,
    /// getsockopt, getsockname.
    static func inspect(_ resources: RunResources) {
        let sandbox = resources.sandbox
        func fd(_ name: String, _ end: Endpoint? = nil) -> Int32 {
            (try? resources.descriptor(of: ResourceReference(name: name, endpoint: end))) ?? -1
        }
        func contents(_ path: String) -> [UInt8] {
            let handle = open(sandbox.resolve(path), O_RDONLY)
            defer { close(handle) }
            var bytes = [UInt8](repeating: 0, count: 8192)
            let count = read(handle, &bytes, bytes.count)
            return Array(bytes.prefix(max(count, 0)))
        }
        func text(_ characters: [CChar]) -> String {
            String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        func status(_ path: String) -> stat {
            var value = stat()
            lstat(sandbox.resolve(path), &value)
            return value
        }
        // Files: content, size, holes, modes, open flags; close-on-exec everywhere.
        #expect(contents("text") == Array("hello".utf8))
        #expect(contents("sub/bin.dat") == [0xde, 0xad, 0xbe, 0xef])
        #expect(contents("pat") == Array("ababa".utf8))
        #expect(status("zeros").st_size == 4096 && status("zeros").st_mode & 0o777 == 0o600)
        #expect(status("hole").st_size == 1_048_576 && status("hole").st_blocks < 16)
        #expect(fcntl(fd("text"), F_GETFL) & O_ACCMODE == O_RDWR)
        #expect(fcntl(fd("hole"), F_GETFL) & O_ACCMODE == O_RDONLY)
        #expect((try? resources.descriptor(of: ResourceReference(name: "closed"))) == nil)
        #expect(status("sub").st_mode & S_IFMT == S_IFDIR)
        var target = [CChar](repeating: 0, count: 64)
        let length = readlink(sandbox.resolve("link"), &target, 63)
        #expect(length == 4 && text(target) == "text")
        // Pipes and socket pairs.
        #expect(fcntl(fd("p", .write), 1032 /* F_GETPIPE_SZ */) == 65536)
        #expect(fcntl(fd("nb", .read), F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd("p", .read), F_GETFL) & O_NONBLOCK == 0)
        func socketType(_ fd: Int32) -> Int32 {
            var value: Int32 = 0
            var size = socklen_t(4)
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &size)
            return value
        }
        #expect(socketType(fd("s", .a)) == Int32(SOCK_STREAM.rawValue))
        #expect(socketType(fd("d", .b)) == Int32(SOCK_DGRAM.rawValue))
        #expect(fcntl(fd("d", .a), F_GETFL) & O_NONBLOCK != 0)
        // Network: listening, bound to loopback, connected pairs.
        var listening: Int32 = 0
        var size = socklen_t(4)
        getsockopt(fd("l"), SOL_SOCKET, SO_ACCEPTCONN, &listening, &size)
        #expect(listening == 1)
        let listener = try? IoUring::SocketAddress.local(of: fd("l"))
        #expect(listener.map { "\($0)".hasPrefix("127.0.0.1:") && $0.port != 0 } == true)
        #expect((try? IoUring::SocketAddress.local(of: fd("l6"))).map { "\($0)".hasPrefix("[::1]:") } == true)
        #expect((try? IoUring::SocketAddress.local(of: fd("u"))).map { $0.port != 0 } == true)
        #expect(socketType(fd("u")) == Int32(SOCK_DGRAM.rawValue))
        for pair in ["conn", "up"] {
            let client = fd(pair, .client), server = fd(pair, .server)
            let clientPeer = try? IoUring::SocketAddress.remote(of: client)
            let serverPeer = try? IoUring::SocketAddress.remote(of: server)
            #expect(clientPeer != nil && clientPeer == (try? IoUring::SocketAddress.local(of: server)))
            #expect(serverPeer != nil && serverPeer == (try? IoUring::SocketAddress.local(of: client)))
        }
        // eventfd with its initial value, epoll.
        var counter: UInt64 = 0
        #expect(read(fd("efd"), &counter, 8) == 8 && counter == 3)
        #expect(read(fd("efd"), &counter, 8) == -1)
        var link = [CChar](repeating: 0, count: 64)
        _ = readlink("/proc/self/fd/\(fd("ep"))", &link, 63)
        #expect(text(link) == "anon_inode:[eventpoll]")
        for name in ["text", "sub", "efd", "ep", "l", "u"] { #expect(fcntl(fd(name), F_GETFD) & FD_CLOEXEC != 0) }
        for (name, end) in [("p", Endpoint.read), ("p", .write), ("s", .a), ("conn", .server), ("up", .client)] {
            #expect(fcntl(fd(name, end), F_GETFD) & FD_CLOEXEC != 0)
        }
        // Buffers and iovecs.
        let buffer = resources.handles["buf"]?.buffer
        #expect(buffer?.bytes() == [UInt8](repeating: 0xAA, count: 16))
        #expect(resources.handles["pre"]?.buffer?.bytes() == Array("prefilled".utf8))
        let slices = (try? resources.iovecs("vec")) ?? []
        #expect(slices.map(\.count) == [16, 4] && slices.map(\.offset) == [0, 2])
        #expect(slices.last?.buffer === resources.handles["pre"]?.buffer)
        // The child is alive and ours.
        let pid = try? resources.process(.resource("child"))
        #expect(pid.map { kill($0, 0) == 0 } == true)
    }

    @Test func theSandboxIsRemovedUnlessKept() throws {
        let base = "/tmp/ringscript-runner-tests-\(getpid())"
        mkdir(base, 0o755)
        defer { rmdir(base) }
        let yaml = """
            name: leaves a file
            resources:
              out: { file: { path: out/x.txt, content: "kept" } }
            steps:
              - nop
            """
        let removed = try execute(yaml, options: ExecutionOptions(sandboxBase: base))
        #expect(removed.keptSandbox == nil)
        let kept = try execute(yaml, options: ExecutionOptions(keepSandbox: true, sandboxBase: base))
        let path = try #require(kept.keptSandbox)
        #expect(path.hasPrefix(base + "/ringscript-test-"))
        var status = stat()
        #expect(lstat(path + "/out/x.txt", &status) == 0)
        removeTree(path)
        #expect(rmdir(base) == 0, "the removed run left its sandbox behind")
        mkdir(base, 0o755)
    }
}

@Suite struct TeardownTests {
    /// (device, inode) of every descriptor open in this process.
    static func openFiles() -> Set<[UInt64]> {
        var found = Set<[UInt64]>()
        guard let directory = opendir("/proc/self/fd") else { return found }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name) else { continue }
            var status = stat()
            if fstat(fd, &status) == 0 { found.insert([UInt64(status.st_dev), UInt64(status.st_ino)]) }
        }
        return found
    }

    static func identity(_ fd: Int32) -> [UInt64]? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }

    @Test func everyDescriptorIsClosedAndEveryChildReaped() throws {
        var identities: [[UInt64]] = []
        var child: pid_t = 0
        let observer = RecordingObserver()
        let accepted = AcceptedSocketObserver(userData: 2)
        let result = try execute("""
            name: leaves nothing behind
            resources:
              f:     { file: { content: "x" } }
              p:     { pipe: {} }
              s:     { socketpair: {} }
              l:     { tcp_listener: {} }
              conn:  { tcp_pair: {} }
              efd:   { eventfd: {} }
              ep:    { epoll: {} }
              child: { child_process: { exit_code: 0, delay: 10s } }
            steps:
              - openat: { path: f }
                id: open
                capture: fd
              - accept: { fd: l }
                id: acc
              - peer_connect: { to: l, count: 2 }
              - wait: acc
            """, observer: TraceFanOut([observer, accepted])) { execution in
            execution.inspectResources = { resources in
                // eventfds and epoll instances share one anonymous inode with every other in the
                // process, so only files, pipes and sockets can be told apart this way.
                for handle in resources.handles.values {
                    if case .eventfd = handle.resource.kind { continue }
                    if case .epoll = handle.resource.kind { continue }
                    if handle.fd >= 0, let identity = TeardownTests.identity(handle.fd) { identities.append(identity) }
                    for fd in handle.ends.values { if let identity = TeardownTests.identity(fd) { identities.append(identity) } }
                    if let pid = handle.pid { child = pid }
                }
            }
        }
        #expect(result.error == nil)
        #expect(identities.count == 8)
        let acceptedIdentity = try #require(accepted.identity)
        identities.append(acceptedIdentity)
        // The descriptors the ring opened (openat, accept) and the peer's sockets are gone too: nothing
        // left open refers to the sandbox's files, and the resources' own descriptors are all closed.
        let open = TeardownTests.openFiles()
        #expect(identities.allSatisfy { !open.contains($0) })
        #expect(observer.results.count == 2)
        // The child, still sleeping at the end, was killed and reaped.
        var status: Int32 = 0
        #expect(child > 0 && waitpid(child, &status, WNOHANG) == -1 && errno == ECHILD)
    }
}

/// Notes the identity of the descriptor a request's CQE returns, while it is still open.
final class AcceptedSocketObserver: TraceObserver {
    let userData: UInt64
    var identity: [UInt64]?

    init(userData: UInt64) { self.userData = userData }

    func observe(_ event: TraceEvent) {
        if case .completed(let observed) = event, observed.cqe.userData == userData, observed.cqe.res >= 0 {
            identity = TeardownTests.identity(observed.cqe.res)
        }
    }
}
