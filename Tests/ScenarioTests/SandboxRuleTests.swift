import IoUring
import Testing
@testable import Scenario

/// `check` refuses, at the literal's line and column, what could leave the sandbox or the loopback:
/// numeric descriptors the scenario did not create, raw SQEs that resolve paths or reach addresses it
/// cannot see, and addresses beyond loopback. Each opt-in lifts exactly its rule.
@Suite struct SandboxRuleTests {
    /// The first diagnostic line of a one-step scenario, `test.yaml:L:C: error: …`.
    private func firstError(_ steps: String, resources: String = "", header: String = "") -> String {
        let text = "name: attempt\n\(header)resources:\n  d: { directory: { path: d } }\n  s: { socketpair: {} }\n  buf: { buffer: { size: 64, content: \"victim.txt\" } }\n\(resources)steps:\n\(steps)\n"
        let rendered = diagnostics(text)
        return String(rendered.split(separator: "\n").first ?? "")
    }

    // MARK: - Numeric descriptors

    static let numericDescriptorSteps: [(step: String, column: Int, fd: Int32)] = [
        ("  - openat: { dir: -100, path: victim.txt, flags: [O_WRONLY, O_TRUNC] }", 20, -100),
        ("  - openat2: { dir: -100, path: victim.txt, flags: O_RDONLY }", 21, -100),
        ("  - unlinkat: { dir: -100, path: victim.txt }", 22, -100),
        ("  - mkdirat: { dir: -100, path: made }", 21, -100),
        ("  - symlinkat: { target: x, dir: -100, link: ln }", 34, -100),
        ("  - renameat: { old_dir: -100, old_path: victim.txt, new_path: moved }", 26, -100),
        ("  - linkat: { old_path: a, new_dir: -100, new_path: b }", 37, -100),
        ("  - statx: { dir: 9, path: victim.txt }", 19, 9),
        ("  - read: { fd: 0, buf: buf, len: 8 }", 17, 0),
        ("  - write: { fd: 1, data: \"x\" }", 18, 1),
        ("  - peer_write: { fd: 9, data: \"x\" }", 23, 9),
    ]

