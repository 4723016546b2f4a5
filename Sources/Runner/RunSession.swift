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
        /// One line per scenario and a summary.
        case text
        /// One JSON document at the end of the run.
        case json
        /// JSON Lines: one object per line, streamed as scenarios finish.
        case jsonl
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
    /// `--tap`: TAP on standard output (version 13 unless asked) instead of the text report.
    public var tap: TAPVersion?
    /// `--ktap`: KTAP version 1 on standard output instead of the text report.
    public var ktap: Bool
    /// Colour and a progress line; the command decides from the terminal, `--color` and NO_COLOR.
    public var color: Bool
    public var progress: Bool
    /// Stop cleanly on SIGINT, SIGTERM and SIGHUP (the command line; never in tests that share a process).
    public var handleSignals: Bool
    /// The most trace records a JSON report keeps per scenario run.
    public var traceRecordLimit: Int

    public init(suite: SuiteOptions = SuiteOptions(), deadline: Duration? = nil, keepSandbox: Bool = false,
                trace: Bool = false, format: Format = .text, junitPath: String? = nil, tap: TAPVersion? = nil,
                ktap: Bool = false, color: Bool = false, progress: Bool = false, handleSignals: Bool = false,
                traceRecordLimit: Int = TraceRecorder.defaultLimit) {
        self.suite = suite
        self.deadline = deadline
        self.keepSandbox = keepSandbox
        self.trace = trace
        self.format = format
        self.junitPath = junitPath
        self.tap = tap
        self.ktap = ktap
        self.color = color
        self.progress = progress
        self.handleSignals = handleSignals
        self.traceRecordLimit = traceRecordLimit
    }

    /// Whether the reports want each run's trace.
    var recordsTrace: Bool { format == .json || format == .jsonl }
}

/// A report that could not be written: where to, and the errno of the failing call.
public struct ReportWriteError: Error, Sendable, CustomStringConvertible {
    public var destination: String
    public var call: String
    public var errno: Errno

    public init(destination: String, call: String = "write", errno: Errno) {
        self.destination = destination
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(destination): \(call): \(errno.name)" }
}

/// `ringscript run`: finds the scenarios, runs each on its own ring, checks it, and reports.
public enum RunSession {
    /// Writes `text` and a newline to standard output, or says why it could not.
    public static let standardOutput: @Sendable (String) throws(ReportWriteError) -> Void = { text throws(ReportWriteError) in
        if let error = writeAllChecked(fd: 1, text + "\n") { throw ReportWriteError(destination: "standard output", errno: error) }
    }

    /// The scenario files under `paths` (`ScenarioDiscovery`), or nil once the first unreadable path is
    /// reported.
    static func findFiles(_ paths: [String], writeError: @Sendable (String) -> Void) -> [String]? {
        do {
            return try ScenarioDiscovery.find(paths)
        } catch {
            writeError("ringscript: \(error)")
            return nil
        }
    }

