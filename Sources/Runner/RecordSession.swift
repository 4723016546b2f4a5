#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// Everything `ringscript record` was asked for.
public struct RecordOptions: Sendable {
    /// Runs of each scenario (`--runs`).
    public var runs: Int
    /// Write a new descriptor's exact number rather than `">= 0"` (`--exact-fds`).
    public var exactDescriptors: Bool
    /// Replace hand-written entries the kernel contradicts (`--overwrite`).
    public var overwrite: Bool
    /// Write even under CI (`--force`).
    public var force: Bool
    /// Record a run that hit its deadline, had an enter error or logged a kernel warning (`--allow-timeout`).
    public var allowTimeout: Bool
    /// Record the bytes of the scenario's buffers and files (`--contents`).
    public var contents: Bool
    /// Print the unified diff instead of writing (`--diff`).
    public var diffOnly: Bool
    /// Overrides every scenario's deadline (`--deadline`).
    public var deadline: Duration?
    public var loadOptions: LoadOptions
    /// The process environment, for the CI check.
    public var environment: [String: String]

    public init(runs: Int = 5, exactDescriptors: Bool = false, overwrite: Bool = false, force: Bool = false,
                allowTimeout: Bool = false, contents: Bool = false, diffOnly: Bool = false, deadline: Duration? = nil,
                loadOptions: LoadOptions = LoadOptions(), environment: [String: String] = [:]) {
        self.runs = max(1, runs)
        self.exactDescriptors = exactDescriptors
        self.overwrite = overwrite
        self.force = force
        self.allowTimeout = allowTimeout
        self.contents = contents
        self.diffOnly = diffOnly
        self.deadline = deadline
        self.loadOptions = loadOptions
        self.environment = environment
    }

    /// The environment variables snapshot tools (insta, Jest, swift-snapshot-testing) take to mean "this
    /// is CI": CI and CONTINUOUS_INTEGRATION (unless `false` or `0`), and those a CI server sets.
    public static let continuousIntegrationVariables = ["CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "RUN_ID",
                                                        "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI",
                                                        "TRAVIS", "JENKINS_URL", "TEAMCITY_VERSION", "TF_BUILD"]

    /// The CI variable that is set, if one is.
    public var continuousIntegrationVariable: String? {
        for name in RecordOptions.continuousIntegrationVariables {
            guard let value = environment[name], !value.isEmpty else { continue }
            if value == "false" || value == "0" { continue }
            return name
        }
        return nil
    }
}

/// What `record` did with one file, for its summary line and the round-trip figures.
struct RecordFileResult {
    enum Status: Equatable {
        /// Written (or, with `--diff`, would be).
        case changed
        case upToDate
        case skipped(String)
        /// Not recorded: the reason has been reported.
        case refused
        case invalid
    }

    var status: Status
    var kinds: [RecordedKind: Int] = [:]
    var ordersKept = 0
    var notRecorded: [String] = []
    var duration: Duration = .zero
}

/// `ringscript record`: runs each scenario several times and writes what the kernel did into its `expect:`.
public enum RecordSession {
    /// Records every file; returns the exit status: 0 when every file was recorded (or was up to date),
    /// 1 when one could not be (or, with `--diff`, when recording would change one), 2 for invalid
    /// input or a refusal to write under CI, 77 when the only file was skipped.
    public static func run(paths: [String], options: RecordOptions,
                           writeOutput: @escaping (String) -> Void = { writeAll(fd: 1, $0 + "\n") },
                           writeError: @escaping (String) -> Void = writeStandardError) -> ExitStatus {
        if !options.diffOnly, !options.force, let variable = options.continuousIntegrationVariable {
            writeError("ringscript record: refusing to write golden files under CI (\(variable)=\(options.environment[variable] ?? "") is set):"
                       + " CI must check goldens with `ringscript run`, never re-record them. Use `record --diff` to see"
                       + " what recording would change, or `--force` to write anyway.")
            return .invalidInput
        }
        let files: [String]
        do {
            files = try ScenarioDiscovery.find(paths)
        } catch {
            writeError("ringscript: \(error)")
            return .invalidInput
        }
        var results: [RecordFileResult] = []
        for path in files {
            results.append(record(path: path, options: options, writeOutput: writeOutput, writeError: writeError))
        }
        if results.contains(where: { $0.status == .invalid }) { return .invalidInput }
        if results.contains(where: { $0.status == .refused }) { return .failure }
        if options.diffOnly, results.contains(where: { $0.status == .changed }) { return .failure }
        if results.count == 1, case .skipped = results[0].status { return .skipped }
        return .success
    }

