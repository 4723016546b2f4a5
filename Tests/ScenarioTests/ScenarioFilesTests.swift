import Foundation
import Testing
@testable import Scenario

/// The one directory walker (`ScenarioFiles`): symlinks, loops, hidden files, `.yml`, and the same list from
/// every command.
@Suite struct ScenarioFilesTests {
    /// A scenario tree in a fresh temporary directory, with a symlinked directory that lives outside it.
    struct Tree {
        let base: String
        var root: String { base + "/root" }

        init(_ label: String) throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("ringscript-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        }

        func directory(_ path: String) throws {
            try FileManager.default.createDirectory(atPath: base + "/" + path, withIntermediateDirectories: true)
        }

        func file(_ path: String, _ text: String? = nil) throws {
            let name = (path as NSString).lastPathComponent
            try (text ?? "name: \(name)\nsteps: [{ nop: {}, id: n }]\nexpect: { n: 0 }\n").write(toFile: base + "/" + path, atomically: false, encoding: .utf8)
        }

        func symlink(_ path: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: base + "/" + path, withDestinationPath: target)
        }

        func remove() { try? FileManager.default.removeItem(atPath: base) }
    }

    /// root/{a.yaml, b.yml, notes.txt, .hidden.yaml, .dot/c.yaml, sub/d.yaml, sub/up -> .., loop -> .,
    /// linked -> ../outside}, outside/e.yaml.
    static func standardTree() throws -> Tree {
        let tree = try Tree("walker")
        for directory in ["root/sub", "root/.dot", "outside"] { try tree.directory(directory) }
        for file in ["root/a.yaml", "root/b.yml", "root/.hidden.yaml", "root/.dot/c.yaml", "root/sub/d.yaml", "outside/e.yaml"] {
            try tree.file(file)
        }
        try tree.file("root/notes.txt", "not a scenario\n")
        try tree.symlink("root/linked", to: "../outside")
        try tree.symlink("root/loop", to: ".")
        try tree.symlink("root/sub/up", to: "..")
        return tree
    }

    static let standardList = ["a.yaml", "b.yml", "linked/e.yaml", "sub/d.yaml"]

    @Test func followsSymlinkedDirectoriesSkipsHiddenFilesAndEndsOnLoops() throws {
        let tree = try Self.standardTree()
        defer { tree.remove() }
        let listing = ScenarioFiles.find([tree.root])
        #expect(listing.problems.isEmpty)
        #expect(listing.files == Self.standardList.map { tree.root + "/" + $0 })
        // A trailing slash names the same directory.
        #expect(ScenarioFiles.find([tree.root + "/"]).files == listing.files)
    }

    @Test func namedFilesAreTakenAsTheyAreAndListedOnce() throws {
        let tree = try Self.standardTree()
        defer { tree.remove() }
        let hidden = tree.root + "/.hidden.yaml", notes = tree.root + "/notes.txt", a = tree.root + "/a.yaml"
        let listing = ScenarioFiles.find([hidden, notes, tree.root, a, tree.root + "/.dot"])
        #expect(listing.files == [hidden, notes] + Self.standardList.map { tree.root + "/" + $0 } + [tree.root + "/.dot/c.yaml"])
    }

    @Test func aSymlinkToAnAncestorIsNotFollowedButASiblingIs() throws {
        let tree = try Tree("walker-cycle")
        defer { tree.remove() }
        // a/toB -> ../b and b/toA -> ../a: each directory is searched through the other once, then the cycle ends.
        for directory in ["root/a", "root/b"] { try tree.directory(directory) }
        try tree.file("root/a/x.yaml")
        try tree.file("root/b/y.yaml")
        try tree.symlink("root/a/toB", to: "../b")
        try tree.symlink("root/b/toA", to: "../a")
        let listing = ScenarioFiles.find([tree.root])
        #expect(listing.problems.isEmpty)
        #expect(listing.files == ["a/toB/y.yaml", "a/x.yaml", "b/toA/x.yaml", "b/y.yaml"].map { tree.root + "/" + $0 })
    }

    @Test func problemsNameTheCallThePathAndTheErrno() throws {
        let tree = try Tree("walker-problems")
        defer { tree.remove() }
        try tree.directory("root")
        try tree.symlink("root/dangling.yaml", to: "missing.yaml")
        try tree.symlink("root/dangling-dir", to: "missing")
        let listing = ScenarioFiles.find([tree.root, tree.base + "/nothing"])
        // A dangling *.yaml is listed (reading it says why it cannot be read); a dangling non-scenario is not.
        #expect(listing.files == [tree.root + "/dangling.yaml"])
        #expect(listing.problems == [ScenarioFileProblem(call: "stat", path: tree.base + "/nothing", errno: .ENOENT)])
        #expect(listing.problems.first?.description == "stat(\(tree.base)/nothing): ENOENT (No such file or directory)")
        // check turns both into located diagnostics, and exits 2.
        let report = ScenarioChecker.check(paths: [tree.root, tree.base + "/nothing"])
        #expect(report.exitCode == 2)
        #expect(report.diagnostics.map(\.message) == [
            "cannot read '\(tree.base)/nothing': ENOENT (No such file or directory)",
            "cannot read '\(tree.root)/dangling.yaml': open: ENOENT (No such file or directory)",
        ])
    }

    /// check, plan (which reads through `ScenarioChecker.check`) and `ops --coverage` read the files the walker
    /// lists; the command-line binary, `run` included, is asked for its list by `ringscriptTests`.
    @Test func checkAndCoverageReadTheWalkersList() throws {
        let tree = try Self.standardTree()
        defer { tree.remove() }
        let expected = Self.standardList.map { tree.root + "/" + $0 }
        let report = ScenarioChecker.check(paths: [tree.root])
        #expect(report.files.map(\.path) == expected)
        #expect(report.isValid)
        let coverage = OpCoverage.measure(paths: [tree.root])
        #expect(coverage.scenarioCount == expected.count)
        #expect(coverage.entries.first { $0.spec.name == "nop" }?.files == expected)
    }

    /// The command-line binary: `run`, `check` and `ops --coverage` read the same files from one tree.
    @Test func everyCommandReadsTheSameFiles() throws {
        let binary = Fixtures.repository.appendingPathComponent(".build/debug/ringscript").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: \(binary) is missing")
        let tree = try Self.standardTree()
        defer { tree.remove() }
        let expected = Self.standardList.map { tree.root + "/" + $0 }

        let run = try Self.run(binary, ["run", "--format", "json", tree.root])
        #expect(run.status == 0, "\(run.output)")
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        let scenarios = report?["scenarios"] as? [[String: Any]] ?? []
        #expect(scenarios.compactMap { $0["file"] as? String } == expected)

        let check = try Self.run(binary, ["check", "--timing", tree.root])
        #expect(check.status == 0, "\(check.output)")
        let checked = check.output.split(separator: "\n").compactMap { line in line.range(of: ": load").map { String(line[..<$0.lowerBound]) } }
        #expect(checked == expected)

        let coverage = try Self.run(binary, ["ops", "--coverage", tree.root])
        #expect(coverage.output.contains("(\(expected.count) scenario files read)"), "\(coverage.output)")
    }

    /// Runs `executable` and returns its exit status and standard output (standard error is dropped).
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
