#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import Dispatch
import IoUring
import Planner
import Scenario
import Synchronization

/// How `ringscript run` goes through the scenarios it found.
public struct SuiteOptions: Sendable {
    public var selection: Selection
    /// Scenarios run at once, each on its own ring (`-j`).
    public var jobs: Int
    /// Runs of each scenario (`--repeat`).
    public var repetitions: Int
    /// Stop repeating a scenario at its first failure (`--until-fail`), reporting that iteration.
    public var untilFail: Bool
    /// Start no new scenario after a failure (`--fail-fast`).
    public var failFast: Bool
    public var loadOptions: LoadOptions

    public init(selection: Selection = Selection(), jobs: Int = 1, repetitions: Int = 1, untilFail: Bool = false,
                failFast: Bool = false, loadOptions: LoadOptions = LoadOptions()) {
        self.selection = selection
        self.jobs = max(1, jobs)
        self.repetitions = max(1, repetitions)
        self.untilFail = untilFail
        self.failFast = failFast
        self.loadOptions = loadOptions
    }
}

/// A scenario file as read and loaded: the scenario, or the diagnostics that stop it.
public struct LoadedFile: Sendable {
    public var path: String
    public var text: String
    public var scenario: Scenario?
    public var diagnostics: [Diagnostic]

    /// Reads (`ScenarioFileReader`), loads and plans `path`; an unreadable file becomes a diagnostic at
    /// line 1, a plan the planner refuses the planner's diagnostics, as `check` gives them.
    public static func load(_ path: String, options: LoadOptions) -> LoadedFile {
        switch ScenarioFileReader.read(path, limits: options.limits) {
        case .failure(let failure):
            return LoadedFile(path: path, text: failure.displayText, scenario: nil, diagnostics: [failure.diagnostic])
        case .success(let text):
            switch ScenarioLoader.load(text, file: path, options: options) {
            case .success(let scenario):
                if case .failure(let list) = Planner.plan(scenario) {
                    return LoadedFile(path: path, text: text, scenario: nil, diagnostics: list.diagnostics)
                }
                return LoadedFile(path: path, text: text, scenario: scenario, diagnostics: [])
            case .failure(let list): return LoadedFile(path: path, text: text, scenario: nil, diagnostics: list.diagnostics)
            }
        }
    }

    /// The diagnostics as a compiler prints them, with the offending lines.
    public var renderedDiagnostics: String {
        DiagnosticRenderer(sources: text.isEmpty ? [:] : [path: text]).render(diagnostics)
    }
}

/// What the suite reports as it goes.
public enum SuiteEvent: Sendable {
    /// A file that could not be loaded; it does not run.
    case invalid(LoadedFile)
    /// A scenario starts (for progress indicators): its position among the selected ones.
    case started(name: String, position: Int, total: Int)
    /// One run of one scenario finished. Events come in the stable order of the files, whatever `-j` is.
    case finished(ScenarioOutcome)
}

/// The end of a suite run.
public struct SuiteResult: Sendable {
    public var outcomes: [ScenarioOutcome]
    public var invalidCount: Int
    public var selectedCount: Int
    public var duration: Duration

    public var summary: RunSummary { RunSummary(outcomes) }

    /// 2 when a file was invalid; 1 when a scenario failed; 77 when the only scenario selected was skipped; else 0.
    public var exitStatus: ExitStatus {
        if invalidCount > 0 { return .invalidInput }
        if summary.hasFailures { return .failure }
        if selectedCount == 1, !outcomes.isEmpty, outcomes.allSatisfy({ $0.verdict == .skip }) { return .skipped }
        return .success
    }
}

/// Runs a set of scenario files: loads them all, selects, then runs each (several at once with `jobs`),
/// repeating as asked, and reports outcomes in a stable order.
public struct SuiteRunner: Sendable {
    public var options: SuiteOptions

    public init(options: SuiteOptions) { self.options = options }

    /// `execute` runs one scenario once (the 1-based iteration is given) and returns its outcome; it is called
    /// from several threads when `jobs` > 1. `emit` is called on one thread at a time.
    public func run(files: [String], execute: @escaping @Sendable (Scenario, Int) -> ScenarioOutcome,
                    emit: @escaping @Sendable (SuiteEvent) -> Void) -> SuiteResult {
        let start = ContinuousClock.now
        var selected: [Scenario] = []
        var invalidCount = 0
        for (position, path) in files.enumerated() where options.selection.inShard(position: position) {
            let file = LoadedFile.load(path, options: options.loadOptions)
            guard let scenario = file.scenario else {
                invalidCount += 1
                emit(.invalid(file))
                continue
            }
            if options.selection.matches(path: path, name: scenario.name, tags: scenario.tags) {
                selected.append(scenario)
            }
        }

        let scenarios = selected
        let results = Mutex<[[ScenarioOutcome]?]>(Array(repeating: nil, count: scenarios.count))
        let emission = Mutex<Int>(0)  // the next position to emit
        let stop = Atomic<Bool>(false)
        let options = self.options
        let total = scenarios.count

        let runOne: @Sendable (Int) -> Void = { position in
            let scenario = scenarios[position]
            var outcomes: [ScenarioOutcome] = []
            if !stop.load(ordering: .relaxed) {
                emission.withLock { _ in emit(.started(name: scenario.name, position: position + 1, total: total)) }
                for iteration in 1...options.repetitions {
                    var outcome = execute(scenario, iteration)
                    outcome.iteration = iteration
                    outcomes.append(outcome)
                    if outcome.verdict.isFailure {
                        if options.failFast { stop.store(true, ordering: .relaxed) }
                        if options.untilFail { break }
                    }
                }
            }
            results.withLock { $0[position] = outcomes }
            // Emit every finished position that is next in order.
            emission.withLock { next in
                while next < total, let ready = results.withLock({ $0[next] }) {
                    for outcome in ready { emit(.finished(outcome)) }
                    next += 1
                }
            }
        }

        if options.jobs == 1 || total <= 1 {
            for position in 0..<total { runOne(position) }
        } else {
            let nextPosition = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: min(options.jobs, total)) { _ in
                while true {
                    let position = nextPosition.add(1, ordering: .relaxed).oldValue
                    if position >= total { return }
                    runOne(position)
                }
            }
        }
        let outcomes = results.withLock { $0.compactMap { $0 }.flatMap { $0 } }
        return SuiteResult(outcomes: outcomes, invalidCount: invalidCount, selectedCount: total,
                           duration: ContinuousClock.now - start)
    }
}
