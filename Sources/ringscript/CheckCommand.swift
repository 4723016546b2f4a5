#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Planner
import Runner
import Scenario

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate scenario files without running them; diagnostics go to stderr.",
        discussion: "Exits 0 when every scenario is valid and 2 otherwise. Directories are searched for .yaml files."
    )

    @Argument(help: "Scenario files or directories.")
    var paths: [String] = []

    @Flag(help: "Accept paths outside the sandbox, as if each scenario said allow_outside_sandbox: true.")
    var allowOutsideSandbox = false

    @OptionGroup
    var limitOptions: LimitOptions

    @Flag(help: "Print how long parsing, validation and planning took for each file.")
    var timing = false

    @Flag(help: "Print the validated model of each scenario (nodes, edges, expectations).")
    var dump = false

    @Option(help: ArgumentHelp("Check a generated scenario with this many SQEs instead of files.", valueName: "count"))
    var synthetic: Int?

    func validate() throws {
        if paths.isEmpty && synthetic == nil { throw ValidationError("give at least one scenario file or directory") }
        if let synthetic, !(1...10_000_000).contains(synthetic) { throw ValidationError("--synthetic must be in 1...10000000") }
    }

    func run() throws {
        let options = LoadOptions(allowOutsideSandbox: allowOutsideSandbox, limits: limitOptions.limits)
        var report: CheckReport
        if let synthetic {
            let text = SyntheticScenario.text(requests: synthetic)
            report = CheckReport(files: [ScenarioChecker.check(text: text, file: "synthetic-\(synthetic).yaml", options: options)])
        } else {
            report = ScenarioChecker.check(paths: paths, options: options)
        }
        // Planning is what `run` does next with a valid scenario: its refusals are check's too.
        report.planValidFiles()
        if dump {
            for file in report.files {
                if let scenario = file.scenario { print(scenario.dump(), terminator: "") }
            }
        }
        if timing { for line in report.timingLines { print(line) } }
        fflush(nil)
        writeStandardError(report.renderedDiagnostics)
        if !report.isValid { throw ExitCode(report.exitCode) }
    }
}
