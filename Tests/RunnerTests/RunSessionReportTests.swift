import Foundation
import Checker
import Scenario
import IoUring
import Synchronization
import Testing
@testable import Runner

/// The reports of `ringscript run`, fed to the tools that read them: `prove` for TAP, PyYAML for its
/// diagnostic blocks, `xmllint` with Jenkins' strict junit-10.xsd, Python `jsonschema` with
/// docs/report.schema.json, and the KTAP rules of Documentation/dev-tools/ktap.rst.
@Suite(.serialized) struct RunSessionReportTests {
    static let fixtures = RunSessionTests.fixtures
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// A scratch directory holding an invalid scenario file.
    static func invalidFile() throws -> String {
        let directory = NSTemporaryDirectory() + "ringscript-reports-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/bad.yaml"
        try "name: bad\nsteps:\n  - reed: {}\n".write(toFile: file, atomically: true, encoding: String.Encoding.utf8)
        return file
    }

    func run(_ paths: [String], _ options: RunSessionOptions) -> (Runner.ExitStatus, String, String) {
        let output = Mutex<[String]>([])
        let errors = Mutex<[String]>([])
        let status = RunSession.run(paths: paths, options: options,
                                    writeOutput: { line in output.withLock { $0.append(line) } },
                                    writeError: { line in errors.withLock { $0.append(line) } })
        return (status, output.withLock { $0.joined(separator: "\n") }, errors.withLock { $0.joined(separator: "\n") })
    }

    func fixture(_ name: String) -> String { Self.fixtures + "/" + name }

