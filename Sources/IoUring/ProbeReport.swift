/// What `ringscript probe` prints: the kernel release, the feature bits of a default ring by name, and
/// every opcode this engine knows with the kernel's answer for it.
public struct ProbeReport: Sendable {
    public let kernel: KernelRelease
    public let features: Features
    public let probe: Probe

    /// Probes the running kernel with a throwaway 1-entry ring.
    public static func current() throws(IoUringError) -> ProbeReport {
        let ring = try IoUring(entries: 1)
        return ProbeReport(kernel: .current, features: ring.features, probe: try ring.probe())
    }

    public init(kernel: KernelRelease, features: Features, probe: Probe) {
        self.kernel = kernel
        self.features = features
        self.probe = probe
    }

    public var text: String {
        var lines = ["kernel: \(kernel)", "features: 0x\(String(features.rawValue, radix: 16))"]
        lines += features.names.map { "  \($0)" }
        let known = Set(Opcode.allCases.map(\.rawValue))
        let supportedCount = Opcode.allCases.filter(probe.supports).count
        lines.append("opcodes: last_op \(probe.lastOpcode), \(supportedCount) of \(Opcode.allCases.count) known to this engine supported")
        let width = Opcode.allCases.map(\.kernelName.count).max() ?? 0
        for opcode in Opcode.allCases {
            let number = String(opcode.rawValue).leftPadded(to: 3)
            let name = opcode.kernelName.rightPadded(to: width)
            lines.append("  \(number) \(name) \(probe.supports(opcode) ? "supported" : "unsupported")")
        }
        for raw in probe.supported.sorted() where !known.contains(raw) {
            lines.append("  \(String(raw).leftPadded(to: 3)) (unknown to this engine) supported")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
