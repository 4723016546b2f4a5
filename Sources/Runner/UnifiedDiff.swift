/// A unified diff of two texts, line by line, as `diff -u` prints it (GNU's hunk headers, three lines of
/// context, `\ No newline at end of file`). The longest common subsequence of the lines that differ
/// after the common head and tail are set aside; scenario files are small, and the edits `record` makes
/// are local, so the table stays small.
enum UnifiedDiff {
    enum Line: Equatable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The diff, or "" when the texts are equal. `from` and `to` name the files in the `---`/`+++` lines.
    static func render(old: String, new: String, from: String, to: String, context: Int = 3) -> String {
        guard old != new else { return "" }
        let a = ExpectBlock.splitLines(old)
        let b = ExpectBlock.splitLines(new)
        let script = edits(a, b)
        var out = "--- \(from)\n+++ \(to)\n"
        // Hunks: runs of changes with at most 2×context unchanged lines between them (GNU merges those).
        let changed = script.indices.filter { if case .same = script[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return "" }
        var hunks: [Range<Int>] = []
        var start = changed[0]
        var last = changed[0]
        for position in changed.dropFirst() {
            if position - last - 1 > 2 * context {
                hunks.append(max(0, start - context)..<min(script.count, last + context + 1))
                start = position
            }
            last = position
        }
        hunks.append(max(0, start - context)..<min(script.count, last + context + 1))
        // Line numbers before each script position.
        var oldLine = [Int](repeating: 0, count: script.count + 1)
        var newLine = [Int](repeating: 0, count: script.count + 1)
        for (position, line) in script.enumerated() {
            switch line {
            case .same:
                oldLine[position + 1] = oldLine[position] + 1
                newLine[position + 1] = newLine[position] + 1
            case .removed:
                oldLine[position + 1] = oldLine[position] + 1
                newLine[position + 1] = newLine[position]
            case .added:
                oldLine[position + 1] = oldLine[position]
                newLine[position + 1] = newLine[position] + 1
            }
        }
        for hunk in hunks {
            let oldCount = oldLine[hunk.upperBound] - oldLine[hunk.lowerBound]
            let newCount = newLine[hunk.upperBound] - newLine[hunk.lowerBound]
            out += "@@ -" + range(oldLine[hunk.lowerBound], oldCount) + " +" + range(newLine[hunk.lowerBound], newCount) + " @@\n"
            for position in hunk {
                let line = script[position]
                let marker: String
                switch line {
                case .same: marker = " "
                case .removed: marker = "-"
                case .added: marker = "+"
                }
                let text = lineText(line)
                out += marker + text
                if !text.hasSuffix("\n") { out += "\n\\ No newline at end of file\n" }
            }
        }
        return out
    }

    private static func lineText(_ line: Line) -> String {
        switch line {
        case .same(let text), .removed(let text), .added(let text): return text
        }
    }

    /// GNU's `start,count`: the count is left out when it is 1; an empty range starts at the line before.
    private static func range(_ before: Int, _ count: Int) -> String {
        if count == 0 { return "\(before),0" }
        if count == 1 { return "\(before + 1)" }
        return "\(before + 1),\(count)"
    }

    /// The edit script from `a` to `b`: the longest common subsequence's lines kept, deletions before
    /// insertions within each change.
    static func edits(_ a: [String], _ b: [String]) -> [Line] {
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)])
        let y = Array(b[head..<(b.count - tail)])
        // lengths[i][j]: the LCS of x[i...] and y[j...].
        var lengths = Array(repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        if !x.isEmpty, !y.isEmpty {
            for i in stride(from: x.count - 1, through: 0, by: -1) {
                for j in stride(from: y.count - 1, through: 0, by: -1) {
                    lengths[i][j] = x[i] == y[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
                }
            }
        }
        var script: [Line] = a[0..<head].map { .same($0) }
        var i = 0
        var j = 0
        while i < x.count || j < y.count {
            if i < x.count, j < y.count, x[i] == y[j] {
                script.append(.same(x[i]))
                i += 1
                j += 1
            } else if j >= y.count || (i < x.count && lengths[i + 1][j] >= lengths[i][j + 1]) {
                script.append(.removed(x[i]))
                i += 1
            } else {
                script.append(.added(y[j]))
                j += 1
            }
        }
        script += a[(a.count - tail)...].map { .same($0) }
        return script
    }
}
