import Foundation
import Testing

/// The built `ringscript` binary as a user runs it: signals, closed pipes, full disks, usage errors.
@Suite(.serialized) struct CommandLineTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let binary = repository.appendingPathComponent(".build/debug/ringscript").path
    static let fixtures = repository.appendingPathComponent("Tests/RunnerTests/RunFixtures").path

    struct Finished {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the binary with `arguments`; `environment` entries are added to the process's own.
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                    stdout: FileHandle? = nil) throws -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = stdout ?? out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        let output = stdout == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        return Finished(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                        errors: String(decoding: errors, as: UTF8.self))
    }

    /// A scratch directory with a passing scenario and `slow` scenarios that wait 20 s for a read.
    static func slowSuite(slow: Int) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringscript-cli-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("s"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures + "/pass.yaml", toPath: directory.appendingPathComponent("s/a.yaml").path)
        let forever = try String(contentsOfFile: fixtures + "/forever.yaml", encoding: .utf8).replacing("deadline: 300ms", with: "deadline: 20s")
        for index in 0..<slow {
            try forever.write(to: directory.appendingPathComponent("s/b\(index).yaml"), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143)), (SIGHUP, Int32(129))])
    func aSignalAfterTheFirstScenarioLeavesCompleteReportsAndNoSandbox(signal: Int32, expected: Int32) throws {
        let directory = try Self.slowSuite(slow: 3)
        defer { try? FileManager.default.removeItem(at: directory) }
        let junit = directory.appendingPathComponent("j.xml").path
        let tapFile = directory.appendingPathComponent("out.tap")
        _ = FileManager.default.createFile(atPath: tapFile.path, contents: nil)
        let tapHandle = try FileHandle(forWritingTo: tapFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run", "--tap", "--junit", junit, directory.appendingPathComponent("s").path]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": directory.appendingPathComponent("tmp").path]) { $1 }
        process.standardOutput = tapHandle
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        // Wait until the first scenario is reported, then signal.
        while ContinuousClock.now - start < .seconds(10) {
            if let text = try? String(contentsOf: tapFile, encoding: .utf8), text.contains("ok 1 - ") { break }
            usleep(20_000)
        }
        usleep(100_000)  // the second scenario is now waiting in io_uring_enter
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        try tapHandle.close()
        #expect(ContinuousClock.now - start < .seconds(8), "the in-flight scenario was not cut short")
        #expect(process.terminationStatus == expected)
        let tap = try String(contentsOf: tapFile, encoding: .utf8)
        #expect(tap.hasPrefix("TAP version 13\n1..4\n# ringscript "), "\(tap)")
        #expect(tap.contains("\nok 1 - nop and write pass\n"), "\(tap)")
        #expect(tap.contains("ok 2 - a read that never completes is stopped by the deadline # SKIP not run: interrupted by"))
        #expect(tap.contains("ok 4 - "))
        #expect(tap.hasSuffix("Bail out! interrupted by \(["SIGINT": SIGINT, "SIGTERM": SIGTERM, "SIGHUP": SIGHUP].first { $0.value == signal }!.key)\n"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<testsuites name=\"ringscript\" tests=\"4\""))
        #expect(xml.hasSuffix("</testsuites>\n"))
        #expect(xml.components(separatedBy: "<skipped message=\"not run: interrupted by").count == 4)
        // No sandbox left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("tmp").path) == [])
    }

    @Test func jsonLinesStreamAndAreCompleteAfterSIGINT() throws {
        let directory = try Self.slowSuite(slow: 2)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outFile = directory.appendingPathComponent("out.jsonl")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run", "--format", "jsonl", directory.appendingPathComponent("s").path]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": directory.appendingPathComponent("tmp").path]) { $1 }
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        while ContinuousClock.now - start < .seconds(10) {
            if let text = try? String(contentsOf: outFile, encoding: .utf8), text.contains("\"type\":\"scenario\"") { break }
            usleep(20_000)
        }
        usleep(100_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        try handle.close()
        #expect(process.terminationStatus == 130)
        let lines = try String(contentsOf: outFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5)  // environment, 3 scenarios, summary
        #expect(lines.first?.hasPrefix("{\"type\":\"environment\"") == true)
        #expect(lines.last?.contains("\"interrupted\":\"interrupted by SIGINT\"") == true)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)") }
    }

    @Test func aFullStandardOutputIsAnError() throws {
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let finished = try Self.run(["run", Self.fixtures + "/pass.yaml"], stdout: full)
        #expect(finished.status == 2)
        #expect(finished.errors.contains("ringscript: cannot write the report: standard output: write: ENOSPC"))
        let junit = try Self.run(["run", "--junit", "/dev/full", Self.fixtures + "/pass.yaml"])
        #expect(junit.status == 2)
        #expect(junit.errors.contains("ringscript: cannot write the JUnit report: /dev/full: write: ENOSPC"))
    }

    @Test func aClosedPipeEndsALongRunAtOnce() throws {
        for format in [["--tap"], []] {
            let pipe = Pipe()
            try pipe.fileHandleForReading.close()  // the reader is gone before the run starts
            let start = ContinuousClock.now
            let finished = try Self.run(["run", "--repeat", "20000"] + format + [Self.fixtures + "/pass.yaml"], stdout: pipe.fileHandleForWriting)
            #expect(finished.status == 141, "\(format): \(finished.errors)")
            #expect(ContinuousClock.now - start < .seconds(5), "\(format): the run went on after its output closed")
        }
    }

    @Test func versionListStandardInputAndTheFailureList() throws {
        let version = try Self.run(["--version"])
        #expect(version.status == 0)
        #expect(version.output == "ringscript 0.2.0 (io_uring UAPI of Linux 6.18)\n")
        let list = try Self.run(["run", "--list", "--exclude", "wrong-*", Self.fixtures])
        #expect(list.status == 0)
        #expect(list.output.contains(Self.fixtures + "/pass.yaml: nop and write pass\n"))
        #expect(!list.output.contains("wrong-res"))
        let stdin = try Self.run(["run", "-"], stdin: try String(contentsOfFile: Self.fixtures + "/wrong-res.yaml", encoding: .utf8))
        #expect(stdin.status == 1)
        #expect(stdin.output.contains("-:6:3: n: res"))
        #expect(stdin.output.contains("Failed (1):\n  FAIL    - (a wrong result is reported at its expectation)\n"))
        let shuffled = try Self.run(["run", "--seed", "42", "--list", Self.fixtures])
        let again = try Self.run(["run", "--seed", "42", "--list", Self.fixtures])
        #expect(shuffled.output == again.output)
        #expect(shuffled.output != list.output)
    }

    @Test func planTakesSeveralFilesAndColourIsChosen() throws {
        let plan = try Self.run(["plan", Self.fixtures + "/pass.yaml", Self.fixtures + "/forever.yaml"])
        #expect(plan.status == 0)
        #expect(plan.output.hasPrefix("# \(Self.fixtures)/pass.yaml\n"))
        #expect(plan.output.contains("\n# \(Self.fixtures)/forever.yaml\n"))
        let invalid = FileManager.default.temporaryDirectory.appendingPathComponent("ringscript-plan-\(getpid()).yaml").path
        try "name: x\nsteps:\n  - reed: {}\n".write(toFile: invalid, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: invalid) }
        let bad = try Self.run(["plan", invalid, Self.fixtures + "/pass.yaml"])
        #expect(bad.status == 2)
        #expect(bad.errors.contains("\(invalid):3:5: error: unknown op 'reed'"))
        #expect(bad.output.hasPrefix("# \(Self.fixtures)/pass.yaml\n"), "the other files are still planned")
        let always = try Self.run(["run", "--color", "always", Self.fixtures + "/pass.yaml"])
        #expect(always.output.hasPrefix("\u{1B}[32mPASS"))
        let never = try Self.run(["run", "--color", "auto", Self.fixtures + "/pass.yaml"])  // not a terminal
        #expect(!never.output.contains("\u{1B}"))
    }

    @Test func longRepeatsShowTheIterationOnATerminalOnly() throws {
        let command = "\(Self.binary) run --repeat 300 \(Self.fixtures)/pass.yaml"
        // util-linux's script(1) gives the run a terminal.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("script(1) is not installed: apt-get install util-linux")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qc", command, "/dev/null"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = Pipe()
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("nop and write pass: iteration 300/300"), "\(text)")
        let piped = try Self.run(["run", "--repeat", "300", Self.fixtures + "/pass.yaml"])
        #expect(!piped.output.contains("iteration") && !piped.errors.contains("iteration"))
    }

    @Test func badOptionValuesAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["run", "--deadline", "-1s"], "--deadline takes a duration like 10s, 500ms or 1.5s, not '-1s'"),
            (["run", "--repeat", "-3"], "--repeat must be at least 1, not -3"),
            (["run", "-j", "-2"], "-j must be at least 1, not -2"),
            (["run", "--deadline", "0"], "--deadline must be at least 10ms, not '0'"),
            (["run", "--deadline", "1ns"], "--deadline must be at least 10ms, not '1ns'"),
            (["run", "--filter", "["], "--filter '[' is not a valid pattern: '[' at column 1 has no closing ']'"),
            (["run", "--max-failures", "0"], "--max-failures must be at least 1"),
            (["run", "--tap", "--format", "json"], "both write standard output"),
            (["run", "--tap-version", "12"], "--tap-version takes 13 or 14"),
        ]
        for (arguments, message) in cases {
            let finished = try Self.run(arguments)
            #expect(finished.status == 2, "\(arguments)")
            #expect(finished.errors.contains(message), "\(arguments): \(finished.errors)")
            #expect(!finished.errors.contains("Missing value"), "\(arguments)")
        }
        let none = try Self.run(["run", "--filter", "no-such-scenario", Self.fixtures])
        #expect(none.status == 2)
        #expect(none.errors.contains("ringscript: no scenario matched"))
    }
}
