#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Memory the kernel may read or write while a request is in flight: a buffer, a statx result, a
/// message header. Allocated once, never moved. A ring that queues a request over it keeps a strong
/// reference until the ring is quiescent (every request it queued has posted its final CQE), so
/// dropping your own reference early can never free memory the kernel still uses.
public class KernelMemory: @unchecked Sendable {
    /// Stable address of the allocation; only the engine sees it.
    let base: UnsafeMutableRawPointer
    /// Size in bytes.
    public let byteCount: Int
    /// The retention token of the ring generation that holds this memory, or 0.
    var retainedBy: UInt64 = 0
    /// The `pinToken` of the ring that keeps this memory for its whole life (`IoUring.pin`), or 0.
    var pinnedBy: UInt64 = 0

    init(byteCount: Int, alignment: Int = 64) {
        precondition(byteCount >= 0, "negative size")
        var pointer: UnsafeMutableRawPointer?
        let status = posix_memalign(&pointer, max(alignment, MemoryLayout<UInt64>.alignment), max(byteCount, 1))
        guard status == 0, let pointer else { fatalError("posix_memalign(\(byteCount)) failed: \(status)") }
        memset(pointer, 0, max(byteCount, 1))
        base = pointer
        self.byteCount = byteCount
    }

    deinit { free(base) }

    @inline(__always)
    var address: UInt64 { UInt64(UInt(bitPattern: base)) }
}

/// A byte buffer that SQEs can read into or write from (`read`, `write`, `recv`, `send`, registered buffers…).
public final class IoBuffer: KernelMemory, BufferRegion, @unchecked Sendable {
    /// A zero-filled buffer of `count` bytes, page-aligned so it can also serve O_DIRECT and registration.
    public init(count: Int) {
        super.init(byteCount: count, alignment: 4096)
    }

    /// A buffer holding a copy of `bytes`.
    public convenience init(_ bytes: some Collection<UInt8>) {
        self.init(count: bytes.count)
        write(bytes, at: 0)
    }

    /// The number of bytes.
    public var count: Int { byteCount }

    public subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < byteCount, "index \(index) out of 0..<\(byteCount)")
            return base.load(fromByteOffset: index, as: UInt8.self)
        }
        set {
            precondition(index >= 0 && index < byteCount, "index \(index) out of 0..<\(byteCount)")
            base.storeBytes(of: newValue, toByteOffset: index, as: UInt8.self)
        }
    }

    /// A copy of the bytes in `range` (all of them by default).
    public func bytes(_ range: Range<Int>? = nil) -> [UInt8] {
        let range = range ?? 0..<byteCount
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "range \(range) out of 0..<\(byteCount)")
        return Array(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Copies `bytes` in at `offset`.
    public func write(_ bytes: some Collection<UInt8>, at offset: Int = 0) {
        precondition(offset >= 0 && offset + bytes.count <= byteCount, "write of \(bytes.count) at \(offset) overruns \(byteCount)")
        let target = UnsafeMutableRawBufferPointer(start: base + offset, count: bytes.count)
        target.copyBytes(from: bytes)
    }

    /// Sets every byte in `range` (all of them by default) to `byte`.
    public func fill(_ byte: UInt8, in range: Range<Int>? = nil) {
        let range = range ?? 0..<byteCount
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "range \(range) out of 0..<\(byteCount)")
        memset(base + range.lowerBound, Int32(byte), range.count)
    }

    /// A part of this buffer, for SQEs that should see only `range`.
    public func slice(_ range: Range<Int>) -> IoBufferSlice {
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "range \(range) out of 0..<\(byteCount)")
        return IoBufferSlice(buffer: self, offset: range.lowerBound, count: range.count)
    }

    public var region: IoBufferSlice { IoBufferSlice(buffer: self, offset: 0, count: byteCount) }
}

/// A contiguous part of an `IoBuffer`.
public struct IoBufferSlice: BufferRegion, Sendable {
    public let buffer: IoBuffer
    public let offset: Int
    public let count: Int

    public var region: IoBufferSlice { self }

    @inline(__always)
    var address: UInt64 { buffer.address + UInt64(offset) }
}

/// Something an SQE can point at as a byte range: an `IoBuffer` or a slice of one.
public protocol BufferRegion: Sendable {
    var region: IoBufferSlice { get }
}

/// A process-wide source of retention tokens, so a token never repeats while the process lives.
enum RetentionToken {
    private static let counter = Atomic<UInt64>(1)
    static func next() -> UInt64 { counter.add(1, ordering: .relaxed).newValue }
}
