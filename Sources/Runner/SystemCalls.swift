internal import CIoUring
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring

/// Thin wrappers over the system calls the runner makes outside the ring (creating resources, acting
/// as a peer). Each failure names the call and its errno. This file is the runner's one place for raw
/// memory: the pointers these calls take, and the run's SQE templates and CQE batches (at the end).
enum System {
    /// The current errno as an `Errno`.
    static var errno: Errno { Errno(rawValue: Glibc.errno) }

    /// Fails with `call` and errno when `result` is negative.
    @discardableResult
    static func check(_ result: Int32, _ call: @autoclosure () -> String) throws(RunnerError) -> Int32 {
        guard result >= 0 else { throw .system(call(), errno) }
        return result
    }

    /// Writes every byte of `bytes` to `fd`, retrying short writes and EINTR; with a `deadline`, waits
    /// for a full pipe or socket buffer to drain (poll(2) POLLOUT) until then. Returns the bytes written
    /// and the errno that stopped it, if any.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], until deadline: ContinuousClock.Instant? = nil,
                         using call: (Int32, UnsafeRawBufferPointer) -> Int = { fd, raw in Glibc.write(fd, raw.baseAddress, raw.count) })
        -> (Int, Errno?) {
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { call(fd, $0) }
            if count > 0 {
                written += count
                continue
            }
            let error = errno
            if error == .EINTR { continue }
            if error == .EAGAIN, let deadline, waitFor(fd, events: Int16(POLLOUT), until: deadline) { continue }
            return (written, count == 0 ? nil : error)
        }
        return (written, nil)
    }

    /// Writes `bytes` to `fd` as a peer does, never blocking past `deadline`, whatever the descriptor's
    /// own O_NONBLOCK says: a socket is written with MSG_DONTWAIT; a pipe through a second, nonblocking
    /// open of it (/proc/self/fd/N), so the ring's requests on the scenario's end see its flags
    /// unchanged; anything else (an eventfd) with O_NONBLOCK set just for the write. A full buffer is
    /// waited on (poll(2) POLLOUT) until `deadline`, then the write stops with EAGAIN and the bytes it
    /// got in. Returns the bytes written and the errno that stopped it, if any.
    static func peerWrite(_ fd: Int32, _ bytes: [UInt8], until deadline: ContinuousClock.Instant) -> (Int, Errno?) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { return (0, errno) }
        if flags & O_NONBLOCK != 0 { return writeAll(fd, bytes, until: deadline) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return (0, errno) }
        switch status.st_mode & S_IFMT {
        case S_IFSOCK:
            return writeAll(fd, bytes, until: deadline) { fd, raw in
                Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
            }
        case S_IFIFO:
            let reopened = open("/proc/self/fd/\(fd)", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard reopened >= 0 else {
                // ENXIO: no reader, so a write fails with EPIPE at once, without blocking.
                if errno == .ENXIO { return writeAll(fd, bytes, until: deadline) }
                return writeWithNonblockingSet(fd, flags, bytes, until: deadline)
            }
            defer { Glibc.close(reopened) }
            return writeAll(reopened, bytes, until: deadline)
        default:
            return writeWithNonblockingSet(fd, flags, bytes, until: deadline)
        }
    }

    private static func writeWithNonblockingSet(_ fd: Int32, _ flags: Int32, _ bytes: [UInt8],
                                                until deadline: ContinuousClock.Instant) -> (Int, Errno?) {
        guard fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return (0, errno) }
        defer { _ = fcntl(fd, F_SETFL, flags) }
        return writeAll(fd, bytes, until: deadline)
    }

    /// Waits until `fd` has `events` (poll(2)) or `deadline` passes; false on timeout or error. A
    /// deadline already past polls once without waiting.
    static func waitFor(_ fd: Int32, events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = deadline - ContinuousClock.now
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let milliseconds = remaining <= .zero ? 0 : Int32(clamping: max(remaining.components.seconds * 1000
                                                   + remaining.components.attoseconds / 1_000_000_000_000_000, 1))
            let result = poll(&entry, 1, milliseconds)
            if result > 0 { return entry.revents & (events | Int16(POLLHUP) | Int16(POLLERR)) != 0 }
            if result == 0 && milliseconds == 0 { return false }
            if result < 0 && errno != .EINTR { return false }
        }
    }

    /// Sleeps for `duration` (nanosleep(2)), resuming after signals.
    static func sleep(_ duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == .EINTR { request = remaining }
    }

    /// Creates every missing directory of `path`'s parents (mkdir -p of its dirname), mode 0755.
    static func makeParents(of path: String) throws(RunnerError) {
        var prefix = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (index, component) in components.enumerated() {
            prefix += (index == 0 ? "" : "/") + component
            if prefix.isEmpty { continue }
            if mkdir(prefix, 0o755) != 0 && errno != .EEXIST { throw .system("mkdir(\(prefix))", errno) }
        }
    }

    /// Calls `body` with `address` as a `sockaddr` and its length: the engine's encoding
    /// (`SocketAddress.withSockaddr`), after its checks (a unix path that does not fit is an error).
    static func withSockaddr<T>(_ address: SocketAddress, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) throws(RunnerError) -> T {
        do {
            try address.validate()
        } catch {
            throw .engine(error)
        }
        return address.withSockaddr(body)
    }

    /// SOCK_CLOEXEC and SOCK_NONBLOCK, for or-ing into a socket type.
    static let SOCK_CLOEXEC = Int32(Glibc.SOCK_CLOEXEC.rawValue)
    static let SOCK_NONBLOCK = Int32(Glibc.SOCK_NONBLOCK.rawValue)
    static let SOCK_STREAM = Int32(Glibc.SOCK_STREAM.rawValue)
    static let SOCK_DGRAM = Int32(Glibc.SOCK_DGRAM.rawValue)
    /// F_SETPIPE_SZ, from CIoUring (Swift's Glibc module leaves the _GNU_SOURCE part of <fcntl.h> out).
    static let F_SETPIPE_SZ = CIoUring.F_SETPIPE_SZ

    /// pipe2(2) and accept4(2), declared by CIoUring because Swift's Glibc module hides them behind
    /// _GNU_SOURCE: pipes and accepted sockets are close-on-exec from the start (a child spawned
    /// meanwhile by another scenario must not inherit a pipe end and hold it open).
    static func pipe2(_ fds: UnsafeMutablePointer<Int32>?, _ flags: Int32) -> Int32 { CIoUring.pipe2(fds, flags) }
    static func accept4(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?,
                        _ flags: Int32) -> Int32 {
        CIoUring.accept4(fd, address, length, flags)
    }

    /// A socket of `family` and `type`, always close-on-exec.
    static func socket(family: Int32, type: Int32, nonblocking: Bool = false) throws(RunnerError) -> Int32 {
        let flags = SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0)
        return try check(Glibc.socket(family, type | flags, 0), "socket(\(family == AF_INET6 ? "AF_INET6" : "AF_INET"))")
    }

    static func bind(_ fd: Int32, _ address: SocketAddress) throws(RunnerError) {
        let result = try withSockaddr(address) { Glibc.bind(fd, $0, $1) }
        try check(result, "bind(\(address))")
    }

    /// connect(2), waiting for a nonblocking connect to finish until `deadline`.
    static func connect(_ fd: Int32, _ address: SocketAddress, until deadline: ContinuousClock.Instant) throws(RunnerError) {
        let result = try withSockaddr(address) { Glibc.connect(fd, $0, $1) }
        if result == 0 { return }
        let error = errno
        guard error == .EINPROGRESS || error == .EINTR else { throw .system("connect(\(address))", error) }
        guard waitFor(fd, events: Int16(POLLOUT), until: deadline) else { throw .system("connect(\(address))", .ETIMEDOUT) }
        var status: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &status, &length)
        if status != 0 { throw .system("connect(\(address))", Errno(rawValue: status)) }
    }

    /// Sets or clears O_NONBLOCK.
    static func setNonblocking(_ fd: Int32, _ on: Bool) throws(RunnerError) {
        let flags = try check(fcntl(fd, F_GETFL), "fcntl(F_GETFL)")
        try check(fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK), "fcntl(F_SETFL)")
    }

    /// The loopback address of `family` on `port`.
    static func loopback(ipv6: Bool, port: UInt16) -> SocketAddress {
        ipv6 ? .loopbackIPv6(port: port) : .loopbackIPv4(port: port)
    }

    /// read(2) into `buffer`, from its start: the count read, or -1 with errno set.
    static func read(_ fd: Int32, into buffer: inout [UInt8]) -> Int {
        buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    }

    /// Everything `fd` holds until end of file, or its first `limit` bytes (read(2) in 64 KiB chunks,
    /// resuming after EINTR), or the errno of the read that failed.
    static func readToEnd(_ fd: Int32, upTo limit: UInt64 = .max) -> Result<[UInt8], Errno> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while UInt64(bytes.count) < limit {
            let count = read(fd, into: &chunk)
            if count < 0 {
                if errno == .EINTR { continue }
                return .failure(errno)
            }
            if count == 0 { break }
            bytes += chunk[0..<Int(min(UInt64(count), limit - UInt64(bytes.count)))]
        }
        return .success(bytes)
    }

    /// sendto(2) of `bytes` to `address`: the count sent, or -1 with errno set.
    static func send(_ fd: Int32, _ bytes: [UInt8], to address: SocketAddress, flags: Int32) throws(RunnerError) -> Int {
        try withSockaddr(address) { sockaddr, length in
            bytes.withUnsafeBytes { Glibc.sendto(fd, $0.baseAddress, $0.count, flags, sockaddr, length) }
        }
    }

    /// `value`'s bytes in the machine's byte order, as kernel structures (and eventfd counters) hold them.
    static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    /// The numbers of this process's open descriptors, from /proc/self/fd (the directory's own descriptor
    /// left out); nil without /proc.
    static func openDescriptors() -> [Int32]? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var open: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd != own { open.append(fd) }
        }
        return open
    }

    /// mkdtemp(3) of `template` (ending in XXXXXX): the directory's path, or nil with errno set.
    static func makeTemporaryDirectory(_ template: String) -> String? {
        var path = Array(template.utf8CString)
        guard path.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return nil }
        return String(decoding: path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `IoUring.SocketAddress` from a scenario's literal address.
    static func address(host: String, port: UInt16, ipv6: Bool) -> SocketAddress? {
        if ipv6 { return IPv6Address(host).map { .ipv6($0, port: port) } }
        return IPv4Address(host).map { .ipv4($0, port: port) }
    }
}

