import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Checker
import Synchronization
import Testing
@testable import Runner

/// `ringscript run` end to end on the real kernel: the fixtures under RunFixtures/ pass, fail, skip and
/// time out on purpose, and the reports must say exactly where and how.
@Suite struct RunSessionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("RunFixtures").path

    /// Runs `names` and returns (exit status, standard output, standard error), with every duration shown as
    /// `TIME` and the fixture directory as `FIX`.
    func run(_ names: [String], _ options: RunSessionOptions = RunSessionOptions()) -> (Runner.ExitStatus, String, String) {
        let output = Mutex<[String]>([])
        let errors = Mutex<[String]>([])
        let status = RunSession.run(paths: names.map { RunSessionTests.fixtures + "/" + $0 }, options: options,
                                    writeOutput: { line in output.withLock { $0.append(line) } },
                                    writeError: { line in errors.withLock { $0.append(line) } })
        func normalize(_ lines: [String]) -> String {
            lines.joined(separator: "\n")
                .replacing(RunSessionTests.fixtures, with: "FIX")
                .replacing(/\(\d+(\.\d+)? (µs|ms|s)\)/, with: "(TIME)")
        }
        return (status, normalize(output.withLock { $0 }), normalize(errors.withLock { $0 }))
    }

    @Test func passingScenarioPrintsOneLineAndTheSummary() {
        let (status, output, _) = run(["pass.yaml"])
        #expect(status == .success)
        #expect(output == "PASS  nop and write pass (TIME)\n1 passed, 0 failed, 0 skipped (TIME)")
    }

    @Test func wrongResultIsReportedAtItsExpectation() {
        let (status, output, _) = run(["wrong-res.yaml"])
        #expect(status == .failure)
        #expect(output == """
        FAIL  a wrong result is reported at its expectation (TIME)
          FIX/wrong-res.yaml:6:3: n: res  (first divergence)
            expected | actual
            -EAGAIN  ≠ -EBADF
        Failed (1):
          FAIL    FIX/wrong-res.yaml (a wrong result is reported at its expectation)
        0 passed, 1 failed, 0 skipped (TIME)
        """)
    }

    @Test func missingFlagWrongOrderExtraCQEAndPostConditionAreReported() {
        #expect(run(["missing-flag.yaml"]).1 == """
        FAIL  a missing CQE flag is reported (TIME)
          FIX/missing-flag.yaml:6:3: n: flags  (first divergence)
            expected     | actual
            exactly more ≠ none
        Failed (1):
          FAIL    FIX/missing-flag.yaml (a missing CQE flag is reported)
        0 passed, 1 failed, 0 skipped (TIME)
        """)
        #expect(run(["wrong-order.yaml"]).1 == """
        FAIL  a wrong order is reported with both ids (TIME)
          FIX/wrong-order.yaml:8:19: order  (first divergence)
            expected            | actual
            second before first ≠ first (#0) before second (#1)
        Failed (1):
          FAIL    FIX/wrong-order.yaml (a wrong order is reported with both ids)
        0 passed, 1 failed, 0 skipped (TIME)
        """)
        #expect(run(["extra-cqe.yaml"]).1 == """
        FAIL  a CQE more than expected is reported (TIME)
          FIX/extra-cqe.yaml:18:13: watch: CQEs with more  (first divergence)
            expected | actual
            1        ≠ 2
        Failed (1):
          FAIL    FIX/extra-cqe.yaml (a CQE more than expected is reported)
        0 passed, 1 failed, 0 skipped (TIME)
        """)
        #expect(run(["postcondition.yaml"]).1 == """
        FAIL  a file post-condition that does not hold is reported (TIME)
          FIX/postcondition.yaml:9:12: file out: content  (first divergence)
            expected        | actual
            "abd" (3 bytes) ≠ "abc" (3 bytes), differs from byte 2
        Failed (1):
          FAIL    FIX/postcondition.yaml (a file post-condition that does not hold is reported)
        0 passed, 1 failed, 0 skipped (TIME)
        """)
    }

    @Test func aScenarioThatWaitsForeverIsStoppedByItsDeadline() {
        let start = ContinuousClock.now
        let (status, output, _) = run(["forever.yaml"])
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(status == .failure)
        #expect(output == """
        TIMEOUT a read that never completes is stopped by the deadline (TIME)
          FIX/forever.yaml:10:3: stuck: never completed
        Failed (1):
          TIMEOUT FIX/forever.yaml (a read that never completes is stopped by the deadline)
        0 passed, 0 failed, 0 skipped, 1 timed out (TIME)
        """)
        // --deadline overrides the file's.
        let shorter = ContinuousClock.now
        _ = run(["forever.yaml"], RunSessionOptions(deadline: .milliseconds(50)))
        #expect(ContinuousClock.now - shorter < .milliseconds(250))
    }

    @Test func skipsCarryTheReasonAndASingleSkipExitsWith77() {
        let (status, output, _) = run(["skip.yaml"])
        #expect(status == .skipped)
        #expect(output.hasPrefix("SKIP  needs a kernel from the future (TIME): requires kernel 99.0 or newer (running "))
        #expect(run(["skip.yaml", "pass.yaml"]).0 == .success)
    }

    @Test func expectedFailuresAndUnexpectedPasses() {
        let (xfailStatus, xfail, _) = run(["xfail.yaml"])
        #expect(xfailStatus == .success)
        #expect(xfail == "XFAIL a known failure (TIME): the result is not what the bug report expects\n0 passed, 0 failed, 0 skipped, 1 xfailed (TIME)")
        let (xpassStatus, xpass, _) = run(["xpass.yaml"])
        #expect(xpassStatus == .failure)
        #expect(xpass == """
        XPASS a known failure that now passes (TIME)
          expected to fail (fixed upstream?), but every expectation held
        Failed (1):
          XPASS   FIX/xpass.yaml (a known failure that now passes)
        0 passed, 0 failed, 0 skipped, 1 xpassed (TIME)
        """)
    }

    @Test func invalidFilesAreDiagnosedAndExitWith2() throws {
        let file = NSTemporaryDirectory() + "ringscript-invalid-\(getpid()).yaml"
        try "name: x\nsteps:\n  - reed: {}\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let errors = Mutex<[String]>([])
        let status = RunSession.run(paths: [file], options: RunSessionOptions(), writeOutput: { _ in },
                                    writeError: { line in errors.withLock { $0.append(line) } })
        #expect(status == .invalidInput)
        #expect(errors.withLock { $0 }.joined().contains("\(file):3:5: error: unknown op 'reed' (did you mean 'read'?)"))
    }

    @Test func junitReportParsesAndCarriesEveryVerdict() throws {
        let path = NSTemporaryDirectory() + "ringscript-junit-\(getpid()).xml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = run(["pass.yaml", "wrong-res.yaml", "skip.yaml", "xfail.yaml"], RunSessionOptions(junitPath: path))
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path))
        let root = try #require(document.rootElement())
        #expect(root.attribute(forName: "tests")?.stringValue == "4")
        #expect(root.attribute(forName: "failures")?.stringValue == "1")
        #expect(root.attribute(forName: "skipped") == nil)
        #expect(try document.nodes(forXPath: "/testsuites/testsuite").count == 4)
        let cases = try document.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
        #expect(cases.count == 4)
        #expect(cases.allSatisfy { Double($0.attribute(forName: "time")?.stringValue ?? "") != nil })
        let failure = try #require(try document.nodes(forXPath: "//testcase/failure").first as? XMLElement)
        #expect(failure.attribute(forName: "message")?.stringValue == "\(RunSessionTests.fixtures)/wrong-res.yaml:6:3: n: res: expected -EAGAIN, got -EBADF")
        let skipped = try #require(try document.nodes(forXPath: "//testcase/skipped").first as? XMLElement)
        #expect(skipped.attribute(forName: "message")?.stringValue?.hasPrefix("requires kernel 99.0 or newer") == true)
    }

    @Test func tapReportHasVersionPlanAndOnePointPerScenario() {
        let (_, output, _) = run(["pass.yaml", "wrong-res.yaml", "skip.yaml", "xfail.yaml"], RunSessionOptions(tap: .v13))
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.prefix(2) == ["TAP version 13", "1..4"])
        #expect(lines.contains("ok 1 - nop and write pass"))
        #expect(lines.contains("not ok 2 - a wrong result is reported at its expectation"))
        #expect(lines.contains { $0.hasPrefix("ok 3 - needs a kernel from the future # SKIP requires kernel 99.0") })
        #expect(lines.contains("not ok 4 - a known failure # TODO the result is not what the bug report expects"))
        #expect(lines.contains("  - at: 'FIX/wrong-res.yaml:6:3'"))
        #expect(lines.filter { $0.hasPrefix("ok ") || $0.hasPrefix("not ok ") }.count == 4)
    }

    @Test func jsonReportCountsVerdicts() {
        let (_, output, _) = run(["pass.yaml", "wrong-res.yaml"], RunSessionOptions(format: .json))
        #expect(output.contains("\"pass\": 1,\n    \"fail\": 1,\n    \"timeout\": 0,"))
        #expect(output.contains("\"location\": \"FIX/wrong-res.yaml:6:3\""))
    }

    @Test func traceLogsEverySQEEnterAndCQE() {
        let (_, _, errors) = run(["pass.yaml"], RunSessionOptions(trace: true))
        let lines = errors.split(separator: "\n")
        #expect(lines.contains { $0.contains("SQE n user_data=1 IORING_OP_NOP") })
        #expect(lines.contains { $0.contains("SQE w user_data=2 IORING_OP_WRITE") })
        #expect(lines.contains { $0.contains("ENTER to_submit=2") })
        #expect(lines.contains { $0.contains("CQE #1 user_data=2 res=5") })
    }
}