    /// Runs everything and writes the reports; returns the process exit status.
    public static func run(paths: [String], options: RunSessionOptions,
                           writeOutput: @escaping @Sendable (String) throws(ReportWriteError) -> Void = standardOutput,
                           writeError: @escaping @Sendable (String) -> Void = writeStandardError) -> ExitStatus {
        guard let files = findFiles(paths, writeError: writeError) else { return .invalidInput }
        let stop = RunStop()
        // A closed standard output must come back as EPIPE (a clean end), not kill the process.
        SignalCounting.handleBrokenPipes()
        if options.handleSignals { SignalHandling.install(stop: stop, writeError: writeError) }
        // Probing costs a ring setup: only the reports that carry the probe summary pay for it.
        let environment = RunSession.environment(shuffleSeed: options.suite.shuffleSeed,
                                                 probing: options.junitPath != nil || options.format != .text)
        if let seed = options.suite.shuffleSeed { writeError("ringscript: shuffled with --seed \(seed)") }
        let output = SessionOutput(write: writeOutput, stop: stop)
        let text = TextReporter(useColor: options.color)
        let tap = options.tap.map { TAPReporter(version: $0) }
        let ktap = KTAPReporter()
        let json = JSONReporter(environment: environment)
        let state = Mutex(StreamState())
        let watchesPipe = standardOutputIsPipe()

        let result = SuiteRunner(options: options.suite).run(files: files, stop: stop, execute: { scenario, iteration in
            if watchesPipe && standardOutputReaderGone() { stop.request(.outputClosed) }
            let several = state.withLock { $0.several }
            return executeOne(scenario, iteration: iteration, options: options, stop: stop,
                              tracePrefix: several ? "[\(scenario.name)] " : "", writeError: writeError)
        }, emit: { event in
            switch event {
            case .invalid(let file):
                writeError(file.renderedDiagnostics)
            case .planned(let count):
                state.withLock {
                    $0.planned = count != nil
                    $0.several = (count ?? 2) > 1
                }
                if let tap { output.write(tap.header(count: count) + "\n" + TAPReporter.environmentComment(environment)) }
                if options.ktap { output.write(ktap.header(count: count) + "\n" + TAPReporter.environmentComment(environment)) }
                if options.format == .jsonl { output.write(json.environmentLine()) }
            case .started(let name, let position, let total):
                if options.progress && !options.trace {
                    RunSession.writeError("\r\u{1B}[2K[\(position)/\(total)] \(name)", newline: false)
                    state.withLock { $0.progressShown = true }
                }
            case .iteration(let name, let iteration, let count):
                guard options.progress && !options.trace else { return }
                let now = ContinuousClock.now
                let due = state.withLock { state -> Bool in
                    guard iteration == count || now - state.lastProgress >= .milliseconds(100) else { return false }
                    state.lastProgress = now
                    state.progressShown = true
                    return true
                }
                if due { RunSession.writeError("\r\u{1B}[2K\(name): iteration \(iteration)/\(count)", newline: false) }
            case .finished(let outcome):
                let number = state.withLock { state -> Int in
                    if state.progressShown && options.progress {
                        RunSession.writeError("\r\u{1B}[2K", newline: false)
                        state.progressShown = false
                    }
                    state.count += 1
                    return state.count
                }
                if let tap {
                    output.write(tap.render(outcome, number: number))
                } else if options.ktap {
                    output.write(ktap.render(outcome, number: number))
                } else if options.format == .jsonl {
                    output.write(json.line(outcome))
                } else if options.format == .text, outcome.notRun == nil,
                          outcome.iteration == 1 || outcome.verdict.isFailure {
                    // With --repeat, later passing runs only count in the summary; failures always show.
                    output.write(text.render(outcome))
                }
            }
        })

        if result.selectedCount == 0 && result.invalidCount == 0 {
            writeError("ringscript: no scenario matched" + RunSession.selectionText(options.suite.selection, files: files.count))
        }
        let interruption = result.stopReason.flatMap { $0.cancelsInFlight ? $0.description : nil }
        let planned = state.withLock { $0.planned }
        if let tap {
            output.write(tap.footer(result.outcomes, planned: planned, interruption: interruption))
        } else if options.ktap {
            output.write(ktap.footer(result.outcomes, planned: planned, interruption: interruption))
        } else if options.format == .jsonl {
            output.write(json.summaryLine(result.outcomes, duration: result.duration, interruption: interruption))
        } else if options.format == .json {
            output.write(json.render(result.outcomes, duration: result.duration, interruption: interruption))
        } else {
            if let list = text.failureList(result.outcomes) { output.write(list) }
            output.write(text.summary(result.summary, duration: result.duration))
        }
        switch result.stopReason {
        case .signal?, .failures?: writeError("ringscript: \(result.stopReason!)" + (result.summary.notRun > 0 ? "; \(result.summary.notRun) not run" : ""))
        case .outputClosed?, .outputFailed?, nil: break  // said where the write failed
        }
        var status = result.exitStatus
        if let junitPath = options.junitPath {
            let xml = JUnitReporter(environment: environment).render(result.outcomes, duration: result.duration)
            if case .failure(let error) = writeTextFile(junitPath, xml) {
                writeError("ringscript: cannot write the JUnit report: \(error)")
                if stop.exitStatus == nil || stop.exitStatus == .outputClosed { status = .invalidInput }
            }
        }
        if let failure = output.failure {
            writeError("ringscript: cannot write the report: \(failure)")
            status = .invalidInput
        }
        return status
    }

    /// What the streamed reports have said so far.
    struct StreamState {
        var count = 0
        var planned = false
        var several = true
        var progressShown = false
        var lastProgress = ContinuousClock.now - .seconds(1)
    }

