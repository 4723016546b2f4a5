#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// `requires:` and the ring setup, checked before anything of the scenario runs. An unmet requirement
/// is a skip with the exact reason; a setup the kernel refuses is a skip only when `requires:` explains it.
enum RequirementCheck {
    enum SetupFailure: Error {
        /// `requires:` is not met: nothing runs.
        case skip(String)
        /// The kernel refused the setup as `ring.expect` says (the call and errno): the scenario passes.
        case refusedAsExpected(String)
        /// The setup differed from what the scenario says: refused unexpectedly, or otherwise than expected.
        case differed(Mismatch)
        case error(RunnerError)
    }

    /// Root and the kernel release: what needs no ring.
    static func unmetWithoutRing(_ requirements: Requirements) -> String? {
        var reasons: [String] = []
        if requirements.root, geteuid() != 0 {
            reasons.append("requires root (running as uid \(geteuid()))")
        }
        if let minimum = requirements.kernel {
            let running = KernelRelease.current
            if running < minimum { reasons.append("requires kernel \(minimum) or newer (running \(running))") }
        }
        if requirements.zcrx { reasons.append(zeroCopyReceiveRefusal()) }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// Why `requires: zcrx` is unmet: IORING_OP_RECV_ZC needs an interface queue registered with
    /// IORING_REGISTER_ZCRX_IFQ on a NIC receive queue with header split; loopback and virtual devices
    /// have none, and the runner has no step that registers one yet, so the requirement is never met.
    static func zeroCopyReceiveRefusal() -> String {
        // A NIC has a bus device behind it; lo, veth, bridges and tunnels do not.
        let names = (try? DirectoryEntries.names(in: "/sys/class/net").get()) ?? []
        let devices = names.filter { access("/sys/class/net/\($0)/device", F_OK) == 0 }
        let base = "requires a zero-copy receive interface queue (IORING_REGISTER_ZCRX_IFQ) on a NIC receive queue with header split"
        guard !devices.isEmpty else { return base + ", and this machine has no NIC (only loopback or virtual devices)" }
        return base + " (NICs here: \(devices.sorted().joined(separator: ", "))), which ringscript does not register yet"
    }

    /// Why `requires: xattrs` is unmet in the sandbox at `directory`, or nil: an IORING_OP_SETXATTR of a
    /// `user.*` attribute on a file there, on a small ring of its own, as the scenario's xattr ops will do.
    static func userXattrRefusal(in directory: String) -> String? {
        let path = directory + "/.ringscript-xattr-probe"
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "requires user.* extended attributes, but open(\(path)) failed: \(Errno(rawValue: errno).name)" }
        close(fd)
        defer { unlink(path) }
        var result: Int32?
        do {
            var ring = try IoUring(entries: 2)
            try ring.setxattr(userData: 1, path: path, name: "user.ringscript.probe", value: IoBuffer([0x31]))
            try ring.submit()
            try ring.waitCQEs(1, timeout: .seconds(5)) { result = $0.res }
        } catch {
            return "requires user.* extended attributes, but the probe failed: \(error)"
        }
        guard let result else { return "requires user.* extended attributes, but the probe's IORING_OP_SETXATTR did not complete" }
        if result == 0 { return nil }
        return "requires user.* extended attributes, which the sandbox's file system refuses (IORING_OP_SETXATTR in \(directory): \(Errno(rawValue: -result).name))"
    }

