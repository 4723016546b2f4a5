#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

/// Which opcodes the running kernel supports, from IORING_REGISTER_PROBE.
public struct Probe: Hashable, Sendable {
    /// The highest opcode number the kernel knows.
    public let lastOpcode: UInt8
    /// Supported opcode numbers.
    public let supported: Set<UInt8>

    public init(lastOpcode: UInt8, supported: Set<UInt8>) {
        self.lastOpcode = lastOpcode
        self.supported = supported
    }

    /// Whether the kernel supports `opcode`. Matches io_uring_opcode_supported() in liburing.
    public func supports(_ opcode: Opcode) -> Bool { supported.contains(opcode.rawValue) }

    /// Whether the kernel supports the opcode number `rawOpcode`.
    public func supports(rawOpcode: UInt8) -> Bool { supported.contains(rawOpcode) }
}

extension IoUring {
    /// Asks the kernel which opcodes it supports (IORING_REGISTER_PROBE). Matches io_uring_get_probe_ring().
    public func probe() throws(IoUringError) -> Probe {
        let capacity = 256
        let byteCount = MemoryLayout<io_uring_probe>.size + capacity * MemoryLayout<io_uring_probe_op>.stride
        let memory = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 8)
        defer { memory.deallocate() }
        memset(memory, 0, byteCount)
        let result = CIoUring_register(fd, UInt32(IORING_REGISTER_PROBE), memory, UInt32(capacity))
        guard result >= 0 else { throw .syscall(.register(UInt32(IORING_REGISTER_PROBE)), Errno(rawValue: -result)) }
        let header = memory.load(as: io_uring_probe.self)
        let operations = (memory + MemoryLayout<io_uring_probe>.size).assumingMemoryBound(to: io_uring_probe_op.self)
        var supported = Set<UInt8>()
        for index in 0..<Int(header.ops_len) where operations[index].flags & UInt16(IO_URING_OP_SUPPORTED) != 0 {
            supported.insert(operations[index].op)
        }
        return Probe(lastOpcode: header.last_op, supported: supported)
    }

    /// Probes with a throwaway ring. Matches io_uring_get_probe() in liburing.
    public static func probe() throws(IoUringError) -> Probe {
        let ring = try IoUring(entries: 1)
        return try ring.probe()
    }
}

/// The running kernel's release, from uname(2).
public struct KernelRelease: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int
    /// The whole release string, `6.18.44-fc-v669`.
    public let string: String

    public init(major: Int, minor: Int, patch: Int = 0, string: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.string = string ?? "\(major).\(minor).\(patch)"
    }

    /// Parses `6.18`, `6.18.44` or `6.18.44-anything`.
    public init?(parsing text: String) {
        let numeric = text.prefix { $0.isNumber || $0 == "." }
        let parts = numeric.split(separator: ".").compactMap { Int($0) }
        guard parts.count >= 2 else { return nil }
        self.init(major: parts[0], minor: parts[1], patch: parts.count > 2 ? parts[2] : 0, string: text)
    }

    /// The release of the kernel this process runs on.
    public static var current: KernelRelease {
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return KernelRelease(parsing: release) ?? KernelRelease(major: 0, minor: 0, string: release)
    }

    public var description: String { string }

    public static func < (lhs: KernelRelease, rhs: KernelRelease) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public static func == (lhs: KernelRelease, rhs: KernelRelease) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) == (rhs.major, rhs.minor, rhs.patch)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
    }
}
