#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The engine's floor: queue `batch` IORING_OP_NOPs, submit them with one enter that waits for all of
/// them, reap them in one batch, repeat until `count` have completed. The same loop as bench/nop.c
/// over liburing, so the two figures compare.
public struct NopBenchmark: Sendable {
    public let count: Int
    public let batch: Int
    public let entries: UInt32

    public init(count: Int, batch: Int) {
        self.count = count
        self.batch = batch
        var entries: UInt32 = 1
        while entries < UInt32(batch) { entries <<= 1 }
        self.entries = entries
    }

    public struct Result: Sendable {
        public let operations: Int
        public let nanoseconds: UInt64
        public var nanosecondsPerOperation: Double { Double(nanoseconds) / Double(operations) }
        public var operationsPerSecond: Double { Double(operations) * 1e9 / Double(nanoseconds) }
    }

    public func run() throws(IoUringError) -> Result {
        var ring = try IoUring(entries: entries)
        var completed = 0
        var failures = 0
        let start = Self.monotonicNanoseconds()
        while completed < count {
            let round = min(batch, count - completed)
            for index in 0..<round { try ring.nop(userData: UInt64(completed + index)) }
            try ring.submit(andWaitFor: UInt32(round))
            var reaped = 0
            while reaped < round {
                reaped += try ring.forEachCQE(waitFor: UInt32(round - reaped)) { cqe in
                    if cqe.res != 0 { failures += 1 }
                }
            }
            completed += round
        }
        let elapsed = Self.monotonicNanoseconds() - start
        guard failures == 0 else { throw .invalidArgument("\(failures) nops completed with an error") }
        return Result(operations: completed, nanoseconds: elapsed)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// Ring setup and teardown: `IoUring(entries:)` then deinit, `count` times; the median, as bench/setup.c
/// measures io_uring_queue_init + io_uring_queue_exit.
public struct SetupBenchmark: Sendable {
    public let count: Int
    public let entries: UInt32

    public init(count: Int, entries: UInt32) {
        self.count = count
        self.entries = entries
    }

    /// The median setup + teardown time in nanoseconds.
    public func run() throws(IoUringError) -> UInt64 {
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        for _ in 0..<max(count, 1) {
            let start = NopBenchmark.monotonicNanoseconds()
            do {
                let ring = try IoUring(entries: entries)
                _ = consume ring
            }
            samples.append(NopBenchmark.monotonicNanoseconds() - start)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
