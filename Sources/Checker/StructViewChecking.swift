import IoUring
import Scenario

/// Struct views in buffer post-conditions: one field of a kernel structure, read at its UAPI offset.
enum StructViewChecking {
    /// nil when the field holds what `check` expects; otherwise what was expected and what was there.
    static func compare(_ check: StructFieldCheck, _ bytes: [UInt8]) -> (expected: String, actual: String)? {
        guard let value = check.value(in: bytes) else {
            return (expected(check), "the buffer ends before \(check.field.name) (offset \(check.field.offset))")
        }
        if check.holds(value) { return nil }
        return (expected(check), "\(check.structName).\(check.field.name) = \(shown(value, of: check))")
    }

    static func expected(_ check: StructFieldCheck) -> String { check.description }

    /// The value as the expectation names it: signed where the field is, in hex for bit words, with the
    /// file type for a mode.
    static func shown(_ value: UInt64, of check: StructFieldCheck) -> String {
        switch check.expectation {
        case .has: return "0x" + String(value, radix: 16)
        case .fileType:
            let type = StructViews.fileTypes.first { $0.1 == value & StructViews.fileTypeMask }?.0 ?? "type 0o" + String(value & StructViews.fileTypeMask, radix: 8)
            return "0o" + String(value, radix: 8) + " (\(type))"
        case .equals:
            if check.field.name == "si_code", let name = StructViews.childCodes.first(where: { $0.1 == value })?.0 { return name }
            return check.field.isSigned ? String(Int64(bitPattern: value)) : String(value)
        }
    }
}
