import Foundation
import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// A scratch directory with canary files beside the sandboxes: `base/canary/victim.txt` (content
/// "canary"), `base/canary/dir/`, and `base/sandboxes/`, where the runs make their sandboxes, so
/// `../../canary/victim.txt` from a sandbox reaches the canary.
final class Canaries {
    let base: String
    var sandboxes: String { base + "/sandboxes" }
    var victim: String { base + "/canary/victim.txt" }

    init() throws {
        base = NSTemporaryDirectory() + "ringscript-canary-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base + "/canary/dir", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: sandboxes, withIntermediateDirectories: true)
        try "canary".write(toFile: victim, atomically: false, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// The canary directory as it is: every name in it and the victim's content.
    var state: String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base + "/canary").sorted()) ?? []
        let content = (try? String(contentsOfFile: victim, encoding: .utf8)) ?? "<missing>"
        return names.joined(separator: ",") + ":" + content
    }

    static let untouched = "dir,victim.txt:canary"

    /// Sandboxes left behind.
    var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: sandboxes)) ?? [] }

    var options: ExecutionOptions { ExecutionOptions(deadline: .seconds(2), sandboxBase: sandboxes) }
}

/// The built `ringscript` binary, for tests that need a process of their own.
enum BuiltBinary {
    static let path: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidate = root.appendingPathComponent(".build/debug/ringscript").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }()

    /// Runs `/bin/sh -c script` (the binary is `$RINGSCRIPT`) and returns its exit status and output.
    static func shell(_ script: String, timeout: TimeInterval = 20) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = ["RINGSCRIPT": path ?? "false", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Loads with the opt-in (so `check` lets the step through), then takes it away for the run: what the
/// runner itself refuses, for values `check` cannot see.
private func executeWithoutOptIn(_ yaml: String, options: ExecutionOptions, observer: RecordingObserver = RecordingObserver()) throws -> ExecutionResult {
    var scenario = try ScenarioLoader.load(yaml, file: "escape.yaml", options: LoadOptions(allowOutsideSandbox: true, allowNetwork: true)).get()
    scenario.options.allowOutsideSandbox = false
    scenario.options.allowNetwork = false
    let plan = try Planner.plan(scenario).get()
    return ScenarioExecution(scenario: scenario, plan: plan, options: options, observer: observer).run()
}

@Suite(.serialized) struct SandboxEscapeTests {
    // MARK: - Every path-taking op, typed and raw, against canaries

    /// Typed and raw attempts at the canary: by absolute path, through `..`, through a symlink the
    /// scenario makes, by AT_FDCWD and by a numeric descriptor. `check` refuses each at its line.
    static let attempts: [String] = [
        "openat: { path: CANARY/victim.txt, flags: [O_WRONLY, O_TRUNC] }",
        "openat: { path: ../../canary/victim.txt, flags: [O_WRONLY, O_TRUNC] }",
        "openat: { dir: -100, path: victim.txt, flags: [O_WRONLY, O_TRUNC, O_CREAT], mode: 0o644 }",
        "openat2: { path: ../../canary/victim.txt, flags: [O_WRONLY, O_TRUNC] }",
        "openat2: { dir: -100, path: CANARY/victim.txt, flags: [O_WRONLY, O_TRUNC] }",
        "unlinkat: { path: CANARY/victim.txt }",
        "unlinkat: { path: ../../canary/victim.txt }",
        "unlinkat: { dir: -100, path: victim.txt }",
        "mkdirat: { path: ../../canary/made }",
        "mkdirat: { dir: -100, path: made }",
        "symlinkat: { target: CANARY/victim.txt, link: ln }",
        "symlinkat: { target: x, dir: -100, link: ../../canary/made }",
        "renameat: { old_path: ../../canary/victim.txt, new_path: stolen }",
        "renameat: { old_dir: -100, old_path: victim.txt, new_path: stolen }",
        "renameat: { old_path: mine, new_dir: 9, new_path: victim.txt }",
        "linkat: { old_path: ../../canary/victim.txt, new_path: hard }",
        "linkat: { old_dir: -100, old_path: victim.txt, new_path: hard }",
        "statx: { path: CANARY/victim.txt }",
        "statx: { dir: 9, path: victim.txt }",
        "raw: { opcode: openat, fd: -100, addr: path, op_flags: 0x201 }",
        "raw: { opcode: unlinkat, fd: -100, addr: path }",
        "raw: { opcode: mkdirat, fd: -100, addr: path, len: 0o755 }",
        "raw: { opcode: renameat, fd: -100, addr: path, len: 4294967196, offset: 0 }",
        "raw: { opcode: linkat, fd: -100, addr: path }",
        "raw: { opcode: symlinkat, fd: -100, addr: path }",
        "raw: { opcode: statx, fd: -100, addr: path }",
        "raw: { opcode: openat2, fd: -100, addr: path }",
        "raw: { opcode: write, fd: 9, addr: path, len: 4 }",
    ]

    private func scenario(_ step: String, canaries: Canaries, header: String = "") -> String {
        """
        name: escape attempt
        \(header)resources:
          mine: { file: { content: "mine" } }
          path: { buffer: { size: 256, content: "\(canaries.victim)" } }
        steps:
          - \(step.replacingOccurrences(of: "CANARY", with: canaries.base + "/canary"))
            id: attempt
        expect:
          attempt: any
        """
    }

    @Test(arguments: attempts)
    func checkRefusesTheAttemptAtItsLine(_ step: String) throws {
        let canaries = try Canaries()
        let text = scenario(step, canaries: canaries)
        guard case .failure(let list) = ScenarioLoader.load(text, file: "escape.yaml") else {
            Issue.record("check accepted: \(step)")
            return
        }
        let rendered = DiagnosticRenderer(sources: ["escape.yaml": text]).render(list.diagnostics)
        #expect(rendered.hasPrefix("escape.yaml:6:"), "\(rendered)")
        #expect(rendered.contains("allow_outside_sandbox"), "\(rendered)")
        #expect(canaries.state == Canaries.untouched)
    }

    /// The same attempts where `check` cannot judge them (the opt-in taken away after loading): the
    /// runner refuses numeric descriptors and raw path ops itself, with the step's location, and no
    /// canary changes. (Absolute and `..` paths are the loader's rule; with an inherited descriptor
    /// closed at start and AT_FDCWD refused, only raw SQEs could bring them back, and those are refused.)
    @Test(arguments: attempts.filter { $0.contains("-100") || $0.contains(" 9,") })
    func theRunnerRefusesWhatCheckCouldNotSee(_ step: String) throws {
        let canaries = try Canaries()
        // AT_FDCWD is the test process's working directory: an escape would create or change victim.txt there.
        let stray = FileManager.default.currentDirectoryPath + "/victim.txt"
        let existedBefore = FileManager.default.fileExists(atPath: stray)
        let result = try executeWithoutOptIn(scenario(step, canaries: canaries), options: canaries.options)
        let message = result.error?.description ?? "no error"
        #expect(message.hasPrefix("escape.yaml:6:"), "\(message)")
        #expect(message.contains("allow_outside_sandbox"), "\(message)")
        #expect(canaries.state == Canaries.untouched)
        #expect(FileManager.default.fileExists(atPath: stray) == existedBefore)
        if !existedBefore { try? FileManager.default.removeItem(atPath: stray) }
        #expect(canaries.leftovers.isEmpty)
    }

    /// A symlink pointing out of the sandbox cannot be made (as a resource or by symlinkat), and a path
    /// through a symlink the scenario makes is refused even when the link points inside.
    @Test func symlinksOutOfTheSandboxAreRefused() throws {
        let canaries = try Canaries()
        for (resource, step, location) in [
            ("out: { symlink: { target: \(canaries.base)/canary } }", "nop", "escape.yaml:4:"),
            ("out: { symlink: { target: ../../canary } }", "nop", "escape.yaml:4:"),
            ("out: { symlink: { target: sub } }", "openat: { path: out/victim.txt, flags: [O_WRONLY, O_TRUNC] }", "escape.yaml:6:"),
            ("sub: { directory: { path: sub } }", "symlinkat: { target: ../../../canary, link: sub/up }", "escape.yaml:6:"),
        ] {
            let text = "name: link\nresources:\n  mine: { file: { content: x } }\n  \(resource)\nsteps:\n  - \(step)\n"
            let rendered = diagnostics(text)
            #expect(rendered.hasPrefix(location) && rendered.contains("allow_outside_sandbox"), "\(rendered)")
        }
        #expect(canaries.state == Canaries.untouched)
    }

    private func diagnostics(_ text: String) -> String {
        switch ScenarioLoader.load(text, file: "escape.yaml") {
        case .success: return "valid"
        case .failure(let list): return DiagnosticRenderer(sources: ["escape.yaml": text]).render(list.diagnostics)
        }
    }

    /// A captured number is used as a descriptor only while it is one of the scenario's own (or names
    /// nothing, as after the scenario closed it): once the process reuses the number, it is refused.
    @Test func aCapturedDescriptorThatIsNotTheScenariosIsRefused() throws {
        let canaries = try Canaries()
        let scenario = try ScenarioLoader.load("""
            name: captured
            steps:
              - openat: { path: x, flags: [O_CREAT, O_RDWR], mode: 0o600 }
                capture: fd
                id: opened
              - wait: [opened]
              - statx: { dir: $fd, path: . }
            """, file: "captured.yaml").get()
        let plan = try Planner.plan(scenario).get()
        let sandbox = try Sandbox.create(label: "captured", base: canaries.sandboxes)
        defer { sandbox.remove() }
        let resources = RunResources(scenario: scenario, plan: plan, sandbox: sandbox)
        guard case .request(let statx) = scenario.graph.nodes[2].kind, let operand = statx.arguments.file("dir") else {
            Issue.record("no statx dir operand")
            return
        }
        let foreign = open(canaries.base + "/canary", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(foreign) }
        resources.captures[0] = Int64(foreign)
        #expect(throws: RunnerError.unsupported("$fd = \(foreign): " + SandboxRules.descriptorRefusal(foreign))) {
            try resources.directory(operand, at: StepInstance(node: 2, iterations: []))
        }
        resources.ringDescriptors.insert(foreign)  // as if the scenario's openat had returned it
        #expect(try resources.directory(operand, at: StepInstance(node: 2, iterations: [])) == foreign)
        resources.ringDescriptors.remove(foreign)
        // A number that names nothing reaches nothing: the kernel's EBADF is the scenario's to see.
        resources.captures[0] = 1_000_000
        #expect(try resources.directory(operand, at: StepInstance(node: 2, iterations: [])) == 1_000_000)
    }

    @Test func aDescriptorTheScenarioMadeIsAccepted() throws {
        let canaries = try Canaries()
        // fixed_fd_install's result is a descriptor the scenario made.
        let result = try executeWithoutOptIn("""
            name: captured number
            resources:
              t: { file_table: { sparse: 1 } }
            steps:
              - nop: { result: 2 }
                id: forged
              - openat_direct: { path: x, flags: [O_CREAT, O_RDWR], mode: 0o600, slot: 0 }
                id: opened
              - fixed_fd_install: { slot: 0 }
                id: installed
                capture: fd
              - wait: [installed]
              - statx: { dir: $fd, path: . }
                id: ok
            expect:
              forged: 2
              opened: 0
              installed: ">= 0"
              ok: 0
            """, options: canaries.options)
        #expect(result.error == nil, "\(result.error?.description ?? "")")
    }

    // MARK: - Inherited descriptors (a process of its own)

    @Test(.enabled(if: BuiltBinary.path != nil, "needs the built ringscript binary (swift build)"))
    func anInheritedDescriptorIsClosedAtStart() throws {
        let canaries = try Canaries()
        let directory = canaries.base
        try """
            name: inherited descriptor
            allow_outside_sandbox: true
            steps:
              - openat: { dir: 9, path: victim.txt, flags: [O_WRONLY, O_TRUNC] }
                id: through9
            expect:
              # Not the inherited descriptor: closed at start, the number is free or one of ringscript's own.
              through9: "< 0"
            """.write(toFile: directory + "/inherited.yaml", atomically: false, encoding: .utf8)
        try """
            name: inherited descriptor, no opt-in
            steps:
              - openat: { dir: 9, path: victim.txt, flags: [O_WRONLY, O_TRUNC] }
            """.write(toFile: directory + "/refused.yaml", atomically: false, encoding: .utf8)
        // fd 9 is open on the canary directory in the shell that starts ringscript.
        let run = try BuiltBinary.shell("cd '\(directory)' && exec 9<'\(directory)/canary' && TMPDIR='\(canaries.sandboxes)' \"$RINGSCRIPT\" run inherited.yaml")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("1 passed"), "\(run.output)")
        #expect(canaries.state == Canaries.untouched)
        let check = try BuiltBinary.shell("cd '\(directory)' && exec 9<'\(directory)/canary' && \"$RINGSCRIPT\" check refused.yaml")
        #expect(check.status == 2)
        #expect(check.output.contains("refused.yaml:3:20: error: descriptor 9 was not created by the scenario"), "\(check.output)")
        #expect(canaries.leftovers.isEmpty)
    }

    @Test(.enabled(if: BuiltBinary.path != nil, "needs the built ringscript binary (swift build)"))
    func aScenarioGivenAsAnInheritedDescriptorStaysReadable() throws {
        let canaries = try Canaries()
        try "name: via /dev/fd\nsteps:\n  - nop\n".write(toFile: canaries.base + "/fd.yaml", atomically: false, encoding: .utf8)
        let run = try BuiltBinary.shell("exec 8<'\(canaries.base)/fd.yaml' && \"$RINGSCRIPT\" check /dev/fd/8")
        #expect(run.status == 0, "\(run.output)")
    }

    // MARK: - Network

    @Test func aComputedAddressBeyondLoopbackIsRefusedAtRunTime() throws {
        let canaries = try Canaries()
        for step in ["connect: { fd: $s, address: \"8.8.8.8:53\" }",
                     "sendmsg: { fd: $s, data: \"x\", address: \"[2001:4860:4860::8888]:53\" }",
                     "bind: { fd: $s, address: \"0.0.0.0:0\" }"] {
            let result = try executeWithoutOptIn("""
                name: network
                steps:
                  - socket: { domain: AF_INET6, type: SOCK_DGRAM }
                    capture: s
                    id: sock
                  - wait: [sock]
                  - \(step)
                    id: attempt
                expect:
                  sock: ">= 0"
                  attempt: any
                """, options: canaries.options)
            let message = result.error?.description ?? "no error"
            #expect(message.hasPrefix("escape.yaml:7:"), "\(message)")
            #expect(message.contains("is not loopback") && message.contains("allow_network"), "\(message)")
        }
        let netlink = try executeWithoutOptIn("""
            name: netlink
            steps:
              - socket: { domain: AF_NETLINK, type: SOCK_RAW }
            """, options: canaries.options)
        #expect(netlink.error?.description.contains("socket domain 16 can reach beyond loopback") == true)
        #expect(canaries.leftovers.isEmpty)
    }

    @Test func loopbackTrafficStillFlows() throws {
        let canaries = try Canaries()
        let result = try execute("""
            name: loopback
            resources:
              u: { udp_socket: {} }
              got: { buffer: { size: 8 } }
            steps:
              - socket: { domain: AF_INET, type: SOCK_DGRAM }
                capture: s
                id: sock
              - wait: [sock]
              - sendmsg: { fd: $s, data: "ping", address: u }
                id: sent
              - recv: { fd: u, buf: got, len: 8 }
                id: got
            expect:
              sock: ">= 0"
              sent: 4
              got: 4
            """, options: canaries.options)
        #expect(result.error == nil, "\(result.error?.description ?? "")")
    }
}
