import IoUring

/// One field of a kernel structure in a buffer, checked after the run: a struct view
/// (`buffers: { st: { statx: { stx_size: 11, stx_mask: { has: [STATX_SIZE] } } } }`).
public struct StructFieldCheck: Hashable, Sendable, CustomStringConvertible {
    public enum Expectation: Hashable, Sendable {
        /// The field holds this value (its bit pattern, sign-extended for signed fields).
        case equals(UInt64, shown: String)
        /// Every one of these bits is set.
        case has(UInt64, shown: String)
        /// The file type bits of a mode (`S_IFMT`) are this type.
        case fileType(UInt64, shown: String)
    }

    public var structName: String
    public var field: KernelStructLayout.Field
    public var expectation: Expectation

    public var description: String {
        switch expectation {
        case .equals(_, let shown): return "\(structName).\(field.name) = \(shown)"
        case .has(_, let shown): return "\(structName).\(field.name) has \(shown)"
        case .fileType(_, let shown): return "\(structName).\(field.name) type \(shown)"
        }
    }

    /// The field's value in `bytes` (machine byte order), or nil when the buffer is too short.
    public func value(in bytes: [UInt8]) -> UInt64? {
        guard field.offset + field.size <= bytes.count else { return nil }
        var value: UInt64 = 0
        for index in (0..<field.size).reversed() { value = value << 8 | UInt64(bytes[field.offset + index]) }
        if field.isSigned, field.size < 8, value & (1 << UInt64(field.size * 8 - 1)) != 0 {
            value |= ~0 << UInt64(field.size * 8)
        }
        return value
    }

    /// Whether `value` meets the expectation.
    public func holds(_ value: UInt64) -> Bool {
        switch expectation {
        case .equals(let expected, _): return value == expected
        case .has(let bits, _): return value & bits == bits
        case .fileType(let type, _): return value & StructViews.fileTypeMask == type
        }
    }
}

/// Names struct views read: file types for `stx_mode: { type: … }`, child codes for `si_code`.
public enum StructViews {
    /// S_IFMT.
    public static let fileTypeMask: UInt64 = 0o170000
    public static let fileTypes: [(String, UInt64)] = [
        ("S_IFREG", 0o100000), ("S_IFDIR", 0o040000), ("S_IFLNK", 0o120000), ("S_IFIFO", 0o010000),
        ("S_IFSOCK", 0o140000), ("S_IFCHR", 0o020000), ("S_IFBLK", 0o060000),
    ]
    /// `si_code` values of SIGCHLD (include/uapi/asm-generic/siginfo.h).
    public static let childCodes: [(String, UInt64)] = [
        ("CLD_EXITED", 1), ("CLD_KILLED", 2), ("CLD_DUMPED", 3), ("CLD_TRAPPED", 4), ("CLD_STOPPED", 5), ("CLD_CONTINUED", 6),
    ]
    /// The constant family `has:` names come from, per field.
    static let bitFamilies: [String: ConstantFamily] = ["stx_mask": .statxMask, "stx_attributes_mask": .statxMask]
}

extension ScenarioBuilder {
    /// `statx: { field: value, … }` or `siginfo: { … }` in a buffer's expectation: one check per field.
    func readStructView(_ structName: String, _ node: YAMLNode, buffer: String, size: UInt64) -> [(StructFieldCheck, SourceMark)] {
        guard let layout = KernelStructLayout.structs[structName] else { return [] }
        guard let pairs = mapping(node, "the '\(structName)' view of buffer '\(buffer)'") else { return [] }
        if UInt64(layout.size) > size {
            error(node.mark, "a '\(structName)' view needs \(layout.size) bytes, but buffer '\(buffer)' has \(size)")
            return []
        }
        let names = layout.fields.map(\.name)
        var checks: [(StructFieldCheck, SourceMark)] = []
        for pair in pairs {
            guard let name = pair.key.scalar, let field = layout.fields.first(where: { $0.name == name }) else {
                error(pair.key.mark, "'\(structName)' has no field '\(pair.key.scalar ?? "?")'\(didYouMean(pair.key.scalar ?? "", names)); fields: \(names.joined(separator: ", "))")
                continue
            }
            guard let expectation = readFieldExpectation(field, pair.value, structName: structName) else { continue }
            checks.append((StructFieldCheck(structName: structName, field: field, expectation: expectation), pair.key.mark))
        }
        return checks
    }

    private func readFieldExpectation(_ field: KernelStructLayout.Field, _ node: YAMLNode,
                                      structName: String) -> StructFieldCheck.Expectation? {
        let what = "'\(structName).\(field.name)'"
        let bits = field.size * 8
        if let pairs = node.mapping {
            let keys = checkKeys(pairs, allowed: ["has", "type"], in: what)
            if let has = keys["has"] {
                let family = StructViews.bitFamilies[field.name]
                let argument = ArgumentSpec("has", family.map { .constants($0) } ?? .unsigned(bits: bits, capturable: false), .required, "")
                guard let nop = OpTable.spec(named: "nop") else { return nil }
                switch decode(argument, has.value, in: nop) {
                case .named(let value)?: return .has(value.value, shown: value.description)
                case .unsigned(let value)?: return .has(value, shown: String(value))
                default: return nil
                }
            }
            if let type = keys["type"] {
                guard field.name == "stx_mode" else {
                    error(type.key.mark, "'type' is for stx_mode (the S_IFMT bits), not \(what)")
                    return nil
                }
                guard let text = type.value.scalar, let known = StructViews.fileTypes.first(where: { $0.0 == text }) else {
                    error(type.value.mark, "\(what) 'type' must be one of \(StructViews.fileTypes.map(\.0).joined(separator: ", "))")
                    return nil
                }
                return .fileType(known.1, shown: known.0)
            }
            if keys.isEmpty { error(node.mark, "\(what) as a mapping takes 'has' (bits that must be set) or 'type'") }
            return nil
        }
        if field.name == "si_code", let text = node.scalar, let code = StructViews.childCodes.first(where: { $0.0 == text }) {
            return .equals(code.1, shown: code.0)
        }
        if field.isSigned {
            let limit = Int64(1) << Int64(bits - 1)
            guard let value = integer(node, what, in: bits >= 64 ? Int64.min...Int64.max : -limit...(limit - 1)) else { return nil }
            return .equals(UInt64(bitPattern: value), shown: String(value))
        }
        guard let value = unsigned(node, what, bits: bits) else { return nil }
        return .equals(value, shown: String(value))
    }
}