    /// Runs `tool` with `arguments`, standard input `input`; returns (status, stdout + stderr). Nil when
    /// the tool is not installed.
    static func tool(_ path: String, _ arguments: [String], input: String? = nil) throws -> (Int32, String)? {
        guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inputPipe.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func python(_ script: String, _ arguments: [String] = []) throws -> (Int32, String)? {
        // The python3 first on PATH (where pip installs), as a user's shell would pick it.
        guard let (status, text) = try tool("/usr/bin/env", ["python3", "-c", script] + arguments) else { return nil }
        return status == 127 ? nil : (status, text)
    }

    @Test func anInvalidFileIsAnErrorEntryInEveryReport() throws {
        let bad = try Self.invalidFile()
        let junit = NSTemporaryDirectory() + "ringscript-invalid-\(getpid()).xml"
        defer { try? FileManager.default.removeItem(atPath: junit) }
        let (status, text, errors) = run([fixture("pass.yaml"), bad], RunSessionOptions(junitPath: junit))
        #expect(status == .invalidInput)
        #expect(errors.contains("\(bad):3:5: error: unknown op 'reed'"))
        #expect(text.contains("ERROR \(bad) (0 µs)\n  invalid scenario file (1 error)\n  \(bad):3:5: error: unknown op 'reed'"))
        #expect(text.contains("1 passed, 0 failed, 0 skipped, 1 error"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<testsuites name=\"ringscript\" tests=\"2\" failures=\"0\" errors=\"1\""))
        #expect(xml.contains("<error message=\"invalid scenario file (1 error)\" type=\"ERROR\">"))
        #expect(xml.contains("unknown op &apos;reed&apos;"))

        let tap = run([fixture("pass.yaml"), bad], RunSessionOptions(tap: .v13)).1
        #expect(tap.contains("not ok 2 - \(bad)\n  ---\n  message: 'invalid scenario file (1 error)'"))
        #expect(tap.contains("  - at: '\(bad):3:5'\n    severity: 'error'\n    message: 'unknown op ''reed'' (did you mean ''read''?)'"))
        let ktap = run([fixture("pass.yaml"), bad], RunSessionOptions(ktap: true)).1
        #expect(ktap.contains("not ok 2 \(bad) # ERROR invalid scenario file (1 error)"))
        let json = run([fixture("pass.yaml"), bad], RunSessionOptions(format: .json)).1
        #expect(json.contains("\"verdict\": \"ERROR\""))
        #expect(json.contains("\"message\": \"unknown op 'reed' (did you mean 'read'?)\""))
        #expect(json.contains("\"error\": 1"))
    }

    @Test func selectingNothingIsAnError() throws {
        let empty = NSTemporaryDirectory() + "ringscript-empty-\(getpid())"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let (status, _, errors) = run([empty], RunSessionOptions())
        #expect(status == .invalidInput)
        #expect(errors.contains("ringscript: no scenario matched (0 files found)"))
        let typo = run([fixture("pass.yaml")], RunSessionOptions(suite: SuiteOptions(selection: Selection(filter: "pas_s"))))
        #expect(typo.0 == .invalidInput)
        #expect(typo.2.contains("ringscript: no scenario matched (1 file found, --filter 'pas_s')"))
        #expect(Selection.problem(in: "[") == "'[' at column 1 has no closing ']' (write '\\[' for a literal bracket)")
        #expect(Selection.problem(in: "links/[ab]*") == nil)
        #expect(Selection.problem(in: "[]x]") == nil)
    }

    @Test func aReportThatCannotBeWrittenIsAnError() {
        // /dev/full fails every write with ENOSPC.
        let (status, _, errors) = run([fixture("pass.yaml")], RunSessionOptions(junitPath: "/dev/full"))
        #expect(status == .invalidInput)
        #expect(errors.contains("ringscript: cannot write the JUnit report: /dev/full: write: ENOSPC"))
        let lost = RunSession.run(paths: [fixture("pass.yaml"), fixture("wrong-res.yaml")], options: RunSessionOptions(),
                                  writeOutput: { _ throws(ReportWriteError) in throw ReportWriteError(destination: "standard output", errno: .ENOSPC) },
                                  writeError: { _ in })
        #expect(lost == .invalidInput)
        // A closed pipe is a clean end: nothing more runs, the status says so.
        let writes = Atomic<Int>(0)
        let closed = RunSession.run(paths: [fixture("pass.yaml"), fixture("wrong-res.yaml"), fixture("pass.yaml")],
                                    options: RunSessionOptions(suite: SuiteOptions(repetitions: 50), tap: .v13),
                                    writeOutput: { _ throws(ReportWriteError) in
                                        if writes.add(1, ordering: .relaxed).newValue > 2 { throw ReportWriteError(destination: "standard output", errno: .EPIPE) }
                                    }, writeError: { _ in })
        #expect(closed == .outputClosed)
        #expect(writes.load(ordering: .relaxed) == 3)
    }

    @Test func proveAcceptsTheTAPAndReportsTheFailures() throws {
        let green = run([fixture("pass.yaml"), fixture("skip.yaml"), fixture("xfail.yaml")], RunSessionOptions(tap: .v13)).1
        let red = run([fixture("pass.yaml"), fixture("wrong-res.yaml"), fixture("forever.yaml")],
                      RunSessionOptions(deadline: .milliseconds(100), tap: .v13)).1
        let directory = NSTemporaryDirectory() + "ringscript-prove-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try green.write(toFile: directory + "/green.tap", atomically: true, encoding: String.Encoding.utf8)
        try red.write(toFile: directory + "/red.tap", atomically: true, encoding: String.Encoding.utf8)
        guard let (greenStatus, greenText) = try Self.tool("/usr/bin/prove", ["--exec", "cat", directory + "/green.tap"]) else {
            Issue.record("prove (Debian perl) is not installed: apt-get install perl")
            return
        }
        #expect(greenStatus == 0, "\(greenText)")
        #expect(greenText.contains("Result: PASS"))
        let (redStatus, redText) = try #require(try Self.tool("/usr/bin/prove", ["--exec", "cat", directory + "/red.tap"]))
        #expect(redStatus != 0)
        #expect(redText.contains("Failed tests:  2-3"), "\(redText)")
        #expect(!redText.contains("Parse errors"), "\(redText)")
        #expect(red.contains("not ok 3 - a read that never completes is stopped by the deadline # TIMEOUT never completed: stuck\n"))
        let v14 = run([fixture("pass.yaml")], RunSessionOptions(tap: .v14)).1
        #expect(v14.hasPrefix("TAP version 14\n1..1\n# ringscript \(RingScriptRelease.version) on Linux \(KernelRelease.current.string), host "))
        #expect(v14.contains("\nok 1 - nop and write pass\n"))
    }

    @Test func maxFailuresStopsTheRunAndTheRestIsNotRun() {
        let paths = [fixture("wrong-res.yaml"), fixture("missing-flag.yaml"), fixture("wrong-order.yaml"), fixture("pass.yaml")]
        let (status, text, errors) = run(paths, RunSessionOptions(suite: SuiteOptions(maxFailures: 2)))
        #expect(status == .failure)
        #expect(text.contains("\n0 passed, 2 failed, 0 skipped, 2 not run ("))
        #expect(text.contains("Failed (2):\n  FAIL    \(fixture("wrong-res.yaml"))"))
        #expect(errors.contains("ringscript: stopped after 2 failures; 2 not run"))
        let tap = run(paths, RunSessionOptions(suite: SuiteOptions(maxFailures: 2), tap: .v13)).1
        #expect(tap.contains("ok 3 - a wrong order is reported with both ids # SKIP not run: stopped after 2 failures"))
        #expect(!tap.contains("Bail out!"), "a failure limit is not an interruption")
    }

    @Test func passingRepeatsAfterTheFirstAreCountedNotListed() {
        let lines = run([fixture("pass.yaml"), fixture("wrong-res.yaml")],
                        RunSessionOptions(suite: SuiteOptions(repetitions: 3), format: .jsonl)).1.split(separator: "\n")
        let scenarios = lines.filter { $0.hasPrefix("{\"type\":\"scenario\"") }
        // pass.yaml: iteration 1 with its trace, 2 and 3 folded into it; wrong-res.yaml fails every time and
        // keeps every iteration, each with its trace.
        #expect(scenarios.count == 4)
        #expect(scenarios.map { $0.contains("\"trace\":null") } == [false, false, false, false])
        #expect(scenarios.first?.contains("\"folded_iterations\":{\"PASS\":2}") == true)
        #expect(lines.last?.contains("\"pass\":3,\"fail\":3") == true, "\(lines.last ?? "")")
    }

    @Test func provePassesTheWholeCorpus() throws {
        let (status, tap, _) = run([Self.repository + "/scenarios"], RunSessionOptions(tap: .v13))
        #expect(status == .success)
        let file = NSTemporaryDirectory() + "ringscript-corpus-\(getpid()).tap"
        try tap.write(toFile: file, atomically: true, encoding: String.Encoding.utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        guard let (proveStatus, text) = try Self.tool("/usr/bin/prove", ["--exec", "cat", file]) else {
            Issue.record("prove (Debian perl) is not installed: apt-get install perl")
            return
        }
        #expect(proveStatus == 0, "\(text)")
        #expect(text.contains("Result: PASS"))
    }

    @Test func pyYAMLLoadsEveryDiagnosticBlock() throws {
        var outcome = ScenarioOutcome(name: "control \u{1} and # and \"quotes\"", file: "x.yaml", verdict: .timeout,
                                      duration: .milliseconds(3), reason: "tab\there, bell \u{7}, newline\nnext: 1",
                                      mismatches: [Mismatch(mark: SourceMark(file: "x.yaml", line: 2, column: 3), subject: "a: b",
                                                            expected: "- [x]", actual: "{y: 1}\n'z'")])
        outcome.neverCompleted = [(id: "r1", mark: SourceMark(file: "x.yaml", line: 4, column: 3)),
                                  (id: "r2", mark: SourceMark(file: "x.yaml", line: 5, column: 3))]
        let tap = TAPReporter().render([outcome]) + "\n" + run([fixture("wrong-res.yaml")], RunSessionOptions(tap: .v13)).1
        let script = """
        import sys, yaml
        text = sys.argv[1]
        blocks, current = [], None
        for line in text.split("\\n"):
            if line == "  ---": current = []
            elif line == "  ..." and current is not None:
                blocks.append("\\n".join(l[2:] for l in current)); current = None
            elif current is not None: current.append(line)
        class Unique(yaml.SafeLoader): pass
        def no_duplicates(loader, node, deep=False):
            keys = [loader.construct_object(k) for k, _ in node.value]
            if len(keys) != len(set(keys)): raise ValueError("duplicate keys: %r" % keys)
            return yaml.SafeLoader.construct_mapping(loader, node, deep)
        Unique.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)
        docs = [yaml.load(b, Loader=Unique) for b in blocks]
        assert len(docs) == 2, docs
        assert docs[0]["reason"] == "tab\\there, bell \\x07, newline\\nnext: 1", docs[0]
        assert docs[0]["mismatches"][0]["actual"] == "{y: 1}\\n'z'"
        assert [n["id"] for n in docs[0]["never_completed"]] == ["r1", "r2"]
        assert docs[1]["mismatches"][0]["expected"] == "-EAGAIN"
        print("ok")
        """
        guard let (status, text) = try Self.python(script, [tap]) else {
            Issue.record("python3 is not installed")
            return
        }
        #expect(status == 0 && text.contains("ok"), "\(text)")
    }

    @Test func theJUnitReportValidatesAgainstJenkinsStrictSchema() throws {
        let bad = try Self.invalidFile()
        let junit = NSTemporaryDirectory() + "ringscript-xsd-\(getpid()).xml"
        defer { try? FileManager.default.removeItem(atPath: junit) }
        _ = run([fixture("pass.yaml"), fixture("wrong-res.yaml"), fixture("skip.yaml"), fixture("xfail.yaml"),
                 fixture("forever.yaml"), fixture("xpass.yaml"), bad],
                RunSessionOptions(suite: SuiteOptions(repetitions: 2), deadline: .milliseconds(50), junitPath: junit))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        guard let (status, text) = try Self.tool("/usr/bin/xmllint", ["--noout", "--schema", Self.fixtures + "/junit-10.xsd", junit]) else {
            Issue.record("xmllint is not installed: apt-get install libxml2-utils")
            return
        }
        #expect(status == 0, "\(text)")
        #expect(!xml.contains("e-0"), "a time in exponent form")
        #expect(xml.contains("<property name=\"ring.setup\" value=\"entries 64, flags none\"/>") || xml.contains("<property name=\"ring.setup\""))
        #expect(xml.contains("<property name=\"kernel.release\" value=\"\(KernelRelease.current.string)\"/>"))
        #expect(xml.contains("hostname=\""))
        #expect(xml.contains("<failure message=\"") && xml.contains("type=\"TIMEOUT\""))
        // Every time has exactly three decimals.
        let times = xml.matches(of: /time="([^"]*)"/).map { String($0.output.1) }
        #expect(!times.isEmpty && times.allSatisfy { $0.wholeMatch(of: /[0-9]+\.[0-9]{3}/) != nil }, "\(times)")
    }

    @Test func xmlEscapingRoundTripsThroughARealParser() throws {
        let nasty = "a<b>&\"c\" 'd'\ttab\nline\r\u{1}\u{1F}é🙂"
        let document = "<r a=\"\(xmlEscaped(nasty))\">\(xmlEscaped(nasty))</r>"
        let script = """
        import sys, xml.dom.minidom
        d = xml.dom.minidom.parseString(sys.argv[1].encode())
        r = d.documentElement
        print(repr(r.getAttribute("a"))); print(repr(r.firstChild.data))
        """
        guard let (status, text) = try Self.python(script, [document]) else {
            Issue.record("python3 is not installed")
            return
        }
        #expect(status == 0, "\(text)")
        let expected = "'a<b>&\"c\" \\'d\\'\\ttab\\nline\\r\\\\u{1}\\\\u{1f}é🙂'"
        #expect(text == expected + "\n" + expected + "\n", "\(text)")
    }

    @Test func theJSONReportsValidateAgainstTheirSchemaAndCarryTheTrace() throws {
        let bad = try Self.invalidFile()
        let paths = [fixture("pass.yaml"), fixture("wrong-res.yaml"), fixture("skip.yaml"), fixture("forever.yaml"), bad]
        let document = run(paths, RunSessionOptions(deadline: .milliseconds(50), format: .json)).1
        let lines = run(paths, RunSessionOptions(deadline: .milliseconds(50), format: .jsonl, traceRecordLimit: 3)).1
        let script = """
        import sys, json, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        report = json.loads(sys.argv[2])
        jsonschema.validate(report, schema)
        scenario = report["scenarios"][0]
        kinds = [r["kind"] for r in scenario["trace"]["records"]]
        assert "sqe" in kinds and "enter" in kinds and "cqe" in kinds, kinds
        cqe = [r for r in scenario["trace"]["records"] if r["kind"] == "cqe"][0]
        assert cqe["id"] == "n", cqe
        assert report["environment"]["kernel_release"]
        lines = [json.loads(l) for l in sys.argv[3].split("\\n")]
        for line in lines: jsonschema.validate(line, {"$ref": "#/$defs/line", "$defs": schema["$defs"]})
        assert [l["type"] for l in lines] == ["environment"] + ["scenario"] * 5 + ["summary"], lines
        assert lines[1]["trace"]["dropped"] > 0 and len(lines[1]["trace"]["records"]) == 3
        print("ok")
        """
        guard var (status, text) = try Self.python(script, [Self.repository + "/docs/report.schema.json", document, lines]) else {
            Issue.record("python3 is not installed")
            return
        }
        if text.contains("No module named 'jsonschema'") {
            // The validator comes from PyPI, installed when missing (the tests run as root).
            _ = try Self.python("import subprocess, sys; subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'jsonschema'])")
            (status, text) = try Self.python(script, [Self.repository + "/docs/report.schema.json", document, lines]) ?? (status, text)
        }
        if text.contains("No module named 'jsonschema'") {
            Issue.record("Python jsonschema is not installed: pip install jsonschema")
            return
        }
        #expect(status == 0, "\(text)")
    }

    /// The KTAP rules as Documentation/dev-tools/ktap.rst states them (version line, plan, result lines
    /// numbered from 1 whose description has no `#`, the SKIP/XFAIL/TIMEOUT/ERROR directives, TIMEOUT
    /// and ERROR on `not ok`), read the way KUnit's parser reads them (tools/testing/kunit/kunit_parser.py:
    /// `TEST_RESULT = ^\s*(ok|not ok) ([0-9]+) (- )?([^#]*)( # .*)?$`, `TEST_RESULT_SKIP = … # SKIP(.*)$`;
    /// a SKIP match is skipped, else `ok` is success and anything else a failure).
    @Test func theKTAPFollowsTheKernelsRules() {
        let bad = (try? Self.invalidFile()) ?? "/nonexistent.yaml"
        let ktap = run([fixture("pass.yaml"), fixture("wrong-res.yaml"), fixture("skip.yaml"), fixture("xfail.yaml"),
                        fixture("forever.yaml"), bad], RunSessionOptions(deadline: .milliseconds(50), ktap: true)).1
        let lines = ktap.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].wholeMatch(of: /\s*KTAP version ([0-9]+)/)?.output.1 == "1")
        #expect(lines[1].wholeMatch(of: /\s*1\.\.([0-9]+)/)?.output.1 == "6")
        enum Status { case success, failure, skipped }
        var statuses: [Status] = []
        var numbers: [Int] = []
        var directives: [String?] = []
        for line in lines.dropFirst(2) where !line.isEmpty {
            if line.hasPrefix("# ") { continue }  // a diagnostic line
            guard let result = line.wholeMatch(of: /\s*(ok|not ok) ([0-9]+) (- )?([^#]*)( # .*)?/) else {
                Issue.record("KUnit's parser would not read this as a result line: \(line)")
                continue
            }
            numbers.append(Int(result.output.2)!)
            let directive = result.output.5.map { String($0.dropFirst(3).prefix { $0 != " " }) }
            directives.append(directive)
            if line.wholeMatch(of: /\s*(ok|not ok) ([0-9]+) (- )?(.*) # SKIP(.*)/) != nil {
                statuses.append(.skipped)
            } else {
                statuses.append(result.output.1 == "ok" ? .success : .failure)
            }
            if directive == "TIMEOUT" || directive == "ERROR" { #expect(result.output.1 == "not ok", "\(line)") }
        }
        #expect(numbers == Array(1...6))
        #expect(statuses == [.success, .failure, .skipped, .success, .failure, .failure])
        #expect(directives == [nil, nil, "SKIP", "XFAIL", "TIMEOUT", "ERROR"])
        #expect(lines.contains("not ok 5 a read that never completes is stopped by the deadline # TIMEOUT never completed: stuck"))
        #expect(!ktap.contains("# TODO"))
        #expect(!ktap.contains("  ---"))
    }
}
