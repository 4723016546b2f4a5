import ArgumentParser
import IoUring

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine.",
        subcommands: [NopBench.self, SetupBench.self]
    )
}

struct NopBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nop",
        abstract: "Submit and reap IORING_OP_NOPs in batches; print ns per nop and nops per second."
    )

    @Option(help: "How many nops in total.")
    var count = 2_000_000

    @Option(help: "How many nops per io_uring_enter.")
    var batch = 32

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard (1...32768).contains(batch) else { throw ValidationError("--batch must be in 1...32768") }
    }

    func run() throws {
        let result = try NopBenchmark(count: count, batch: batch).run()
        let perOp = (result.nanosecondsPerOperation * 10).rounded() / 10
        print("nop batch \(batch): \(perOp) ns/op, \(Int(result.operationsPerSecond)) ops/s (\(result.operations) ops)")
    }
}

struct SetupBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Set up and tear down a ring repeatedly; print the median time."
    )

    @Option(help: "How many setups.")
    var count = 2000

    @Option(help: "SQ entries of each ring.")
    var entries: UInt32 = 256

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let median = try SetupBenchmark(count: count, entries: entries).run()
        print("setup+teardown \(entries) entries: \(Double(median / 100) / 10) µs median (\(count) rings)")
    }
}
