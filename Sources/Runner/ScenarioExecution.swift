#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// How one scenario run behaves beyond what the scenario says.
public struct ExecutionOptions: Sendable {
    /// Overrides the scenario's `deadline:` (and the 10 s default), like `--deadline`.
    public var deadline: Duration?
    /// Leave the sandbox directory in place and report its path (`--keep-sandbox`).
    public var keepSandbox: Bool
    /// Where sandboxes are made; $TMPDIR or /tmp when nil.
    public var sandboxBase: String?
    /// How long teardown may take after the steps end (at the deadline or before): cancelling and
    /// draining what is in flight, the ring's own teardown, killing and reaping children, closing
    /// descriptors. A run's wall time stays within its deadline plus this grace (plus the few
    /// milliseconds it takes to delete the sandbox), and its reported duration includes all of it.
    public var teardownGrace: Duration
    /// Ends the run early as if its deadline had passed, when it `cancelsInFlight` (a signal).
    public var stop: RunStop?

    public init(deadline: Duration? = nil, keepSandbox: Bool = false, sandboxBase: String? = nil,
                teardownGrace: Duration = .seconds(1), stop: RunStop? = nil) {
        self.stop = stop
        self.deadline = deadline
        self.keepSandbox = keepSandbox
        self.sandboxBase = sandboxBase
        self.teardownGrace = teardownGrace
    }
}

/// Why the runner could not run (or finish running) a scenario, with where in the scenario, if known.
public struct ExecutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The step or resource that failed.
    public var mark: SourceMark?
    public var message: String

    public init(mark: SourceMark?, _ message: String) {
        self.mark = mark
        self.message = message
    }

    public init(mark: SourceMark?, _ error: RunnerError) {
        self.init(mark: mark, error.description)
    }

    /// `file:line:col: error: message`, like a compiler diagnostic.
    public var description: String {
        (mark.map { "\($0): " } ?? "") + "error: " + message
    }
}

/// What a run produced, beyond the trace the observer saw.
public struct ExecutionResult: Sendable {
    public enum Outcome: Sendable {
        /// The steps ran, to the end or to the deadline: check the trace against these facts.
        case ran(PostRunFacts, RunEnding)
        /// `requires:` is not met (a refused ring setup included, when `requires:` explains it): nothing
        /// ran. The reason is exact (`requires IORING_OP_SEND_ZC, which this kernel does not support`).
        case skipped(reason: String)
        /// The ring setup decided the run and no step ran: the kernel refused the setup as `ring.expect`
        /// says (`mismatch` nil; `call` is the refused call), or the setup differed from what the scenario
        /// says — a refusal `requires:` does not explain, a ring that set up though expected to fail, another
        /// errno than expected (`mismatch`, naming the call, the errno and the flags).
        case setupDecided(mismatch: Mismatch?, call: String)
        /// The runner could not run the scenario; the trace may be partial.
        case failed(ExecutionError)
    }

    public var outcome: Outcome
    /// How long the run took, setup and teardown included.
    public var duration: Duration
    /// The sandbox directory, when it was kept.
    public var keptSandbox: String?
    /// False when teardown could not prove the ring idle: memory the kernel may still write was then
    /// left to the engine, which never frees it under the kernel.
    public var drained: Bool
    public var statistics: ExecutionStatistics
    /// What the runner itself found to differ while the steps ran, beyond what the checker sees: an
    /// io_uring_enter(2) that failed where no step expected it, the ops a `probe` step found otherwise
    /// than listed. `outcome(checked:)` adds them to the checker's outcome.
    public var runnerMismatches: [Mismatch] = []

    /// The skip reason, if the scenario was skipped.
    public var skipReason: String? {
        if case .skipped(let reason) = outcome { return reason }
        return nil
    }

    /// The error, if the run failed.
    public var error: ExecutionError? {
        if case .failed(let error) = outcome { return error }
        return nil
    }
}

