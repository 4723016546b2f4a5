import Testing
import IoUring
@testable import Scenario

/// `sqe:` overrides on typed ops and literal timespecs: what the loader keeps, and every misuse located.
@Suite struct SQEOverrideLoadingTests {
    func request(_ text: String, _ id: String) throws -> RequestSpec {
        let scenario = try ScenarioLoader.load(text, file: "test.yaml").get()
        let node = try #require(scenario.node(id))
        guard case .request(let request) = node.kind else { throw LoadFailure.notARequest }
        return request
    }

    enum LoadFailure: Error { case notARequest }

    func errors(_ text: String, options: LoadOptions = LoadOptions()) -> [String] {
        diagnostics(text, options: options).split(separator: "\n").filter { $0.contains(": error: ") }.map(String.init)
    }

    static let resources = """
        name: t
        resources:
          f:  { file: { content: "hello" } }
          b:  { buffer: { size: 8 } }
          ft: { file_table: { files: [f] } }
        """

    @Test func overridesAreKeptAndTheirFlagBitsJoinTheRequestsFlags() throws {
        let text = Self.resources + """

            steps:
              - read: { fd: f, buf: b, sqe: { ioprio: 89, op_flags: 0x80000000, len: 2, addr: 0, buf_index: 3, personality: 4, file_index: 5, addr3: 0, sqe_flags: 0x80 } }
                id: r
              - read: { fd: f, buf: b, sqe: { fd: { slot: 9 } } }
                id: s
            """
        let read = try request(text, "r")
        let overrides = try #require(read.sqeOverrides)
        #expect(overrides.ioprio == 89)
        #expect(overrides.opFlags == 0x8000_0000)
        #expect(overrides.len == 2)
        #expect(overrides.address == .addressField(nil, 0))
        #expect(overrides.bufIndex == 3)
        #expect(overrides.personality == 4)
        #expect(overrides.spliceFDIn == 5)
        #expect(read.flags.rawValue & 0x80 == 0x80)
        let slot = try request(text, "s")
        #expect(slot.sqeOverrides?.fd == .slot(9))  // beyond the one-slot table: no range check
        #expect(slot.flags.contains(.fixedFile))
        #expect(try request(Self.resources + "\nsteps:\n  - read: { fd: f, buf: b }\n    id: r\n", "r").sqeOverrides == nil)
    }

    @Test(arguments: [
        ("  - read: { fd: f, buf: b, sqe: { iopri: 1 } }\n",
         "test.yaml:7:35: error: unknown SQE field 'iopri' in 'sqe' (did you mean 'ioprio'?); fields: sqe_flags, ioprio, fd, len, addr, op_flags, buf_index, personality, splice_fd_in, file_index, addr3"),
        ("  - read: { fd: f, buf: b, sqe: 3 }\n",
         "test.yaml:7:33: error: 'sqe' takes a mapping of SQE fields (sqe_flags, ioprio, fd, len, addr, op_flags, buf_index, personality, splice_fd_in, file_index, addr3), not a number"),
        ("  - nop: { sqe: { sqe_flags: [IOSQE_IO_LINK] } }\n",
         "test.yaml:7:30: error: IOSQE bit 4 has a step key: write 'link: true' on the step, so the chain it makes is known"),
        ("  - read: { fd: f, buf: b, sqe: { addr: 0x1000 } }\n",
         "test.yaml:7:41: error: 'addr' 0x1000 points the kernel at memory no rule can check; write 0 (NULL) or name a buffer resource (set 'allow_outside_sandbox: true' to allow it)"),
        ("  - openat: { path: x, sqe: { fd: f } }\n",
         "test.yaml:7:24: error: this 'sqe' override: an overridden IORING_OP_OPENAT resolves a path the sandbox rules cannot see (it lies in 'addr'); use the typed op (set 'allow_outside_sandbox: true' to allow it)"),
        ("  - read: { fd: f, buf: b, sqe: { fd: 3 } }\n",
         "test.yaml:7:39: error: descriptor 3 was not created by the scenario (it could be one ringscript holds or inherited); name a resource, a capture or { slot: N } (set 'allow_outside_sandbox: true' to allow it)"),
        ("  - read: { fd: f, buf: b, sqe: { splice_fd_in: 1, file_index: 2 } }\n",
         "test.yaml:7:52: error: 'splice_fd_in' and 'file_index' are one SQE field; give it once"),
        ("  - raw: { opcode: nop, sqe: { ioprio: 1 } }\n",
         "test.yaml:7:25: error: unknown argument 'sqe' of 'raw'"),
        ("  - register_files: { files: [f], sqe: { ioprio: 1 } }\n",
         "test.yaml:7:35: error: unknown argument 'sqe' of 'register_files'"),
    ])
    func misusedOverridesAreLocated(step: String, expected: String) {
        let found = errors(Self.resources + "\nsteps:\n" + step)
        #expect(found.first?.hasPrefix(expected) == true, "\(found)")
    }

