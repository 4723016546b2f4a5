#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IoUring

/// A fresh directory under /tmp for one test, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "ioring") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(result != nil, "mkdtemp failed: \(errno)")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() {
        _ = system("rm -rf '\(path)'")
    }
}

/// Submits what is queued and returns exactly `count` CQEs, failing the test instead of hanging.
func reap(_ ring: inout IoUring, _ count: Int, timeout: Duration = .seconds(5)) throws -> [CompletionQueueEntry] {
    var cqes: [CompletionQueueEntry] = []
    let start = ContinuousClock.now
    try ring.submit()
    while cqes.count < count {
        let remaining = timeout - (ContinuousClock.now - start)
        if remaining <= .zero { break }
        try ring.waitCQEs(UInt32(count - cqes.count), timeout: remaining) { cqes.append($0) }
    }
    #expect(cqes.count == count, "expected \(count) CQEs, got \(cqes.count): \(cqes)")
    return cqes
}

/// Writes `bytes` to a new file at `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
    precondition(fd >= 0, "open(\(path)) failed: \(errno)")
    bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

/// The whole content of the file at `path`, or nil when it cannot be read.
func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        result += chunk[0..<n]
    }
    return result
}

/// `-errno` as a CQE carries it.
func negated(_ errno: Errno) -> Int32 { -errno.rawValue }

/// Skips the running test with `reason` (shown in the test report), for features the kernel lacks.
func skip(_ reason: String) throws -> Never {
    try Test.cancel(Comment(rawValue: reason))
}

/// A ring, or a skip naming the flags when the kernel refuses them with EINVAL/EPERM.
func ringOrSkip(entries: UInt32, parameters: RingParameters) throws -> IoUring {
    do {
        return try IoUring(entries: entries, parameters: parameters)
    } catch {
        if error == .syscall(.setup, .EPERM) || error == .syscall(.setup, .EINVAL) {
            try skip("io_uring_setup refused flags 0x\(String(parameters.flags.rawValue, radix: 16)): \(error)")
        }
        throw error
    }
}
