import IoUring

/// What a scenario may reach without opting out: the rules `check` applies where the scenario writes a
/// value literally, and the runner applies again to the values it computes. A scenario comes from a
/// stranger and runs as root, so it talks to its own resources, its sandbox directory and loopback only.
public enum SandboxRules {
    /// AT_FDCWD: as a directory descriptor it means the process's working directory, not the sandbox.
    public static let currentWorkingDirectory: Int32 = -100

    /// Whether a descriptor number written in the scenario (or computed from a capture that is not one
    /// of the scenario's own descriptors) can reach something the scenario did not create. Negative
    /// numbers other than AT_FDCWD never name a file (the kernel answers EBADF), so they stay allowed:
    /// `fd: -1` is how a scenario provokes EBADF.
    public static func reachesOutside(descriptor fd: Int32) -> Bool {
        fd >= 0 || fd == currentWorkingDirectory
    }

    /// Why a descriptor number is refused, for diagnostics at check time and at run time.
    public static func descriptorRefusal(_ fd: Int32) -> String {
        let optIn = "(set 'allow_outside_sandbox: true' to allow it)"
        if fd == currentWorkingDirectory {
            return "descriptor -100 is AT_FDCWD, the working directory of ringscript, outside the sandbox; write 'cwd' for the sandbox directory \(optIn)"
        }
        return "descriptor \(fd) was not created by the scenario (it could be one ringscript holds or inherited); name a resource, a capture or { slot: N } \(optIn)"
    }

    /// Raw opcodes whose SQE names a path the kernel resolves against a directory descriptor: a raw SQE
    /// can point `addr` at any bytes, so none of the sandbox's path rules can be applied to it.
    public static let rawPathOpcodes: Set<Opcode> = [
        .openat, .openat2, .statx, .renameat, .unlinkat, .mkdirat, .symlinkat, .linkat, .setxattr, .getxattr,
    ]

    /// Raw opcodes that take descriptors from somewhere other than `fd`: IORING_OP_FILES_UPDATE installs
    /// an array of them from `addr`, IORING_OP_MSG_RING reaches another ring, IORING_OP_SPLICE and
    /// IORING_OP_TEE read `splice_fd_in`, IORING_OP_EPOLL_CTL watches `off`.
    public static let rawDescriptorOpcodes: Set<Opcode> = [.filesUpdate, .msgRing, .splice, .tee, .epollCtl]

    /// Raw opcodes that send to or bind a socket address the runner cannot see (it lies in a buffer).
    /// IORING_OP_SEND and IORING_OP_SEND_ZC count only with a destination in `addr2` (`offset` ≠ 0).
    public static let rawAddressOpcodes: Set<Opcode> = [.connect, .bind, .sendmsg, .sendmsgZC]

    /// Socket domains a scenario may create without `allow_network`: AF_UNIX (1), AF_INET (2),
    /// AF_INET6 (10). Others (AF_NETLINK can reconfigure the host's network as root, AF_PACKET sends
    /// raw frames) need the opt-in.
    public static let loopbackDomains: Set<UInt64> = [1, 2, 10]

    /// Why a raw SQE is refused, or nil when it may run: `opcode`, the `fd` field as written (nil when
    /// it is not a number), and the `offset` field (IORING_OP_SEND's `addr2`).
    public static func rawRefusal(opcode: UInt8, fd: Int32?, offset: UInt64?, allowsOutsideSandbox: Bool,
                                  allowsNetwork: Bool) -> String? {
        let sandboxOptIn = "(set 'allow_outside_sandbox: true' to allow it)"
        let networkOptIn = "(set 'allow_network: true' to allow it)"
        let known = Opcode(rawValue: opcode)
        let name = known?.kernelName ?? "opcode \(opcode)"
        if let known, !allowsOutsideSandbox {
            if rawPathOpcodes.contains(known) {
                return "a raw \(name) resolves a path the sandbox rules cannot see (it lies in 'addr'); use the typed op \(sandboxOptIn)"
            }
            if rawDescriptorOpcodes.contains(known) {
                return "a raw \(name) takes descriptors the scenario may not have created; use the typed op \(sandboxOptIn)"
            }
        }
        if let known, !allowsNetwork {
            if rawAddressOpcodes.contains(known) || ((known == .send || known == .sendZC) && (offset ?? 1) != 0) {
                return "a raw \(name) sends to or binds a socket address the runner cannot check for loopback; use the typed op \(networkOptIn)"
            }
            if known == .socket, let fd, !loopbackDomains.contains(UInt64(UInt32(bitPattern: fd))) {
                return "a raw IORING_OP_SOCKET of domain \(fd) (its 'fd' field) can reach beyond loopback; only AF_UNIX, AF_INET and AF_INET6 are allowed \(networkOptIn)"
            }
        }
        // IORING_OP_SOCKET's `fd` is the domain; IORING_OP_NOP takes none; elsewhere it is a descriptor.
        if let fd, known != .socket, known != .nop, !allowsOutsideSandbox, reachesOutside(descriptor: fd) {
            return descriptorRefusal(fd)
        }
        return nil
    }

