import IoUring

/// Reads YAML nodes into typed values, reporting every problem as a diagnostic and carrying on.
/// The scenario builder extends it with the language itself.
class NodeReader {
    let file: String
    @exclusivity(unchecked) private(set) var diagnostics: [Diagnostic] = []

    /// The most a scenario may ask for; the scenario builder sets it from its load options.
    @exclusivity(unchecked) var limits = ScenarioLimits()
    /// Bytes of buffers, files, buffer rings and inline data admitted so far (`admitMemory`).
    @exclusivity(unchecked) private(set) var admittedBytes: UInt64 = 0
    @exclusivity(unchecked) private var reportedScenarioLimit = false

    init(file: String) { self.file = file }

    /// Admits `bytes` of memory or file content that `what` asks for (a buffer, a file, a buffer ring),
    /// or reports at `mark` that it is over the per-buffer (when `inOneBuffer`) or per-scenario limit;
    /// returns whether it fits.
    @discardableResult
    func admitMemory(_ bytes: UInt64, for what: String, at mark: SourceMark, inOneBuffer: Bool = true) -> Bool {
        guard !inOneBuffer || bytes <= limits.bufferBytes else {
            error(mark, "\(what) needs \(bytes) bytes, more than the \(ScenarioLimits.describe(limits.bufferBytes)) one buffer or file may have (--max-buffer raises it)")
            return false
        }
        let (total, overflow) = admittedBytes.addingReportingOverflow(bytes)
        guard !overflow, total <= limits.scenarioBytes else {
            if !reportedScenarioLimit {
                reportedScenarioLimit = true
                error(mark, "\(what) brings the scenario's buffers and files to more than the \(ScenarioLimits.describe(limits.scenarioBytes)) a scenario may use in all (--max-memory raises it)")
            }
            return false
        }
        admittedBytes = total
        return true
    }

    func error(_ mark: SourceMark, _ message: String, notes: [Diagnostic] = []) {
        diagnostics.append(Diagnostic(.error, at: mark, message, notes: notes))
    }

    func note(_ mark: SourceMark, _ message: String) -> Diagnostic { Diagnostic(.note, at: mark, message) }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// ` (did you mean 'x'?)`, or nothing.
    func didYouMean(_ word: String, _ candidates: some Sequence<String>) -> String {
        let candidates = Array(candidates)
        if let close = suggestion(for: word, among: candidates) { return " (did you mean '\(close)'?)" }
        // A longer or shorter spelling of a name (`length` for `len`).
        let lower = word.lowercased()
        if lower.count >= 3, let stem = candidates.first(where: { $0.count >= 3 && (lower.hasPrefix($0.lowercased()) || $0.lowercased().hasPrefix(lower)) }) {
            return " (did you mean '\(stem)'?)"
        }
        return ""
    }

    // MARK: - Shapes

    /// The pairs of a mapping (null counts as empty), or an error naming `what`.
    func mapping(_ node: YAMLNode, _ what: String) -> YAMLPairs? {
        if node.isNull { return node.emptyPairs }
        guard let pairs = node.mapping else {
            error(node.mark, "\(what) must be a mapping, not \(node.kindDescription)")
            return nil
        }
        return pairs
    }

    /// The items of a sequence, or an error naming `what`.
    func sequence(_ node: YAMLNode, _ what: String) -> YAMLItems? {
        guard let items = node.sequence else {
            error(node.mark, "\(what) must be a list, not \(node.kindDescription)")
            return nil
        }
        return items
    }

    /// A sequence's items, or the node itself as a one-item list.
    func list(_ node: YAMLNode) -> YAMLItems { node.sequence ?? YAMLItems(single: node) }

