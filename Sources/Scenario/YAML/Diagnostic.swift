/// A problem in a scenario, located at a source mark, reported like a compiler would.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable {
        case error
        case warning
        case note
    }

    public var severity: Severity
    public var mark: SourceMark
    public var message: String
    /// Further locations that explain this one ("first defined here").
    public var notes: [Diagnostic]

    public init(_ severity: Severity = .error, at mark: SourceMark, _ message: String, notes: [Diagnostic] = []) {
        self.severity = severity
        self.mark = mark
        self.message = message
        self.notes = notes
    }
}

/// Every problem found at once, as one error.
public struct DiagnosticList: Error, Hashable, Sendable {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
}

/// Renders diagnostics as `path:line:col: error: message`, the offending line, and a caret under the column.
public struct DiagnosticRenderer: Sendable {
    private let lines: [String: [Substring]]

    /// `sources` maps a file name, as marks carry it, to its text.
    public init(sources: [String: String]) {
        lines = sources.mapValues { $0.split(separator: "\n", omittingEmptySubsequences: false) }
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var text = "\(diagnostic.mark): \(diagnostic.severity.rawValue): \(diagnostic.message)"
        if let fileLines = lines[diagnostic.mark.file], diagnostic.mark.line >= 1, diagnostic.mark.line <= fileLines.count {
            var line = fileLines[diagnostic.mark.line - 1]
            if line.hasSuffix("\r") { line = line.dropLast() }
            // Keep tabs so the caret lines up under the column whatever the tab width.
            let caretPrefix = line.prefix(max(diagnostic.mark.column - 1, 0)).map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n" + line + "\n" + caretPrefix + "^"
        }
        for note in diagnostic.notes {
            text += "\n" + render(note)
        }
        return text
    }

    /// Every diagnostic in source order, then a summary line: `1 error`, `3 errors, 1 warning`.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        let sorted = diagnostics.enumerated().sorted { ($0.element.mark, $0.offset) < ($1.element.mark, $1.offset) }.map(\.element)
        var parts = sorted.map(render)
        parts.append(DiagnosticRenderer.summary(of: diagnostics))
        return parts.joined(separator: "\n")
    }

    /// `1 error`, `2 errors, 1 warning`, or `no errors`.
    public static func summary(of diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        var summary = errors == 0 ? "no errors" : count(errors, "error")
        if warnings > 0 { summary += ", " + count(warnings, "warning") }
        return summary
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be what was meant.
public func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    let target = Array(word.lowercased().utf8)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(target, Array(candidate.lowercased().utf8))
        if best == nil || distance < best!.distance { best = (candidate, distance) }
    }
    guard let best else { return nil }
    let limit = max(1, min(3, (word.count + 2) / 3))
    return best.distance <= limit ? best.candidate : nil
}

/// Damerau–Levenshtein (optimal string alignment) distance: a swap of two neighbours counts once.
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previousPrevious[j - 2] + 1)
            }
        }
        (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
}