    /// Why a socket address is refused, or nil: only loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104)
    /// without `allow_network`.
    public static func addressRefusal(_ address: IoUring::SocketAddress, allowsNetwork: Bool) -> String? {
        guard !allowsNetwork, !address.isLoopback else { return nil }
        return "address \(address) is not loopback; scenarios talk to 127.0.0.0/8 and ::1 only (set 'allow_network: true' to allow it)"
    }

    /// Why a socket domain is refused, or nil.
    public static func domainRefusal(_ domain: UInt64, allowsNetwork: Bool) -> String? {
        guard !allowsNetwork, !loopbackDomains.contains(domain) else { return nil }
        return "socket domain \(domain) can reach beyond loopback; only AF_UNIX, AF_INET and AF_INET6 are allowed (set 'allow_network: true' to allow it)"
    }
}

extension ScenarioBuilder {
    /// A numeric descriptor written in the scenario: refused where it can reach outside the sandbox.
    func checkDescriptorNumber(_ fd: Int32, at mark: SourceMark) {
        guard !allowsOutsideSandbox, SandboxRules.reachesOutside(descriptor: fd) else { return }
        error(mark, SandboxRules.descriptorRefusal(fd))
    }

    /// A raw SQE's opcode, `fd` and `offset` against `SandboxRules.rawRefusal`, at the opcode's mark.
    func checkRawSandbox(_ spec: StepSpec, _ values: ArgumentDraft, key: YAMLNode) {
        guard let opcodeArgument = values["opcode"] else { return }
        let opcode: UInt8
        switch opcodeArgument.value {
        case .opcode(let known): opcode = known.rawValue
        case .unsigned(let number): opcode = UInt8(truncatingIfNeeded: number)
        default: return
        }
        var fd: Int32?
        if case .file(.descriptor(let number))? = values["fd"]?.value { fd = number }
        var offset: UInt64?
        if case .unsigned(let number)? = values["offset"]?.value { offset = number }
        guard let refusal = SandboxRules.rawRefusal(opcode: opcode, fd: fd, offset: offset,
                                                    allowsOutsideSandbox: allowsOutsideSandbox,
                                                    allowsNetwork: allowsNetwork) else { return }
        let fdArgument = values["fd"]
        let mark = refusal.hasPrefix("descriptor") ? (fdArgument?.mark ?? opcodeArgument.mark) : opcodeArgument.mark
        error(mark, refusal)
    }

    /// A socket op's `domain`: AF_UNIX, AF_INET or AF_INET6 unless `allow_network`.
    func checkSocketDomain(_ argument: StepArgument) {
        guard case .named(let value) = argument.value,
              let refusal = SandboxRules.domainRefusal(value.value, allowsNetwork: allowsNetwork) else { return }
        error(argument.mark, refusal)
    }

    /// A literal socket address: strict text (see `IPv4Address` / `IPv6Address`), loopback unless
    /// `allow_network`.
    func checkLiteralAddress(_ address: IoUring::SocketAddress, at mark: SourceMark) {
        if let refusal = SandboxRules.addressRefusal(address, allowsNetwork: allowsNetwork) { error(mark, refusal) }
    }
}
