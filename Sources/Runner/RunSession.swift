#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario
import Synchronization

/// Everything `ringscript run` was asked for.
public struct RunSessionOptions: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text
        case json
    }

    public var suite: SuiteOptions
    /// Overrides every scenario's deadline (`--deadline`).
    public var deadline: Duration?
    public var keepSandbox: Bool
    /// `--trace`: the live SQE/CQE log on standard error.
    public var trace: Bool
    public var format: Format
    /// `--junit FILE`.
    public var junitPath: String?
    /// `--tap`: TAP 14 on standard output instead of the text report.
    public var tap: Bool
    /// Colour and a progress line; the command decides from the terminal and NO_COLOR.
    public var color: Bool
    public var progress: Bool

    public init(suite: SuiteOptions = SuiteOptions(), deadline: Duration? = nil, keepSandbox: Bool = false,
                trace: Bool = false, format: Format = .text, junitPath: String? = nil, tap: Bool = false,
                color: Bool = false, progress: Bool = false) {
        self.suite = suite
        self.deadline = deadline
        self.keepSandbox = keepSandbox
        self.trace = trace
        self.format = format
        self.junitPath = junitPath
        self.tap = tap
        self.color = color
        self.progress = progress
    }
}

/// `ringscript run`: finds the scenarios, runs each on its own ring, checks it, and reports.
public enum RunSession {
    /// Runs everything and writes the reports; returns the process exit status.
    public static func run(paths: [String], options: RunSessionOptions,
                           writeOutput: @escaping @Sendable (String) -> Void = { writeAll(fd: 1, $0 + "\n") },
                           writeError: @escaping @Sendable (String) -> Void = writeStandardError) -> ExitStatus {
        let files: [String]
        do {
            files = try ScenarioDiscovery.find(paths)
        } catch {
            writeError("ringscript: \(error)")
            return .invalidInput
        }
        let text = TextReporter(useColor: options.color)
        let progressShown = Atomic<Bool>(false)
        let result = SuiteRunner(options: options.suite).run(files: files, execute: { scenario, iteration in
            executeOne(scenario, iteration: iteration, options: options, writeError: writeError)
        }, emit: { event in
            switch event {
            case .invalid(let file):
                writeError(file.renderedDiagnostics)
            case .started(let name, let position, let total):
                if options.progress && !options.trace {
                    RunSession.writeError("\r\u{1B}[2K[\(position)/\(total)] \(name)", newline: false)
                    progressShown.store(true, ordering: .relaxed)
                }
            case .finished(let outcome):
                if options.progress && progressShown.exchange(false, ordering: .relaxed) {
                    RunSession.writeError("\r\u{1B}[2K", newline: false)
                }
                // With --repeat, later passing runs only count in the summary; failures always show.
                guard options.format == .text, !options.tap, outcome.iteration == 1 || outcome.verdict.isFailure else { return }
                writeOutput(text.render(outcome))
            }
        })

        if options.tap {
            writeOutput(TAPReporter().render(result.outcomes))
        } else if options.format == .json {
            writeOutput(JSONReporter().render(result.outcomes, duration: result.duration))
        } else {
            writeOutput(text.summary(result.summary, duration: result.duration))
        }
        if let junitPath = options.junitPath {
            let xml = JUnitReporter().render(result.outcomes, duration: result.duration)
            if case .failure(let error) = writeTextFile(junitPath, xml) {
                writeError("ringscript: cannot write the JUnit report: \(error)")
                return .invalidInput
            }
        }
        return result.exitStatus
    }

    /// Plans, runs and checks one scenario once.
    static func executeOne(_ scenario: Scenario, iteration: Int, options: RunSessionOptions,
                           writeError: @escaping @Sendable (String) -> Void) -> ScenarioOutcome {
        let plan: Plan
        switch Planner.plan(scenario) {
        case .success(let planned): plan = planned
        case .failure(let list):
            let rendered = DiagnosticRenderer(sources: [:]).render(list.diagnostics)
            return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .error, duration: .zero,
                                   reason: "cannot plan: " + rendered, iteration: iteration)
        }
        // An xfail bounded by `fixed_in` holds only on kernels without the fix; elsewhere the scenario must pass.
        var checked = scenario
        checked.expectedFailure = scenario.expectsFailure(on: KernelRelease.current)
        let checker = ExpectationChecker(scenario: checked)
        let observer: any TraceObserver = options.trace
            ? TraceFanOut([checker, TraceLog(prefix: "[\(scenario.name)] ", write: writeError)])
            : checker
        let execution = ScenarioExecution(
            scenario: scenario, plan: plan,
            options: ExecutionOptions(deadline: options.deadline, keepSandbox: options.keepSandbox),
            observer: observer)
        let result = execution.run()
        if let kept = result.keptSandbox { writeError("[\(scenario.name)] sandbox kept at \(kept)") }
        return ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker,
                                         expectedFailure: checked.expectedFailure, iteration: iteration)
    }
}

extension RunSession {
    static func writeError(_ text: String, newline: Bool) {
        writeAll(fd: 2, newline ? text + "\n" : text)
    }
}

/// Writes `text` to a new or truncated file at `path`.
func writeTextFile(_ path: String, _ text: String) -> Result<Void, RunnerError> {
    let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return .failure(.system("open(\(path))", Errno(rawValue: errno))) }
    defer { close(fd) }
    writeAll(fd: fd, text)
    return .success(())
}
