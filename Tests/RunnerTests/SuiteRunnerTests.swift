#if canImport(Glibc)
import Glibc
#endif
import Checker
import Scenario
import Synchronization
import Testing
@testable import Runner

/// Writes `files` (name → YAML) into a fresh sandbox and returns it.
private func suiteDirectory(_ files: [String: String]) throws -> Sandbox {
    let sandbox = try Sandbox.create(label: "suite")
    for (name, text) in files {
        let fd = open(sandbox.resolve(name), O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
    return sandbox
}

private func scenario(_ name: String, tags: [String] = []) -> String {
    "name: \(name)\ntags: [\(tags.joined(separator: ", "))]\nsteps:\n  - nop: {}\n"
}

/// Outcomes decided by name, so the suite logic can be tested on its own (the kernel runs elsewhere).
private func verdictByName(_ verdicts: [String: Verdict]) -> @Sendable (Scenario, Int) -> ScenarioOutcome {
    { scenario, iteration in
        let verdict = verdicts[scenario.name] ?? .pass
        // "flaky" fails on its third run only.
        let flakyVerdict: Verdict = scenario.name == "flaky" && iteration == 3 ? .fail : verdict
        return ScenarioOutcome(name: scenario.name, file: scenario.file, verdict: flakyVerdict, duration: .milliseconds(1))
    }
}

private final class Events: Sendable {
    let log = Mutex<[String]>([])
    func record(_ event: SuiteEvent) {
        log.withLock { log in
            switch event {
            case .invalid(let file): log.append("invalid \(file.path.split(separator: "/").last!)")
            case .started, .planned, .iteration: break
            case .finished(let outcome):
                let name = outcome.diagnostics.isEmpty ? outcome.name : String(outcome.name.split(separator: "/").last!)
                log.append("\(outcome.verdict.rawValue) \(name) #\(outcome.iteration)\(outcome.notRun != nil ? " not run" : "")")
            }
        }
    }
}

@Suite struct SuiteRunnerTests {
    @Test func runsInStableOrderWithAnyJobCountAndReportsInvalidFiles() throws {
        let directory = try suiteDirectory([
            "a.yaml": scenario("alpha"), "b.yaml": scenario("beta"), "c.yaml": scenario("gamma"),
            "d.yaml": "name: broken\nsteps:\n  - reed: {}\n",
        ])
        defer { directory.remove() }
        let files = try ScenarioDiscovery.find([directory.path])
        for jobs in [1, 3] {
            let events = Events()
            let result = SuiteRunner(options: SuiteOptions(jobs: jobs))
                .run(files: files, execute: verdictByName(["beta": .fail])) { events.record($0) }
            #expect(events.log.withLock { $0 } == ["invalid d.yaml", "PASS alpha #1", "FAIL beta #1", "PASS gamma #1", "ERROR d.yaml #1"])
            #expect(result.exitStatus == .invalidInput)
            #expect(result.summary.line == "2 passed, 1 failed, 0 skipped, 1 error")
        }
    }

    @Test func repeatUntilFailStopsAtTheFailingIteration() throws {
        let directory = try suiteDirectory(["f.yaml": scenario("flaky")])
        defer { directory.remove() }
        let events = Events()
        let result = SuiteRunner(options: SuiteOptions(repetitions: 10, untilFail: true))
            .run(files: [directory.resolve("f.yaml")], execute: verdictByName([:])) { events.record($0) }
        // The passing second run is counted with the first, not listed.
        #expect(events.log.withLock { $0 } == ["PASS flaky #1", "FAIL flaky #3"])
        #expect(result.outcomes.first?.foldedIterations == [.pass: 1])
        #expect(result.summary[.pass] == 2)
        #expect(result.exitStatus == .failure)
    }

    @Test func longRepeatsKeepTheFirstIterationAndFailuresAndCountTheRest() throws {
        // Constant memory over --repeat: passes after the first are counted, not kept; failures are kept
        // up to SuiteRunner.listedFailingIterations and counted past it.
        let directory = try suiteDirectory(["a.yaml": scenario("steady"), "b.yaml": scenario("broken")])
        defer { directory.remove() }
        let files = try ScenarioDiscovery.find([directory.path])
        let result = SuiteRunner(options: SuiteOptions(repetitions: 300))
            .run(files: files, execute: verdictByName(["broken": .fail]), emit: { _ in })
        let steady = result.outcomes.filter { $0.name == "steady" }
        let broken = result.outcomes.filter { $0.name == "broken" }
        #expect(steady.map(\.iteration) == [1])
        #expect(steady.first?.foldedIterations == [.pass: 299])
        #expect(broken.count == SuiteRunner.listedFailingIterations)
        #expect(broken.first?.foldedIterations == [.fail: 300 - SuiteRunner.listedFailingIterations])
        #expect(result.summary[.pass] == 300 && result.summary[.fail] == 300)
        #expect(result.summary.line == "300 passed, 300 failed, 0 skipped")
    }

    @Test func failFastStartsNothingAfterAFailure() throws {
        let directory = try suiteDirectory(["a.yaml": scenario("alpha"), "b.yaml": scenario("beta"), "c.yaml": scenario("gamma")])
        defer { directory.remove() }
        let events = Events()
        _ = SuiteRunner(options: SuiteOptions(failFast: true))
            .run(files: try ScenarioDiscovery.find([directory.path]), execute: verdictByName(["alpha": .fail])) { events.record($0) }
        #expect(events.log.withLock { $0 } == ["FAIL alpha #1", "SKIP beta #1 not run", "SKIP gamma #1 not run"])
    }

    @Test func filterTagsShardAndTheSkipExitCode() throws {
        let directory = try suiteDirectory([
            "a.yaml": scenario("alpha", tags: ["net"]), "b.yaml": scenario("beta"), "c.yaml": scenario("gamma", tags: ["net"]),
        ])
        defer { directory.remove() }
        let files = try ScenarioDiscovery.find([directory.path])
        let tagged = SuiteRunner(options: SuiteOptions(selection: Selection(tags: ["net"])))
            .run(files: files, execute: verdictByName([:])) { _ in }
        #expect(tagged.outcomes.map(\.name) == ["alpha", "gamma"])
        let sharded = SuiteRunner(options: SuiteOptions(selection: Selection(shard: (2, 2))))
            .run(files: files, execute: verdictByName([:])) { _ in }
        #expect(sharded.outcomes.map(\.name) == ["beta"])
        let single = SuiteRunner(options: SuiteOptions(selection: Selection(filter: "beta")))
            .run(files: files, execute: verdictByName(["beta": .skip])) { _ in }
        #expect(single.exitStatus == .skipped)
        #expect(SuiteRunner(options: SuiteOptions()).run(files: files, execute: verdictByName(["beta": .skip])) { _ in }.exitStatus == .success)
    }

    @Test func unreadableFilesAreDiagnosed() {
        let file = LoadedFile.load("/nonexistent/x.yaml", options: LoadOptions())
        #expect(file.scenario == nil)
        #expect(file.renderedDiagnostics == "/nonexistent/x.yaml:1:1: error: cannot read '/nonexistent/x.yaml': open: ENOENT (No such file or directory)\n1 error")
    }
}
