#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// The end of a run: cancel what is in flight and drain the ring within the grace.
extension RunDriver {
    /// Marks the end of the checked part of the trace, then cancels everything in flight
    /// (IORING_ASYNC_CANCEL_ANY) and drains the ring within `grace`, observing the CQEs that come back.
    /// Returns false when the ring could not be proved idle (its memory then stays with the engine).
    /// Gives the checker its state back.
    ///
    /// A cancel reaches only requests that have started: one queued with IOSQE_IO_DRAIN behind a stuck
    /// request starts when the cancel completes that one, and may block in its turn. So the cancel and
    /// barrier are sent again, in slices of an eighth of the grace (at least 20 ms), until the barrier
    /// arrives or the grace is spent; a barrier the kernel refuses (a ring that has seen
    /// IOSQE_CQE_SKIP_SUCCESS) ends it at once. The ring's own `deinit` then gets only what is left of
    /// the grace, so teardown never takes longer than `grace`.
    mutating func tearDown(grace: Duration) -> Bool {
        let end = ContinuousClock.now + grace
        reapReady()
        if feedsChecker {
            core.tearDown()
        } else {
            observer.observe(.teardown(deadlineExpired: expired, elapsed: elapsed))
        }
        var drained: [CompletionQueueEntry] = []
        var idle = false
        let slice = max(grace / 8, .milliseconds(20))
        while !idle {
            let sliceStart = ContinuousClock.now
            let remaining = end - sliceStart
            if remaining <= .zero { break }
            let timeout = min(slice, remaining)
            do {
                idle = try ring.quiesce(cancelling: true, timeout: timeout) { cqe in drained.append(cqe) }
            } catch {
                break
            }
            // Back before its time without proof: the kernel refused the barrier; asking again cannot help.
            if !idle && ContinuousClock.now - sliceStart < timeout { break }
        }
        ring.teardownTimeout = max(end - ContinuousClock.now, .zero)
        let stamp = elapsed
        for cqe in drained { handle(cqe, elapsed: stamp) }
        if let checker, feedsChecker {
            checker.returnCore(core)
            feedsChecker = false
            hasDense = false
            core = CheckerCore.placeholder
        }
        return idle
    }
}
