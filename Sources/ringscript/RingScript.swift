import ArgumentParser
import IoUring

@main
struct RingScript: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringscript",
        abstract: "Run io_uring scenarios on the real kernel and report where reality differs.",
        subcommands: [ProbeCommand.self, BenchCommand.self, CheckCommand.self, SchemaCommand.self]
    )
}