    @Test func aNonzeroAddressIsAllowedWithTheSandboxOptIn() {
        let text = Self.resources + "\nsteps:\n  - read: { fd: f, buf: b, sqe: { addr: 0x1000 } }\n"
        #expect(diagnostics(text, options: LoadOptions(allowOutsideSandbox: true)) == "valid")
    }

    @Test func aLoneLinkTimeoutNeedsAlone() {
        #expect(errors("name: t\nsteps:\n  - link_timeout: { after: 1s }\n") == [
            "test.yaml:3:5: error: link_timeout must directly follow a request with 'link: true' (or 'hardlink: true'); it times out that request (to submit a lone one on purpose, add 'alone: true': the kernel answers -EINVAL)",
        ])
        #expect(diagnostics("name: t\nsteps:\n  - link_timeout: { after: 1s, alone: true }\n") == "valid")
        #expect(errors("name: t\nsteps:\n  - nop: {}\n    link: true\n  - link_timeout: { after: 1s, alone: true }\n") == [
            "test.yaml:5:39: error: 'alone: true', but this link_timeout follows a linked request; remove 'alone' or the link",
        ])
    }

    @Test func literalTimespecsAreKeptAsWritten() throws {
        let text = """
            name: t
            steps:
              - timeout: { after: { sec: -1, nsec: 1000000000 } }
                id: t
              - timeout: { at: { nsec: 5 }, clock: realtime }
                id: a
            """
        #expect(try request(text, "t").arguments["after"] == .timespec(seconds: -1, nanoseconds: 1_000_000_000))
        #expect(try request(text, "a").arguments["at"] == .timespec(seconds: 0, nanoseconds: 5))
    }

    @Test(arguments: [
        ("  - timeout: { count: 1 }\n",
         "test.yaml:3:5: error: 'timeout' needs 'after' (a length: 10ms or { sec, nsec }) or 'at' (an absolute { sec, nsec } of 'clock')"),
        ("  - timeout: { after: 1s, at: { sec: 1 } }\n",
         "test.yaml:3:31: error: 'timeout' takes only one of 'after' and 'at'"),
        ("  - timeout: { at: 1s }\n",
         "test.yaml:3:20: error: 'at' is an absolute time of 'clock': write it as { sec, nsec } (or use 'after' with 'absolute: true' for a time from now)"),
        ("  - timeout: { at: { sec: 1 }, absolute: true }\n",
         "test.yaml:3:42: error: 'at' is absolute already (IORING_TIMEOUT_ABS); leave 'absolute' out"),
        ("  - timeout: { after: { sec: 1 }, absolute: true }\n",
         "test.yaml:3:23: error: a literal 'after' is a length as written; for an absolute time write 'at: { sec, nsec }'"),
        ("  - timeout: { after: { secs: 1 } }\n",
         "test.yaml:3:25: error: unknown key 'secs' in a timespec (did you mean 'sec'?)"),
        ("  - timeout: { after: {} }\n",
         "test.yaml:3:23: error: 'after' as a timespec needs 'sec' and/or 'nsec' (struct __kernel_timespec's tv_sec, tv_nsec)"),
    ])
    func misusedTimespecsAreLocated(step: String, expected: String) {
        let found = errors("name: t\nsteps:\n" + step)
        #expect(found.first?.hasPrefix(expected) == true, "\(found)")
    }
}