    /// Records one file.
    static func record(path: String, options: RecordOptions, writeOutput: (String) -> Void,
                       writeError: (String) -> Void) -> RecordFileResult {
        let start = ContinuousClock.now
        let file = LoadedFile.load(path, options: options.loadOptions)
        guard let scenario = file.scenario else {
            writeError(file.renderedDiagnostics)
            writeError("\(path): not recorded: the scenario is invalid (the file is unchanged)")
            return RecordFileResult(status: .invalid)
        }
        func refuse(_ message: String) -> RecordFileResult {
            writeError("\(path): not recorded: \(message) (the file is unchanged)")
            return RecordFileResult(status: .refused, duration: ContinuousClock.now - start)
        }
        let root: YAMLNode
        switch YAMLParser.parse(file.text, file: path) {
        case .success(let node): root = node
        case .failure: return refuse("its YAML could not be parsed again")
        }
        let block: ExpectBlock
        do {
            block = try ExpectBlock(text: file.text, root: root)
        } catch {
            return refuse("its 'expect' is not a mapping")
        }
        if let reason = scenario.expectsFailure(on: KernelRelease.current) {
            return refuse("it is marked xfail (\(reason)) on this kernel: a recording of what the kernel does would XPASS;"
                          + " remove 'xfail' first to record the kernel's behaviour")
        }

        // The runs.
        let observed = options.contents ? ExpectationRecorder.withContentFacts(scenario) : scenario
        let plan: Plan
        switch Planner.plan(observed) {
        case .success(let planned): plan = planned
        case .failure(let list):
            writeError(DiagnosticRenderer(sources: [path: file.text]).render(list.diagnostics))
            return RecordFileResult(status: .invalid)
        }
        let deadline = options.deadline ?? plan.deadline ?? Plan.defaultDeadline
        let deadlineText = "\((deadline.seconds * 1000).rounded() / 1000) s"
        let warningsBefore = KernelLog.warnings()
        var runs: [RecordedRun] = []
        var outcomes: [ScenarioOutcome] = []
        var problems: [String] = []
        for iteration in 1...options.runs {
            let checker = ExpectationChecker(scenario: observed)
            let recorder = RecordObserver(graph: observed.graph)
            let execution = ScenarioExecution(scenario: observed, plan: plan,
                                              options: ExecutionOptions(deadline: options.deadline),
                                              observer: TraceFanOut([checker, recorder]))
            let result = execution.run()
            switch result.outcome {
            case .skipped(let reason):
                writeOutput("\(path): skipped: \(reason) (nothing recorded)")
                return RecordFileResult(status: .skipped(reason), duration: ContinuousClock.now - start)
            case .failed(let error):
                return refuse("run \(iteration) of \(options.runs) failed: \(error)")
            case .setupDecided(let mismatch, let call):
                // A scenario about ring setup (`ring.expect`) runs no steps: there is no expect: to record.
                guard let mismatch else {
                    let reason = "the ring setup was refused as ring.expect says (\(call)); no steps ran"
                    writeOutput("\(path): \(reason) (nothing recorded)")
                    return RecordFileResult(status: .skipped(reason), duration: ContinuousClock.now - start)
                }
                return refuse("run \(iteration) of \(options.runs): \(mismatch.mark): \(mismatch.subject): expected \(mismatch.expected), got \(mismatch.actual)")
            case .ran(let facts, let ending):
                let run = recorder.finish(facts: facts)
                let outcome = checker.finish(facts: facts, ending: ending)
                if ending.deadlineExpired {
                    let outstanding = outcome.neverCompleted.map(\.id)
                    problems.append("run \(iteration) hit the deadline (\(deadlineText))"
                                    + (outstanding.isEmpty ? "" : " with \(outstanding.joined(separator: ", ")) outstanding"))
                }
                if let failed = run.failedEnters.first {
                    problems.append("run \(iteration): io_uring_enter(2) failed with \(Errno(rawValue: -failed).name)")
                }
                runs.append(run)
                outcomes.append(outcome)
                // Without --allow-timeout the recording is refused anyway: no need to wait out more deadlines.
                if !problems.isEmpty, !options.allowTimeout { break }
            }
        }
        if let warning = KernelLog.warnings().subtracting(warningsBefore).sorted().first {
            problems.append("the kernel logged a warning while the scenario ran: \(warning)")
        }
        if !problems.isEmpty, !options.allowTimeout {
            return refuse(problems.joined(separator: "; ") + "; rerun with --allow-timeout to record such a run"
                          + " (requests that never completed become 'never')")
        }
        for problem in problems { writeError("\(path): warning: \(problem)") }

        // Hand-written entries the kernel contradicted.
        var contradicted: [String: [String]] = [:]
        var outside: [String] = []
        let blockLines = block.keyLine.map { ($0 + 1)..<block.end }
        func entryName(at mark: SourceMark) -> String? {
            guard let blockLines, blockLines.contains(mark.line - 1) else { return nil }
            return block.entries.first { ($0.start..<$0.end).contains(mark.line - 1) }?.name
        }
        for (index, outcome) in outcomes.enumerated() {
            for mismatch in outcome.mismatches {
                let text = "\(mismatch.mark): \(mismatch.subject): expected \(mismatch.expected), the kernel gave \(mismatch.actual) (run \(index + 1))"
                if let name = entryName(at: mismatch.mark) {
                    contradicted[name, default: []].append(text)
                } else if mismatch.mark.line > 1 {
                    outside.append(text)
                }
            }
            for missing in outcome.neverCompleted {
                if let name = entryName(at: missing.mark) {
                    contradicted[name, default: []].append("\(missing.mark): \(missing.id): expected to complete, it did not (run \(index + 1))")
                }
            }
        }
        if !outside.isEmpty {
            for line in Set(outside).sorted() { writeError(line) }
            return refuse("the kernel contradicts expectations of the steps, outside 'expect:' (an 'expect:' in a step, or a"
                          + " registration's default success); fix them by hand")
        }
        if !contradicted.isEmpty, !options.overwrite {
            for name in contradicted.keys.sorted() {
                for line in contradicted[name]!.prefix(3) { writeError(line) }
            }
            return refuse("the kernel contradicts the hand-written \(contradicted.keys.sorted().map { "'\($0)'" }.joined(separator: ", "));"
                          + " rerun with --overwrite to replace \(contradicted.count == 1 ? "it" : "them") with what the kernel did")
        }

        // What to write.
        var recorder = ExpectationRecorder(scenario: scenario, runs: runs,
                                           style: RecordStyle(exactDescriptors: options.exactDescriptors, contents: options.contents))
        if !contradicted.isEmpty {
            // Entries to replace are recorded as if they had not been written.
            for expectation in scenario.expectations.completions {
                guard let name = entryName(at: expectation.mark), contradicted[name] != nil else { continue }
                switch expectation.subject {
                case .request(let node, _, _): recorder.coveredNodes.remove(node)
                case .userData(let value): recorder.coveredUserData.remove(value)
                }
            }
            if contradicted["order"] != nil || contradicted["orders"] != nil { recorder.hasOrder = false }
            if contradicted["buffers"] != nil { recorder.coveredBuffers = [] }
            if contradicted["files"] != nil { recorder.coveredFiles = [] }
        }
        let recorded = recorder.record()
        var edit = ExpectEdit(provenance: ExpectEdit.provenancePrefix + "Linux \(KernelRelease.current.string) by ringscript record (\(options.runs) runs)")
        let existing = Set(block.entries.map(\.name))
        for entry in recorded.entries {
            if contradicted[entry.name] != nil {
                edit.replacements[entry.name] = entry
            } else if existing.contains(entry.name) {
                continue
            } else {
                edit.additions.append(entry)
            }
        }
        for name in contradicted.keys where edit.replacements[name] == nil {
            if name == "order" || name == "orders" || recorded.entries.contains(where: { $0.name == name }) {
                edit.removals.insert(name)
            } else {
                return refuse("'\(name)' is contradicted and nothing recorded replaces it"
                              + (name == "buffers" || name == "files" ? " (rerun with --contents)" : ""))
            }
        }
        if block.isFlow, !edit.isEmpty, let keyLine = block.keyLine, !block.lines[keyLine].contains("{}") {
            return refuse("its 'expect' is a flow mapping ({ … }); write it as a block mapping to record into it")
        }
        let newText = edit.apply(to: block)

        var result = RecordFileResult(status: newText == file.text ? .upToDate : .changed)
        for entry in edit.additions + Array(edit.replacements.values) {
            for kind in entry.kinds { result.kinds[kind, default: 0] += 1 }
        }
        result.ordersKept = recorded.ordersKept
        result.notRecorded = recorded.notRecorded
        for note in recorded.notRecorded { writeError("\(path): note: \(note)") }

        if newText != file.text, options.diffOnly {
            writeOutput(String(UnifiedDiff.render(old: file.text, new: newText, from: diffName(path, "a/"), to: diffName(path, "b/")).dropLast()))
        } else if newText != file.text {
            if VersionControl.hasUncommittedChanges(path) {
                writeOutput(String(UnifiedDiff.render(old: file.text, new: newText, from: diffName(path, "a/"), to: diffName(path, "b/")).dropLast()))
            }
            if case .failure(let error) = replaceFile(path, with: newText) {
                return refuse("cannot write it: \(error)")
            }
        }
        result.duration = ContinuousClock.now - start
        writeOutput(summary(path: path, result: result, options: options))
        return result
    }

