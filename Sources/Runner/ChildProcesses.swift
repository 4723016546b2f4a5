#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
internal import CIoUring
import IoUring
import Synchronization

/// Every `child_process` a running scenario started and teardown has not reaped yet, process-wide: each
/// is the leader of its own process group, so killing the group leaves nothing behind. Teardown kills
/// and reaps a scenario's children itself; `killAllChildren()` is for the signal path, where ringscript
/// is about to exit with scenarios still running. A child also gets SIGKILL from the kernel when the
/// thread that started it dies (PR_SET_PDEATHSIG), should ringscript be killed outright.
public enum ChildProcesses {
    private static let live = Mutex<Set<Int32>>([])

    /// Sends SIGKILL to the process group of every live child and reaps those that are this process's
    /// to reap (a scenario thread's teardown may win the race; either is fine). Safe to call from a
    /// signal-handling thread (sigwait, a dispatch source), not from an asynchronous signal handler:
    /// it takes a lock. Returns how many groups it killed.
    @discardableResult
    public static func killAllChildren() -> Int { killChildren { _ in true } }

    /// `killAllChildren` for the live children `selected` picks (tests pick their own).
    static func killChildren(_ selected: (Int32) -> Bool) -> Int {
        let pids = live.withLock { pids in
            let chosen = pids.filter(selected)
            pids.subtract(chosen)
            return chosen
        }
        for pid in pids { kill(-pid, SIGKILL) }
        for pid in pids {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && System.errno == .EINTR {}
        }
        return pids.count
    }

    /// The pids of the children alive now (tests).
    public static var livePIDs: Set<Int32> { live.withLock { $0 } }

    /// Starts a child that sleeps `delayNanoseconds`, then exits with `exitCode`, in a process group of
    /// its own, with no descriptors (not even the standard ones: a child must not hold ringscript's
    /// output open), and PR_SET_PDEATHSIG(SIGKILL). It is forked, not executed: between fork(2) and
    /// _exit(2) it makes system calls only (no allocation, no locks), as a child of a multithreaded
    /// process must.
    static func spawn(exitCode: Int32, delayNanoseconds: Int64) throws(RunnerError) -> pid_t {
        let parent = getpid()
        var request = timespec(tv_sec: Int(delayNanoseconds / 1_000_000_000), tv_nsec: Int(delayNanoseconds % 1_000_000_000))
        let pid = fork()
        if pid == 0 {
            _ = CIoUring_set_parent_death_signal(SIGKILL)
            if getppid() != parent { _exit(137) }  // the parent died before the death signal was set
            _ = setpgid(0, 0)
            _ = CIoUring_close_range(0, ~0, 0)
            var remaining = timespec()
            while request.tv_sec > 0 || request.tv_nsec > 0 {
                if nanosleep(&request, &remaining) == 0 || errno != EINTR { break }
                request = remaining
            }
            _exit(exitCode & 0xff)
        }
        guard pid > 0 else { throw .system("fork (child_process)", System.errno) }
        _ = setpgid(pid, pid)  // also here, so that the group exists before anyone signals it
        live.withLock { _ = $0.insert(pid) }
        return pid
    }

    /// Kills (if it still runs) and reaps `pid`, unless the scenario reaped it already (its waitid).
    static func reap(_ pid: pid_t) {
        guard live.withLock({ $0.remove(pid) }) != nil else { return }
        var info = siginfo_t()
        // WNOWAIT: only look. ECHILD means the scenario's waitid (or killAllChildren) reaped it.
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return }
        if info._sifields._kill.si_pid == 0 { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && System.errno == .EINTR {}
    }
}
