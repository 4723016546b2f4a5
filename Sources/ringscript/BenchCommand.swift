import IoUring

enum BenchCommand {
    static let spec = CommandSpec(
        name: "bench",
        abstract: "Measure the engine.",
        subcommands: [nop, setup]
    )

    static let nop = CommandSpec(
        name: "nop",
        abstract: "Submit and reap IORING_OP_NOPs in batches; print ns per nop and nops per second.",
        options: [
            .option("--count", value: "count", "How many nops in total.", default: "2000000"),
            .option("--batch", value: "batch", "How many nops per io_uring_enter.", default: "32"),
        ],
        run: { arguments in
            let count = try arguments.integer("count", 2_000_000)
            let batch = try arguments.integer("batch", 32)
            guard count > 0 else { throw UsageError("--count must be positive") }
            guard (1...32768).contains(batch) else { throw UsageError("--batch must be in 1...32768") }
            let result = try NopBenchmark(count: count, batch: batch).run()
            let perOp = (result.nanosecondsPerOperation * 10).rounded() / 10
            writeAll(1, "nop batch \(batch): \(perOp) ns/op, \(Int(result.operationsPerSecond)) ops/s (\(result.operations) ops)\n")
        }
    )

    static let setup = CommandSpec(
        name: "setup",
        abstract: "Set up and tear down a ring repeatedly; print the median time.",
        options: [
            .option("--count", value: "count", "How many setups.", default: "2000"),
            .option("--entries", value: "entries", "SQ entries of each ring.", default: "256"),
        ],
        run: { arguments in
            let count = try arguments.integer("count", 2000)
            let entries = try arguments.integer("entries", 256)
            guard count > 0 else { throw UsageError("--count must be positive") }
            guard let sqEntries = UInt32(exactly: entries) else { throw UsageError("The value '\(entries)' is invalid for '--entries <entries>'") }
            let median = try SetupBenchmark(count: count, entries: sqEntries).run()
            writeAll(1, "setup+teardown \(entries) entries: \(Double(median / 100) / 10) µs median (\(count) rings)\n")
        }
    )
}