    /// ` (12 files found, --filter 'x', --tag net)`: why nothing was selected.
    static func selectionText(_ selection: Selection, files: Int) -> String {
        var parts = ["\(files) file\(files == 1 ? "" : "s") found"]
        if let filter = selection.filter { parts.append("--filter '\(filter)'") }
        for pattern in selection.exclude { parts.append("--exclude '\(pattern)'") }
        for tag in selection.tags { parts.append("--tag \(tag)") }
        if let shard = selection.shard { parts.append("--shard \(shard.index)/\(shard.count)") }
        return " (" + parts.joined(separator: ", ") + ")"
    }

    /// `ringscript run --list`: what would run, in order, without running it. Invalid files are diagnosed;
    /// the status is 2 when one is invalid or nothing matched.
    public static func list(paths: [String], suite: SuiteOptions,
                            writeOutput: @escaping @Sendable (String) throws(ReportWriteError) -> Void = standardOutput,
                            writeError: @escaping @Sendable (String) -> Void = writeStandardError) -> ExitStatus {
        guard let files = findFiles(paths, writeError: writeError) else { return .invalidInput }
        let entries = SuiteRunner(options: suite).select(files: files) { event in
            if case .invalid(let file) = event { writeError(file.renderedDiagnostics) }
        }
        var invalid = 0
        var lines: [String] = []
        for entry in entries {
            switch entry {
            case .invalid: invalid += 1
            case .scenario(let scenario): lines.append("\(scenario.file): \(scenario.name)")
            }
        }
        if entries.isEmpty {
            writeError("ringscript: no scenario matched" + selectionText(suite.selection, files: files.count))
            return .invalidInput
        }
        if !lines.isEmpty {
            do { try writeOutput(lines.joined(separator: "\n")) } catch {
                if error.errno != .EPIPE { writeError("ringscript: cannot write the list: \(error)") }
                return error.errno == .EPIPE ? .outputClosed : .invalidInput
            }
        }
        return invalid > 0 ? .invalidInput : .success
    }

    /// The environment every machine report carries.
    static func environment(shuffleSeed: UInt64?, probing: Bool = true) -> RunEnvironment {
        var host = [CChar](repeating: 0, count: 256)
        let hostname = gethostname(&host, host.count) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        var environment = RunEnvironment(version: RingScriptRelease.version, kernelRelease: KernelRelease.current.string,
                                         hostname: hostname, startTime: Int64(time(nil)), shuffleSeed: shuffleSeed)
        guard probing else {
            environment.probeError = "not probed"
            return environment
        }
        do {
            let probe = try ProbeReport.current()
            environment.features = probe.features.names
            environment.supportedOpcodes = Opcode.allCases.filter(probe.probe.supports).count
        } catch {
            environment.probeError = "\(error)"
        }
        return environment
    }

    /// Plans, runs and checks one scenario once.
    static func executeOne(_ scenario: Scenario, iteration: Int, options: RunSessionOptions, stop: RunStop = RunStop(),
                           tracePrefix: String = "", writeError: @escaping @Sendable (String) -> Void) -> ScenarioOutcome {
        var outcome = executeUnlabelled(scenario, iteration: iteration, options: options, stop: stop,
                                        tracePrefix: tracePrefix, writeError: writeError)
        outcome.ringSetup = describe(scenario.ring)
        return outcome
    }

