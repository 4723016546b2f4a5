#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import IoUring
import Runner

@main
struct RingScript: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringscript",
        abstract: "Run io_uring scenarios on the real kernel and report where reality differs.",
        subcommands: [RunCommand.self, CheckCommand.self, PlanCommand.self, SchemaCommand.self, OpsCommand.self, ProbeCommand.self, BenchCommand.self]
    )

    /// Parses and runs; usage errors exit with 2 (ringscript's "invalid input or usage") rather than
    /// argument-parser's 64, so that scripts need to know one code for bad input.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if let status = usageExitStatus(for: error) {
                writeStandardError(fullMessage(for: error))
                Glibc.exit(status)
            }
            exit(withError: error)
        }
    }

    /// 2 for an error that argument-parser would report as a usage error (EX_USAGE); nil otherwise.
    static func usageExitStatus(for error: any Error) -> Int32? {
        exitCode(for: error) == .validationFailure ? ExitStatus.invalidInput.rawValue : nil
    }
}