    @Test(arguments: numericDescriptorSteps)
    func aNumericDescriptorIsRefusedWhereItIsWritten(_ attempt: (step: String, column: Int, fd: Int32)) {
        let line = firstError(attempt.step)
        #expect(line.hasPrefix("test.yaml:7:\(attempt.column): error: descriptor \(attempt.fd) "), "\(line)")
        #expect(line.hasSuffix("(set 'allow_outside_sandbox: true' to allow it)"))
        if attempt.fd == -100 { #expect(line.contains("AT_FDCWD") && line.contains("'cwd'")) }
    }

    @Test func aFileTableListingANumberIsRefused() {
        let line = firstError("  - nop", resources: "  t: { file_table: { files: [-1, 7] } }\n")
        #expect(line.hasPrefix("test.yaml:6:34: error: descriptor 7 was not created by the scenario"), "\(line)")
    }

    @Test func minusOneAndTheScenariosOwnDescriptorsStayAllowed() {
        #expect(firstError("  - write: { fd: -1, data: \"x\" }\n  - openat: { dir: d, path: f, flags: [O_CREAT, O_WRONLY] }\n  - statx: { dir: cwd, path: d }") == "valid")
    }

    @Test func theOptInAllowsNumericDescriptors() {
        #expect(firstError("  - openat: { dir: -100, path: victim.txt }", header: "allow_outside_sandbox: true\n") == "valid")
        let text = "name: n\nsteps:\n  - statx: { dir: 9, path: x }\n"
        #expect(diagnostics(text, options: LoadOptions(allowOutsideSandbox: true)) == "valid")
    }

    // MARK: - Raw SQEs

    static let rawSteps: [(step: String, message: String)] = [
        ("  - raw: { opcode: openat, fd: -100, addr: buf, op_flags: 0x201 }", "test.yaml:7:20: error: a raw IORING_OP_OPENAT resolves a path"),
        ("  - raw: { opcode: 28, fd: s.a, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_OPENAT2 resolves a path"),
        ("  - raw: { opcode: IORING_OP_UNLINKAT, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_UNLINKAT resolves a path"),
        ("  - raw: { opcode: renameat, addr: buf, offset: 0 }", "test.yaml:7:20: error: a raw IORING_OP_RENAMEAT resolves a path"),
        ("  - raw: { opcode: mkdirat, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_MKDIRAT resolves a path"),
        ("  - raw: { opcode: symlinkat, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_SYMLINKAT resolves a path"),
        ("  - raw: { opcode: linkat, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_LINKAT resolves a path"),
        ("  - raw: { opcode: statx, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_STATX resolves a path"),
        ("  - raw: { opcode: 42, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_SETXATTR resolves a path"),
        ("  - raw: { opcode: 44, addr: buf }", "test.yaml:7:20: error: a raw IORING_OP_GETXATTR resolves a path"),
        ("  - raw: { opcode: files_update, addr: buf, len: 1 }", "test.yaml:7:20: error: a raw IORING_OP_FILES_UPDATE takes descriptors"),
        ("  - raw: { opcode: read, fd: 9, addr: buf, len: 8 }", "test.yaml:7:30: error: descriptor 9 was not created by the scenario"),
        ("  - raw: { opcode: connect, fd: s.a, addr: buf, offset: 16 }", "test.yaml:7:20: error: a raw IORING_OP_CONNECT sends to or binds a socket address"),
        ("  - raw: { opcode: send, fd: s.a, addr: buf, len: 1, offset: 4096 }", "test.yaml:7:20: error: a raw IORING_OP_SEND sends to or binds"),
        ("  - raw: { opcode: socket, fd: 16, offset: 3 }", "test.yaml:7:20: error: a raw IORING_OP_SOCKET of domain 16"),
    ]

    @Test(arguments: rawSteps)
    func aRawSQEThatCouldLeaveIsRefused(_ attempt: (step: String, message: String)) {
        let line = firstError(attempt.step)
        #expect(line.hasPrefix(attempt.message), "\(line)")
        #expect(line.hasSuffix("to allow it)"))
    }

    @Test func rawSQEsThatStayInsideAreAccepted() {
        #expect(firstError("""
              - raw: { opcode: nop, fd: s.a, sqe_flags: [IOSQE_FIXED_FILE] }
              - raw: { opcode: 250 }
              - raw: { opcode: read, fd: s.a, addr: buf, len: 8 }
              - raw: { opcode: send, fd: s.a, addr: buf, len: 1 }
              - raw: { opcode: socket, fd: 2, offset: 1 }
            """) == "valid")
    }

    @Test func rawOptInsLiftTheirOwnRule() {
        #expect(firstError("  - raw: { opcode: openat, fd: -100, addr: buf }", header: "allow_outside_sandbox: true\n") == "valid")
        #expect(firstError("  - raw: { opcode: connect, fd: s.a, addr: buf, offset: 16 }", header: "allow_outside_sandbox: true\n")
            .contains("allow_network"))
        #expect(firstError("  - raw: { opcode: connect, fd: s.a, addr: buf, offset: 16 }", header: "allow_network: true\n") == "valid")
    }

    // MARK: - Addresses

    static let refusedAddresses: [(step: String, message: String)] = [
        ("  - connect: { fd: s.a, address: \"8.8.8.8:53\" }", "test.yaml:7:34: error: address 8.8.8.8:53 is not loopback"),
        ("  - connect: { fd: s.a, address: \"[2001:4860:4860::8888]:53\" }", "test.yaml:7:34: error: address [2001:4860:4860::8888]:53 is not loopback"),
        ("  - connect: { fd: s.a, address: \"[::ffff:8.8.8.8]:53\" }", "test.yaml:7:34: error: address [::ffff:8.8.8.8]:53 is not loopback"),
        ("  - connect: { fd: s.a, address: \"010.010.010.010:53\" }", "test.yaml:7:34: error: 'address' must look like \"127.0.0.1:8080\" (four decimal octets, no leading zeros)"),
        ("  - connect: { fd: s.a, address: \"127.1:53\" }", "test.yaml:7:34: error: 'address' must look like \"127.0.0.1:8080\""),
        ("  - connect: { fd: s.a, address: \"[::ffff:0127.0.0.1]:53\" }", "test.yaml:7:34: error: '::ffff:0127.0.0.1' is not an IPv6 address"),
        ("  - connect: { fd: s.a, address: \"[fe80::1%eth0]:53\" }", "test.yaml:7:34: error: 'fe80::1%eth0' is not an IPv6 address"),
        ("  - bind: { fd: s.a, address: \"0.0.0.0:0\" }", "test.yaml:7:31: error: address 0.0.0.0:0 is not loopback"),
        ("  - bind: { fd: s.a, address: \"[::]:0\" }", "test.yaml:7:31: error: address [::]:0 is not loopback"),
        ("  - sendmsg: { fd: s.a, data: \"x\", address: \"10.0.0.1:9\" }", "test.yaml:7:45: error: address 10.0.0.1:9 is not loopback"),
        ("  - sendmsg_zc: { fd: s.a, data: \"x\", address: \"192.168.1.1:9\" }", "test.yaml:7:48: error: address 192.168.1.1:9 is not loopback"),
        ("  - send: { fd: s.a, data: \"x\", address: \"1.1.1.1:53\" }", "test.yaml:7:42: error: address 1.1.1.1:53 is not loopback"),
        ("  - peer_send: { to: \"8.8.4.4:53\", data: \"x\" }", "test.yaml:7:22: error: address 8.8.4.4:53 is not loopback"),
        ("  - socket: { domain: AF_NETLINK, type: SOCK_RAW }", "test.yaml:7:23: error: socket domain 16 can reach beyond loopback"),
    ]

    @Test(arguments: refusedAddresses)
    func anAddressBeyondLoopbackIsRefused(_ attempt: (step: String, message: String)) {
        let line = firstError(attempt.step)
        #expect(line.hasPrefix(attempt.message), "\(line)")
    }

    @Test func loopbackAddressesAreAccepted() {
        #expect(firstError("""
              - connect: { fd: s.a, address: "127.0.0.1:80" }
              - connect: { fd: s.a, address: "127.255.0.9:80" }
              - connect: { fd: s.a, address: "[::1]:80" }
              - connect: { fd: s.a, address: "[::ffff:127.0.0.1]:80" }
              - socket: { domain: AF_INET6, type: SOCK_DGRAM }
            """) == "valid")
    }

    @Test func allowNetworkAcceptsAnyWellFormedAddress() {
        let steps = "  - connect: { fd: s.a, address: \"8.8.8.8:53\" }\n  - bind: { fd: s.a, address: \"0.0.0.0:0\" }"
        #expect(firstError(steps, header: "allow_network: true\n") == "valid")
        #expect(firstError("  - connect: { fd: s.a, address: \"010.010.010.010:53\" }", header: "allow_network: true\n") != "valid")
        let scenario = try? ScenarioLoader.load("name: n\nallow_network: true\nsteps:\n  - nop\n", file: "n.yaml").get()
        #expect(scenario?.options.allowNetwork == true)
        #expect(scenario?.dump().contains("option: allow_network") == true)
    }

    // MARK: - Strict address parsing

    @Test func ipv4TextIsParsedStrictly() {
        #expect(IPv4Address("127.0.0.1") == IPv4Address(127, 0, 0, 1))
        #expect(IPv4Address("0.0.0.0") == .any)
        for text in ["010.010.010.010", "127.1", "0x7f.0.0.1", "2130706433", "256.0.0.1", "1.2.3.4.5", "1..2.3", " 1.2.3.4", "1.2.3.4 ", "+1.2.3.4", ""] {
            #expect(IPv4Address(text) == nil, "\(text)")
        }
        #expect(IPv4Address(127, 9, 9, 9).isLoopback && !IPv4Address(128, 0, 0, 1).isLoopback)
        #expect(IPv6Address("::ffff:127.0.0.1")?.isLoopback == true)
        #expect(IPv6Address("::ffff:8.8.8.8")?.isLoopback == false)
        #expect(IPv6Address("::ffff:010.0.0.1") == nil)
        #expect(IoUring::SocketAddress.unix(path: "").isLoopback && !IoUring::SocketAddress.unix(path: "\0x").isLoopback)
    }
}
