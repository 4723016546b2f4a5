#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Scenario
import Testing
@testable import Runner

/// A directory of the test's own outside any sandbox, removed at the end.
final class OutsideDirectory {
    let path: String

    init() {
        var template = Array("/tmp/ringscript-outside-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { removeTree(path) }

    /// Writes `content` to `name` with `mode`, returning its path.
    func file(_ name: String, content: String, mode: mode_t) -> String {
        let file = path + "/" + name
        let fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, mode)
        _ = Array(content.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, mode)
        close(fd)
        return file
    }

    func contents(_ file: String) -> String? {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return String(decoding: bytes.prefix(max(count, 0)), as: UTF8.self)
    }

    static func mode(_ file: String) -> mode_t? {
        var status = stat()
        return stat(file, &status) == 0 ? status.st_mode : nil
    }
}

/// File resources never damage what the scenario did not create; `existing` opens a path unchanged.
@Suite struct ExistingPathTests {
    @Test func aFileResourceOverAnExistingPathIsRefusedAndLeftUnchanged() throws {
        let outside = OutsideDirectory()
        let victim = outside.file("keep.txt", content: "precious", mode: 0o600)
        let outcome = try reportedOutcome("""
            name: a file resource over a file that is there already
            allow_outside_sandbox: true
            resources:
              f: { file: { path: \(victim), content: "new", mode: 0o666 } }
            steps:
              - nop: {}
            """)
        #expect(outcome.verdict == .error)
        #expect(outcome.reason?.contains("EEXIST") == true && outcome.reason?.contains("{ existing: { path: \(victim)") == true,
                "\(outcome.reason ?? "")")
        #expect(outside.contents(victim) == "precious")
        #expect(OutsideDirectory.mode(victim).map { $0 & 0o7777 } == 0o600)
    }

    @Test func aFileResourceDoesNotWriteThroughASymlinkItDidNotCreate() throws {
        let outside = OutsideDirectory()
        let victim = outside.file("target.txt", content: "precious", mode: 0o600)
        symlink(victim, outside.path + "/link")
        let outcome = try reportedOutcome("""
            name: a file resource over a symlink
            allow_outside_sandbox: true
            resources:
              f: { file: { path: \(outside.path)/link, content: "new" } }
            steps:
              - nop: {}
            """)
        #expect(outcome.verdict == .error)
        #expect(outside.contents(victim) == "precious")
    }

