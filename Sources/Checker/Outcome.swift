import Scenario

/// The verdict of one scenario run, as lit and kselftest name them.
public enum Verdict: String, Sendable, CaseIterable {
    /// Every expectation held.
    case pass = "PASS"
    /// An expectation did not hold.
    case fail = "FAIL"
    /// The scenario's deadline passed with requests still outstanding; `neverCompleted` lists them.
    case timeout = "TIMEOUT"
    /// `requires:` was not met; nothing ran.
    case skip = "SKIP"
    /// Marked expected-to-fail, and it failed.
    case xfail = "XFAIL"
    /// Marked expected-to-fail, and it passed.
    case xpass = "XPASS"
    /// The scenario could not be run: invalid file, a resource that could not be created, a kernel error.
    case error = "ERROR"

    /// Whether this verdict makes a run fail (exit code 1).
    public var isFailure: Bool { self == .fail || self == .timeout || self == .xpass || self == .error }
}

/// One way in which the kernel's behaviour differed from an expectation.
public struct Mismatch: Hashable, Sendable {
    /// Where the expectation was written.
    public var mark: SourceMark
    /// What the expectation is about: an id (`r1`), `order`, `buffer buf`, `file out.txt`, …
    public var subject: String
    public var expected: String
    public var actual: String

    public init(mark: SourceMark, subject: String, expected: String, actual: String) {
        self.mark = mark
        self.subject = subject
        self.expected = expected
        self.actual = actual
    }
}

/// Something a reader of the report should know that is no mismatch: CQEs of a shared user_data that
/// more than one assignment to its requests explains.
public struct Note: Hashable, Sendable {
    public var mark: SourceMark
    public var text: String

    public init(mark: SourceMark, text: String) {
        self.mark = mark
        self.text = text
    }
}

/// A CQE as the trace recorded it, for reports.
public struct ObservedCompletion: Hashable, Sendable {
    /// The step id the user_data maps to, or nil when no step has that user_data.
    public var id: String?
    public var userData: UInt64
    public var res: Int32
    public var flags: UInt32
    /// 0-based arrival position among all CQEs of the run.
    public var arrival: Int
    /// Time since the scenario started.
    public var elapsed: Duration

    public init(id: String?, userData: UInt64, res: Int32, flags: UInt32, arrival: Int, elapsed: Duration) {
        self.id = id
        self.userData = userData
        self.res = res
        self.flags = flags
        self.arrival = arrival
        self.elapsed = elapsed
    }
}

/// Everything a reporter needs about one scenario run.
public struct ScenarioOutcome: Sendable {
    public var name: String
    public var file: String
    public var verdict: Verdict
    public var duration: Duration
    /// Why it was skipped, why it is expected to fail, or what error stopped it.
    public var reason: String?
    /// Mismatches in the order they were found; the first is the first divergence.
    public var mismatches: [Mismatch]
    /// CQEs that no expectation claimed.
    public var unclaimed: [ObservedCompletion]
    /// Ids that were expected to complete and never did (the deadline passed first).
    public var neverCompleted: [(id: String, mark: SourceMark)]
    /// The 1-based iteration of `--repeat`/`--until-fail` this outcome belongs to.
    public var iteration: Int
    /// Notes for the reader, whatever the verdict (an ambiguous assignment of shared user_data CQEs).
    public var notes: [Note]
    /// With `--repeat`: later iterations only counted here, by verdict, not listed — every pass after the
    /// first, and failures past the first `SuiteRunner.listedFailingIterations` — so a long repeat runs in
    /// constant memory. Summaries count them.
    public var foldedIterations: [Verdict: Int] = [:]
    /// For a file that could not be loaded (verdict ERROR): the loader's diagnostics.
    public var diagnostics: [Diagnostic]
    /// Why the scenario did not run at all, or not to its end (verdict SKIP): `--fail-fast`, a signal.
    public var notRun: String?
    /// The ring the scenario asked for, for reports: `entries 64, flags SQPOLL|SINGLE_ISSUER`.
    public var ringSetup: String?
    /// The run's SQEs, enters and CQEs, kept when a JSON report asked for them.
    public var trace: RecordedTrace?

    public init(name: String, file: String, verdict: Verdict, duration: Duration, reason: String? = nil,
                mismatches: [Mismatch] = [], unclaimed: [ObservedCompletion] = [],
                neverCompleted: [(id: String, mark: SourceMark)] = [], iteration: Int = 1,
                diagnostics: [Diagnostic] = [], notRun: String? = nil, notes: [Note] = []) {
        self.notes = notes
        self.name = name
        self.file = file
        self.verdict = verdict
        self.duration = duration
        self.reason = reason
        self.mismatches = mismatches
        self.unclaimed = unclaimed
        self.neverCompleted = neverCompleted
        self.iteration = iteration
        self.diagnostics = diagnostics
        self.notRun = notRun
    }

    /// A file that could not be loaded: an ERROR entry that carries the diagnostics.
    public static func invalidFile(_ file: String, diagnostics: [Diagnostic]) -> ScenarioOutcome {
        let errors = diagnostics.filter { $0.severity == .error }.count
        return ScenarioOutcome(name: file, file: file, verdict: .error, duration: .zero,
                               reason: "invalid scenario file (\(errors) error\(errors == 1 ? "" : "s"))",
                               diagnostics: diagnostics)
    }

    /// A selected scenario that the run stopped before (or while) running: a SKIP saying why.
    public static func notRun(name: String, file: String, why: String, iteration: Int = 1) -> ScenarioOutcome {
        ScenarioOutcome(name: name, file: file, verdict: .skip, duration: .zero, reason: "not run: " + why,
                        iteration: iteration, notRun: why)
    }
}

/// Counts for the summary line.
public struct RunSummary: Hashable, Sendable {
    public var counts: [Verdict: Int] = [:]

    /// Selected scenarios that never ran (they are not counted as skipped).
    public var notRun = 0

    public init(_ outcomes: [ScenarioOutcome]) {
        for outcome in outcomes {
            if outcome.notRun != nil { notRun += 1 } else { counts[outcome.verdict, default: 0] += 1 }
            for (verdict, count) in outcome.foldedIterations { counts[verdict, default: 0] += count }
        }
    }

    public subscript(verdict: Verdict) -> Int { counts[verdict] ?? 0 }

    /// `N passed, N failed, N skipped`, then the other verdicts that occurred.
    public var line: String {
        var parts = ["\(self[.pass]) passed", "\(self[.fail]) failed", "\(self[.skip]) skipped"]
        if self[.timeout] > 0 { parts.append("\(self[.timeout]) timed out") }
        if self[.xfail] > 0 { parts.append("\(self[.xfail]) xfailed") }
        if self[.xpass] > 0 { parts.append("\(self[.xpass]) xpassed") }
        if self[.error] > 0 { parts.append("\(self[.error]) error\(self[.error] == 1 ? "" : "s")") }
        if notRun > 0 { parts.append("\(notRun) not run") }
        return parts.joined(separator: ", ")
    }

    public var hasFailures: Bool { self[.fail] + self[.timeout] + self[.xpass] + self[.error] > 0 }
}

extension Duration {
    /// Seconds as a Double, for reports.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
