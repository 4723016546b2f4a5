#if canImport(Glibc)
import Glibc
#endif
import Checker
import IoUring
import Scenario
import Testing
@testable import Runner

/// What a `record` call printed, and how it ended.
final class RecordCall {
    var output: [String] = []
    var errors: [String] = []
    var status: Runner.ExitStatus = .success

    var errorText: String { errors.joined(separator: "\n") }
    var outputText: String { output.joined(separator: "\n") }
}

/// A directory for scenario files, removed at the end of the test.
final class GoldenDirectory {
    let sandbox: Sandbox

    init() throws {
        sandbox = try Sandbox.create(label: "record-test")
    }

    deinit { sandbox.remove() }

    func write(_ name: String, _ text: String) -> String {
        let path = sandbox.path + "/" + name
        _ = writeTextFile(path, text)
        return path
    }

    func read(_ path: String) -> String {
        (try? ScenarioFileReader.read(path).get()) ?? "<unreadable>"
    }

    /// The names in the directory (to see that no temporary file was left behind), as `ls -A` lists them.
    func names() -> [String] {
        let listing = "/tmp/.record-test-ls-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(listing) }
        guard system("ls -A \(sandbox.path) > \(listing)") == 0, case .success(let text) = ScenarioFileReader.read(listing) else { return [] }
        return text.split(separator: "\n").map(String.init).sorted()
    }
}

func record(_ paths: [String], _ options: RecordOptions = RecordOptions(runs: 2)) -> RecordCall {
    let call = RecordCall()
    call.status = RecordSession.run(paths: paths, options: options, writeOutput: { call.output.append($0) },
                                    writeError: { call.errors.append($0) })
    return call
}

let provenance = "# recorded on Linux \(KernelRelease.current.string) by ringscript record (2 runs)"

