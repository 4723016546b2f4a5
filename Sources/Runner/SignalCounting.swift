#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import Scenario
import Synchronization

/// Counts the signals a scenario's expectations name (`expect: { signals: { SIGPIPE: 1 } }`) that reach
/// the thread running the scenario. SIGPIPE is handled, not ignored, process-wide: the handler only adds
/// to the count of the thread it interrupted (found by `pthread_self`, in a fixed table of slots that
/// running scenarios claim), so the write that raised it still fails with EPIPE and nothing dies. The
/// kernel sends SIGPIPE to the task that did the write (`send_sig(SIGPIPE, current, 0)` in pipe_write and
/// the socket send paths): for a request the ring issues inline that is the thread in io_uring_enter(2),
/// the scenario's; an io-wq worker or the SQPOLL thread has every signal blocked, so a write they do
/// raises none that the process sees.
enum SignalCounting {
    /// The signals a scenario can count: SIGPIPE (`SIGPIPE` → 13).
    static let countable: [String: Int32] = ["SIGPIPE": SIGPIPE]

    /// A thread counting SIGPIPE: its pthread_t (0 when the slot is free) and the count.
    final class Slot: Sendable {
        let thread = Atomic<UInt>(0)
        let count = Atomic<Int>(0)
    }

    /// As many scenarios as can count at once (`-j` beyond this gets an error for the ones that cannot).
    static let slots: [Slot] = (0..<64).map { _ in Slot() }
    /// SIGPIPEs that reached a thread not counting (the report writer's, a peer's…).
    static let uncounted = Atomic<Int>(0)

    private static let handlerInstalled: Void = {
        _ = slots.count
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            let thread = UInt(pthread_self())
            for slot in SignalCounting.slots where slot.thread.load(ordering: .acquiring) == thread {
                slot.count.add(1, ordering: .relaxed)
                return
            }
            SignalCounting.uncounted.add(1, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        // SA_RESTART: a blocking call the signal lands in goes on (io_uring_enter(2) returns EINTR, which
        // the runner retries, as for its own SIGURG).
        action.sa_flags = SA_RESTART
        sigaction(SIGPIPE, &action, nil)
    }()

    /// Makes a write to a pipe or socket whose other end is closed fail with EPIPE instead of killing the
    /// process, counting the SIGPIPE instead of ignoring it. Once, process-wide.
    static func handleBrokenPipes() { _ = handlerInstalled }

    /// Starts counting SIGPIPE on the calling thread; nil when every slot is taken.
    static func begin() -> Int? {
        handleBrokenPipes()
        let thread = UInt(pthread_self())
        for (index, slot) in slots.enumerated() {
            slot.count.store(0, ordering: .relaxed)
            if slot.thread.compareExchange(expected: 0, desired: thread, ordering: .acquiringAndReleasing).exchanged {
                slot.count.store(0, ordering: .releasing)
                return index
            }
        }
        return nil
    }

    /// Stops counting on the slot `begin` gave, and returns the count.
    static func end(_ index: Int) -> Int {
        let slot = slots[index]
        let count = slot.count.load(ordering: .acquiring)
        slot.thread.store(0, ordering: .releasing)
        return count
    }
}

/// The signal counting of one run: started before the first step when the scenario expects signals,
/// compared after the teardown.
struct SignalCount {
    let expectations: [SignalExpectation]
    private let slot: Int?

    init(_ expectations: [SignalExpectation]) {
        self.expectations = expectations
        slot = expectations.isEmpty ? nil : SignalCounting.begin()
    }

    /// Ends the count; what differs from the expectations, each at its line.
    func finish() -> [Mismatch] {
        guard !expectations.isEmpty else { return [] }
        guard let slot else {
            return expectations.map {
                Mismatch(mark: $0.mark, subject: "signals", expected: "\($0.name) \($0.count) time\($0.count == 1 ? "" : "s")",
                         actual: "not counted: \(SignalCounting.slots.count) scenarios were counting signals already")
            }
        }
        let count = SignalCounting.end(slot)
        return expectations.compactMap { expectation in
            guard UInt64(count) != expectation.count else { return nil }
            return Mismatch(mark: expectation.mark, subject: "signals",
                            expected: "\(expectation.name) \(expectation.count) time\(expectation.count == 1 ? "" : "s")",
                            actual: "\(expectation.name) \(count) time\(count == 1 ? "" : "s")")
        }
    }
}
