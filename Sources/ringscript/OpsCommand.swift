import ArgumentParser
import Runner
import Scenario

struct OpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "List every SQE op and registration step of the op table; with --coverage, which have a scenario.",
        discussion: """
            With --coverage DIR, counts the scenario files under DIR whose steps use each op and registration, \
            then each kernel opcode (every IORING_OP_* of Linux 6.18) with its typed ops and scenario files, and \
            exits 1 when an op or registration has no scenario or an opcode has no typed op or no scenario (they \
            are listed), 2 when a scenario file is invalid.
            """
    )

    @Option(help: ArgumentHelp("Count the scenario files under DIR that use each op and registration.", valueName: "DIR"))
    var coverage: String?

    @Flag(help: "Accept paths outside the sandbox, as if each scenario said allow_outside_sandbox: true.")
    var allowOutsideSandbox = false

    func run() throws {
        guard let coverage else {
            print(OpCoverage.table, terminator: "")
            return
        }
        let result = OpCoverage.measure(paths: [coverage], options: LoadOptions(allowOutsideSandbox: allowOutsideSandbox))
        print(result.text(withCounts: true), terminator: "")
        if !result.invalid.isEmpty {
            var sources: [String: String] = [:]
            for file in result.invalid { sources[file.path] = file.text }
            fflush(nil)
            writeStandardError(DiagnosticRenderer(sources: sources).render(result.invalid.flatMap(\.diagnostics)))
            throw ExitCode(2)
        }
        if !result.uncovered.isEmpty || !result.uncoveredOpcodes.isEmpty { throw ExitCode(1) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
