import ArgumentParser
import IoUring

@main
struct RingScript: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringscript",
        abstract: "Run io_uring scenarios on the real kernel and report where reality differs.",
        subcommands: [RunCommand.self, CheckCommand.self, PlanCommand.self, SchemaCommand.self, OpsCommand.self, ProbeCommand.self, BenchCommand.self]
    )
}