    static func executeUnlabelled(_ scenario: Scenario, iteration: Int, options: RunSessionOptions, stop: RunStop,
                                  tracePrefix: String, writeError: @escaping @Sendable (String) -> Void) -> ScenarioOutcome {
        let plan: Plan
        switch Planner.plan(scenario) {
        case .success(let planned): plan = planned
        case .failure(let list):
            let rendered = DiagnosticRenderer(sources: [:]).render(list.diagnostics)
            return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .error, duration: .zero,
                                   reason: "cannot plan: " + rendered, iteration: iteration, diagnostics: list.diagnostics)
        }
        // An xfail bounded by `fixed_in` holds only on kernels without the fix; elsewhere the scenario must pass.
        var checked = scenario
        checked.expectedFailure = scenario.expectsFailure(on: KernelRelease.current)
        let checker = ExpectationChecker(scenario: checked)
        var observers: [any TraceObserver] = [checker]
        let recorder = options.recordsTrace ? TraceRecorder(limit: options.traceRecordLimit) : nil
        if let recorder { observers.append(recorder) }
        if options.trace {
            observers.append(TraceLog(prefix: tracePrefix, scenario: scenario, write: writeError))
        }
        let execution = ScenarioExecution(
            scenario: scenario, plan: plan,
            options: ExecutionOptions(deadline: options.deadline, keepSandbox: options.keepSandbox, stop: stop),
            observer: observers.count == 1 ? checker : TraceFanOut(observers))
        let result = execution.run()
        if let kept = result.keptSandbox { writeError("[\(scenario.name)] sandbox kept at \(kept)") }
        var outcome = ScenarioExecution.outcome(of: result, scenario: scenario, checker: checker,
                                                expectedFailure: checked.expectedFailure, iteration: iteration)
        // A passing repeat after the first adds nothing to read: its trace is not kept, so --repeat stays
        // bounded by the records of the first and of the failing iterations.
        if iteration <= 1 || outcome.verdict.isFailure { outcome.trace = recorder?.trace }
        return outcome
    }

    /// `entries 64, flags SQPOLL|SINGLE_ISSUER`: the ring a scenario asks for.
    static func describe(_ ring: RingSpec) -> String {
        var parts = ["entries \(ring.entries)"]
        if let cq = ring.cqEntries { parts.append("cq_entries \(cq)") }
        let names = SetupFlags.named.filter { ring.flags.contains($0.flag) }.map(\.name)
        parts.append("flags " + (names.isEmpty ? "none" : names.joined(separator: "|")))
        if let idle = ring.sqThreadIdleMilliseconds { parts.append("sq_thread_idle \(idle) ms") }
        if let cpu = ring.sqThreadCPU { parts.append("sq_thread_cpu \(cpu)") }
        return parts.joined(separator: ", ")
    }
}

/// Standard output as the reports use it: the first failed write stops the run (EPIPE as a closed
/// output, anything else as a lost report) and nothing more is written.
final class SessionOutput: Sendable {
    private let writeOutput: @Sendable (String) throws(ReportWriteError) -> Void
    private let stop: RunStop
    private let failed = Mutex<ReportWriteError?>(nil)

    init(write: @escaping @Sendable (String) throws(ReportWriteError) -> Void, stop: RunStop) {
        writeOutput = write
        self.stop = stop
    }

    func write(_ text: String) {
        guard failed.withLock({ $0 == nil }) else { return }
        do {
            try writeOutput(text)
        } catch {
            failed.withLock { $0 = error }
            stop.request(error.errno == .EPIPE ? .outputClosed : .outputFailed(error.description))
        }
    }

    /// The write that failed, unless it was a closed pipe (a clean end, not an error).
    var failure: ReportWriteError? {
        failed.withLock { $0.flatMap { $0.errno == .EPIPE ? nil : $0 } }
    }
}

extension RunSession {
    static func writeError(_ text: String, newline: Bool) {
        writeAll(fd: 2, newline ? text + "\n" : text)
    }
}

/// Whether standard output is a pipe or a socket (whose reader can go away).
func standardOutputIsPipe() -> Bool {
    var status = stat()
    guard fstat(1, &status) == 0 else { return false }
    let kind = status.st_mode & S_IFMT
    return kind == S_IFIFO || kind == S_IFSOCK
}

/// Whether the reader of the standard-output pipe is gone: poll(2) reports POLLERR on a pipe's write
/// end once its read end is closed, without writing anything.
func standardOutputReaderGone() -> Bool {
    var entry = pollfd(fd: 1, events: 0, revents: 0)
    return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLERR) != 0
}

/// Writes `text` to a new or truncated file at `path`; every failing call (open, write, close) is an error.
func writeTextFile(_ path: String, _ text: String) -> Result<Void, ReportWriteError> {
    let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return .failure(ReportWriteError(destination: path, call: "open", errno: Errno(rawValue: errno))) }
    if let error = writeAllChecked(fd: fd, text) {
        close(fd)
        return .failure(ReportWriteError(destination: path, errno: error))
    }
    guard close(fd) == 0 else { return .failure(ReportWriteError(destination: path, call: "close", errno: Errno(rawValue: errno))) }
    return .success(())
}
