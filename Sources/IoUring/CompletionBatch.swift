/// CQEs copied out of the CQ in batches (`copyReady(from:)`, `IoUring.copyReadyCQEs`), then read by index:
/// the runner hands dense ones to the checker's batch check in place, the others one by one. The memory
/// is the batch's own, allocated once.
public struct CompletionBatch: ~Copyable {
    @usableFromInline let buffer: UnsafeMutableBufferPointer<CompletionQueueEntry>

    public init(capacity: Int) {
        buffer = .allocate(capacity: capacity)
        buffer.initialize(repeating: CompletionQueueEntry(userData: 0, res: 0, flags: []))
    }

    /// A batch holding `entries` (CQEs not from a ring: a replayed trace, a test).
    public init(_ entries: [CompletionQueueEntry]) {
        buffer = .allocate(capacity: entries.count)
        _ = buffer.initialize(from: entries)
    }

    deinit {
        buffer.deallocate()
    }

    public var capacity: Int { buffer.count }

    /// The CQE at `index` (bounds-checked: `index` must be below `capacity`).
    @inlinable
    public subscript(index: Int) -> CompletionQueueEntry {
        precondition(index >= 0 && index < buffer.count, "CQE index out of the batch")
        return buffer[index]
    }

    /// Copies the CQEs that are ready (as many as fit) into the start of the batch; returns how many.
    public func copyReady(from ring: inout IoUring) -> Int {
        ring.copyReadyCQEs(into: buffer)
    }

    /// Copies at most `maximum` ready CQEs into the start of the batch (a `reap: N` step); returns how many.
    public func copyReady(from ring: inout IoUring, maximum: Int) -> Int {
        ring.copyReadyCQEs(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<min(maximum, buffer.count)]))
    }
}
