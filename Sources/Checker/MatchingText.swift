import IoUring
import Scenario

/// How the checker words what it expected and what it saw, so a report reads without the kernel headers:
/// errno names, CQE flag names, byte strings quoted or in hex.
enum MatchingText {
    /// CQE flag bits by the names `describeFlags` uses, in its order.
    static let flagNames: [(bit: UInt64, name: String)] = [
        (UInt64(CompletionFlags.more.rawValue), "more"), (UInt64(CompletionFlags.buffer.rawValue), "buffer"),
        (UInt64(CompletionFlags.socketNonEmpty.rawValue), "sock_nonempty"),
        (UInt64(CompletionFlags.notification.rawValue), "notif"), (UInt64(CompletionFlags.bufferMore.rawValue), "buf_more"),
        (UInt64(CompletionFlags.skip.rawValue), "skip"), (UInt64(CompletionFlags.big.rawValue), "cqe32"),
    ]

    /// `more|buffer` for a mask of IORING_CQE_F_* bits (no buffer id: a mask has none).
    static func flags(_ mask: UInt64) -> String {
        var names: [String] = []
        var rest = mask
        for (bit, name) in flagNames where mask & bit != 0 {
            names.append(name)
            rest &= ~bit
        }
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names.isEmpty ? "none" : names.joined(separator: "|")
    }

    /// `exactly more|buffer` (`exactly none`), `with more|buffer, without sock_nonempty`: what a flags
    /// pattern asks for.
    static func flagsPattern(_ pattern: CQEPattern) -> String {
        if pattern.flagsExact {
            let text = "exactly " + flags(pattern.setMask)
            let ignored = pattern.flagsIgnored & ~pattern.setMask
            return ignored == 0 ? text : text + " (" + flags(ignored) + " either way)"
        }
        return flagsPattern(set: pattern.flagsSet, clear: pattern.flagsClear)
    }

    /// `with more|buffer, without sock_nonempty`: what a partial flags pattern asks for.
    static func flagsPattern(set: NamedValue?, clear: NamedValue?) -> String {
        var parts: [String] = []
        if let set, set.value != 0 { parts.append("with " + flags(set.value)) }
        if let clear, clear.value != 0 { parts.append("without " + flags(clear.value)) }
        return parts.isEmpty ? "any flags" : parts.joined(separator: ", ")
    }

    /// `buffer id 3`, `buffer id 0, 1 or 2`.
    static func bufferIDs(_ ids: [UInt16]) -> String {
        guard let last = ids.last else { return "a buffer id from an empty list" }
        if ids.count == 1 { return "buffer id \(last)" }
        return "buffer id " + ids.dropLast().map(String.init).joined(separator: ", ") + " or \(last)"
    }

    /// The buffer a CQE names: `buffer id 3`, or `no buffer (flags more)`.
    static func bufferOf(flags raw: UInt32) -> String {
        if let id = CompletionFlags(rawValue: raw).bufferID { return "buffer id \(id)" }
        return "no buffer (flags \(describeFlags(raw)))"
    }

    /// `res -ECANCELED, flags none (#4)`: one CQE in a line.
    static func cqe(_ observed: ObservedCQE) -> String {
        "res \(describeResult(observed.cqe.res)), flags \(describeFlags(observed.cqe.flags.rawValue)) (#\(observed.arrival))"
    }

    /// `5 bytes`, `1 byte`.
    static func byteCount(_ count: some BinaryInteger) -> String { count == 1 ? "1 byte" : "\(count) bytes" }

    // MARK: - Byte strings

    /// Byte strings up to this long are shown whole; longer ones from a little before their first difference.
    static let window = 48

    /// Expected and actual bytes, worded around their first difference. `prefixOnly`: only the start of
    /// `actual` has to equal `expected`.
    static func contents(expected: [UInt8], actual: [UInt8], prefixOnly: Bool) -> (expected: String, actual: String) {
        let common = min(expected.count, actual.count)
        var difference = common
        for index in 0..<common where expected[index] != actual[index] {
            difference = index
            break
        }
        var lower = 0
        var length = Int.max
        if max(expected.count, actual.count) > window {
            lower = difference < window / 2 ? 0 : difference - window / 3
            length = window * 2 / 3
        }
        let shown = { (bytes: [UInt8], hex: Bool) -> String in
            let start = min(lower, bytes.count)
            let end = min(bytes.count, start + min(length, bytes.count))
            var text = render(bytes[start..<end], hex: hex)
            if start > 0 { text = "…" + text }
            if end < bytes.count { text += "…" }
            return text
        }
        let hex = !isText(expected[min(lower, expected.count)...]) || !isText(actual[min(lower, actual.count)...])
        var expectedText = (prefixOnly ? "starts with " : "") + shown(expected, hex)
        if !prefixOnly { expectedText += " (\(byteCount(expected.count)))" }
        var actualText = shown(actual, hex) + " (\(byteCount(actual.count)))"
        if difference > 0 { actualText += ", differs from byte \(difference)" }
        return (expectedText, actualText)
    }

    /// Whether bytes read well as a quoted string: printable ASCII, tabs, newlines and NULs.
    static func isText(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D || $0 == 0 }
    }

    /// `"hello\n"` or `68 65 6c 6c 6f`.
    static func render(_ bytes: ArraySlice<UInt8>, hex: Bool) -> String {
        if hex {
            let digits = Array("0123456789abcdef")
            return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xF)]]) }.joined(separator: " ")
        }
        var text = "\""
        for byte in bytes {
            switch byte {
            case 0x0A: text += "\\n"
            case 0x09: text += "\\t"
            case 0x0D: text += "\\r"
            case 0: text += "\\0"
            case UInt8(ascii: "\""): text += "\\\""
            case UInt8(ascii: "\\"): text += "\\\\"
            default: text.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return text + "\""
    }
}

extension ResultPattern {
    /// Whether some successful result (res ≥ 0) matches: what a request with IOSQE_CQE_SKIP_SUCCESS that
    /// posted nothing is known to have returned.
    var acceptsSuccess: Bool {
        switch self {
        case .any: return true
        case .exact(let value): return value >= 0
        case .errno: return false
        case .range(_, let upper): return upper.map { $0 >= 0 } ?? true
        case .comparison(let comparison, let operand):
            switch comparison {
            case .equal: return operand >= 0
            case .notEqual: return true
            case .greater: return operand < Int64(Int32.max)
            case .greaterOrEqual: return operand <= Int64(Int32.max)
            case .less: return operand > 0
            case .lessOrEqual: return operand >= 0
            }
        case .anyOf(let patterns): return patterns.contains { $0.acceptsSuccess }
        }
    }
}