@Suite struct RecordTests {
    /// Comments, anchors, aliases, odd quoting and spacing, a key after `expect:`: every byte outside
    /// `expect:` stays, and so do the hand-written entries; the new entry goes at the end of the block.
    @Test func everyByteOutsideExpectAndEveryHandWrittenEntryStays() throws {
        let directory = try GoldenDirectory()
        let original = """
            # A golden with every YAML oddity: comments, anchors, quoting.
            name: 'quoted: name'   # single-quoted, with a colon
            tags: [ "golden" ,  odd-spacing ]
            resources:
              data: &file { file: { content: "hello world" } }   # an anchor
              buf:  { buffer: { size: 64 } }

            steps:
              - read: &r { fd: data, buf: buf, len: 11, offset: 0 }
                id: "first"       # a quoted id
              - read: *r          # an alias
                id: second
              - nop: {}
                id: n
            expect:
              # hand-written, kept as is
              first:   11    # eleven
              n: !!int 0

            # a comment before the next key
            deadline: 5s

            """
        let path = directory.write("golden.yaml", original)
        let call = record([path])
        #expect(call.status == .success, "\(call.errorText)")
        // Only the `expect:` line gains the provenance comment, and the new entry follows the last one.
        #expect(directory.read(path) == original
            .replacingFirst("expect:\n", with: "expect:  \(provenance)\n")
            .replacingFirst("  n: !!int 0\n", with: "  n: !!int 0\n  second: { res: 11, flags: [] }\n"))
        #expect(directory.names() == ["golden.yaml"])
        // Recording again changes nothing.
        let again = record([path], RecordOptions(runs: 2, diffOnly: true))
        #expect(again.status == .success)
        #expect(again.outputText.hasPrefix("\(path): up to date (2 runs in "))
    }

    /// A draft gets a whole `expect:` block: exact results, errno names, `">= 0"` for descriptors,
    /// `never`, a multishot stream, and the order its link chain guarantees.
    @Test func aDraftIsRecordedWhole() throws {
        let directory = try GoldenDirectory()
        let draft = """
            name: a draft
            steps:
              - nop: {}
                id: first
                link: true
              - write: { fd: -1, data: "x" }
                id: bad
                link: true
              - nop: {}
                id: cancelled
              - openat: { path: new.txt, flags: [O_CREAT, O_WRONLY] }
                id: open
              - nop: {}
                id: quiet
                skip_success: true
              - timeout: { after: 1ms, count: 3, multishot: true }
                id: tick
              - wait: [tick]
            """   // no newline at the end
        let path = directory.write("draft.yaml", draft)
        let call = record([path])
        #expect(call.status == .success, "\(call.errorText)")
        #expect(directory.read(path) == draft + """

            expect:  \(provenance)
              first: { res: 0, flags: [] }
              bad: { res: -EBADF, flags: [] }
              cancelled: { res: -ECANCELED, flags: [] }
              open: { res: ">= 0", flags: [] }
              quiet: never
              tick:
                stream:
                  count: 3
                  each: { res: -ETIME, flags: [more] }
                  final: { res: -ETIME, flags: [] }
              order: [first, bad, cancelled]

            """)
        #expect(call.outputText.contains("recorded 8 values (6 exact, 1 descriptor, 1 never), 2 order constraints"))
        // The recorded golden passes.
        let run = RunSession.run(paths: [path], options: RunSessionOptions(), writeOutput: { _ in }, writeError: { _ in })
        #expect(run == .success)
    }

    @Test func exactDescriptorsAndContentsWhenAsked() throws {
        let directory = try GoldenDirectory()
        let path = directory.write("contents.yaml", """
            name: contents
            resources:
              data: { file: { content: "hi" } }
              buf:  { buffer: { size: 4, content: "ab" } }
              out:  { file: { size: 0 } }
            steps:
              - read: { fd: data, buf: buf, len: 2 }
                id: r
              - write: { fd: out, data: { hex: "00 ff" } }
                id: w
              - openat: { path: data }
                id: o
            expect:
              r: 2
              w: 2

            """)
        let call = record([path], RecordOptions(runs: 2, exactDescriptors: true, contents: true))
        #expect(call.status == .success, "\(call.errorText)")
        let text = directory.read(path)
        #expect(text.contains("  o: { res: ") && !text.contains("\">= 0\""))
        #expect(text.hasSuffix("""
              buffers:
                buf: { hex: "68 69 00 00" }
              files:
                data: { content: "hi" }
                out: { hex: "00 ff" }

            """))
    }

    @Test func aDiffIsPrintedAndNothingWritten() throws {
        let directory = try GoldenDirectory()
        let original = "name: d\nsteps:\n  - nop: {}\n    id: n\nexpect:\n  # nothing yet\n"
        let path = directory.write("d.yaml", original)
        let call = record([path], RecordOptions(runs: 2, diffOnly: true))
        #expect(call.status == .failure)
        #expect(directory.read(path) == original)
        #expect(call.output.first == """
            --- \(path)
            +++ \(path)
            @@ -2,5 +2,6 @@
             steps:
               - nop: {}
                 id: n
            -expect:
            +expect:  \(provenance)
               # nothing yet
            +  n: { res: 0, flags: [] }
            """)
    }

    @Test(arguments: [["CI": "true"], ["GITHUB_ACTIONS": "true"], ["BUILD_NUMBER": "17"], ["CONTINUOUS_INTEGRATION": "1"]])
    func underCIRecordRefusesToWriteUnlessForced(_ environment: [String: String]) throws {
        let directory = try GoldenDirectory()
        let original = "name: ci\nsteps:\n  - nop: {}\n    id: n\n"
        let path = directory.write("ci.yaml", original)
        let refused = record([path], RecordOptions(runs: 1, environment: environment))
        #expect(refused.status == .invalidInput)
        let variable = environment.keys.first!
        #expect(refused.errorText == "ringscript record: refusing to write golden files under CI (\(variable)=\(environment[variable]!) is set):"
                + " CI must check goldens with `ringscript run`, never re-record them. Use `record --diff` to see what"
                + " recording would change, or `--force` to write anyway.")
        #expect(directory.read(path) == original)
        // --diff only reads: allowed under CI.
        #expect(record([path], RecordOptions(runs: 1, diffOnly: true, environment: environment)).status == .failure)
        #expect(directory.read(path) == original)
        let forced = record([path], RecordOptions(runs: 1, force: true, environment: environment))
        #expect(forced.status == .success)
        #expect(directory.read(path) != original)
    }

    @Test func ciSetToFalseIsNotCI() {
        #expect(RecordOptions(environment: ["CI": "false"]).continuousIntegrationVariable == nil)
        #expect(RecordOptions(environment: ["CI": "0", "TRAVIS": ""]).continuousIntegrationVariable == nil)
        #expect(RecordOptions(environment: [:]).continuousIntegrationVariable == nil)
    }

    @Test func anInvalidScenarioIsNotRecorded() throws {
        let directory = try GoldenDirectory()
        let original = "name: bad\nsteps:\n  - reed: { fd: 3 }\n"
        let path = directory.write("bad.yaml", original)
        let call = record([path])
        #expect(call.status == .invalidInput)
        #expect(call.errors == [
            "\(path):3:5: error: unknown op 'reed' (did you mean 'read'?)\n  - reed: { fd: 3 }\n    ^\n1 error",
            "\(path): not recorded: the scenario is invalid (the file is unchanged)",
        ])
        #expect(directory.read(path) == original)
    }

    @Test func aContradictedEntryIsReportedAndLeftUnlessOverwritten() throws {
        let directory = try GoldenDirectory()
        let original = "name: c\nsteps:\n  - nop: {}\n    id: n\n  - nop: {}\n    id: m\nexpect:\n  n: 5   # wrong\n\n  # about m\n  m: 0\n"
        let path = directory.write("c.yaml", original)
        let call = record([path])
        #expect(call.status == .failure)
        #expect(call.errors.first == "\(path):8:3: n: res: expected 5, the kernel gave 0 (run 1)")
        #expect(call.errors.last == "\(path): not recorded: the kernel contradicts the hand-written 'n';"
                + " rerun with --overwrite to replace it with what the kernel did (the file is unchanged)")
        #expect(directory.read(path) == original)

        let overwritten = record([path], RecordOptions(runs: 2, overwrite: true))
        #expect(overwritten.status == .success, "\(overwritten.errorText)")
        #expect(directory.read(path) == "name: c\nsteps:\n  - nop: {}\n    id: n\n  - nop: {}\n    id: m\nexpect:  \(provenance)\n"
                + "  n: { res: 0, flags: [] }\n\n  # about m\n  m: 0\n")
    }

    @Test func aRunThatHitsTheDeadlineRecordsNothingUnlessAllowed() throws {
        let directory = try GoldenDirectory()
        let original = """
            name: stuck
            deadline: 100ms
            resources:
              p: { pipe: {} }
              buf: { buffer: { size: 4 } }
            steps:
              - read: { fd: p.read, buf: buf }
                id: stuck
              - nop: {}
                id: n

            """
        let path = directory.write("stuck.yaml", original)
        let call = record([path], RecordOptions(runs: 1))
        #expect(call.status == .failure)
        #expect(call.errorText == "\(path): not recorded: run 1 hit the deadline (0.1 s) with stuck outstanding;"
                + " rerun with --allow-timeout to record such a run (requests that never completed become 'never') (the file is unchanged)")
        #expect(directory.read(path) == original)

        let allowed = record([path], RecordOptions(runs: 1, allowTimeout: true))
        #expect(allowed.status == .success)
        #expect(directory.read(path).hasSuffix("expect:  # recorded on Linux \(KernelRelease.current.string) by ringscript record (1 runs)\n"
                                               + "  stuck: never\n  n: { res: 0, flags: [] }\n"))
        // The golden says the read never completes: the run no longer waits for it.
        #expect(RunSession.run(paths: [path], options: RunSessionOptions(), writeOutput: { _ in }, writeError: { _ in }) == .success)
    }

    @Test func aFlowMappingExpectIsNotEditedEntryByEntry() throws {
        let directory = try GoldenDirectory()
        let original = "name: f\nsteps:\n  - nop: {}\n    id: n\n  - nop: {}\n    id: m\nexpect: { n: 0 }\n"
        let path = directory.write("f.yaml", original)
        let call = record([path])
        #expect(call.status == .failure)
        #expect(call.errorText == "\(path): not recorded: its 'expect' is a flow mapping ({ … }); write it as a block mapping"
                + " to record into it (the file is unchanged)")
        #expect(directory.read(path) == original)
    }

    /// A multishot stream whose CQEs differ from one another (but not between runs) says so, CQE by CQE.
    @Test func aStreamIsRecordedWithItsCQEsInOrder() throws {
        let directory = try GoldenDirectory()
        let path = directory.write("s.yaml", """
            name: a stream
            resources:
              s:  { socketpair: {} }
              br: { buffer_ring: { group: 1, entries: 4, size: 32 } }
            steps:
              - recv: { fd: s.b, buffer_group: br, multishot: true }
                id: rx
              - submit
              - peer_write: { fd: s.a, data: "one" }
              - sleep: 5ms
              - peer_write: { fd: s.a, data: "three" }
              - sleep: 5ms
              - peer_close: s.a
              - wait: [rx]

            """)
        let call = record([path])
        #expect(call.status == .success, "\(call.errorText)")
        #expect(directory.read(path).hasSuffix("""
            expect:  \(provenance)
              rx:
                stream:
                  count: 3
                  each: { res: [3, 5], flags: [buffer, more], buffer: [0, 1] }  # CQE by CQE, the same in every run: res 3, 5
                  final: { res: 0, flags: [] }

            """))
    }

    @Test func anEmptyFlowExpectBecomesABlock() throws {
        let directory = try GoldenDirectory()
        let path = directory.write("e.yaml", "name: e\nsteps:\n  - nop: {}\n    id: n\nexpect: {}   # to do\ndeadline: 1s\n")
        #expect(record([path]).status == .success)
        #expect(directory.read(path) == "name: e\nsteps:\n  - nop: {}\n    id: n\nexpect:  \(provenance)\n  n: { res: 0, flags: [] }\ndeadline: 1s\n")
    }

    @Test func theFileKeepsItsPermissions() throws {
        let directory = try GoldenDirectory()
        let path = directory.write("p.yaml", "name: p\nsteps:\n  - nop: {}\n    id: n\n")
        chmod(path, 0o640)
        #expect(record([path]).status == .success)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o640)
        #expect(directory.names() == ["p.yaml"])
    }

    @Test func aZeroCopySendRecordsItsNotification() throws {
        let directory = try GoldenDirectory()
        let path = directory.write("zc.yaml", """
            name: zero copy
            requires: { ops: [send_zc] }
            resources:
              c: { tcp_pair: {} }
            steps:
              - send_zc: { fd: c.client, data: "zero copy" }
                id: zc

            """)
        let call = record([path])
        if call.status == .skipped { try Test.cancel("the kernel lacks IORING_OP_SEND_ZC: \(call.outputText)") }
        #expect(call.status == .success, "\(call.errorText)")
        #expect(directory.read(path).hasSuffix("  zc: { res: 9, flags: [more], notification: { res: 0, flags: [notif] } }\n"))
    }

    /// A file under git with uncommitted changes is recorded (the normal workflow) and the diff printed;
    /// a committed one is recorded without it (`git diff` shows it).
    @Test func aFileWithUncommittedChangesIsRecordedAndItsDiffPrinted() throws {
        let directory = try GoldenDirectory()
        let path = directory.write("g.yaml", "name: g\nsteps:\n  - nop: {}\n    id: n\n")
        let git = "cd \(directory.sandbox.path) && git -c user.name=t -c user.email=t@t"
        guard system("\(git) init -q . && \(git) add g.yaml && \(git) commit -qm draft >/dev/null 2>&1") == 0 else {
            try Test.cancel("git is not installed: a file under version control cannot be made")
        }
        #expect(!VersionControl.hasUncommittedChanges(path))
        let committed = record([path])
        #expect(committed.status == .success)
        #expect(committed.output.count == 1)   // the summary only
        #expect(VersionControl.hasUncommittedChanges(path))

        _ = directory.write("g.yaml", "name: g\nsteps:\n  - nop: {}\n    id: n\n  - nop: {}\n    id: m\n")
        let changed = record([path])
        #expect(changed.status == .success)
        #expect(changed.output.first?.hasPrefix("--- \(path)\n+++ \(path)\n") == true)
        #expect(changed.output.first?.contains("+  m: { res: 0, flags: [] }") == true)
        #expect(!VersionControl.hasUncommittedChanges(directory.sandbox.path + "/untracked.yaml"))
    }

    /// The golden is a real check: after recording, changing one step argument that alters a result (a
    /// length, an fd, a link flag) makes `run` fail.
    @Test(arguments: [("len: 64", "len: 4"), ("fd: -1", "fd: out"), ("    link: true\n  - nop", "    link: false\n  - nop")])
    func aMutatedStepFailsTheRecordedGolden(_ mutation: (String, String)) throws {
        let directory = try GoldenDirectory()
        let path = directory.write("m.yaml", """
            name: mutations
            resources:
              data: { file: { content: "only eleven" } }
              buf:  { buffer: { size: 64 } }
              out:  { file: { size: 0 } }
            steps:
              - read: { fd: data, buf: buf, len: 64 }
                id: short
              - write: { fd: -1, data: "x" }
                id: bad
                link: true
              - nop: {}
                id: after

            """)
        #expect(record([path]).status == .success)
        let quiet = RunSessionOptions()
        #expect(RunSession.run(paths: [path], options: quiet, writeOutput: { _ in }, writeError: { _ in }) == .success)
        let golden = directory.read(path)
        #expect(golden.contains(mutation.0))
        _ = directory.write("m.yaml", golden.replacingFirst(mutation.0, with: mutation.1))
        #expect(RunSession.run(paths: [path], options: quiet, writeOutput: { _ in }, writeError: { _ in }) == .failure)
    }
}

/// The kernel-warning check reads what dmesg shows: the lines it finds are dmesg's own.
@Suite struct KernelLogTests {
    @Test func warningsAreTheKernelLogsWarningLines() throws {
        let directory = try GoldenDirectory()
        let output = directory.sandbox.path + "/dmesg"
        guard system("dmesg > \(output) 2>/dev/null") == 0, case .success(let log) = ScenarioFileReader.read(output), !log.isEmpty else {
            try Test.cancel("dmesg is not readable here (not root, or kernel.dmesg_restrict): nothing to compare with")
        }
        let expected = Set(log.split(separator: "\n").map(String.init).filter {
            $0.contains("WARNING:") || $0.contains("BUG:") || $0.contains("Oops")
        })
        let found = KernelLog.warnings()
        #expect(found.allSatisfy { $0.contains("WARNING:") || $0.contains("BUG:") || $0.contains("Oops") })
        #expect(expected.subtracting(found).isEmpty)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
