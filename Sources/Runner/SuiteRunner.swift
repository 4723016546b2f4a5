#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import Dispatch
import IoUring
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
    /// Start no new scenario after this many failures (`--max-failures N`; `--fail-fast` is 1).
    public var maxFailures: Int?
    /// `--shuffle`: run the selected scenarios in the order this seed gives.
    public var shuffleSeed: UInt64?
    public var loadOptions: LoadOptions

    public init(selection: Selection = Selection(), jobs: Int = 1, repetitions: Int = 1, untilFail: Bool = false,
                failFast: Bool = false, maxFailures: Int? = nil, shuffleSeed: UInt64? = nil,
                loadOptions: LoadOptions = LoadOptions()) {
        self.selection = selection
        self.jobs = max(1, jobs)
        self.repetitions = max(1, repetitions)
        self.untilFail = untilFail
        self.maxFailures = maxFailures ?? (failFast ? 1 : nil)
        self.shuffleSeed = shuffleSeed
        self.loadOptions = loadOptions
    }

    /// `--fail-fast`: start no new scenario after the first failure.
    public var failFast: Bool { maxFailures == 1 }
}

/// A scenario file as read and loaded: the scenario, or the diagnostics that stop it.
public struct LoadedFile: Sendable {
    public var path: String
    public var text: String
    public var scenario: Scenario?
    public var diagnostics: [Diagnostic]