    /// The name of `path` in a diff header: git's `a/`, `b/` for a relative path, the path itself otherwise.
    static func diffName(_ path: String, _ prefix: String) -> String {
        path.hasPrefix("/") ? path : prefix + path
    }

    /// `path: recorded 5 (4 exact, 1 set), 2 order constraints, 5 runs in 0.41 s`.
    static func summary(path: String, result: RecordFileResult, options: RecordOptions) -> String {
        let milliseconds = Int((result.duration.seconds * 1000).rounded())
        let timing = "\(options.runs) runs in \(milliseconds) ms"
        guard result.status == .changed else { return "\(path): up to date (\(timing))" }
        let total = result.kinds.values.reduce(0, +)
        let kinds = RecordedKind.allCases.compactMap { kind in result.kinds[kind].map { "\($0) \(kind.rawValue)" } }
        let verb = options.diffOnly ? "would record" : "recorded"
        return "\(path): \(verb) \(total) value\(total == 1 ? "" : "s")" + (kinds.isEmpty ? "," : " (\(kinds.joined(separator: ", "))),")
            + " \(result.ordersKept) order constraint\(result.ordersKept == 1 ? "" : "s"), \(timing)"
    }

    /// Writes `text` to a temporary file in `path`'s directory, with `path`'s permissions, and renames
    /// it over `path`: an interrupted `record` leaves the old file or the new one, never half of one.
    static func replaceFile(_ path: String, with text: String) -> Result<Void, RunnerError> {
        var status = stat()
        let mode: mode_t = stat(path, &status) == 0 ? status.st_mode & 0o7777 : 0o644
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = directory + "/." + name + ".record-\(getpid()).tmp"
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode)
        guard fd >= 0 else { return .failure(.system("open(\(temporary))", Errno(rawValue: errno))) }
        let bytes = Array(text.utf8)
        let (written, error) = System.writeAll(fd, bytes)
        if written != bytes.count || fsync(fd) != 0 {
            let failure = error ?? Errno(rawValue: errno)
            close(fd)
            unlink(temporary)
            return .failure(.system("write(\(temporary))", failure))
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let failure = Errno(rawValue: errno)
            unlink(temporary)
            return .failure(.system("rename(\(temporary), \(path))", failure))
        }
        return .success(())
    }
}

/// The kernel log's warnings (`WARNING:`, `BUG:`, `Oops` lines of dmesg), to tell whether a run
/// provoked one: the lines present after the runs and not before.
enum KernelLog {
    static func warnings() -> Set<String> {
        let output = "/tmp/.ringscript-dmesg-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(output) }
        guard system("dmesg 2>/dev/null | grep -E 'WARNING:|BUG:|Oops' > \(output)") >= 0,
              case .success(let text) = ScenarioFileReader.read(output) else { return [] }
        return Set(text.split(separator: "\n").map(String.init))
    }
}

/// Whether git holds a different version of a file.
enum VersionControl {
    /// True when `path` is tracked by git and differs from HEAD (staged or not).
    static func hasUncommittedChanges(_ path: String) -> Bool {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let git = "git -C \(shellQuoted(directory))"
        let status = system("\(git) ls-files --error-unmatch -- \(shellQuoted(name)) >/dev/null 2>&1"
                            + " && ! \(git) diff --quiet HEAD -- \(shellQuoted(name)) >/dev/null 2>&1")
        return status == 0
    }

    static func shellQuoted(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
