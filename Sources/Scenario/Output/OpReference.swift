/// The op reference section of Grammar.md, generated from the op table. A test checks that Grammar.md
/// holds exactly this text between its markers; `ringscript schema --op-reference` prints it.
public enum OpReference {
    public static let beginMarker = "<!-- BEGIN GENERATED OP REFERENCE (ringscript schema --op-reference) -->"
    public static let endMarker = "<!-- END GENERATED OP REFERENCE -->"

    /// The section, markers included, ending with a newline.
    public static var markdown: String {
        var lines = [beginMarker, ""]
        lines.append("### Resource kinds")
        lines.append("")
        for kind in ResourceTable.kinds {
            lines.append("#### `\(kind.name)`")
            lines.append("")
            lines.append(kind.summary + (kind.acceptsList ? " The body may also be the list itself." : ""))
            lines.append("")
            if !kind.keys.isEmpty { lines += argumentTable(kind.keys, heading: "key") }
        }
        lines.append("### SQE operations")
        lines.append("")
        lines.append("Every op takes the common step keys (`id`, `user_data`, `link`, `hardlink`, `drain`, `async`, `skip_success`, `capture`, `allow_dangling_link`, `expect`).")
        lines.append("")
        for spec in OpTable.operations { lines += section(spec) }
        lines.append("### Registrations")
        lines.append("")
        lines.append("Each is an `io_uring_register(2)` call made at that point (queued SQEs are submitted first). `expect:` on the step gives its expected result; success (`\">= 0\"`) by default.")
        lines.append("")
        for spec in OpTable.registrations { lines += section(spec) }
        lines.append("### Control steps")
        lines.append("")
        for spec in OpTable.controls { lines += section(spec) }
        lines.append("### Named constants")
        lines.append("")
        lines.append("| family | names |")
        lines.append("| --- | --- |")
        for family in ConstantFamily.all {
            lines.append("| \(family.title)\(family.isBitSet ? "s (a list, or joined with `\\|`)" : "") | " + family.names.map { "`\($0)`" }.joined(separator: " ") + " |")
        }
        lines.append("")
        lines.append(endMarker)
        return lines.joined(separator: "\n") + "\n"
    }

    static func section(_ spec: StepSpec) -> [String] {
        var lines = ["#### `\(spec.name)`", "", spec.summary, ""]
        var facts: [String] = []
        switch spec.category {
        case .operation:
            facts.append(spec.name == "raw" ? "Kernel opcode: any (`opcode`)." : "Kernel opcode: \(codeSpans(spec.kernelName)).")
        case .registration(let name):
            facts.append("Kernel: `\(name)`.")
        case .control:
            break
        }
        if let captures = spec.captures { facts.append("`capture:` takes the \(captureWords(captures)).") }
        switch spec.multishot {
        case .always: facts.append("Posts several CQEs.")
        case .whenArgument(let name): facts.append("Posts several CQEs with `\(name): true`.")
        case .never: break
        }
        if let shorthand = spec.shorthand { facts.append("Shorthand: `\(spec.name): <\(shorthand)>`.") }
        if !facts.isEmpty {
            lines.append(facts.joined(separator: " "))
            lines.append("")
        }
        if !spec.arguments.isEmpty { lines += argumentTable(spec.arguments, heading: "argument") }
        let rules = spec.rules.map(ruleText)
        if !rules.isEmpty {
            lines.append("Rules: " + rules.joined(separator: "; ") + ".")
            lines.append("")
        }
        return lines
    }

    static func argumentTable(_ arguments: [ArgumentSpec], heading: String) -> [String] {
        var lines = ["| \(heading) | type | default | meaning |", "| --- | --- | --- | --- |"]
        for argument in arguments {
            let presence: String
            switch argument.presence {
            case .required: presence = "required"
            case .optional: presence = "—"
            case .defaulted(_, let shown): presence = "`\(shown)`"
            case .derived(let shown): presence = shown
            }
            lines.append("| `\(argument.name)` | \(argument.type.title) | \(presence) | \(argument.doc) |")
        }
        return lines + [""]
    }

    static func codeSpans(_ text: String) -> String {
        // `IORING_OP_READ (IORING_OP_READV with `iovecs`)` → code spans around the kernel names.
        text.split(separator: " ").map { word -> String in
            let trimmed = word.trimmingCharacters("()")
            if trimmed.hasPrefix("IORING_") { return word.replacingFirst(trimmed, with: "`\(trimmed)`") }
            return String(word)
        }.joined(separator: " ")
    }

    static func captureWords(_ kind: CaptureKind) -> String {
        switch kind {
        case .fd: return "new file descriptor"
        case .slot: return "registered file slot (using it sets IOSQE_FIXED_FILE)"
        case .count: return "byte count"
        case .value: return "result value"
        case .peerSocket: return "connected client socket"
        }
    }

    static func ruleText(_ rule: StepSpec.Rule) -> String {
        func list(_ names: [String]) -> String { names.map { "`\($0)`" }.joined(separator: ", ") }
        switch rule {
        case .exactlyOne(let names): return "exactly one of \(list(names))"
        case .atMostOne(let names): return "at most one of \(list(names))"
        case .atLeastOne(let names): return "at least one of \(list(names))"
        case .requires(let first, let second): return "`\(first)` needs `\(second)`"
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(_ characters: String) -> String {
        var slice = self
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }

    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let (before, after) = splitOnce(target) else { return String(self) }
        return before + replacement + after
    }
}