/// Runs one scenario on a fresh ring inside its own sandbox, following its plan, and reports every
/// SQE, `io_uring_enter(2)`, registration, control step and CQE to an observer:
///
/// 1. checks `requires:` (root, kernel release, ops through the probe, setup flags by trying them,
///    feature bits) and sets up the ring the scenario asks for: an unmet requirement is a SKIP with the
///    reason; a refused setup is a SKIP only when `requires:` explains it, else the setup decides the
///    verdict (`ring.expect`, or a FAIL naming the call);
/// 2. creates the sandbox and every resource;
/// 3. walks the step instances (repeat blocks streamed), queueing, submitting, waiting and acting;
/// 4. waits until every awaited request has posted its final CQE, or the deadline;
/// 5. emits `.teardown`, cancels what is in flight (IORING_ASYNC_CANCEL_ANY) and drains the ring,
///    gathers the post-run facts the expectations need, closes every descriptor and removes the sandbox.
public struct ScenarioExecution {
    public let scenario: Scenario
    public let plan: Plan
    public let options: ExecutionOptions
    public let observer: any TraceObserver
    /// Called with the ring every `inspectionInterval` instances and once at the end (tests).
    var inspect: ((borrowing IoUring, ExecutionStatistics) -> Void)?
    var inspectionInterval: UInt64 = 10_000
    /// Called with the resources once they are created, before the first step (tests).
    var inspectResources: ((RunResources) -> Void)?

    public init(scenario: Scenario, plan: Plan, options: ExecutionOptions = ExecutionOptions(), observer: any TraceObserver) {
        self.scenario = scenario
        self.plan = plan
        self.options = options
        self.observer = observer
    }

    /// The deadline this run uses: the option, else the scenario's, else 10 s.
    public var deadline: Duration { options.deadline ?? plan.deadline ?? Plan.defaultDeadline }

    /// Runs the scenario. Never throws: a skip or a failure is part of the result.
    public func run() -> ExecutionResult {
        _ = ScenarioExecution.ignoreBrokenPipes
        let start = ContinuousClock.now
        let deadlineInstant = start + deadline
        var result = ExecutionResult(outcome: .skipped(reason: ""), duration: .zero, keptSandbox: nil, drained: true,
                                     statistics: ExecutionStatistics())
        func finished(_ outcome: ExecutionResult.Outcome) -> ExecutionResult {
            result.outcome = outcome
            result.duration = ContinuousClock.now - start
            return result
        }

        if let reason = RequirementCheck.unmetWithoutRing(scenario.requirements) {
            return finished(.skipped(reason: reason))
        }
        var ring: IoUring
        do {
            ring = try RequirementCheck.setUpRing(scenario)
        } catch {
            switch error {
            case .skip(let reason): return finished(.skipped(reason: reason))
            case .refusedAsExpected(let call): return finished(.setupDecided(mismatch: nil, call: call))
            case .differed(let mismatch): return finished(.setupDecided(mismatch: mismatch, call: mismatch.actual))
            case .error(let error): return finished(.failed(ExecutionError(mark: nil, error)))
            }
        }
        if let reason = RequirementCheck.unmetWithRing(scenario.requirements, ring: ring) {
            return finished(.skipped(reason: reason))
        }
        ring.userDataIsUnique = ScenarioExecution.tracksSilentRequests(in: scenario)

        let sandbox: Sandbox
        do {
            sandbox = try Sandbox.create(label: ScenarioExecution.label(for: scenario), base: options.sandboxBase)
        } catch {
            return finished(.failed(ExecutionError(mark: nil, error)))
        }
        if scenario.requirements.xattrs, let reason = RequirementCheck.userXattrRefusal(in: sandbox.path) {
            sandbox.remove()
            return finished(.skipped(reason: reason))
        }
        let resources = RunResources(scenario: scenario, plan: plan, sandbox: sandbox)
        /// Children killed and reaped, descriptors closed, the sandbox gone: before the duration is taken.
        func cleanUp() {
            resources.closeAll()
            if options.keepSandbox { sandbox.keep() } else { sandbox.remove() }
        }
        if options.keepSandbox { result.keptSandbox = sandbox.path }
        do {
            try resources.create(ring: &ring, deadline: deadlineInstant)
        } catch {
            ring.teardownTimeout = min(ring.teardownTimeout, options.teardownGrace)
            _ = consume ring
            cleanUp()
            return finished(.failed(error))
        }
        inspectResources?(resources)

        let ringIdentity = ring.identity
        defer { OperationIssuer.closePipeEnds(ofRing: ringIdentity) }
        let signalCount = SignalCount(scenario.expectations.signals)
        var driver = RunDriver(ring: ring, scenario: scenario, plan: plan, resources: resources, observer: observer,
                               start: start, deadline: deadlineInstant)
        driver.inspect = inspect
        driver.stop = options.stop
        driver.inspectionInterval = inspectionInterval
        var failure: ExecutionError?
        do {
            try driver.walk()
            if !driver.expired && !driver.stopped { try driver.finish() }
        } catch {
            failure = error
        }
        result.drained = driver.tearDown(grace: options.teardownGrace)
        result.statistics = driver.statistics
        result.runnerMismatches = driver.runnerMismatches + signalCount.finish()
        let expired = driver.expired
        let facts = resources.facts(for: scenario.expectations, until: deadlineInstant + options.teardownGrace)
        _ = consume driver  // the ring's deinit, within what is left of the grace
        cleanUp()
        if let failure { return finished(.failed(failure)) }
        let ending = RunEnding(deadlineExpired: expired, duration: ContinuousClock.now - start)
        return finished(.ran(facts, ending))
    }

