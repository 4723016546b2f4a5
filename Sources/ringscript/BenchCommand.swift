import ArgumentParser
import IoUring

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine.",
        subcommands: [NopBench.self]
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