// MARK: - Memory the engine reads in place during a run

/// The SQE templates of a run, one per node (`SQETemplate.empty` where there is none), read in place by
/// the engine when it queues from them (`IoUring.queue(_:userData:…)`): the fast path of the
/// "scenario nops (repeat)" and "randread scenario" rows of bench/run.sh.
struct SQETemplates: ~Copyable {
    private let base: UnsafeMutablePointer<SQETemplate>
    private let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: SQETemplate.empty, count: count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(node: Int) -> SQETemplate {
        get { base[node] }
        nonmutating set { base[node] = newValue }
    }

    /// Queues one SQE from the template of `node`, with its own user_data (and offset, address).
    func queue(_ node: Int, on ring: inout IoUring, userData: UInt64, offset: UInt64?, address: UInt64?) throws(IoUringError) {
        try ring.queue(base + node, userData: userData, offset: offset, address: address)
    }

    /// Queues `count` SQEs from the template of `node`, with consecutive user_data from `firstUserData`.
    func queue(_ node: Int, on ring: inout IoUring, firstUserData: UInt64, count: Int) throws(IoUringError) {
        try ring.queue(base + node, firstUserData: firstUserData, count: count)
    }

    /// Queues `rounds` times the templates of `first..<first + length`, with consecutive user_data;
    /// `fields` sets each SQE's offset and address.
    func queue(_ first: Int, length: Int, rounds: Int, on ring: inout IoUring, firstUserData: UInt64,
               fields: (_ template: Int, _ userData: UInt64, _ offset: inout UInt64, _ address: inout UInt64) -> Void)
        throws(IoUringError) {
        try ring.queue(base + first, length: length, rounds: rounds, firstUserData: firstUserData, fields: fields)
    }
}

