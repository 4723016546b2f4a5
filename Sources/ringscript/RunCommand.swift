#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Checker
import Runner
import Scenario

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenarios on the real kernel and check every CQE against the expectations.",
        discussion: """
        Exit status: 0 when every scenario passed (skips and expected failures allowed), 1 when one failed \
        or timed out, 2 for invalid input or usage (an invalid file, no scenario matched, a report that \
        could not be written), 77 when the single scenario run was skipped, 128 + the signal when \
        SIGINT, SIGTERM or SIGHUP stopped the run (130, 143, 129) and 141 when standard output closed.
        """
    )

    /// The shortest `--deadline`: below it a ring cannot even be set up and torn down reliably, and
    /// every request would read as "never completed".
    static let minimumDeadline: Duration = .milliseconds(10)

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    @Argument(help: ArgumentHelp("Scenario files or directories (searched recursively for *.yaml); - reads one from standard input.", valueName: "path"))
    var paths: [String] = ["scenarios"]

    @Option(help: ArgumentHelp("Run only scenarios whose path or name contains PATTERN (a glob when it has * ? or [).", valueName: "pattern"))
    var filter: String?

    @Option(help: ArgumentHelp("Leave out scenarios whose path or name matches PATTERN, as --filter matches (repeatable).", valueName: "pattern"))
    var exclude: [String] = []

    @Option(name: .customLong("tag"), help: ArgumentHelp("Run only scenarios with this tag (repeatable).", valueName: "tag"))
    var tags: [String] = []

    @Option(name: .customShort("j"), parsing: .unconditional, help: ArgumentHelp("Scenarios to run at once, each on its own ring.", valueName: "n"))
    var jobs = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Run each scenario N times.", valueName: "n"))
    var `repeat` = 1

    @Flag(help: "Stop repeating a scenario at its first failure and report that iteration.")
    var untilFail = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Deadline for each scenario, overriding the file's (e.g. 10s, 500ms; at least 10ms).", valueName: "duration"))
    var deadline: String?

    @Flag(help: "Start no new scenario after a failure (--max-failures 1).")
    var failFast = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Start no new scenario after N failures.", valueName: "n"))
    var maxFailures: Int?

    @Flag(help: "Run the scenarios in a random order; the seed is printed so the order can be replayed.")
    var shuffle = false

    @Option(parsing: .unconditional, help: ArgumentHelp("The seed of --shuffle's order (implies --shuffle).", valueName: "n"))
    var seed: UInt64?

    @Flag(help: "List the scenarios that would run, in order, and run nothing.")
    var list = false

    @Flag(help: "Log every SQE, io_uring_enter and CQE live on standard error.")
    var trace = false

    @Option(help: "Report format on standard output: text, json (one document at the end) or jsonl (one object per line, streamed).")
    var format: RunSessionOptions.Format = .text

    @Option(help: ArgumentHelp("Also write a JUnit XML report to FILE.", valueName: "file"))
    var junit: String?

    @Flag(help: "Report in TAP (version 13, which prove and most harnesses read) instead of text.")
    var tap = false

    @Option(help: ArgumentHelp("The TAP version --tap writes: 13 or 14 (implies --tap).", valueName: "n"))
    var tapVersion: Int?

    @Flag(help: "Report in KTAP version 1 (kselftest, KUnit's parser) instead of text.")
    var ktap = false

    @Option(help: "Colour the text report: auto (a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    @Option(help: ArgumentHelp("Run shard K of N (1-based), by position in the stable order.", valueName: "k/n"))
    var shard: String?

    @Flag(help: "Keep each scenario's sandbox directory and print where it is.")
    var keepSandbox = false

    @Flag(help: "Allow paths outside the scenario's sandbox (absolute, .., symlinks).")
    var allowOutsideSandbox = false

    @OptionGroup
    var limitOptions: LimitOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("-j must be at least 1, not \(jobs)") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1, not \(`repeat`)") }
        if let maxFailures, maxFailures < 1 { throw ValidationError("--max-failures must be at least 1, not \(maxFailures)") }
        if let shard, Selection.parseShard(shard) == nil {
            throw ValidationError("--shard takes K/N with 1 ≤ K ≤ N, not '\(shard)'")
        }
        if let deadline {
            guard let duration = DurationText.parse(deadline) else {
                throw ValidationError("--deadline takes a duration like 10s, 500ms or 1.5s, not '\(deadline)'")
            }
            guard duration >= RunCommand.minimumDeadline else {
                throw ValidationError("--deadline must be at least 10ms, not '\(deadline)'")
            }
        }
        for (option, pattern) in (filter.map { [("--filter", $0)] } ?? []) + exclude.map({ ("--exclude", $0) }) {
            if let problem = Selection.problem(in: pattern) {
                throw ValidationError("\(option) '\(pattern)' is not a valid pattern: \(problem)")
            }
        }
        if let tapVersion, TAPVersion(rawValue: tapVersion) == nil {
            throw ValidationError("--tap-version takes 13 or 14, not \(tapVersion)")
        }
        let streams = [(tap || tapVersion != nil, "--tap"), (ktap, "--ktap"), (format != .text, "--format \(format.rawValue)")]
            .filter(\.0).map(\.1)
        if streams.count > 1 {
            throw ValidationError("\(streams.joined(separator: " and ")) both write standard output: choose one (--junit writes a file)")
        }
        if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("- (standard input) can be given once") }
    }

    func run() throws {
        let suite = SuiteOptions(
            selection: Selection(filter: filter, exclude: exclude, tags: tags, shard: shard.flatMap(Selection.parseShard)),
            jobs: jobs, repetitions: `repeat`, untilFail: untilFail, failFast: failFast, maxFailures: maxFailures,
            shuffleSeed: seed ?? (shuffle ? UInt64.random(in: 0...UInt64(UInt32.max)) : nil),
            loadOptions: LoadOptions(allowOutsideSandbox: allowOutsideSandbox, limits: limitOptions.limits))
        if list {
            let status = RunSession.list(paths: paths, suite: suite)
            if status != .success { throw ExitCode(status.rawValue) }
            return
        }
        let interactive = isatty(1) != 0
        let colour: Bool
        switch color {
        case .always: colour = true
        case .never: colour = false
        case .auto: colour = interactive && getenv("NO_COLOR").map({ String(cString: $0).isEmpty }) ?? true
        }
        let options = RunSessionOptions(
            suite: suite,
            deadline: deadline.flatMap(DurationText.parse),
            keepSandbox: keepSandbox, trace: trace, format: format, junitPath: junit,
            tap: tapVersion.flatMap(TAPVersion.init(rawValue:)) ?? (tap ? .v13 : nil), ktap: ktap,
            color: colour, progress: interactive && isatty(2) != 0, handleSignals: true)
        let status = RunSession.run(paths: paths, options: options)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

extension RunSessionOptions.Format: ExpressibleByArgument {}
