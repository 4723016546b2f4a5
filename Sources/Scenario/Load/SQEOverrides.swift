import IoUring

/// Raw SQE fields a typed op's step sets after the op prepared its SQE (`sqe: { ioprio: 89 }`): how a
/// reproduction gets one field wrong on purpose and keeps every other argument typed and checked.
/// A field that is nil is left as the op wrote it.
public struct SQEOverrides: Hashable, Sendable {
    /// `ioprio` (IORING_RECVSEND_POLL_FIRST and the other per-op bits live here too).
    public var ioprio: UInt16?
    /// The per-op flag word (`rw_flags`, `open_flags`, `msg_flags`, `timeout_flags`…).
    public var opFlags: UInt32?
    public var len: UInt32?
    /// `addr`: a number (0 for NULL) or a buffer resource's address.
    public var address: ArgumentValue?
    /// `buf_index` / `buf_group`.
    public var bufIndex: UInt16?
    public var personality: UInt16?
    /// `splice_fd_in` / `file_index`.
    public var spliceFDIn: Int32?
    public var addr3: UInt64?
    /// `fd`: a resource, a capture, a number or `{ slot: N }` (any slot: the table's size is not checked).
    public var fd: FileOperand?
    /// IOSQE_* bits written in `sqe_flags`; the loader adds them to the request's flags.
    public var sqeFlags: UInt8
    /// Where `sqe:` was written, for errors found while issuing.
    public var mark: SourceMark

    public init(mark: SourceMark) {
        sqeFlags = 0
        self.mark = mark
    }

    /// The field names `sqe:` takes, in SQE order (for messages, the JSON Schema and Grammar.md).
    public static let fieldNames = ["sqe_flags", "ioprio", "fd", "len", "addr", "op_flags", "buf_index", "personality",
                                    "splice_fd_in", "file_index", "addr3"]

    /// IOSQE_* bits with a step key of their own: written there, the planner knows the chain they make.
    static let stepKeyFlags: [(flag: SubmissionFlags, key: String)] = [
        (.link, "link"), (.hardlink, "hardlink"), (.drain, "drain"), (.skipSuccess, "skip_success"),
    ]

    /// Ops whose SQE `len` counts memory at `addr` (bytes, iovecs, events, descriptors, futexes): an
    /// override may only shrink it, or the kernel would read or write past what the op allocated.
    /// (Registered-buffer ops are bounds-checked by the kernel and take any `len`.)
    public static let memoryLengthOps: Set<String> = [
        "read", "write", "readv", "writev", "readv_fixed", "writev_fixed", "read_multishot",
        "send", "send_zc", "recv", "sendmsg", "sendmsg_zc", "recvmsg", "epoll_wait", "provide_buffers",
        "files_update", "futex_waitv", "fgetxattr", "getxattr", "fsetxattr", "setxattr", "getsockopt",
        "madvise", "pipe", "pipe_direct", "waitid", "statx",
    ]
}

extension SQEOverrides {
    /// The fields `sqe:` takes, typed as `raw`'s are.
    static let arguments: [ArgumentSpec] = [
        ArgumentSpec("sqe_flags", .constants(.submissionFlags), .optional, "IOSQE_* bits added to the step's own."),
        ArgumentSpec("ioprio", .unsigned(bits: 16, capturable: false), .optional, "`ioprio`."),
        ArgumentSpec("fd", .file, .optional, "`fd`."),
        ArgumentSpec("len", .unsigned(bits: 32, capturable: false), .optional, "`len`."),
        ArgumentSpec("addr", .rawAddress, .optional, "`addr`."),
        ArgumentSpec("op_flags", .unsigned(bits: 32, capturable: false), .optional, "The per-op flag word."),
        ArgumentSpec("buf_index", .unsigned(bits: 16, capturable: false), .optional, "`buf_index` / `buf_group`."),
        ArgumentSpec("personality", .unsigned(bits: 16, capturable: false), .optional, "`personality`."),
        ArgumentSpec("splice_fd_in", .signed(bits: 32), .optional, "`splice_fd_in`."),
        ArgumentSpec("file_index", .unsigned(bits: 32, capturable: false), .optional, "`file_index`."),
        ArgumentSpec("addr3", .unsigned(bits: 64, capturable: false), .optional, "`addr3`."),
    ]

    /// The JSON Schema of `sqe:`.
    static var schema: JSONValue {
        .object([("type", .string("object")),
                 ("properties", .object(arguments.map { ($0.name, ScenarioSchema.typeSchema($0.type)) })),
                 ("additionalProperties", .bool(false)),
                 ("description", .string("Raw SQE fields set after the op prepared its SQE (see Grammar.md, SQE overrides on typed ops)."))])
    }
}

extension ScenarioBuilder {

