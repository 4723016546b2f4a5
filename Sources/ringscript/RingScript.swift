#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@main
enum RingScript {
    static let command = CommandSpec(
        name: "ringscript",
        abstract: "Run io_uring scenarios on the real kernel and report where reality differs.",
        subcommands: [RunCommand.spec, CheckCommand.spec, PlanCommand.spec, SchemaCommand.spec, ProbeCommand.spec,
                      BenchCommand.spec]
    )

    static func main() {
        CommandLineTool.main(command, Array(CommandLine.arguments.dropFirst()))
    }
}
