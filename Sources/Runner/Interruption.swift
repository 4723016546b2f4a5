#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import IoUring
import Synchronization

/// Why a run stops before its end, set once from any thread: the failure limit, a signal, standard
/// output going away. The suite starts nothing new once it is set; when `cancelsInFlight`, the scenarios
/// running see their deadline as passed (RunDriver reads `cancelsInFlight`), so the runner cancels and
/// reaps their in-flight requests, tears down and removes their sandboxes as at a deadline.
public final class RunStop: Sendable {
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// `--fail-fast` / `--max-failures N`: N scenarios failed.
        case failures(Int)
        /// SIGINT, SIGTERM or SIGHUP.
        case signal(Int32)
        /// Standard output is a pipe whose reader went away (EPIPE).
        case outputClosed
        /// A report could not be written: where, and the errno name.
        case outputFailed(String)

        /// Whether scenarios already running are cut short too.
        public var cancelsInFlight: Bool {
            if case .failures = self { return false }
            return true
        }

        public var description: String {
            switch self {
            case .failures(let count): return "stopped after \(count) failure\(count == 1 ? "" : "s")"
            case .signal(let number): return "interrupted by \(signalName(number))"
            case .outputClosed: return "standard output was closed"
            case .outputFailed(let what): return "a report could not be written: \(what)"
            }
        }
    }

    private let state = Mutex<Reason?>(nil)
    private let stopped = Atomic<Bool>(false)
    private let cancelled = Atomic<Bool>(false)
    /// Threads running a scenario, to interrupt their blocking io_uring_enter(2) with `pokeSignal`.
    private let workers = Mutex<[pthread_t: Int]>([:])

    public init() {}

    /// Records `reason` unless a reason is already recorded; returns whether this call recorded it.
    @discardableResult
    public func request(_ reason: Reason) -> Bool {
        let first = state.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return false }
        stopped.store(true, ordering: .releasing)
        if reason.cancelsInFlight {
            cancelled.store(true, ordering: .releasing)
            wakeWorkers()
        }
        return true
    }

    /// Whether the suite must start nothing new.
    public var isStopped: Bool { stopped.load(ordering: .acquiring) }
    /// Whether running scenarios must stop now (their deadline counts as passed).
    public var cancelsInFlight: Bool { cancelled.load(ordering: .acquiring) }
    public var reason: Reason? { state.withLock { $0 } }

    /// The exit status of a run this stopped: 128 + the signal, 141 (as SIGPIPE would) for a closed
    /// standard output, 2 for a report that could not be written; nil for the failure limit.
    public var exitStatus: ExitStatus? { reason.flatMap(RunStop.exitStatus(for:)) }

    static func exitStatus(for reason: Reason) -> ExitStatus? {
        switch reason {
        case .signal(let number): return ExitStatus(rawValue: 128 + number) ?? .interrupted
        case .outputClosed: return .outputClosed
        case .outputFailed: return .invalidInput
        case .failures: return nil
        }
    }

    /// Runs `body` with the calling thread registered as running a scenario.
    func asWorker<T>(_ body: () -> T) -> T {
        let me = pthread_self()
        // Worker threads (Dispatch's among them) may have been started with signals blocked.
        if SignalHandling.pokeInstalled.load(ordering: .acquiring) { SignalHandling.unblock([SignalHandling.pokeSignal]) }
        workers.withLock { $0[me, default: 0] += 1 }
        defer { workers.withLock { if $0[me] == 1 { $0[me] = nil } else { $0[me]? -= 1 } } }
        return body()
    }

    /// Interrupts every worker's blocking system call, again every 20 ms until none runs a scenario (a
    /// poke that lands just before a worker enters io_uring_enter(2) would otherwise be lost). Only
    /// when `SignalHandling` installed the poke handler: without one, a poke would kill the process.
    private func wakeWorkers() {
        guard SignalHandling.pokeInstalled.load(ordering: .acquiring) else { return }
        DispatchQueue.global().async { [self] in
            while true {
                let threads = workers.withLock { Array($0.keys) }
                if threads.isEmpty { return }
                for thread in threads { pthread_kill(thread, SignalHandling.pokeSignal) }
                usleep(20_000)
            }
        }
    }
}

/// `SIGINT`, `SIGTERM`, … for a signal number.
func signalName(_ number: Int32) -> String {
    switch number {
    case SIGINT: return "SIGINT"
    case SIGTERM: return "SIGTERM"
    case SIGHUP: return "SIGHUP"
    case SIGPIPE: return "SIGPIPE"
    default: return "signal \(number)"
    }
}

/// The command line's signal handling: SIGINT, SIGTERM and SIGHUP stop the run through a `RunStop`
/// (the handler only writes the signal number to a pipe; a watcher thread does the rest), and SIGURG,
/// sent to the threads running scenarios, interrupts their blocking calls with EINTR.
public enum SignalHandling {
    /// The signal `RunStop` sends to worker threads. Its default action is to ignore it, so a poke
    /// that arrives after the handler is gone does nothing.
    static let pokeSignal = SIGURG
    static let pokeInstalled = Atomic<Bool>(false)
    nonisolated(unsafe) private static var wakeWrite: Int32 = -1

    /// Installs the handlers for the run `stop` belongs to. A second signal while the run is stopping
    /// exits at once with 128 + the signal.
    public static func install(stop: RunStop, writeError: @escaping @Sendable (String) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            writeError("ringscript: pipe: \(Errno(rawValue: errno).name); signals will not stop the run cleanly")
            return
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeWrite = fds[1]
        let readEnd = fds[0]
        DispatchQueue.global().async {
            while true {
                var byte: UInt8 = 0
                let count = read(readEnd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return }
                let number = Int32(byte)
                if !stop.request(.signal(number)) {
                    if case .signal? = stop.reason {
                        writeError("ringscript: \(signalName(number)) again: exiting now")
                        _exit(128 + number)
                    }
                    continue
                }
                writeError("ringscript: \(signalName(number)): cancelling what is in flight and writing the reports")
                killChildProcesses()
            }
        }
        var poke = sigaction()
        poke.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&poke.sa_mask)
        poke.sa_flags = 0  // no SA_RESTART: the interrupted io_uring_enter(2) returns EINTR
        sigaction(pokeSignal, &poke, nil)
        pokeInstalled.store(true, ordering: .releasing)

        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            var byte = UInt8(truncatingIfNeeded: number)
            _ = write(SignalHandling.wakeWrite, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaction(number, &action, nil) }
        // A parent may have started us with these blocked (the mask is inherited across exec).
        unblock([SIGINT, SIGTERM, SIGHUP, pokeSignal])
    }

    /// Unblocks `signals` on the calling thread.
    static func unblock(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Kills every live child process of the run's scenarios (`child_process` resources, each the leader
    /// of its own process group) and reaps them, from the watcher thread. Each scenario's teardown would kill
    /// its own as well, but a child must not outlive a signal that ends the run.
    static func killChildProcesses() { _ = ChildProcesses.killAllChildren() }
}
