import IoUring
import Scenario

/// The human report: one line per scenario, details for failures only, then the summary line.
public struct TextReporter: Sendable {
    public var useColor: Bool

    public init(useColor: Bool) { self.useColor = useColor }

    /// The line (and, for failures, the details) for one outcome.
    public func render(_ outcome: ScenarioOutcome) -> String {
        var line = paint(outcome.verdict.rawValue.rightPadded(to: 5), verdictColor(outcome.verdict))
            + " " + outcome.name + " (" + formatDuration(outcome.duration) + ")"
        if outcome.iteration > 1 { line += " [iteration \(outcome.iteration)]" }
        let notes = outcome.notes.map { "  \($0.mark): note: \($0.text)" }
        switch outcome.verdict {
        case .skip, .xfail:
            if let reason = outcome.reason { line += ": " + reason }
            return ([line] + notes).joined(separator: "\n")
        case .pass:
            return ([line] + notes).joined(separator: "\n")
        case .fail, .timeout, .xpass, .error:
            return ([line] + details(outcome) + notes).joined(separator: "\n")
        }
    }

    func details(_ outcome: ScenarioOutcome) -> [String] {
        var lines: [String] = []
        if let reason = outcome.reason, outcome.verdict != .fail {
            lines.append("  " + reason)
        }
        for diagnostic in outcome.diagnostics {
            lines.append("  \(diagnostic.mark): \(diagnostic.severity.rawValue): \(diagnostic.message)")
        }
        for (index, mismatch) in outcome.mismatches.enumerated() {
            let first = index == 0 ? paint("  (first divergence)", "1") : ""
            lines.append("  \(mismatch.mark): \(mismatch.subject)\(first)")
            lines += sideBySide(expected: mismatch.expected, actual: mismatch.actual)
        }
        for missing in outcome.neverCompleted {
            lines.append("  \(missing.mark): \(missing.id): never completed")
        }
        if !outcome.unclaimed.isEmpty {
            lines.append("  CQEs no expectation claimed:")
            for cqe in outcome.unclaimed { lines.append("    " + describe(cqe)) }
        }
        return lines
    }

    /// Expected and actual in two aligned columns, line by line.
    func sideBySide(expected: String, actual: String) -> [String] {
        let left = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let right = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let width = max(left.map(\.count).max() ?? 0, "expected".count)
        var lines = ["    " + "expected".rightPadded(to: width) + " | actual"]
        for row in 0..<max(left.count, right.count) {
            let l = row < left.count ? left[row] : ""
            let r = row < right.count ? right[row] : ""
            let marker = l == r ? " " : "≠"
            lines.append("    " + l.rightPadded(to: width) + " \(marker) " + paint(r, l == r ? nil : "31"))
        }
        return lines
    }

    /// The summary line, `N passed, N failed, N skipped`.
    public func summary(_ summary: RunSummary, duration: Duration) -> String {
        summary.line + " (" + formatDuration(duration) + ")"
    }

    /// The closing list of what failed, timed out or could not run, one per line (like runtests.sh's
    /// "Tests failed (N): …" and pytest's short summary); nil when nothing did.
    public func failureList(_ outcomes: [ScenarioOutcome]) -> String? {
        var seen = Set<String>()
        var lines: [String] = []
        for outcome in outcomes where outcome.verdict.isFailure {
            let key = outcome.file + "\u{0}" + outcome.name
            guard seen.insert(key).inserted else { continue }
            let label = paint(outcome.verdict.rawValue.rightPadded(to: 7), verdictColor(outcome.verdict))
            lines.append("  " + label + " " + (outcome.file == outcome.name ? outcome.file : "\(outcome.file) (\(outcome.name))"))
        }
        guard !lines.isEmpty else { return nil }
        return (["Failed (\(lines.count)):"] + lines).joined(separator: "\n")
    }

    func verdictColor(_ verdict: Verdict) -> String {
        switch verdict {
        case .pass, .xfail: return "32"
        case .skip: return "33"
        case .fail, .timeout, .xpass, .error: return "31"
        }
    }

    func paint(_ text: String, _ code: String?) -> String {
        guard useColor, let code else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// `id r1 (user_data 1): res -EBADF, flags more|buffer (bid 3), #4 at 1.2 ms`
public func describe(_ cqe: ObservedCompletion) -> String {
    let who = cqe.id.map { "\($0) (user_data \(cqe.userData))" } ?? "user_data \(cqe.userData) (no step)"
    return "\(who): res \(describeResult(cqe.res)), flags \(describeFlags(cqe.flags)), #\(cqe.arrival) at \(formatDuration(cqe.elapsed))"
}

/// `-EBADF` for errors (-4095 ... -1, the kernel's errno range), the number otherwise: a zero-copy
/// notification's res can be 0x80000000 (IORING_NOTIF_USAGE_ZC_COPIED), which is Int32.min.
public func describeResult(_ res: Int32) -> String {
    (-4095 ..< 0).contains(res) ? "-" + Errno(rawValue: -res).name : String(res)
}

/// CQE flag names joined by `|`, with the buffer id; `none` for 0.
public func describeFlags(_ raw: UInt32) -> String {
    let flags = CompletionFlags(rawValue: raw)
    var names: [String] = []
    for (flag, name) in [(CompletionFlags.more, "more"), (.buffer, "buffer"), (.socketNonEmpty, "sock_nonempty"),
                         (.notification, "notif"), (.bufferMore, "buf_more"), (.big, "cqe32")] where flags.contains(flag) {
        names.append(name)
    }
    var text = names.isEmpty ? "none" : names.joined(separator: "|")
    if let id = flags.bufferID { text += " (bid \(id))" }
    let known: UInt32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x8000
    let unknown = raw & 0xFFFF & ~known
    if unknown != 0 { text += " +0x" + String(unknown, radix: 16) }
    return text
}

/// `850 µs`, `12.3 ms`, `1.20 s`.
public func formatDuration(_ duration: Duration) -> String {
    let seconds = duration.seconds
    if seconds < 0.001 { return "\(Int((seconds * 1e6).rounded())) µs" }
    if seconds < 1 { return "\((seconds * 1e4).rounded() / 10) ms" }
    return "\((seconds * 100).rounded() / 100) s"
}

extension String {
    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