    /// The outcome of this run for a report: the checker's for a run whose steps ran (with the runner's
    /// own mismatches added), a skip, an error, or the verdict the ring setup decided. `checker` is the
    /// observer that saw the trace; `expectedFailure` is the xfail reason that holds on this kernel.
    public static func outcome(of result: ExecutionResult, scenario: Scenario, checker: ExpectationChecker,
                               expectedFailure: String?, iteration: Int) -> ScenarioOutcome {
        switch result.outcome {
        case .ran(let facts, let ending):
            var outcome = checker.finish(facts: facts, ending: ending)
            outcome.add(runnerMismatches: result.runnerMismatches, expectedFailure: expectedFailure)
            return outcome
        case .skipped(let reason):
            return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .skip, duration: result.duration,
                                   reason: reason, iteration: iteration)
        case .setupDecided(let mismatch, let call):
            var outcome = ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .pass, duration: result.duration,
                                          reason: mismatch == nil ? call + ", as 'ring.expect' says" : nil, iteration: iteration)
            outcome.add(runnerMismatches: mismatch.map { [$0] } ?? [], expectedFailure: expectedFailure)
            return outcome
        case .failed(let error):
            return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: .error, duration: result.duration,
                                   reason: error.description, iteration: iteration)
        }
    }

    /// A sandbox label from the scenario's file name.
    static func label(for scenario: Scenario) -> String {
        var name = Substring(scenario.file.split(separator: "/").last ?? "scenario")
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) { name = name.dropLast(suffix.count) }
        return name.isEmpty ? "scenario" : String(name)
    }

    /// Writing to a pipe or socket whose other end is closed must fail with EPIPE, not kill the process:
    /// SIGPIPE is handled (counted, for `expect: signals`), process-wide, once.
    private static let ignoreBrokenPipes: Void = {
        SignalCounting.handleBrokenPipes()
    }()
}

extension ScenarioExecution {
    /// Whether the ring counts `scenario`'s silent link-chain members done by a later member's CQE
    /// (`IoUring.userDataIsUnique`): only when it has IOSQE_CQE_SKIP_SUCCESS requests (the look at every SQE
    /// costs ≈ 8 ns per nop of the "scenario nops (repeat), batch 32" bench row, 85 → 93), and only when no
    /// two requests in flight can post CQEs with one user_data — not with shared user_data, a poll_update
    /// that gives a poll a new one, or a `raw` SQE or msg_ring (a message to the ring itself posts a CQE
    /// with any user_data).
    static func tracksSilentRequests(in scenario: Scenario) -> Bool {
        guard !scenario.options.allowDuplicateUserData else { return false }
        var hasSilentRequests = false
        for node in scenario.graph.nodes {
            guard case .request(let spec) = node.kind else { continue }
            if spec.operation == "raw" || spec.operation == "poll_update" || spec.operation == "msg_ring" { return false }
            if spec.flags.contains(.skipSuccess) { hasSilentRequests = true }
        }
        return hasSilentRequests
    }
}

extension ScenarioOutcome {
    /// Adds what the runner found to differ: a mismatch with the same mark and subject as one of the
    /// checker's says more about it and takes its place; the others come after the checker's. A PASS
    /// becomes a FAIL, and an expected failure's XPASS an XFAIL.
    mutating func add(runnerMismatches: [Mismatch], expectedFailure: String?) {
        guard !runnerMismatches.isEmpty else {
            if verdict == .pass, let expectedFailure {
                verdict = .xpass
                reason = "expected to fail (\(expectedFailure)), but every expectation held"
            }
            return
        }
        for mismatch in runnerMismatches {
            if let index = mismatches.firstIndex(where: { $0.mark == mismatch.mark && $0.subject == mismatch.subject }) {
                mismatches[index] = mismatch
            } else {
                mismatches.append(mismatch)
            }
        }
        switch verdict {
        case .pass:
            verdict = expectedFailure == nil ? .fail : .xfail
            if let expectedFailure { reason = expectedFailure }
        case .xpass:
            verdict = .xfail
            reason = expectedFailure
        default: break
        }
    }
}
