import Scenario

/// Buffer and file post-conditions, checked against what the runner gathered after the run.
extension CheckerCore {
    func checkPostConditions(_ facts: PostRunFacts, into log: inout FailureLog) {
        let position = Int.max
        for (index, condition) in scenario.expectations.buffers.enumerated() {
            let subject = "buffer \(condition.buffer)"
            let initial = initialBytes(ofBuffer: condition.buffer)
            guard let bytes = facts.buffers[condition.buffer] else {
                log.record(.buffer(index), "", position: position) {
                    .init(mark: condition.mark, subject: subject, family: nil,
                          expected: CheckerCore.expected(condition.check, initial: initial),
                          actual: "not reported by the runner")
                }
                continue
            }
            guard let text = compare(condition.check, bytes, initial: initial) else { continue }
            log.record(.buffer(index), "", position: position) {
                .init(mark: condition.mark, subject: subject, family: nil, expected: text.expected, actual: text.actual)
            }
        }

        for (index, condition) in scenario.expectations.files.enumerated() {
            let subject = "file \(condition.path)"
            func fail(_ aspect: String, _ expected: String, _ actual: String) {
                log.record(.file(index), aspect, position: position) {
                    .init(mark: condition.mark, subject: subject + ": " + aspect, family: nil, expected: expected, actual: actual)
                }
            }
            guard let fact = facts.files[condition.path] else {
                fail("state", "checked after the run", "not reported by the runner")
                continue
            }
            if let exists = condition.exists, exists != (fact.kind != .missing) {
                fail("exists", exists ? "exists" : "does not exist", CheckerCore.describe(fact))
                continue
            }
            if fact.kind == .missing {
                if condition.type != nil || condition.size != nil || condition.content != nil {
                    fail("exists", "exists", CheckerCore.describe(fact))
                }
                continue
            }
            if let type = condition.type, type.rawValue != fact.kind.rawValue {
                fail("type", CheckerCore.describe(type), CheckerCore.describe(fact))
            }
            if let size = condition.size, size != fact.size {
                fail("size", MatchingText.byteCount(size), MatchingText.byteCount(fact.size))
            }
            if let check = condition.content {
                let initial = condition.resource.flatMap(initialBytes(ofFile:))
                if fact.kind != .file {
                    fail("content", CheckerCore.expected(check, initial: initial), CheckerCore.describe(fact))
                } else if let bytes = fact.content {
                    if let text = compare(check, bytes, initial: initial) { fail("content", text.expected, text.actual) }
                } else {
                    fail("content", CheckerCore.expected(check, initial: initial), fact.unread ?? "not reported by the runner")
                }
            }
        }
    }

    /// nil when `bytes` pass `check`; otherwise what was expected and what was there.
    private func compare(_ check: ContentCheck, _ bytes: [UInt8], initial: [UInt8]?) -> (expected: String, actual: String)? {
        switch check {
        case .equals(let expected):
            return bytes == expected ? nil : MatchingText.contents(expected: expected, actual: bytes, prefixOnly: false)
        case .prefix(let expected):
            return bytes.starts(with: expected) ? nil : MatchingText.contents(expected: expected, actual: bytes, prefixOnly: true)
        case .at(let offset, let expected):
            let tail = Array(bytes.dropFirst(Int(clamping: offset)))
            if tail.starts(with: expected) { return nil }
            let text = MatchingText.contents(expected: expected, actual: tail, prefixOnly: true)
            return ("at \(offset): " + text.expected, "at \(offset): " + text.actual)
        case .unchanged:
            guard let initial else { return ("unchanged", "the initial content is unknown") }
            guard bytes != initial else { return nil }
            let text = MatchingText.contents(expected: initial, actual: bytes, prefixOnly: false)
            return ("unchanged: " + text.expected, text.actual)
        case .field(let field):
            return StructViewChecking.compare(field, bytes)
        }
    }

    /// What a content check asks for, when there is nothing to compare it with.
    static func expected(_ check: ContentCheck, initial: [UInt8]?) -> String {
        switch check {
        case .equals(let bytes): return MatchingText.contents(expected: bytes, actual: bytes, prefixOnly: false).expected
        case .prefix(let bytes): return MatchingText.contents(expected: bytes, actual: bytes, prefixOnly: true).expected
        case .at(let offset, let bytes):
            return "at \(offset): " + MatchingText.contents(expected: bytes, actual: bytes, prefixOnly: true).expected
        case .unchanged:
            guard let initial else { return "unchanged" }
            return "unchanged: " + MatchingText.contents(expected: initial, actual: initial, prefixOnly: false).expected
        case .field(let field): return StructViewChecking.expected(field)
        }
    }

    /// A buffer resource's bytes as created: its content, then its fill byte up to its size.
    func initialBytes(ofBuffer name: String) -> [UInt8]? {
        guard case .buffer(let buffer)? = scenario.resource(named: name)?.kind else { return nil }
        var bytes = Array(buffer.content.prefix(Int(clamping: buffer.size)))
        if UInt64(bytes.count) < buffer.size {
            bytes += [UInt8](repeating: buffer.fill, count: Int(clamping: buffer.size) - bytes.count)
        }
        return bytes
    }

    /// A file resource's bytes as created: its content, extended with zeros or truncated to its size.
    func initialBytes(ofFile name: String) -> [UInt8]? {
        guard case .file(let file)? = scenario.resource(named: name)?.kind else { return nil }
        guard let size = file.size else { return file.content }
        var bytes = Array(file.content.prefix(Int(clamping: size)))
        if UInt64(bytes.count) < size { bytes += [UInt8](repeating: 0, count: Int(clamping: size) - bytes.count) }
        return bytes
    }

    /// `a regular file (5 bytes)`, `a directory`, `missing`.
    static func describe(_ fact: FileFacts) -> String {
        switch fact.kind {
        case .missing: return "missing"
        case .file: return "a regular file (\(MatchingText.byteCount(fact.size)))"
        case .directory: return "a directory"
        case .symlink: return "a symlink"
        case .other: return "neither a file, a directory nor a symlink"
        }
    }

    static func describe(_ type: FileCondition.FileType) -> String {
        switch type {
        case .file: return "a regular file"
        case .directory: return "a directory"
        case .symlink: return "a symlink"
        }
    }
}

extension FileCondition {
    /// The most bytes of the file that decide this condition's content check, so the runner reads no
    /// more however big the file grew: one past the expected bytes for an equality (a longer file fails
    /// whatever follows), the expected bytes for a prefix, the initial size plus one for `unchanged`.
    /// Nil when the condition checks no content.
    public func contentBytesToRead(in scenario: Scenario) -> UInt64? {
        if gathersContent { return ScenarioLimits().bufferBytes }
        guard let content else { return nil }
        switch content {
        case .equals(let bytes): return UInt64(bytes.count) + 1
        case .prefix(let bytes): return UInt64(bytes.count)
        case .at(let offset, let bytes):
            let (end, overflow) = offset.addingReportingOverflow(UInt64(bytes.count))
            return overflow ? UInt64.max : end
        case .unchanged:
            guard let name = resource, case .file(let file)? = scenario.resource(named: name)?.kind else { return 1 }
            return (file.size ?? UInt64(file.content.count)) + 1

        case .field(let field): return UInt64(field.field.offset + field.field.size)
        }
    }
}