    /// Reads and loads `path`; an unreadable file becomes a diagnostic at line 1.
    public static func load(_ path: String, options: LoadOptions) -> LoadedFile {
        switch path == ScenarioDiscovery.standardInput ? readStandardInput() : readTextFile(path) {
        case .failure(let error):
            let diagnostic = Diagnostic(at: SourceMark(file: path, line: 1, column: 1), "cannot read the file: \(error)")
            return LoadedFile(path: path, text: "", scenario: nil, diagnostics: [diagnostic])
        case .success(let text):
            switch ScenarioLoader.load(text, file: path, options: options) {
            case .success(let scenario): return LoadedFile(path: path, text: text, scenario: scenario, diagnostics: [])
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
    /// A file that could not be loaded; it does not run (its ERROR outcome comes in order with `.finished`).
    case invalid(LoadedFile)
    /// Loading is over: how many outcomes the run will report, when known before it runs (nil when
    /// `--repeat` or `--until-fail` make it depend on the run).
    case planned(count: Int?)
    /// A scenario starts (for progress indicators): its position among the selected ones.
    case started(name: String, position: Int, total: Int)
    /// An iteration of a repeated scenario starts (`--repeat`, for progress).
    case iteration(name: String, iteration: Int, of: Int)
    /// One run of one scenario finished, or an invalid file's ERROR, or a scenario the run stopped
    /// before. Events come in the stable order of the files, whatever `-j` is.
    case finished(ScenarioOutcome)
}

/// The end of a suite run.
public struct SuiteResult: Sendable {
    public var outcomes: [ScenarioOutcome]
    public var invalidCount: Int
    public var selectedCount: Int
    public var duration: Duration
    /// Why the run stopped early, if it did.
    public var stopReason: RunStop.Reason?
    /// `--shuffle`'s seed.
    public var shuffleSeed: UInt64?

    public var summary: RunSummary { RunSummary(outcomes) }

    /// 128 + signal when interrupted (141 when standard output closed, 2 when a report could not be
    /// written); 2 when a file was invalid or nothing was selected; 1 when a scenario failed; 77 when the
    /// only scenario selected was skipped; else 0.
    public var exitStatus: ExitStatus {
        if let stopReason, let status = RunStop.exitStatus(for: stopReason) { return status }
        if invalidCount > 0 || selectedCount == 0 { return .invalidInput }
        if summary.hasFailures { return .failure }
        if selectedCount == 1, !outcomes.isEmpty, outcomes.allSatisfy({ $0.verdict == .skip }) { return .skipped }
        return .success
    }
}

/// Runs a set of scenario files: loads them all, selects, then runs each (several at once with `jobs`),
/// repeating as asked, and reports outcomes in a stable order. Invalid files are ERROR entries at their
/// place in that order; scenarios a stop left unrun are SKIP entries marked not run.
public struct SuiteRunner: Sendable {
    public var options: SuiteOptions

    public init(options: SuiteOptions) { self.options = options }

    enum Entry: Sendable {
        case invalid(ScenarioOutcome)
        case scenario(Scenario)
    }

    /// Loads `files` and keeps the invalid ones and the selected scenarios, shuffled with `--shuffle`.
    func select(files: [String], emit: (SuiteEvent) -> Void) -> [Entry] {
        var entries: [Entry] = []
        for (position, path) in files.enumerated() where options.selection.inShard(position: position) {
            let file = LoadedFile.load(path, options: options.loadOptions)
            guard let scenario = file.scenario else {
                emit(.invalid(file))
                entries.append(.invalid(.invalidFile(path, diagnostics: file.diagnostics)))
                continue
            }
            if options.selection.matches(path: path, name: scenario.name, tags: scenario.tags) {
                entries.append(.scenario(scenario))
            }
        }
        if let seed = options.shuffleSeed {
            var generator = SplitMix64(seed: seed)
            entries.shuffle(using: &generator)
        }
        return entries
    }

    /// `execute` runs one scenario once (the 1-based iteration is given) and returns its outcome; it is called
    /// from several threads when `jobs` > 1. `emit` is called on one thread at a time. `stop` ends the run
    /// early (signals, a closed output); the failure limit sets it too.
    public func run(files: [String], stop: RunStop = RunStop(),
                    execute: @escaping @Sendable (Scenario, Int) -> ScenarioOutcome,
                    emit: @escaping @Sendable (SuiteEvent) -> Void) -> SuiteResult {
        let start = ContinuousClock.now
        let entries = select(files: files, emit: emit)
        let options = self.options
        let total = entries.count
        let selectedCount = entries.filter { if case .scenario = $0 { true } else { false } }.count
        let invalidCount = total - selectedCount
        emit(.planned(count: options.repetitions == 1 && !options.untilFail ? total : nil))

        let results = Mutex<[[ScenarioOutcome]?]>(Array(repeating: nil, count: total))
        let emission = Mutex<Int>(0)  // the next position to emit
        let failures = Atomic<Int>(0)

        let runOne: @Sendable (Int) -> Void = { position in
            var outcomes: [ScenarioOutcome] = []
            switch entries[position] {
            case .invalid(let outcome):
                outcomes = [outcome]
            case .scenario(let scenario):
                if let reason = stop.reason {
                    outcomes = [.notRun(name: scenario.name, file: scenario.file, why: reason.description)]
                    break
                }
                emission.withLock { _ in emit(.started(name: scenario.name, position: position + 1, total: total)) }
                for iteration in 1...options.repetitions {
                    if iteration > 1, stop.isStopped { break }
                    if options.repetitions > 1 {
                        emission.withLock { _ in emit(.iteration(name: scenario.name, iteration: iteration, of: options.repetitions)) }
                    }
                    var outcome = stop.asWorker { execute(scenario, iteration) }
                    outcome.iteration = iteration
                    if stop.cancelsInFlight, let reason = stop.reason {
                        // Cut short: what it did is not a verdict.
                        outcome = .notRun(name: scenario.name, file: scenario.file,
                                          why: reason.description + " while it ran", iteration: iteration)
                    }
                    outcomes.append(outcome)
                    if outcome.verdict.isFailure {
                        let count = failures.add(1, ordering: .relaxed).newValue
                        if let limit = options.maxFailures, count >= limit { stop.request(.failures(count)) }
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
        return SuiteResult(outcomes: outcomes, invalidCount: invalidCount, selectedCount: selectedCount,
                           duration: ContinuousClock.now - start, stopReason: stop.reason, shuffleSeed: options.shuffleSeed)
    }
}

/// SplitMix64 (Steele, Lea and Flood): a small seeded generator, so `--shuffle --seed N` replays an order.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Standard input as text (`-` as a scenario path).
func readStandardInput() -> Result<String, RunnerError> { readAll(fd: 0, name: "standard input") }

/// The whole content of a text file, or the errno of the call that failed.
func readTextFile(_ path: String) -> Result<String, RunnerError> {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return .failure(.system("open(\(path))", Errno(rawValue: errno))) }
    defer { close(fd) }
    return readAll(fd: fd, name: path)
}

/// Everything `fd` holds until end of file.
func readAll(fd: Int32, name path: String) -> Result<String, RunnerError> {
    System.readToEnd(fd).map { String(decoding: $0, as: UTF8.self) }.mapError { .system("read(\(path))", $0) }
}
