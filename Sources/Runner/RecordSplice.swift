import Scenario

/// Where a scenario file's `expect:` block lies, found from the loader's source marks, so that `record`
/// can edit that block and leave every other byte of the file as it was.
///
/// The block runs from its `expect:` line to the line before the next top-level key (or the end of the
/// file), less the blank and column-0 comment lines just before that key (they belong to it). Each entry
/// runs from its key's line to the line before the next entry's key.
struct ExpectBlock {
    /// The file's lines, each with its line break (the last may have none).
    let lines: [String]
    /// The 0-based line of the `expect:` key; nil when the file has no `expect`.
    let keyLine: Int?
    /// The first line after the block (0-based, exclusive).
    let end: Int
    /// The entries in source order: key text, first line, first line after it.
    let entries: [(name: String, start: Int, end: Int)]
    /// The entries' indentation.
    let indent: String
    /// `expect: { … }` (or `expect: {}`): a flow mapping, which `record` does not edit entry by entry.
    let isFlow: Bool

    enum Failure: Error, Equatable {
        case notAMapping
    }

    /// Finds the block in `text`, whose YAML `root` the parser made from it.
    init(text: String, root: YAMLNode) throws(Failure) {
        lines = ExpectBlock.splitLines(text)
        guard let pairs = root.mapping else { throw .notAMapping }
        guard let position = pairs.firstIndex(where: { $0.key.scalar == "expect" }) else {
            keyLine = nil
            end = lines.count
            entries = []
            indent = "  "
            isFlow = false
            return
        }
        let pair = pairs[position]
        let keyLine = pair.key.mark.line - 1
        self.keyLine = keyLine
        var end = position + 1 < pairs.count ? pairs[position + 1].key.mark.line - 1 : lines.count
        // Blank lines and comments at column 0 before the next key are not the block's.
        while end > keyLine + 1 {
            let line = lines[end - 1]
            if line.hasPrefix("#") || line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r\n" }) { end -= 1 } else { break }
        }
        self.end = end
        let value = pair.value
        if let mapping = value.mapping {
            let valueLine = value.mark.line - 1
            let valueText = valueLine < lines.count ? Array(lines[valueLine].utf8) : []
            let column = value.mark.column - 1
            isFlow = valueLine == keyLine && column < valueText.count && valueText[column] == UInt8(ascii: "{")
            var entries: [(name: String, start: Int, end: Int)] = []
            for (index, entry) in mapping.enumerated() {
                let start = entry.key.mark.line - 1
                let next = index + 1 < mapping.count ? mapping[index + 1].key.mark.line - 1 : end
                entries.append((entry.key.scalar ?? "", start, max(next, start + 1)))
            }
            self.entries = isFlow ? [] : entries
            indent = mapping.first.map { String(repeating: " ", count: $0.key.mark.column - 1) } ?? "  "
        } else if value.isNull {
            isFlow = false
            entries = []
            indent = "  "
        } else {
            throw .notAMapping
        }
    }

    /// Whether a line holds nothing but spaces or a comment.
    static func isBlankOrComment(_ line: String) -> Bool {
        let text = line.drop { $0 == " " || $0 == "\t" }
        return text.isEmpty || text == "\n" || text == "\r\n" || text.hasPrefix("#")
    }

    /// `text` split after each `\n`.
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == "\n" || character == "\r\n" {
                lines.append(current)
                current = ""
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// An edit of the `expect:` block: entries to replace (by their key), entries to remove, entries to
/// add at its end, and the comment saying where the recording came from.
struct ExpectEdit {
    var replacements: [String: RecordedEntry] = [:]
    var removals: Set<String> = []
    var additions: [RecordedEntry] = []
    /// `# recorded on Linux 6.18.0 by ringscript record (5 runs)`.
    var provenance: String

    var isEmpty: Bool { replacements.isEmpty && removals.isEmpty && additions.isEmpty }

    static let provenancePrefix = "# recorded on "

    /// The file's text with the edit made; every line outside the changed entries is kept byte for byte.
    func apply(to block: ExpectBlock) -> String {
        guard !isEmpty else { return block.lines.joined() }
        var out: [String] = []
        guard let keyLine = block.keyLine else {
            out = block.lines
            if let last = out.last, !last.hasSuffix("\n") { out[out.count - 1] = last + "\n" }
            out.append("expect:  " + provenance + "\n")
            for entry in additions { out += entry.lines(indent: "  ").map { $0 + "\n" } }
            return out.joined()
        }
        out += block.lines[0..<keyLine]
        let newline = block.lines[keyLine].hasSuffix("\r\n") ? "\r\n" : "\n"
        if block.isFlow {
            // Only an empty flow mapping (`expect: {}`) gets here: it becomes a block.
            out.append("expect:  " + provenance + newline)
        } else {
            out.append(ExpectEdit.keyLine(block.lines[keyLine], provenance: provenance, newline: newline))
        }
        var cursor = keyLine + 1
        for entry in block.entries {
            out += block.lines[cursor..<entry.start]
            cursor = entry.end
            let replacement = replacements[entry.name]
            if replacement != nil || removals.contains(entry.name) {
                out += replacement?.lines(indent: block.indent).map { $0 + newline } ?? []
                // The blank and comment lines after the entry are about what follows it: they stay.
                var trailing = entry.end
                while trailing > entry.start + 1, ExpectBlock.isBlankOrComment(block.lines[trailing - 1]) { trailing -= 1 }
                out += block.lines[trailing..<entry.end]
            } else {
                out += block.lines[entry.start..<entry.end]
            }
        }
        if cursor < block.end { out += block.lines[cursor..<block.end] }
        if let last = out.last, !last.hasSuffix("\n") { out[out.count - 1] = last + newline }
        for entry in additions { out += entry.lines(indent: block.indent).map { $0 + newline } }
        out += block.lines[block.end...]
        return out.joined()
    }

    /// The `expect:` line with the provenance comment: added when the line has no comment, updated when it
    /// has an earlier recording's, and left alone when someone wrote their own.
    static func keyLine(_ line: String, provenance: String, newline: String) -> String {
        var body = line
        while body.hasSuffix("\n") || body.hasSuffix("\r") { body.removeLast() }
        guard body.hasPrefix("expect:") else { return line }
        let rest = body.dropFirst("expect:".count).drop { $0 == " " || $0 == "\t" }
        if rest.isEmpty || rest.hasPrefix(provenancePrefix) { return "expect:  " + provenance + newline }
        return line
    }
}
