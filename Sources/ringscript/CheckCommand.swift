import Planner
import Scenario

enum CheckCommand {
    static let spec = CommandSpec(
        name: "check",
        abstract: "Validate scenario files without running them; diagnostics go to stderr.",
        discussion: "Exits 0 when every scenario is valid and 2 otherwise. Directories are searched for .yaml files.",
        options: [
            .flag("--allow-outside-sandbox", "Accept paths outside the sandbox, as if each scenario said allow_outside_sandbox: true."),
            .flag("--timing", "Print how long parsing, validation and planning took for each file."),
            .flag("--dump", "Print the validated model of each scenario (nodes, edges, expectations)."),
            .option("--synthetic", value: "count", "Check a generated scenario with this many SQEs instead of files."),
        ],
        positional: PositionalSpec(name: "paths", help: "Scenario files or directories.", repeating: true, required: false),
        run: run
    )

    static func run(_ arguments: ParsedArguments) throws {
        let synthetic = try arguments.value("synthetic").map { _ in try arguments.integer("synthetic", 0) }
        let paths = arguments.positionals
        if paths.isEmpty && synthetic == nil { throw UsageError("give at least one scenario file or directory") }
        if let synthetic, !(1...10_000_000).contains(synthetic) { throw UsageError("--synthetic must be in 1...10000000") }
        let options = LoadOptions(allowOutsideSandbox: arguments.flag("allow-outside-sandbox"))
        var report: CheckReport
        if let synthetic {
            let text = SyntheticScenario.text(requests: synthetic)
            report = CheckReport(files: [ScenarioChecker.check(text: text, file: "synthetic-\(synthetic).yaml", options: options)])
        } else {
            report = ScenarioChecker.check(paths: paths, options: options)
        }
        if arguments.flag("timing") {
            // Planning is what `run` does next with a valid scenario; timed, not reported (`plan` shows it).
            let clock = ContinuousClock()
            for index in report.files.indices {
                guard let scenario = report.files[index].scenario else { continue }
                let start = clock.now
                _ = Planner.plan(scenario)
                report.files[index].planDuration = clock.now - start
            }
        }
        var output = ""
        if arguments.flag("dump") {
            for file in report.files {
                if let scenario = file.scenario { output += scenario.dump() }
            }
        }
        if arguments.flag("timing") { for line in report.timingLines { output += line + "\n" } }
        writeAll(1, output)
        writeStandardError(report.renderedDiagnostics + "\n")
        if !report.isValid { throw ProcessExit(report.exitCode) }
    }
}
