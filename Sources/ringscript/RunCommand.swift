#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Runner
import Scenario

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenarios on the real kernel and check every CQE against the expectations.",
        discussion: """
        Exit status: 0 when every scenario passed (skips and expected failures allowed), 1 when one failed, \
        2 for invalid input or usage, 77 when the single scenario run was skipped.
        """
    )

    @Argument(help: ArgumentHelp("Scenario files or directories (searched recursively for *.yaml).", valueName: "path"))
    var paths: [String] = ["scenarios"]

    @Option(help: ArgumentHelp("Run only scenarios whose path or name contains PATTERN (a glob when it has * ? or [).", valueName: "pattern"))
    var filter: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("Run only scenarios with this tag (repeatable).", valueName: "tag"))
    var tags: [String] = []

    @Option(name: .customShort("j"), help: ArgumentHelp("Scenarios to run at once, each on its own ring.", valueName: "n"))
    var jobs = 1

    @Option(help: ArgumentHelp("Run each scenario N times.", valueName: "n"))
    var `repeat` = 1

    @Flag(help: "Stop repeating a scenario at its first failure and report that iteration.")
    var untilFail = false

    @Option(help: ArgumentHelp("Deadline for each scenario, overriding the file's (e.g. 10s, 500ms).", valueName: "duration"))
    var deadline: String?

    @Flag(help: "Start no new scenario after a failure.")
    var failFast = false

    @Flag(help: "Log every SQE, io_uring_enter and CQE live on standard error.")
    var trace = false

    @Option(help: "Report format: text or json.")
    var format: RunSessionOptions.Format = .text

    @Option(help: ArgumentHelp("Also write a JUnit XML report to FILE.", valueName: "file"))
    var junit: String?

    @Flag(help: "Report in TAP version 14 (readable by KTAP/kselftest runners) instead of text.")
    var tap = false

    @Option(help: ArgumentHelp("Run shard K of N (1-based), by position in the stable order.", valueName: "k/n"))
    var shard: String?

    @Flag(help: "Keep each scenario's sandbox directory and print where it is.")
    var keepSandbox = false

    @Flag(help: "Allow paths outside the scenario's sandbox (absolute, .., symlinks).")
    var allowOutsideSandbox = false

    @OptionGroup
    var limitOptions: LimitOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("-j must be at least 1") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
        if let shard, Selection.parseShard(shard) == nil {
            throw ValidationError("--shard takes K/N with 1 ≤ K ≤ N, not '\(shard)'")
        }
        if let deadline, DurationText.parse(deadline) == nil {
            throw ValidationError("--deadline takes a duration like 10s, 500ms or 1.5s, not '\(deadline)'")
        }
    }

    func run() throws {
        let interactive = isatty(1) != 0
        let options = RunSessionOptions(
            suite: SuiteOptions(
                selection: Selection(filter: filter, tags: tags, shard: shard.flatMap(Selection.parseShard)),
                jobs: jobs, repetitions: `repeat`, untilFail: untilFail, failFast: failFast,
                loadOptions: LoadOptions(allowOutsideSandbox: allowOutsideSandbox, limits: limitOptions.limits)),
            deadline: deadline.flatMap(DurationText.parse),
            keepSandbox: keepSandbox, trace: trace, format: format, junitPath: junit, tap: tap,
            color: interactive && getenv("NO_COLOR") == nil,
            progress: interactive && isatty(2) != 0)
        let status = RunSession.run(paths: paths, options: options)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

extension RunSessionOptions.Format: ExpressibleByArgument {}