    /// Ops through the probe (IORING_REGISTER_PROBE), setup flags by trying a ring with them, and the
    /// feature bits of the scenario's ring.
    static func unmetWithRing(_ requirements: Requirements, ring: borrowing IoUring) -> String? {
        var reasons: [String] = []
        if !requirements.operations.isEmpty {
            do {
                let probe = try ring.probe()
                let missing = requirements.operations.filter { !probe.supports($0) }.map(\.kernelName)
                if !missing.isEmpty {
                    reasons.append("requires \(missing.joined(separator: ", ")), which this kernel does not support")
                }
            } catch {
                reasons.append("requires \(requirements.operations.map(\.kernelName).joined(separator: ", ")), but the probe failed: \(error)")
            }
        }
        if !requirements.setupFlags.isEmpty {
            for (flag, name) in SetupFlags.named where requirements.setupFlags.contains(flag) {
                if let refusal = trySetup(flag) {
                    reasons.append("requires \(name), which this kernel refuses: \(refusal)")
                }
            }
        }
        if requirements.napi, let refusal = tryNapi() {
            reasons.append("requires NAPI busy polling (IORING_REGISTER_NAPI), which this kernel refuses: \(refusal)")
        }
        let missingFeatures = Features(rawValue: requirements.features.rawValue & ~ring.features.rawValue)
        if !missingFeatures.isEmpty {
            let names = missingFeatures.names
            reasons.append("requires \(names.joined(separator: ", ")), which this kernel does not offer")
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// Sets up the ring the scenario's `ring:` asks for, and judges a refusal:
    ///
    /// - with `ring.expect`, a refusal that matches is the scenario's result (`.refusedAsExpected`), and
    ///   anything else — a ring that sets up, another errno — differs (`.differed`);
    /// - without it, a refusal is a skip only when the kernel lacks something `requires:` declares (ops,
    ///   setup flags, feature bits, NAPI: checked on a small ring of its own); otherwise it differs, naming
    ///   the call (`io_uring_setup(entries: 8, flags: SQPOLL|SQ_AFF): EINVAL`). A scenario that did not
    ///   declare what it needs gets a FAIL, not a skip that hides a typo or a regression.
    static func setUpRing(_ scenario: Scenario) throws(SetupFailure) -> IoUring {
        let spec = scenario.ring
        // Ask for the sizes as written (rounded up): with IORING_SETUP_CLAMP the kernel clamps them.
        let sizes = Planner.requestedSizes(of: spec)
        let mark = spec.mark ?? SourceMark(file: scenario.file, line: 1, column: 1)
        let ring: IoUring
        do {
            ring = try IoUring(entries: sizes.sq, parameters: parameters(spec.flags, spec))
        } catch {
            guard case .syscall(.setup, let errno) = error else { throw .error(.engine(error)) }
            let call = setupCall(spec) + ": " + errno.name
            // A kernel that lacks what the scenario declares refuses for that reason, not the one tested.
            if let reason = unmetOnSmallRing(scenario.requirements) {
                throw .skip(reason + " (\(call))")
            }
            if let expected = spec.expectedSetupFailure {
                if expected.matches(-errno.rawValue) { throw .refusedAsExpected(call) }
                throw .differed(Mismatch(mark: mark, subject: "ring setup", expected: "io_uring_setup to fail with \(expected)",
                                         actual: call))
            }
            throw .differed(Mismatch(mark: mark, subject: "ring setup", expected: "io_uring_setup to succeed",
                                     actual: call + declaredNothingNote(scenario.requirements)))
        }
        if let expected = spec.expectedSetupFailure {
            if let reason = unmetWithRing(scenario.requirements, ring: ring) { throw .skip(reason) }
            throw .differed(Mismatch(mark: mark, subject: "ring setup", expected: "io_uring_setup to fail with \(expected)",
                                     actual: setupCall(spec) + " set up a ring"))
        }
        return ring
    }

    /// `io_uring_setup(entries: 8, flags: SQPOLL|SQ_AFF)`, with the CQ size when CQSIZE asks for one and
    /// unknown flag bits in hex.
    static func setupCall(_ spec: RingSpec) -> String {
        let sizes = Planner.requestedSizes(of: spec)
        var names = SetupFlags.named.filter { spec.flags.contains($0.flag) }
            .map { $0.name.hasPrefix("IORING_SETUP_") ? String($0.name.dropFirst("IORING_SETUP_".count)) : $0.name }
        let known = SetupFlags.named.reduce(UInt32(0)) { $0 | $1.flag.rawValue }
        let unknown = spec.flags.rawValue & ~known
        if unknown != 0 { names.append("0x" + String(unknown, radix: 16)) }
        var text = "io_uring_setup(entries: \(sizes.sq)"
        if spec.flags.contains(.cqSize) { text += ", cq_entries: \(sizes.cq)" }
        text += ", flags: " + (names.isEmpty ? "0" : names.joined(separator: "|")) + ")"
        return text
    }

    /// What `requires:` declares that this kernel lacks, found without the scenario's ring (which it
    /// refused): root and release, then ops, setup flags, features and NAPI on a small default ring.
    static func unmetOnSmallRing(_ requirements: Requirements) -> String? {
        if let reason = unmetWithoutRing(requirements) { return reason }
        do {
            let small = try IoUring(entries: 2)
            return unmetWithRing(requirements, ring: small)
        } catch {
            return requirements == Requirements() ? nil : "requirements could not be checked: a default ring failed: \(error)"
        }
    }

    /// A hint for a refusal the scenario gave no reason to skip.
    private static func declaredNothingNote(_ requirements: Requirements) -> String {
        requirements == Requirements()
            ? " (not a skip: the scenario's 'requires' declares nothing this kernel lacks)"
            : " (not a skip: every 'requires' is met)"
    }

    /// The parameters for `flags`, with what they need from the ring spec (CQ size, SQPOLL CPU and idle).
    private static func parameters(_ flags: SetupFlags, _ spec: RingSpec) -> RingParameters {
        var parameters = RingParameters(flags: flags.subtracting([.cqSize, .sqAffinity]))
        if flags.contains(.cqSize) { parameters.cqEntries = Planner.requestedSizes(of: spec).cq }
        if flags.contains(.sqAffinity) { parameters.sqThreadCPU = spec.sqThreadCPU ?? 0 }
        if let idle = spec.sqThreadIdleMilliseconds { parameters.sqThreadIdle = idle }
        return parameters
    }

    /// Registers and unregisters NAPI busy polling on a small ring of its own; returns the refusal, if any
    /// (EINVAL before 6.9 or without CONFIG_NET_RX_BUSY_POLL).
    static func tryNapi() -> String? {
        do {
            var ring = try IoUring(entries: 2)
            _ = try ring.registerNapi(NapiSettings(busyPollTimeout: 1))
            _ = try ring.unregisterNapi()
            return nil
        } catch {
            return error.description
        }
    }

    /// Tries a small ring with `flag` (and the flags it cannot go without); returns the refusal, if any.
    private static func trySetup(_ flag: SetupFlags, _ spec: RingSpec = RingSpec()) -> String? {
        var flags = flag
        if flag.contains(.deferTaskrun) { flags.insert(.singleIssuer) }
        if flag.contains(.taskrunFlag) { flags.insert(.coopTaskrun) }
        if flag.contains(.sqAffinity) { flags.insert(.sqPoll) }
        if flag.contains(.hybridIOPoll) { flags.insert(.ioPoll) }
        if flag.contains(.attachWorkQueue) { return nil }
        var small = spec
        small.entries = 2
        small.cqEntries = flags.contains(.cqSize) ? 4 : nil
        do {
            _ = try IoUring(entries: 2, parameters: parameters(flags, small))
            return nil
        } catch {
            return error.description
        }
    }
}