    /// The `sqe:` key of a typed op's argument map, read into overrides and checked against the sandbox
    /// rules `raw` follows (nothing an override reaches is weaker than `raw`): nil when absent or invalid.
    func readSQEOverrides(_ spec: StepSpec, opcode: UInt8, value: YAMLNode?) -> SQEOverrides? {
        guard !spec.isRaw, let pair = value?.mapping?.first(where: { $0.key.scalar == "sqe" }) else { return nil }
        guard let pairs = pair.value.mapping else {
            error(pair.value.mark, "'sqe' takes a mapping of SQE fields (\(SQEOverrides.fieldNames.joined(separator: ", "))), not \(pair.value.kindDescription)")
            return nil
        }
        var overrides = SQEOverrides(mark: pair.key.mark)
        var valid = true
        var touchesPointers = false
        var seen: Set<String> = []
        for field in pairs {
            guard let name = field.key.scalar,
                  let argument = SQEOverrides.arguments.first(where: { $0.name == name }) else {
                error(field.key.mark, "unknown SQE field '\(field.key.scalar ?? "?")' in 'sqe'\(didYouMean(field.key.scalar ?? "", SQEOverrides.fieldNames)); fields: \(SQEOverrides.fieldNames.joined(separator: ", "))")
                valid = false
                continue
            }
            if name == "splice_fd_in" || name == "file_index" {
                if seen.contains("splice_fd_in") || seen.contains("file_index") {
                    error(field.key.mark, "'splice_fd_in' and 'file_index' are one SQE field; give it once")
                    valid = false
                }
                seen.insert("splice_fd_in")
            }
            guard let decoded = decode(argument, field.value, in: spec) else { valid = false; continue }
            switch (name, decoded) {
            case ("sqe_flags", .named(let bits)):
                let flags = UInt8(truncatingIfNeeded: bits.value)
                for (flag, key) in SQEOverrides.stepKeyFlags where flags & flag.rawValue != 0 {
                    error(field.value.mark, "IOSQE bit \(flag.rawValue) has a step key: write '\(key): true' on the step, so the chain it makes is known")
                    valid = false
                }
                overrides.sqeFlags = flags
            case ("ioprio", .unsigned(let number)): overrides.ioprio = UInt16(number)
            case ("len", .unsigned(let number)): overrides.len = UInt32(number)
            case ("op_flags", .unsigned(let number)): overrides.opFlags = UInt32(number)
            case ("buf_index", .unsigned(let number)): overrides.bufIndex = UInt16(number)
            case ("personality", .unsigned(let number)): overrides.personality = UInt16(number)
            case ("file_index", .unsigned(let number)): overrides.spliceFDIn = Int32(bitPattern: UInt32(number))
            case ("splice_fd_in", .signed(let number)):
                overrides.spliceFDIn = Int32(number)
                touchesPointers = true
            case ("addr3", .unsigned(let number)):
                overrides.addr3 = number
                if number != 0 { touchesPointers = true; checkOverrideAddress(number, field.value.mark, "addr3") }
            case ("addr", .addressField(let buffer, let number)):
                overrides.address = decoded
                if buffer == nil, number != 0 { checkOverrideAddress(number, field.value.mark, "addr") }
                touchesPointers = true
            case ("fd", .file(let operand)):
                overrides.fd = operand
                if case .slot = operand { overrides.sqeFlags |= SubmissionFlags.fixedFile.rawValue }
                touchesPointers = true
            default:
                valid = false
            }
        }
        // What `raw` may not do without an opt-in, an override may not either: the fields that carry
        // descriptors, paths or addresses are judged with the op's opcode as a raw SQE's would be (a
        // numeric `fd` was judged by the descriptor rule as it was read).
        if touchesPointers, let refusal = SandboxRules.rawRefusal(opcode: opcode, fd: nil, offset: 0,
                                                                 allowsOutsideSandbox: allowsOutsideSandbox,
                                                                 allowsNetwork: allowsNetwork) {
            let text = refusal.hasPrefix("a raw ") ? "an overridden " + refusal.dropFirst(6) : Substring(refusal)
            error(pair.key.mark, "this 'sqe' override: \(text)")
            valid = false
        }
        return valid ? overrides : nil
    }

    /// A nonzero number in a pointer field points the kernel at memory no rule can check.
    private func checkOverrideAddress(_ number: UInt64, _ mark: SourceMark, _ field: String) {
        guard !allowsOutsideSandbox else { return }
        error(mark, "'\(field)' \(String(number, radix: 16).prefixed) points the kernel at memory no rule can check; write 0 (NULL) or name a buffer resource (set 'allow_outside_sandbox: true' to allow it)")
    }
}

private extension String {
    var prefixed: String { "0x" + self }
}