/// CQEs copied out of the CQ in batches (`IoUring.copyReadyCQEs`), then handled: dense ones checked by
/// batches in place (`CheckerCore.completedDense`), the others one by one.
struct CQEBatch: ~Copyable {
    private let buffer: UnsafeMutableBufferPointer<CompletionQueueEntry>

    init(capacity: Int) {
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
    }

    var capacity: Int { buffer.count }

    subscript(index: Int) -> CompletionQueueEntry { buffer[index] }

    /// Copies the CQEs that are ready (as many as fit) from the start of the batch; returns how many.
    func copyReady(from ring: inout IoUring) -> Int {
        ring.copyReadyCQEs(into: buffer)
    }

    /// Copies at most `maximum` ready CQEs from the start of the batch (a `reap: N` step); returns how many.
    func copyReady(from ring: inout IoUring, maximum: Int) -> Int {
        ring.copyReadyCQEs(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<min(maximum, buffer.count)]))
    }

    /// `CheckerCore.completedDense` over `start..<end` of the batch.
    func completedDense(by core: inout CheckerCore, from start: Int, to end: Int, arrival: Int,
                        elapsed: () -> Duration) -> Int {
        core.completedDense(buffer, from: start, to: end, arrival: arrival, elapsed: elapsed)
    }
}
