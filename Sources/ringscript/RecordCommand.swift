#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Runner
import Scenario

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run scenarios on the real kernel and write what it did into their expect: blocks (golden tests).",
        discussion: """
        Each file is run --runs times; values the same in every run are written exactly, values that varied \
        as the set or range seen (with a comment), order only where it held in every run. Every byte \
        outside expect: is kept, and so are hand-written entries the kernel agrees with. Under CI (CI, \
        GITHUB_ACTIONS, BUILD_NUMBER… set) nothing is written without --force. Exit status: 0 recorded or \
        up to date; 1 a file could not be recorded, or (--diff) recording would change one; 2 invalid \
        input, usage, or a refusal under CI; 77 the single file was skipped.
        """
    )

    @Argument(help: ArgumentHelp("Scenario files or directories (searched recursively for *.yaml).", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("Runs of each scenario.", valueName: "n"))
    var runs = 5

    @Flag(help: "Print the unified diff recording would make instead of writing; exit 1 when there is one.")
    var diff = false

    @Flag(help: "Write new descriptors' exact numbers instead of \">= 0\".")
    var exactFds = false

    @Flag(help: "Replace hand-written entries the kernel contradicts (otherwise the file is left alone).")
    var overwrite = false

    @Flag(help: "Write even when a CI environment variable is set.")
    var force = false

    @Flag(help: "Record runs that hit the deadline, had an enter error or logged a kernel warning.")
    var allowTimeout = false

    @Flag(help: "Also record the bytes of the scenario's buffers and files.")
    var contents = false

    @Option(help: ArgumentHelp("Deadline for each run, overriding the file's (e.g. 10s, 500ms).", valueName: "duration"))
    var deadline: String?

    @Flag(help: "Allow paths outside the scenario's sandbox (absolute, .., symlinks).")
    var allowOutsideSandbox = false

    func validate() throws {
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be in 1...1000") }
        if let deadline, DurationText.parse(deadline) == nil {
            throw ValidationError("--deadline takes a duration like 10s, 500ms or 1.5s, not '\(deadline)'")
        }
    }

    func run() throws {
        var environment: [String: String] = [:]
        for name in RecordOptions.continuousIntegrationVariables {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        let options = RecordOptions(runs: runs, exactDescriptors: exactFds, overwrite: overwrite, force: force,
                                    allowTimeout: allowTimeout, contents: contents, diffOnly: diff,
                                    deadline: deadline.flatMap(DurationText.parse),
                                    loadOptions: LoadOptions(allowOutsideSandbox: allowOutsideSandbox),
                                    environment: environment)
        let status = RecordSession.run(paths: paths, options: options)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