    @Test func devNullIsWrittenThroughAnExistingResourceAndStaysAsItWas() throws {
        let before = OutsideDirectory.mode("/dev/null")
        let outcome = try reportedOutcome("""
            name: /dev/null as it is
            allow_outside_sandbox: true
            resources:
              sink: { existing: { path: /dev/null, access: write } }
              zeros: { existing: { path: /dev/zero, access: read } }
              buf: { buffer: { size: 4, content: "abcd" } }
            steps:
              - write: { fd: sink, data: "gone" }
                id: w
              - read: { fd: zeros, buf: buf, len: 4 }
                id: r
            expect:
              w: 4
              r: 4
              buffers: { buf: { hex: "00 00 00 00" } }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
        #expect(OutsideDirectory.mode("/dev/null") == before)
    }

    @Test func anExistingFileIsReadWithoutBeingTruncated() throws {
        let outside = OutsideDirectory()
        let file = outside.file("data.txt", content: "still here", mode: 0o640)
        let outcome = try reportedOutcome("""
            name: an existing file opened for reading
            allow_outside_sandbox: true
            resources:
              data: { existing: { path: \(file) } }
              buf: { buffer: { size: 16 } }
            steps:
              - read: { fd: data, buf: buf, len: 16, offset: 0 }
                id: r
            expect:
              r: 10
              buffers: { buf: { prefix: "still here" } }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
        #expect(outside.contents(file) == "still here")
        #expect(OutsideDirectory.mode(file).map { $0 & 0o7777 } == 0o640)
    }

    @Test func aFIFOOpenedReadWriteCarriesDataThroughTheRing() throws {
        let outside = OutsideDirectory()
        let fifo = outside.path + "/fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let outcome = try reportedOutcome("""
            name: a FIFO as an existing path
            allow_outside_sandbox: true
            resources:
              f: { existing: { path: \(fifo), access: read_write } }
              buf: { buffer: { size: 8 } }
            steps:
              - write: { fd: f, data: "fifo" }
                id: w
              - wait: [w]
              - read: { fd: f, buf: buf, len: 8 }
                id: r
            expect:
              w: 4
              r: 4
              buffers: { buf: { prefix: "fifo" } }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }

    @Test func aFIFOOpenedForWritingWithoutAReaderIsAnErrorNotAHang() throws {
        let outside = OutsideDirectory()
        let fifo = outside.path + "/fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let started = ContinuousClock.now
        let outcome = try reportedOutcome("""
            name: a FIFO nobody reads
            allow_outside_sandbox: true
            resources:
              f: { existing: { path: \(fifo), access: write } }
            steps:
              - nop: {}
            """)
        #expect(outcome.verdict == .error)
        #expect(outcome.reason?.contains("ENXIO") == true && outcome.reason?.contains("access: read_write") == true, "\(outcome.reason ?? "")")
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func theLoaderSaysWhatAnExistingResourceNeeds() {
        #expect(loadErrors("""
            name: no path
            resources:
              f: { existing: { access: write } }
            steps:
              - nop: {}
            """) == ["3:18: existing 'f' needs a 'path': the existing file, device or FIFO to open"])
        #expect(loadErrors("""
            name: a wrong access
            allow_outside_sandbox: true
            resources:
              f: { existing: { path: /dev/null, access: writ } }
            steps:
              - nop: {}
            """) == ["4:45: 'access' is read, write, read_write, not 'writ' (did you mean 'write'?)"])
        #expect(loadErrors("""
            name: outside without the opt-in
            resources:
              f: { existing: { path: /dev/null } }
            steps:
              - nop: {}
            """).first?.contains("is absolute") == true)
    }
}

/// `{ dir: D, path: ../x }` is judged by where it resolves from D (RESOLVE_BENEATH of the sandbox).
@Suite struct DirectoryRelativePathTests {
    @Test func dotDotThatStaysInsideTheSandboxIsAllowed() {
        #expect(loadErrors("""
            name: a sibling of the inner directory
            resources:
              inner: { directory: { path: outer/inner } }
            steps:
              - openat: { dir: inner, path: ../x, flags: [O_CREAT, O_WRONLY] }
            """) == [])
    }

    @Test func dotDotThatClimbsAboveTheSandboxIsRefusedNamingTheDirectory() {
        #expect(loadErrors("""
            name: above the sandbox
            resources:
              inner: { directory: { path: outer/inner } }
            steps:
              - openat: { dir: inner, path: ../../../x, flags: O_RDONLY }
            """) == ["5:33: path '../../../x' (from 'outer/inner') leaves the sandbox through '..' (set 'allow_outside_sandbox: true' to allow it)"])
    }

    @Test func dotDotAfterASymlinkTheScenarioMakesIsRefused() {
        let errors = loadErrors("""
            name: climbing out of a symlink
            resources:
              inner: { directory: { path: outer/inner } }
              hop: { symlink: { path: outer/hop, target: inner } }
            steps:
              - openat: { dir: cwd, path: outer/hop/../x, flags: O_RDONLY }
            """)
        #expect(errors.first?.contains("goes through the symlink 'outer/hop'") == true, "\(errors)")
    }

    @Test func theCorpusScenarioRunsOnTheKernel() throws {
        let outcome = try reportedOutcome("""
            name: create beside the inner directory
            resources:
              inner: { directory: { path: outer/inner } }
            steps:
              - openat: { dir: inner, path: ../made.txt, flags: [O_CREAT, O_WRONLY], mode: 0o600 }
                id: create
            expect:
              create: ">= 0"
              files:
                outer/made.txt: { exists: true, type: file }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }
}

extension DirectoryRelativePathTests {
    /// A symlink resource's relative target resolves from the link's directory, as the kernel follows it.
    @Test func aSymlinkTargetIsJudgedFromTheLinksDirectory() throws {
        #expect(loadErrors("""
            name: a link in a subdirectory to a file beside it
            resources:
              data: { file: { path: top.txt, content: "top" } }
              ln: { symlink: { path: sub/ln, target: ../top.txt } }
            steps:
              - nop: {}
            """) == [])
        #expect(loadErrors("""
            name: a link climbing out
            resources:
              ln: { symlink: { path: sub/ln, target: ../../x } }
            steps:
              - nop: {}
            """) == ["3:42: symlink target '../../x' (from 'sub') leaves the sandbox through '..' (set 'allow_outside_sandbox: true' to allow it)"])
        let outcome = try reportedOutcome("""
            name: reading through a link whose target climbs to its parent
            resources:
              data: { file: { path: top.txt, content: "top" } }
              ln: { symlink: { path: sub/ln, target: ../top.txt } }
              buf: { buffer: { size: 8 } }
            steps:
              - openat: { path: sub/ln, flags: O_RDONLY }
                capture: fd
              - read: { fd: $fd, buf: buf, len: 8, offset: 0 }
                id: r
            expect:
              r: 3
            """)
        #expect(outcome.verdict == .pass, "\(outcome.reason ?? "") \(outcome.mismatches)")
    }
}
