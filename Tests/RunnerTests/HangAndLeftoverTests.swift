import Foundation
import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// A scenario never hangs past its deadline plus the teardown grace, and leaves no process and no
/// directory behind: not after the deadline, not when ringscript is killed.
@Suite struct HangAndLeftoverTests {
    /// Whether `pid` still runs (a zombie waiting for a reaper does not).
    private func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }

    // MARK: - Deadlines

    /// Three reads of an empty pipe, the later two drained behind the first: one cancel completes only
    /// the running one and lets the next start, so teardown must cancel again. Before teardown was
    /// bounded this took the deadline + 1 s (the drained barrier) + 2 s (the ring's deinit) = 3.2 s
    /// while the report said 1.2 s.
    @Test func aStuckScenarioEndsWithinItsDeadlineAndGraceAndSaysSo() throws {
        let canaries = try Canaries()
        let grace = Duration.milliseconds(600)
        let options = ExecutionOptions(deadline: .milliseconds(200), sandboxBase: canaries.sandboxes, teardownGrace: grace)
        let clock = ContinuousClock()
        var result: ExecutionResult?
        let wall = try clock.measure {
            result = try execute("""
                name: drained reads behind a stuck one
                resources:
                  p: { pipe: {} }
                  buf: { buffer: { size: 8 } }
                steps:
                  - read: { fd: p.read, buf: buf, len: 8 }
                    id: a
                  - read: { fd: p.read, buf: buf, len: 8 }
                    id: b
                    drain: true
                  - read: { fd: p.read, buf: buf, len: 8 }
                    id: c
                    drain: true
                expect:
                  a: any
                  b: any
                  c: any
                """, options: options)
        }
        let ending = try #require(result?.ending)
        #expect(ending.deadlineExpired)
        #expect(wall < .milliseconds(200) + grace + .milliseconds(150), "took \(wall)")
        #expect(wall >= .milliseconds(200))
        // What the report says is what the wall clock saw, teardown included.
        #expect(abs((wall - ending.duration) / .milliseconds(1)) < 30, "reported \(ending.duration), wall \(wall)")
        #expect(abs((wall - result!.duration) / .milliseconds(1)) < 30)
        #expect(canaries.leftovers.isEmpty)
    }

    @Test(.enabled(if: BuiltBinary.path != nil, "needs the built ringscript binary (swift build)"))
    func theCommandLineRunEndsWithinDeadlineAndGrace() throws {
        let canaries = try Canaries()
        try """
            name: drained reads behind a stuck one
            resources:
              p: { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf, len: 8 }
              - read: { fd: p.read, buf: buf, len: 8 }
                drain: true
              - read: { fd: p.read, buf: buf, len: 8 }
                drain: true
              - read: { fd: p.read, buf: buf, len: 8 }
                drain: true
            """.write(toFile: canaries.base + "/stuck.yaml", atomically: false, encoding: .utf8)
        let clock = ContinuousClock()
        var run: (status: Int32, output: String) = (0, "")
        let wall = try clock.measure {
            run = try BuiltBinary.shell("TMPDIR='\(canaries.sandboxes)' \"$RINGSCRIPT\" run --deadline 200ms '\(canaries.base)/stuck.yaml'")
        }
        #expect(run.status == 1, "\(run.output)")
        // 200 ms + the documented 1 s grace, and process start-up.
        #expect(wall < .milliseconds(1600), "took \(wall): \(run.output)")
        #expect(canaries.leftovers.isEmpty)
    }

    // MARK: - Peer actions

    @Test func aPeerWriteBiggerThanThePipeStopsAtTheDeadline() throws {
        let canaries = try Canaries()
        let observer = RecordingObserver()
        let clock = ContinuousClock()
        var result: ExecutionResult?
        let options = ExecutionOptions(deadline: .milliseconds(300), sandboxBase: canaries.sandboxes, teardownGrace: .milliseconds(300))
        let scenario = try ScenarioLoader.load("""
            name: a peer write that cannot fit
            resources:
              p: { pipe: { capacity: 4096 } }
              s: { socketpair: {} }
            steps:
              - peer_write: { fd: p.write, data: { pattern: "x", size: 1048576 } }
              - peer_write: { fd: s.a, data: { pattern: "y", size: 1048576 } }
              - nop
            """, file: "test.yaml").get()
        let plan = try Planner.plan(scenario).get()
        let wall = clock.measure {
            result = ScenarioExecution(scenario: scenario, plan: plan, options: options, observer: observer).run()
        }
        // Before: write(2) blocked for good on the full pipe, past every deadline.
        #expect(wall < .milliseconds(800), "took \(wall)")
        let summaries = observer.controlSummaries
        #expect(summaries.first?.hasPrefix("peer_write p.write: 4096 of 1048576 bytes: EAGAIN") == true, "\(summaries)")
        #expect(result?.ending?.deadlineExpired == true)
        #expect(canaries.leftovers.isEmpty)
    }

    @Test func aPeerWriteThatFitsStillWritesEverything() throws {
        let canaries = try Canaries()
        let observer = RecordingObserver()
        try execute("""
            name: peer writes that fit
            resources:
              p: { pipe: {} }
              s: { socketpair: {} }
              e: { eventfd: {} }
            steps:
              - peer_write: { fd: p.write, data: { pattern: "x", size: 8192 } }
              - peer_write: { fd: s.a, data: "hello" }
              - peer_signal: { eventfd: e, value: 3 }
              - peer_close: p.read
              - peer_write: { fd: p.write, data: "late" }
            """, options: canaries.options, observer: observer)
        #expect(observer.controlSummaries == [
            "peer_write p.write: 8192 of 8192 bytes",
            "peer_write s.a: 5 of 5 bytes",
            "peer_signal e +3",
            "peer_close p.read",
            "peer_write p.write: 0 of 4 bytes: EPIPE (Broken pipe)",
        ])
    }

    // MARK: - Children

    @Test func aChildIsKilledAndReapedAtTheDeadline() throws {
        let canaries = try Canaries()
        var pid: Int32?
        let result = try execute("""
            name: a child that would live an hour
            resources:
              kid: { child_process: { delay: 3600s, exit_code: 3 } }
            steps:
              - waitid: { idtype: P_PID, id: kid, options: WEXITED }
                id: w
            expect:
              w: 0
            """, options: ExecutionOptions(deadline: .milliseconds(200), sandboxBase: canaries.sandboxes)) { execution in
            execution.inspectResources = { resources in pid = resources.handles["kid"]?.pid }
        }
        let child = try #require(pid)
        #expect(result.ending?.deadlineExpired == true)
        #expect(!isRunning(child))
        #expect(!ChildProcesses.livePIDs.contains(child))
        // Reaped, not left a zombie: it is no longer this process's child.
        var status: Int32 = 0
        #expect(waitpid(child, &status, WNOHANG) == -1)
    }

    @Test func aChildHoldsNoDescriptorAndLeadsItsOwnGroup() throws {
        let pid = try ChildProcesses.spawn(exitCode: 0, delayNanoseconds: 3_600_000_000_000)
        defer { ChildProcesses.reap(pid) }
        var descriptors: [String] = []
        for _ in 0..<200 {
            descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? ["?"]
            if descriptors.isEmpty { break }
            usleep(5000)
        }
        #expect(descriptors.isEmpty, "the child holds \(descriptors)")
        #expect(getpgid(pid) == pid)
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        #expect(status.contains("PPid:\t\(getpid())"))
    }

    @Test func killAllChildrenKillsEveryLiveGroup() throws {
        let first = try ChildProcesses.spawn(exitCode: 0, delayNanoseconds: 3_600_000_000_000)
        let second = try ChildProcesses.spawn(exitCode: 0, delayNanoseconds: 3_600_000_000_000)
        #expect(ChildProcesses.livePIDs.isSuperset(of: [first, second]))
        // Only this test's children: other tests' scenarios run beside it.
        #expect(ChildProcesses.killChildren { $0 == first || $0 == second } == 2)
        #expect(!isRunning(first) && !isRunning(second))
        #expect(ChildProcesses.livePIDs.isDisjoint(with: [first, second]))
        ChildProcesses.reap(first)  // already reaped: nothing to do, nothing killed
    }

    @Test(.enabled(if: BuiltBinary.path != nil, "needs the built ringscript binary (swift build)"))
    func noChildOutlivesRingscriptKilledBySIGTERM() throws {
        let canaries = try Canaries()
        try """
            name: a child that would live an hour
            resources:
              kid: { child_process: { delay: 3600s } }
            steps:
              - waitid: { idtype: P_PID, id: kid, options: WEXITED }
            """.write(toFile: canaries.base + "/child.yaml", atomically: false, encoding: .utf8)
        // The test runner's threads block most signals, and a spawned process inherits the mask: start
        // ringscript as a shell would, with none blocked (perl's POSIX module is in every Debian).
        let run = try BuiltBinary.shell("""
            TMPDIR='\(canaries.sandboxes)' perl -MPOSIX -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV or die' \\
              "$RINGSCRIPT" run --deadline 30s '\(canaries.base)/child.yaml' >/dev/null 2>&1 &
            R=$!
            C=
            for i in $(seq 1 200); do
              C=$(cat /proc/$R/task/*/children 2>/dev/null | tr ' ' '\\n' | grep . | head -n 1)
              [ -n "$C" ] && break
              sleep 0.02
            done
            [ -n "$C" ] || { echo "NO CHILD"; kill -KILL $R; exit 3; }
            kill -TERM $R
            wait $R
            echo "ringscript: $?"
            for i in $(seq 1 100); do
              if [ ! -e /proc/$C ] || grep -q '^State:.*Z' /proc/$C/status 2>/dev/null; then echo "GONE $C"; exit 0; fi
              sleep 0.02
            done
            echo "LEFT $C"
            kill -KILL $C
            exit 1
            """)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("ringscript: 143\nGONE"), "\(run.output)")
    }
}
