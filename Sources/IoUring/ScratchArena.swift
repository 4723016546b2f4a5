#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Stable memory for the small things an SQE points at — timespecs, socket addresses, paths, iovec
/// arrays, message headers, fd arrays. Chunks are never moved or freed while a request may use them:
/// the ring resets the arena only when it is quiescent, and leaks it on purpose if it cannot prove that.
final class ScratchArena {
    private static let chunkSize = 64 * 1024

    private var chunks: [UnsafeMutableRawPointer] = []
    private var chunkSizes: [Int] = []
    private var current = 0
    private var used = 0

    init() {}

    deinit {
        for chunk in chunks { free(chunk) }
    }

    /// Whether anything has been allocated since the last reset.
    var isEmpty: Bool { current == 0 && used == 0 }

    /// Bytes allocated in total (for tests of constant-memory behaviour).
    var capacity: Int { chunkSizes.reduce(0, +) }

    /// Allocations made since the arena was created (never reset): lets a caller tell whether an SQE
    /// it just queued points into the arena.
    private(set) var allocations = 0

    /// Uninitialised, zeroed storage for `byteCount` bytes aligned to `alignment`.
    func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        allocations &+= 1
        let size = max(byteCount, 1)
        while true {
            if current < chunks.count {
                let start = (used + alignment - 1) & ~(alignment - 1)
                if start + size <= chunkSizes[current] {
                    used = start + size
                    let pointer = chunks[current] + start
                    memset(pointer, 0, size)
                    return pointer
                }
                current += 1
                used = 0
                continue
            }
            let newSize = max(ScratchArena.chunkSize, size + alignment)
            guard let chunk = malloc(newSize) else { fatalError("ScratchArena: malloc(\(newSize)) failed") }
            chunks.append(chunk)
            chunkSizes.append(newSize)
            current = chunks.count - 1
            used = 0
        }
    }

    /// A stable copy of `value`.
    func store<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let pointer = allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: 1)
        pointer.initialize(to: value)
        return pointer
    }

    /// A stable copy of `values`.
    func store<T>(contentsOf values: [T]) -> UnsafeMutablePointer<T> {
        let pointer = allocate(byteCount: MemoryLayout<T>.stride * values.count, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
        return pointer
    }

    /// A stable NUL-terminated copy of `string`.
    func store(cString string: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(string.utf8)
        let pointer = allocate(byteCount: utf8.count + 1, alignment: 1).bindMemory(to: CChar.self, capacity: utf8.count + 1)
        for (index, byte) in utf8.enumerated() { pointer[index] = CChar(bitPattern: byte) }
        pointer[utf8.count] = 0
        return pointer
    }

    /// Makes every chunk reusable. Only call when no request can still reference the memory.
    func reset() {
        // Keep one chunk for reuse; release the rest so a burst does not pin memory for ever.
        while chunks.count > 1 {
            free(chunks.removeLast())
            chunkSizes.removeLast()
        }
        current = 0
        used = 0
    }

    /// Gives up ownership without freeing: for memory the kernel may still write.
    func abandon() {
        chunks.removeAll()
        chunkSizes.removeAll()
        current = 0
        used = 0
    }
}
