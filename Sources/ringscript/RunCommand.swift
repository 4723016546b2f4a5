#if canImport(Glibc)
import Glibc
#endif
import Runner
import Scenario

enum RunCommand {
    static let spec = CommandSpec(
        name: "run",
        abstract: "Run scenarios on the real kernel and check every CQE against the expectations.",
        discussion: """
        Exit status: 0 when every scenario passed (skips and expected failures allowed), 1 when one failed, \
        2 for invalid input or usage, 77 when the single scenario run was skipped.
        """,
        options: [
            .option("--filter", value: "filter", "Run only scenarios whose path or name contains PATTERN (a glob when it has * ? or [)."),
            .option("--tag", value: "tag", "Run only scenarios with this tag (repeatable)."),
            .option("-j", value: "j", "Scenarios to run at once, each on its own ring.", default: "1"),
            .option("--repeat", value: "repeat", "Run each scenario N times.", default: "1"),
            .flag("--until-fail", "Stop repeating a scenario at its first failure and report that iteration."),
            .option("--deadline", value: "deadline", "Deadline for each scenario, overriding the file's (e.g. 10s, 500ms)."),
            .flag("--fail-fast", "Start no new scenario after a failure."),
            .flag("--trace", "Log every SQE, io_uring_enter and CQE live on standard error."),
            .option("--format", value: "format", "Report format: text or json.", default: "text", values: ["text", "json"]),
            .option("--junit", value: "junit", "Also write a JUnit XML report to FILE."),
            .flag("--tap", "Report in TAP version 14 (readable by KTAP/kselftest runners) instead of text."),
            .option("--shard", value: "shard", "Run shard K of N (K/N, 1-based), by position in the stable order."),
            .flag("--keep-sandbox", "Keep each scenario's sandbox directory and print where it is."),
            .flag("--allow-outside-sandbox", "Allow paths outside the scenario's sandbox (absolute, .., symlinks)."),
        ],
        positional: PositionalSpec(name: "paths", help: "Scenario files or directories (searched recursively for *.yaml).",
                                   repeating: true, required: false, defaultValue: "scenarios"),
        run: run
    )

    static func run(_ arguments: ParsedArguments) throws {
        let jobs = try arguments.integer("j", 1)
        let repetitions = try arguments.integer("repeat", 1)
        let shard = arguments.value("shard")
        let deadline = arguments.value("deadline")
        guard jobs >= 1 else { throw UsageError("-j must be at least 1") }
        guard repetitions >= 1 else { throw UsageError("--repeat must be at least 1") }
        if let shard, Selection.parseShard(shard) == nil {
            throw UsageError("--shard takes K/N with 1 ≤ K ≤ N, not '\(shard)'")
        }
        if let deadline, DurationText.parse(deadline) == nil {
            throw UsageError("--deadline takes a duration like 10s, 500ms or 1.5s, not '\(deadline)'")
        }
        let interactive = isatty(1) != 0
        let options = RunSessionOptions(
            suite: SuiteOptions(
                selection: Selection(filter: arguments.value("filter"), tags: arguments.all("tag"),
                                     shard: shard.flatMap(Selection.parseShard)),
                jobs: jobs, repetitions: repetitions, untilFail: arguments.flag("until-fail"),
                failFast: arguments.flag("fail-fast"),
                loadOptions: LoadOptions(allowOutsideSandbox: arguments.flag("allow-outside-sandbox"))),
            deadline: deadline.flatMap(DurationText.parse),
            keepSandbox: arguments.flag("keep-sandbox"), trace: arguments.flag("trace"),
            format: arguments.value("format") == "json" ? .json : .text, junitPath: arguments.value("junit"),
            tap: arguments.flag("tap"),
            color: interactive && getenv("NO_COLOR") == nil,
            progress: interactive && isatty(2) != 0)
        let status = RunSession.run(paths: arguments.positionals, options: options)
        if status != .success { throw ProcessExit(status.rawValue) }
    }
}
