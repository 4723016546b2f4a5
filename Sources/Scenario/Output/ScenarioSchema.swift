import IoUring

/// The JSON Schema (draft 2020-12) of scenario files, generated from the op and resource tables.
/// Editors (yaml-language-server and others) use it for completion and inline errors.
public enum ScenarioSchema {
    /// The schema, pretty-printed, ending with a newline.
    public static var json: String { document.prettyPrinted() + "\n" }

    static var document: JSONValue {
        var definitions: [(String, JSONValue)] = [
            ("number", number),
            ("numberText", numberText),
            ("duration", duration),
            ("name", .object([("type", .string("string")), ("pattern", .string("^[A-Za-z0-9_{}-]+$"))])),
            ("file", file),
            ("buffer", buffer),
            ("bytes", bytes),
            ("request", .object([("anyOf", .array([.object([("type", .string("string"))]), ref("number")])),
                                 ("description", .string("An id (r1, r{i}, r3) or a user_data number."))])),
            ("result", result),
            ("count", .object([("anyOf", .array([integer(0, Int64(Int32.max)),
                                                 .object([("type", .string("string")), ("pattern", .string("^([0-9]+\\.\\.[0-9]*|\\.\\.[0-9]+)$"))]),
                                                 .object([("type", .string("object")), ("properties", .object([("min", integer(0, Int64(Int32.max))), ("max", integer(0, Int64(Int32.max)))])),
                                                          ("additionalProperties", .bool(false))])]))])),
            ("cqe", cqe),
            ("completion", completion),
            ("expect", expect),
            ("resource", resource),
            ("repeat", repeatBlock),
            ("step", step),
        ]
        for family in ConstantFamily.all { definitions.append(("constants." + familyKey(family), constants(family))) }
        for spec in OpTable.all {
            definitions.append(("args." + spec.name, arguments(spec)))
            definitions.append(("step." + spec.name, stepObject(spec)))
        }
        return .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("urn:ringscript:scenario:\(ScenarioLanguage.version)")),
            ("title", .string("ringscript scenario")),
            ("description", .string(description)),
            ("type", .string("object")),
            ("required", .array([.string("name")])),
            // Steps are required, except in a scenario whose ring is expected to fail (`ring.expect`).
            ("anyOf", .array([.object([("required", .array([.string("steps")]))]),
                              .object([("required", .array([.string("ring")])),
                                       ("properties", .object([("ring", .object([("required", .array([.string("expect")]))]))]))])])),
            ("additionalProperties", .bool(false)),
            ("properties", .object([
                ("name", described(.object([("type", .string("string"))]), "What the scenario shows, in one line.")),
                ("description", described(.object([("type", .string("string"))]), "More words about it.")),
                ("tags", described(.object([("type", .string("array")), ("items", .object([("type", .string("string"))]))]), "Labels for selecting scenarios.")),
                ("requires", requires),
                ("xfail", described(.object([("anyOf", .array([
                    .object([("type", .string("string"))]),
                    .object([("type", .string("object")), ("properties", .object([
                        ("reason", described(.object([("type", .string("string"))]), "Why it is expected to fail.")),
                        ("fixed_in", described(.object([("anyOf", .array([.object([("type", .string("string"))]),
                                                                           .object([("type", .string("array")), ("items", .object([("type", .string("string"))]))])]))]),
                                               "Releases with the fix: there the scenario must pass.")),
                    ])), ("required", .array([.string("reason")])), ("additionalProperties", .bool(false))]),
                ]))]), "Expected to fail, and why (like lit's XFAIL); with fixed_in, only on kernels without the fix.")),
                ("deadline", described(ref("duration"), "How long the run may take.")),
                ("ring", ring),
                ("resources", described(.object([("type", .string("object")), ("additionalProperties", ref("resource"))]),
                                        "Things created in the sandbox before the first step, by name.")),
                ("steps", described(.object([("type", .string("array")), ("items", ref("step"))]), "What to do, in order.")),
                ("expect", ref("expect")),
                ("allow_outside_sandbox", described(.object([("type", .string("boolean"))]), "Paths may leave the sandbox.")),
                ("allow_duplicate_user_data", described(.object([("type", .string("boolean"))]), "Explicit user_data may repeat.")),
                ("allow_network", described(.object([("type", .string("boolean"))]), "Sockets may reach addresses beyond loopback.")),
            ])),
            ("$defs", .object(definitions)),
        ])
    }

    // MARK: - Building blocks

    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/$defs/" + name))]) }

    static func described(_ schema: JSONValue, _ text: String) -> JSONValue {
        guard case .object(var members) = schema else { return schema }
        members.append(("description", .string(text)))
        return .object(members)
    }

    static func enumeration(_ names: [String]) -> JSONValue { .object([("enum", .array(names.map(JSONValue.string)))]) }

    static func familyKey(_ family: ConstantFamily) -> String {
        String(family.title.map { $0 == " " || $0 == "/" ? "_" : $0 })
    }

    /// Any integer the loader reads: a YAML integer, or the spellings a YAML 1.2 parser leaves as strings.
    static let number = JSONValue.object([("anyOf", .array([.object([("type", .string("integer"))]), ref("numberText")]))])

    /// The integers the loader reads (plain scalars: decimal, `0x`, `0o`, `0b`, `_` between digits) that a
    /// YAML 1.2 parser reads as strings: binary, with `_`, with a sign before `0x`/`0o`, or with `0X`/`0O`.
    /// A plain decimal, `0x…` or `0o…` is a YAML integer, so the same text quoted (`"64"`) is a string the
    /// loader refuses, and so does this pattern.
    static let numberText = JSONValue.object([
        ("type", .string("string")),
        ("pattern", .string("^([-+]?0[bB][01][01_]*|[-+]?[0-9][0-9_]*_[0-9_]*|[-+]0[xX][0-9a-fA-F][0-9a-fA-F_]*|0X[0-9a-fA-F][0-9a-fA-F_]*"
                            + "|0x[0-9a-fA-F][0-9a-fA-F_]*_[0-9a-fA-F_]*|[-+]0[oO][0-7][0-7_]*|0O[0-7][0-7_]*|0o[0-7][0-7_]*_[0-7_]*)$")),
        ("description", .string("An integer spelled so that YAML reads it as a string: 0b1010, 1_000, -0x10.")),
    ])

    /// An integer in `minimum...maximum` (the bound left out when nil), as the loader checks it.
    static func integer(_ minimum: Int64?, _ maximum: Int64?) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("integer"))]
        if let minimum { members.append(("minimum", .integer(minimum))) }
        if let maximum { members.append(("maximum", .integer(maximum))) }
        return .object([("anyOf", .array([.object(members), ref("numberText")]))])
    }

    /// An unsigned integer of `bits` bits (`NodeReader.unsigned`).
    static func unsigned(bits: Int) -> JSONValue {
        integer(0, bits >= 64 ? nil : Int64(bitPattern: (UInt64(1) << UInt64(bits)) - 1))
    }

    /// A signed integer of `bits` bits.
    static func signed(bits: Int) -> JSONValue {
        bits >= 64 ? integer(nil, nil) : integer(-(Int64(1) << Int64(bits - 1)), (Int64(1) << Int64(bits - 1)) - 1)
    }

    /// What the schema cannot say, in its description.
    static let description = """
        An io_uring scenario: resources, the SQEs to issue, the CQEs to expect. See Grammar.md. \
        The schema checks shapes, types, ranges, required keys and names; `ringscript check` also checks what \
        JSON Schema cannot say: references between parts (resource names, request ids, $captures and their \
        producers, {i} in repeat bodies), link chains and submit points, sandbox paths, duplicate keys and \
        user_data, order and contradicting expectations, limits that depend on another key (ring entries above \
        32768 only with IORING_SETUP_CLAMP, buffer lengths within their buffers), and whether a number was \
        quoted (YAML gives "64" and 64 apart; JSON sees only where it reads as a string).
        """

    static let duration = JSONValue.object([
        ("anyOf", .array([
            .object([("type", .string("string")), ("pattern", .string("^(0|([0-9]+\\.?[0-9]*|\\.[0-9]+)(ns|us|µs|ms|s))$"))]),
            .object([("const", .integer(0))]),
        ])),
        ("description", .string("10ms, 1.5s, 250us, 100ns, or 0.")),
    ])

    static let file = JSONValue.object([
        ("anyOf", .array([
            .object([("type", .string("string")), ("description", .string("A resource (data, p.read), $capture, $ring (the ring itself) or cwd."))]),
            described(integer(Int64(Int32.min), Int64(Int32.max)), "A descriptor number, e.g. -1."),
            .object([("type", .string("object")), ("properties", .object([("slot", .object([("anyOf", .array([unsigned(bits: 31), .object([("type", .string("string")), ("pattern", .string("^\\$"))])]))]))])),
                     ("required", .array([.string("slot")])), ("additionalProperties", .bool(false)),
                     ("description", .string("A registered file slot."))]),
        ])),
    ])

    static let buffer = JSONValue.object([
        ("anyOf", .array([
            .object([("type", .string("string"))]),
            .object([("type", .string("object")), ("properties", .object([("buffer", .object([("type", .string("string"))])), ("offset", unsigned(bits: 32)), ("len", unsigned(bits: 32))])),
                     ("required", .array([.string("buffer")])), ("additionalProperties", .bool(false))]),
        ])),
    ])

    static let bytes = JSONValue.object([
        ("anyOf", .array([
            .object([("type", .string("string"))]),
            .object([("type", .string("object")), ("properties", .object([("text", .object([("type", .string("string"))])), ("hex", .object([("type", .string("string"))])),
                                                                          ("pattern", .object([("type", .string("string"))])), ("size", unsigned(bits: 32))])),
                     ("additionalProperties", .bool(false))]),
        ])),
    ])

    /// A result number (`res` is 32-bit signed; hex up to 0xffffffff is its bit pattern) or a `-ERRNO` name.
    static var resultValue: JSONValue {
        .object([("anyOf", .array([.object([("type", .string("integer")), ("minimum", .integer(Int64(Int32.min))), ("maximum", .integer(Int64(UInt32.max)))]),
                                  ref("numberText"), enumeration(Errno.allNames.map { "-" + $0 })]))])
    }

    static var result: JSONValue {
        let comparisons = ResultPattern.Comparison.allCases.map(\.rawValue).sorted { $0.count > $1.count }
        return .object([
            ("description", .string("11, -EBADF, any, 0..64, \">= 0\", [0, -EALREADY] or { min, max }.")),
            ("anyOf", .array([
                resultValue,
                enumeration(["any"]),
                .object([("type", .string("string")), ("pattern", .string("^(" + comparisons.joined(separator: "|") + ")\\s*\\S+$")),
                         ("description", .string("A comparison: >= 0, != -EAGAIN."))]),
                .object([("type", .string("string")), ("pattern", .string("^(\\S+\\s*\\.\\.\\s*\\S*|\\s*\\.\\.\\s*\\S+)$")),
                         ("description", .string("A range with at least one end: 0..64, ..-1."))]),
                .object([("type", .string("array")), ("items", resultValue)]),
                .object([("type", .string("object")), ("properties", .object([("min", resultValue), ("max", resultValue)])),
                         ("additionalProperties", .bool(false))]),
            ])),
        ])
    }

    static var cqeProperties: [(String, JSONValue)] {
        // The loader reads a bare value and `set` / `clear` alike, as completion-flag constants.
        let names = ref("constants." + familyKey(.completionFlags))
        let flags = JSONValue.object([("anyOf", .array([
            names,
            .object([("type", .string("object")), ("properties", .object([("set", names), ("clear", names)])),
                     ("additionalProperties", .bool(false))]),
        ]))])
        return [
            ("res", ref("result")),
            ("flags", described(flags, "CQE flags, exactly: every other bit clear (the buffer id aside unless `buffer` is given); or { set, clear }, which checks only the bits named.")),
            ("buffer", described(.object([("anyOf", .array([unsigned(bits: 16), .object([("type", .string("array")), ("items", unsigned(bits: 16))])]))]), "The selected buffer id (any of).")),
            ("data", described(ref("bytes"), "The bytes the CQE delivered into its buffer-ring buffer.")),
        ]
    }

    static var cqe: JSONValue {
        .object([("anyOf", .array([ref("result"), .object([("type", .string("object")), ("properties", .object(cqeProperties)), ("additionalProperties", .bool(false))])]))])
    }

    /// `20ms`, `">= 20ms"`, `"< 2s"`, `"20ms..2s"` (TimingLoading.swift).
    static var durationBound: JSONValue {
        .object([("type", .string("string")),
                 ("pattern", .string("^\\s*((<=|>=|<|>)\\s*[0-9.]+(ns|us|µs|ms|s)|[0-9.]+(ns|us|µs|ms|s)|0|([0-9.]+(ns|us|µs|ms|s)|0)?\\s*\\.\\.\\s*([0-9.]+(ns|us|µs|ms|s)|0)?)\\s*$"))])
    }

    /// Ids mapped to duration bounds.
    static var timedFrom: JSONValue {
        .object([("type", .string("object")), ("additionalProperties", durationBound)])
    }

    /// `">= 99%"`, `"< 1%"`, `"90%..100%"`.
    static var percentBound: JSONValue {
        .object([("type", .string("string")),
                 ("pattern", .string("^\\s*((<=|>=|<|>)\\s*[0-9.]+%|[0-9.]+%\\s*\\.\\.\\s*[0-9.]+%)\\s*$"))])
    }

    static var completion: JSONValue {
        let ids = JSONValue.object([("anyOf", .array([.object([("type", .string("string"))]), .object([("type", .string("array")), ("items", .object([("type", .string("string"))]))])]))])
        let stream = JSONValue.object([("type", .string("object")), ("properties", .object([
            ("more", described(ref("count"), "CQEs with IORING_CQE_F_MORE.")),
            ("count", described(ref("count"), "CQEs in all.")),
            ("each", described(ref("cqe"), "What each CQE with `more` must look like.")),
            ("data", described(ref("bytes"), "Every byte the stream delivered into buffer-ring buffers, in order.")),
            ("final", described(.object([("anyOf", .array([ref("cqe"), enumeration(["none"])]))]), "The last CQE, or none if the stream stays open.")),
        ])), ("additionalProperties", .bool(false))])
        return .object([("anyOf", .array([
            ref("result"),
            enumeration(["never"]),
            .object([("type", .string("object")), ("properties", .object(cqeProperties + [
                ("stream", described(stream, "The shape of a multishot stream.")),
                ("cqes", described(cqeSequence, "A multishot stream (or a zero-copy send's result and notification) CQE by CQE, in arrival order; a last `...` accepts any further CQEs.")),
                ("completes", described(.object([("type", .string("boolean"))]), "false: no CQE may arrive.")),
                ("notification", described(.object([("anyOf", .array([.object([("type", .string("boolean"))]), ref("cqe")]))]),
                                           "Zero-copy sends: a notification CQE follows (true), none does (false), or one that matches this pattern.")),
                ("before", described(ids, "Ids whose CQEs must come later.")),
                ("after", described(.object([("anyOf", .array([ids, durationBound, timedFrom]))]),
                                    "Ids whose CQEs must come earlier; or a duration bound since its submission (\">= 20ms\", 20ms..2s); or ids mapped to bounds since their first CQE.")),
                ("within", described(.object([("anyOf", .array([durationBound, timedFrom]))]),
                                     "An upper bound on the time from its submission to its first CQE (2s), or ids mapped to one since their first CQE.")),
                ("share", described(.object([("type", .string("object")), ("additionalProperties", percentBound)]),
                                    "Over the instances of a repeated request: results mapped to the share of instances whose final CQE has them (\">= 99%\").")),
            ])), ("additionalProperties", .bool(false))]),
        ]))])
    }

    static var expect: JSONValue {
        let chain = JSONValue.object([("type", .string("array")), ("items", .object([("anyOf", .array([
            .object([("type", .string("string"))]), ref("number"),
            .object([("type", .string("array")), ("items", .object([("type", .string("string"))]))]),
        ]))]))])
        let contentChecks: [(String, JSONValue)] = [
            ("equals", ref("bytes")), ("prefix", ref("bytes")),
            ("hex", .object([("type", .string("string"))])), ("hex_prefix", .object([("type", .string("string"))])),
            ("at", described(unsigned(bits: 64), "With prefix or hex_prefix: the byte offset where the bytes start.")),
        ]
        let structViews: [(String, JSONValue)] = KernelStructLayout.structs.keys.sorted().map { ($0, .object([("type", .string("object"))])) }
        let bufferCheck = JSONValue.object([("type", .string("object")), ("properties", .object(contentChecks + structViews + [("unchanged", .object([("type", .string("boolean"))]))])),
                                             ("additionalProperties", .bool(false))])
        let fileCheck = JSONValue.object([("type", .string("object")), ("properties", .object([
            ("exists", .object([("type", .string("boolean"))])), ("type", enumeration(["file", "directory", "symlink"])),
            ("size", unsigned(bits: 64)), ("content", ref("bytes")), ("prefix", ref("bytes")),
            ("hex", .object([("type", .string("string"))])), ("hex_prefix", .object([("type", .string("string"))])),
            ("at", described(unsigned(bits: 64), "With prefix or hex_prefix: the byte offset where the bytes start.")),
        ])), ("additionalProperties", .bool(false))])
        return .object([
            ("type", .string("object")),
            ("description", .string("Per-id expectations, order constraints and post-conditions.")),
            ("properties", .object([
                ("order", described(chain, "Ids in completion order; an inner list is a group in any order.")),
                ("orders", described(.object([("type", .string("array")), ("items", chain)]), "Several orders.")),
                ("allow_other_cqes", described(.object([("type", .string("boolean"))]), "CQEs nobody expects are not an error.")),
                ("buffers", described(.object([("type", .string("object")), ("additionalProperties", .object([("anyOf", .array([
                    bufferCheck, .object([("type", .string("array")), ("items", bufferCheck)]),
                ]))]))]), "Buffer contents after the run: a check, or a list of them.")),
                ("files", described(.object([("type", .string("object")), ("additionalProperties", fileCheck)]), "Files after the run, by resource name or path.")),
                ("signals", described(.object([("type", .string("object")), ("properties", .object([("SIGPIPE", unsigned(bits: 32))])),
                                               ("additionalProperties", .bool(false))]), "How many times each signal reached the scenario's thread during the run.")),
            ])),
            ("additionalProperties", ref("completion")),
        ])
    }

    static var requires: JSONValue {
        let ops = OpTable.operations.filter { $0.name != "raw" }.map(\.name)
        return described(.object([("type", .string("object")), ("properties", .object([
            ("ops", described(.object([("type", .string("array")), ("items", enumeration(unique(ops) + Opcode.allCases.map(\.kernelName)))]), "Ops the kernel must support.")),
            ("setup", described(ref("constants." + familyKey(.setupFlags)), "Setup flags the kernel must accept.")),
            ("features", described(ref("constants." + familyKey(.features)), "IORING_FEAT_* bits the kernel must report.")),
            ("kernel", described(.object([("type", .string("string")), ("pattern", .string("^[0-9]+\\.[0-9]+(\\.[0-9]+)?"))]), "Minimum kernel release, e.g. \"6.1\".")),
            ("root", described(.object([("type", .string("boolean"))]), "Needs root.")),
            ("napi", described(.object([("type", .string("boolean"))]), "Needs a kernel that accepts IORING_REGISTER_NAPI.")),
            ("zcrx", described(.object([("type", .string("boolean"))]), "Needs a zero-copy receive interface queue (IORING_REGISTER_ZCRX_IFQ) on a NIC, for recv_zc.")),
            ("xattrs", described(.object([("type", .string("boolean"))]), "Needs a sandbox file system that accepts user.* extended attributes.")),
        ])), ("additionalProperties", .bool(false))]), "What the kernel must offer; otherwise the scenario is skipped.")
    }

    static var ring: JSONValue {
        described(.object([("type", .string("object")), ("properties", .object([
            ("entries", described(integer(1, 1 << 31), "SQ entries (default 64); at most 32768 unless IORING_SETUP_CLAMP.")),
            ("cq_entries", described(integer(1, 1 << 31), "CQ entries (sets IORING_SETUP_CQSIZE); at most 65536 unless IORING_SETUP_CLAMP.")),
            ("flags", described(ref("constants." + familyKey(.setupFlags)), "IORING_SETUP_* flags, short (sqpoll) or full.")),
            ("sqpoll", described(.object([("anyOf", .array([.object([("type", .string("boolean"))]), .object([("type", .string("object")), ("properties", .object([
                ("idle", ref("duration")), ("cpu", unsigned(bits: 32)),
            ])), ("additionalProperties", .bool(false))])]))]), "IORING_SETUP_SQPOLL, with the thread's idle time and CPU.")),
            ("expect", described(ref("result"), "The error io_uring_setup must fail with (-EINVAL…); the scenario then runs nothing else.")),
            ("reap", described(enumeration(["auto", "manual"]), "manual: submissions do not reap; `reap`, `wait`, captures and the end of the steps do.")),
        ])), ("additionalProperties", .bool(false))]), "How the ring is set up.")
    }

    static var resource: JSONValue {
        let kinds = ResourceTable.kinds.map { kind -> (String, JSONValue) in
            let properties = kind.keys.map { ($0.name, argumentSchema($0)) }
            var body: JSONValue = .object([("type", .string("object")), ("properties", .object(properties)),
                                            ("required", .array(kind.keys.filter(\.isRequired).map { .string($0.name) })),
                                            ("additionalProperties", .bool(false))])
            if kind.acceptsList { body = .object([("anyOf", .array([body, .object([("type", .string("array")), ("items", ref("buffer"))])]))]) }
            return (kind.name, described(body, kind.summary))
        }
        return .object([("type", .string("object")), ("minProperties", .integer(1)), ("maxProperties", .integer(1)),
                        ("properties", .object(kinds)), ("additionalProperties", .bool(false))])
    }

    static var repeatBlock: JSONValue {
        .object([("type", .string("object")), ("properties", .object([
            ("repeat", described(integer(1, 1_000_000_000), "How many iterations.")),
            ("as", described(.object([("type", .string("string"))]), "The index name (i by default; {i} in ids and paths).")),
            ("steps", .object([("type", .string("array")), ("items", ref("step"))])),
        ])), ("required", .array([.string("repeat"), .string("steps")])), ("additionalProperties", .bool(false))])
    }

    static var step: JSONValue {
        let bare = OpTable.all.filter { !$0.arguments.contains(where: \.isRequired) }.map(\.name)
        return .object([("anyOf", .array([enumeration(bare), ref("repeat")] + OpTable.all.map { ref("step." + $0.name) }))])
    }

    static func stepObject(_ spec: StepSpec) -> JSONValue {
        var properties: [(String, JSONValue)] = [(spec.name, ref("args." + spec.name))]
        switch spec.category {
        case .operation:
            properties += [
                ("id", described(ref("name"), "Names the request; becomes its user_data.")),
                ("user_data", described(unsigned(bits: 64), "An explicit user_data.")),
                ("link", described(.object([("type", .string("boolean"))]), "IOSQE_IO_LINK.")),
                ("hardlink", described(.object([("type", .string("boolean"))]), "IOSQE_IO_HARDLINK.")),
                ("drain", described(.object([("type", .string("boolean"))]), "IOSQE_IO_DRAIN.")),
                ("async", described(.object([("type", .string("boolean"))]), "IOSQE_ASYNC.")),
                ("skip_success", described(.object([("type", .string("boolean"))]), "IOSQE_CQE_SKIP_SUCCESS.")),
                ("allow_dangling_link", described(.object([("type", .string("boolean"))]), "A link before a submit point is intended.")),
                ("expect", ref("completion")),
            ]
            if spec.captures != nil { properties.append(("capture", described(.object([("type", .string("string"))]), "Name the CQE's \(spec.captures!.rawValue) as $name."))) }
        case .registration:
            properties.append(("expect", described(.object([("anyOf", .array([ref("result"), .object([("type", .string("object")), ("properties", .object([("res", ref("result"))])), ("additionalProperties", .bool(false))])]))]),
                                                   "The registration's expected result (success by default).")))
        case .control:
            if spec.captures != nil { properties.append(("capture", described(.object([("type", .string("string"))]), "Name the connected socket as $name."))) }
            if spec.name == "submit" || spec.name == "enter" {
                properties.append(("expect", described(.object([("anyOf", .array([ref("result"), .object([("type", .string("object")), ("properties", .object([("res", ref("result"))])), ("additionalProperties", .bool(false))])]))]),
                                                       "What the submission's io_uring_enter(2) returns: how many SQEs the kernel took.")))
            }
        }
        return described(.object([("type", .string("object")), ("properties", .object(properties)), ("required", .array([.string(spec.name)])),
                                  ("additionalProperties", .bool(false))]), spec.summary)
    }

    static func arguments(_ spec: StepSpec) -> JSONValue {
        var properties = spec.arguments.map { ($0.name, argumentSchema($0)) }
        if spec.opcode != nil, !spec.isRaw { properties.append(("sqe", SQEOverrides.schema)) }
        var members: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(properties)),
                                              ("required", .array(spec.arguments.filter(\.isRequired).map { .string($0.name) })),
                                              ("additionalProperties", .bool(false))]
        if !spec.rules.isEmpty { members.append(("allOf", .array(spec.rules.map { ruleSchema($0, of: spec) }))) }
        var object: JSONValue = .object(members)
        var alternatives = [object]
        if let shorthand = spec.shorthand, let argument = spec.argument(shorthand) { alternatives.append(argumentSchema(argument)) }
        if !spec.arguments.contains(where: \.isRequired) { alternatives.append(.object([("type", .string("null"))])) }
        if alternatives.count > 1 { object = .object([("anyOf", .array(alternatives))]) }
        return described(object, spec.summary + " Kernel: " + spec.kernelName + ".")
    }

    /// A constraint between arguments (`StepSpec.Rule`) as the loader applies it.
    static func ruleSchema(_ rule: StepSpec.Rule, of spec: StepSpec) -> JSONValue {
        func required(_ names: [String]) -> JSONValue { .object([("required", .array(names.map(JSONValue.string)))]) }
        switch rule {
        case .exactlyOne(let names):
            return .object([("oneOf", .array(names.map { required([$0]) }))])
        case .atLeastOne(let names):
            return .object([("anyOf", .array(names.map { required([$0]) }))])
        case .atMostOne(let names):
            var pairs: [JSONValue] = []
            for (index, first) in names.enumerated() { for second in names[(index + 1)...] { pairs.append(required([first, second])) } }
            return .object([("not", .object([("anyOf", .array(pairs))]))])
        case .requires(let first, let second):
            // A bool argument needs the other when true; any other when given.
            guard spec.argument(first)?.type == .bool else { return .object([("dependentRequired", .object([(first, .array([.string(second)]))]))]) }
            return .object([("if", .object([("properties", .object([(first, .object([("const", .bool(true))]))])), ("required", .array([.string(first)]))])),
                            ("then", required([second]))])
        }
    }

    static func argumentSchema(_ argument: ArgumentSpec) -> JSONValue {
        var doc = argument.doc
        switch argument.presence {
        case .defaulted(_, let shown), .derived(let shown): doc += " Default: \(shown)."
        default: break
        }
        return described(typeSchema(argument.type), doc)
    }

    static func typeSchema(_ type: ArgumentType) -> JSONValue {
        let string = JSONValue.object([("type", .string("string"))])
        switch type {
        case .file, .directory: return ref("file")
        case .buffer, .registeredBuffer: return ref("buffer")
        case .rawAddress: return .object([("anyOf", .array([ref("buffer"), unsigned(bits: 64)]))])
        case .data: return ref("bytes")
        case .iovecs, .listener, .path, .text: return string
        case .ring: return .object([("anyOf", .array([enumeration(["$ring"]), ref("file")]))])
        case .unsigned(let bits, let capturable):
            return capturable ? .object([("anyOf", .array([unsigned(bits: bits), .object([("type", .string("string")), ("pattern", .string("^\\$"))])]))]) : unsigned(bits: bits)
        case .signed(let bits): return signed(bits: bits)
        case .offset:
            let random = JSONValue.object([
                ("type", .string("object")),
                ("properties", .object([("random", integer(1, nil)), ("align", integer(1, nil)), ("seed", unsigned(bits: 64))])),
                ("required", .array([.string("random")])), ("additionalProperties", .bool(false)),
                ("description", .string("A pseudo-random multiple of align below random, from seed and the request's user_data.")),
            ])
            return .object([("anyOf", .array([integer(-1, nil), random]))])
        case .bool: return .object([("type", .string("boolean"))])
        case .duration: return ref("duration")
        case .timespec: return TimespecLiteral.schema(duration: ref("duration"))
        case .constants(let family): return ref("constants." + familyKey(family))
        case .address: return string
        case .request: return ref("request")
        case .requests: return .object([("anyOf", .array([ref("request"), .object([("type", .string("array")), ("items", ref("request"))])]))])
        case .bufferGroup: return .object([("anyOf", .array([string, unsigned(bits: 16)]))])
        case .process: return .object([("anyOf", .array([string, integer(0, Int64(Int32.max))]))])
        case .slot: return .object([("anyOf", .array([unsigned(bits: 31), .object([("type", .string("string")), ("pattern", .string("^\\$"))])]))])
        case .slotOrAuto: return .object([("anyOf", .array([unsigned(bits: 31), enumeration(["auto"])]))])
        case .opcode: return .object([("anyOf", .array([enumeration(unique(OpTable.operations.map(\.name)) + Opcode.allCases.map(\.kernelName)), unsigned(bits: 8)]))])
        case .bufferIDs: return .object([("type", .string("array")), ("items", unsigned(bits: 16)), ("minItems", .integer(1)), ("uniqueItems", .bool(true))])
        case .opcodes: return .object([("type", .string("array")), ("items", enumeration(unique(OpTable.operations.map(\.name)) + Opcode.allCases.map(\.kernelName)))])
        case .files: return .object([("type", .string("array")), ("items", .object([("anyOf", .array([ref("file"), .object([("type", .string("null"))])]))]))])
        case .buffers: return .object([("type", .string("array")), ("items", ref("buffer"))])
        case .clock: return enumeration(["monotonic", "boottime", "realtime"])
        }
    }

    static func constants(_ family: ConstantFamily) -> JSONValue {
        let names = enumeration(family.names)
        var alternatives: [JSONValue] = [names]
        if family.isBitSet {
            alternatives.append(.object([("type", .string("array")), ("items", names)]))
            // Names joined with `|`, spaces allowed around each (the loader trims them).
            let name = "(" + family.names.joined(separator: "|") + ")"
            alternatives.append(.object([("type", .string("string")), ("pattern", .string("^\\s*" + name + "\\s*(\\|\\s*" + name + "\\s*)*$"))]))
        }
        alternatives.append(integer(0, nil))
        return described(.object([("anyOf", .array(alternatives))]), family.isBitSet ? "Names of \(family.title)s, or a number." : "A \(family.title), or a number.")
    }

    static func unique(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}