    /// Reports keys outside `allowed` as unknown, with a suggestion; returns the pairs keyed by name.
    @discardableResult
    func checkKeys(_ pairs: some Sequence<YAMLPair>, allowed: [String], in context: String) -> [String: YAMLPair] {
        var known: [String: YAMLPair] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error(pair.key.mark, "keys in \(context) must be names, not \(pair.key.kindDescription)")
                continue
            }
            if allowed.contains(key) {
                known[key] = pair
            } else {
                error(pair.key.mark, "unknown key '\(key)' in \(context)\(didYouMean(key, allowed))")
            }
        }
        return known
    }

    // MARK: - Scalars

    /// Any scalar's text (plain or quoted).
    func string(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = node.scalar, !node.isNull else {
            error(node.mark, "\(what) must be a string, not \(node.kindDescription)")
            return nil
        }
        return text
    }

    /// A path's text: a string without NUL bytes (the kernel would end the path at the first one).
    func pathString(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        guard !text.utf8.contains(0) else {
            error(node.mark, "\(what) contains a NUL byte; a path ends at the first one")
            return nil
        }
        return text
    }

    func bool(_ node: YAMLNode, _ what: String) -> Bool? {
        if node.isPlain, let text = node.scalar {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        error(node.mark, "\(what) must be true or false, not \(node.kindDescription)")
        return nil
    }

    /// A plain integer: decimal, `0x…`, `0o…` or `0b…`, `_` allowed between digits.
    /// It reads the text's UTF-8 bytes through a `Span` (bounds-checked, no copy).
    static func parseInteger(_ text: String) -> (negative: Bool, magnitude: UInt64)? {
        let bytes = text.utf8.span
        guard !bytes.isEmpty else { return nil }
        var position = 0
        var negative = false
        switch bytes[0] {
        case UInt8(ascii: "-"): negative = true; position = 1
        case UInt8(ascii: "+"): position = 1
        case let first where first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"): break
        default: return nil
        }
        var radix: UInt64 = 10
        if bytes.count - position > 2, bytes[position] == UInt8(ascii: "0") {
            switch bytes[position + 1] {
            case UInt8(ascii: "x"), UInt8(ascii: "X"): radix = 16
            case UInt8(ascii: "o"), UInt8(ascii: "O"): radix = 8
            case UInt8(ascii: "b"), UInt8(ascii: "B"): radix = 2
            default: break
            }
            if radix != 10 { position += 2 }
        }
        guard position < bytes.count, bytes[position] != UInt8(ascii: "_") else { return nil }
        var magnitude: UInt64 = 0
        var digits = 0
        for index in position..<bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "_") { continue }
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard digit < radix else { return nil }
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            digits += 1
        }
        return digits > 0 ? (negative, magnitude) : nil
    }

    /// A plain integer within `range`; `what` names it in messages.
    func integer(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int64>) -> Int64? {
        guard let (negative, magnitude) = integerParts(node, what) else { return nil }
        let value: Int64?
        if negative {
            value = magnitude <= UInt64(Int64.max) + 1 ? (magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)) : nil
        } else {
            value = magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }
        guard let value, range.contains(value) else {
            error(node.mark, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(node.scalar ?? "")")
            return nil
        }
        return value
    }

    /// A plain non-negative integer of at most `bits` bits.
    func unsigned(_ node: YAMLNode, _ what: String, bits: Int) -> UInt64? {
        guard let (negative, magnitude) = integerParts(node, what) else { return nil }
        let maximum: UInt64 = bits >= 64 ? .max : (1 << UInt64(bits)) - 1
        guard !negative || magnitude == 0, magnitude <= maximum else {
            error(node.mark, "\(what) must be between 0 and \(maximum), not \(node.scalar ?? "")")
            return nil
        }
        return magnitude
    }

    private func integerParts(_ node: YAMLNode, _ what: String) -> (negative: Bool, magnitude: UInt64)? {
        guard node.isPlain, let text = node.scalar, let parts = NodeReader.parseInteger(text) else {
            error(node.mark, "\(what) must be a number, not \(node.kindDescription)")
            return nil
        }
        return parts
    }

    /// Nanoseconds from `10ms`, `1.5s`, `250us`, `100ns` (or `0`).
    static func parseDuration(_ text: String) -> Int64? {
        let units: [(suffix: String, nanoseconds: Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
        if text == "0" { return 0 }
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let value = Double(number) else { return nil }
            let nanoseconds = (value * unit.nanoseconds).rounded()
            guard nanoseconds < 9.2e18 else { return nil }
            return Int64(nanoseconds)
        }
        return nil
    }

    func duration(_ node: YAMLNode, _ what: String) -> Int64? {
        guard let text = node.scalar, !node.isNull, let value = NodeReader.parseDuration(text) else {
            if let text = node.scalar, NodeReader.parseInteger(text) != nil {
                error(node.mark, "\(what) needs a unit: ns, us, ms or s (as in 10ms), not \(text)")
            } else {
                error(node.mark, "\(what) must be a duration such as 10ms, 1.5s, 250us or 100ns, not \(node.kindDescription == "a string" ? "'\(node.scalar ?? "")'" : node.kindDescription)")
            }
            return nil
        }
        return value
    }

    /// Bytes from hex digits (spaces allowed between bytes).
    static func parseHex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Bytes written as text (`"hello"`), or `{ text: … }`, `{ hex: "68 69" }`, `{ pattern: "ab", size: N }`
    /// or `{ size: N }` (zeros).
    func bytes(_ node: YAMLNode, _ what: String) -> [UInt8]? {
        if let text = node.scalar, !node.isNull { return Array(text.utf8) }
        guard let pairs = node.mapping else {
            error(node.mark, "\(what) must be text or a mapping with text, hex or pattern, not \(node.kindDescription)")
            return nil
        }
        let keys = checkKeys(pairs, allowed: ["text", "hex", "pattern", "size"], in: what)
        let sources = ["text", "hex", "pattern"].filter { keys[$0] != nil }
        guard sources.count <= 1 else {
            error(node.mark, "\(what) takes one of text, hex or pattern, not \(sources.map { "'\($0)'" }.joined(separator: " and "))")
            return nil
        }
        var content: [UInt8] = []
        if let text = keys["text"] {
            guard let value = string(text.value, "'text'") else { return nil }
            content = Array(value.utf8)
        } else if let hex = keys["hex"] {
            guard let value = string(hex.value, "'hex'") else { return nil }
            guard let decoded = NodeReader.parseHex(value) else {
                error(hex.value.mark, "'hex' must be pairs of hex digits, as in \"68 65 6c 6c 6f\"")
                return nil
            }
            content = decoded
        }
        if let size = keys["size"] {
            guard let count = unsigned(size.value, "'size'", bits: 32) else { return nil }
            guard admitMemory(max(count, UInt64(content.count)), for: what, at: size.value.mark) else { return nil }
            if let pattern = keys["pattern"] {
                guard let text = string(pattern.value, "'pattern'") else { return nil }
                let unit = Array(text.utf8)
                guard !unit.isEmpty else {
                    error(pattern.value.mark, "'pattern' must not be empty")
                    return nil
                }
                content = (0..<Int(count)).map { unit[$0 % unit.count] }
            } else if content.count < Int(count) {
                content += [UInt8](repeating: 0, count: Int(count) - content.count)
            } else if content.count > Int(count) {
                error(size.value.mark, "'size' \(count) is smaller than the \(content.count) bytes given")
                return nil
            }
        } else if keys["pattern"] != nil {
            error(node.mark, "'pattern' needs a 'size'")
            return nil
        }
        return content
    }
}
