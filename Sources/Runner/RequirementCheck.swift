#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring
import Planner
import Scenario

/// `requires:` and the ring setup, checked before anything of the scenario runs. An unmet requirement,
/// or a setup the kernel refuses, is a skip with the exact reason.
enum RequirementCheck {
    enum SetupFailure: Error {
        case skip(String)
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
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
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

    /// Sets up the ring the scenario's `ring:` asks for. EINVAL, EPERM, EOPNOTSUPP, EACCES and ENOSYS
    /// from io_uring_setup(2) are a skip naming the flag the kernel refuses (found by trying each flag
    /// alone) and the errno; other failures are errors.
    static func setUpRing(_ scenario: Scenario) throws(SetupFailure) -> IoUring {
        let spec = scenario.ring
        // Ask for the sizes as written (rounded up): with IORING_SETUP_CLAMP the kernel clamps them.
        let sizes = Planner.requestedSizes(of: spec)
        do {
            return try IoUring(entries: sizes.sq, parameters: parameters(spec.flags, spec))
        } catch {
            guard case .syscall(.setup, let errno) = error,
                  [.EINVAL, .EPERM, .EOPNOTSUPP, .EACCES, .ENOSYS].contains(errno) else {
                throw .error(.engine(error))
            }
            let culprit = SetupFlags.named.first { spec.flags.contains($0.flag) && trySetup($0.flag, spec) != nil }
            if let culprit {
                throw .skip("the kernel refuses ring setup with \(culprit.name): \(error)")
            }
            let names = SetupFlags.named.filter { spec.flags.contains($0.flag) }.map(\.name)
            let what = names.isEmpty ? "\(sizes.sq) entries" : names.joined(separator: "|")
            throw .skip("the kernel refuses ring setup with \(what): \(error)")
        }
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
