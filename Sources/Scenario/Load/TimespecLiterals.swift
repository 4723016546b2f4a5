import IoUring

/// Literal timespecs for timeout, link_timeout and timeout_update: `after: { sec: 1, nsec: 5 }` and
/// `at: { sec, nsec }` (IORING_TIMEOUT_ABS) go to the kernel as written, so its -EINVAL validation of
/// `struct __kernel_timespec` (a negative `tv_sec` or `tv_nsec`, `tv_nsec` ≥ 1,000,000,000) can be reproduced.
enum TimespecLiteral {
    /// The JSON Schema of a `.timespec` argument: a duration or `{ sec, nsec }`.
    static func schema(duration: JSONValue) -> JSONValue {
        let literal = JSONValue.object([
            ("type", .string("object")),
            ("properties", .object([("sec", ScenarioSchema.signed(bits: 64)), ("nsec", ScenarioSchema.signed(bits: 64))])),
            ("additionalProperties", .bool(false)),
            ("description", .string("A struct __kernel_timespec as the kernel gets it (tv_sec, tv_nsec), invalid ones included.")),
        ])
        return .object([("anyOf", .array([duration, literal]))])
    }
}

extension ScenarioBuilder {
    /// A duration (`10ms`), or `{ sec: S, nsec: N }` taken as written: any 64-bit values, so that invalid
    /// timespecs reach the kernel. Either key may be left out (0).
    func readTimespec(_ node: YAMLNode, _ what: String) -> ArgumentValue? {
        guard let pairs = node.mapping else {
            return duration(node, what).map { ArgumentValue.duration(nanoseconds: $0) }
        }
        let keys = checkKeys(pairs, allowed: ["sec", "nsec"], in: "a timespec")
        guard keys.count == pairs.count else { return nil }  // checkKeys reported the unknown ones
        guard !keys.isEmpty else {
            error(node.mark, "\(what) as a timespec needs 'sec' and/or 'nsec' (struct __kernel_timespec's tv_sec, tv_nsec)")
            return nil
        }
        var seconds: Int64 = 0
        var nanoseconds: Int64 = 0
        if let pair = keys["sec"] {
            guard let value = integer(pair.value, "'sec'", in: Int64.min...Int64.max) else { return nil }
            seconds = value
        }
        if let pair = keys["nsec"] {
            guard let value = integer(pair.value, "'nsec'", in: Int64.min...Int64.max) else { return nil }
            nanoseconds = value
        }
        return .timespec(seconds: seconds, nanoseconds: nanoseconds)
    }

    /// The timeout arguments together: exactly one of `after` and `at`; `at` is absolute already; a literal
    /// `after` is a length as written (the runner cannot add a clock's time to an invalid one).
    func checkTimespecArguments(_ spec: StepSpec, _ values: ArgumentDraft, key: YAMLNode, value: YAMLNode?) {
        guard spec.argument("at") != nil else { return }
        let after = values["after"]
        let at = values["at"]
        switch (after, at) {
        case (nil, nil):
            // A written one that did not decode has its own error.
            if value?.mapping?.contains(where: { $0.key.scalar == "after" || $0.key.scalar == "at" }) == true { return }
            error(key.mark, "'\(spec.name)' needs 'after' (a length: 10ms or { sec, nsec }) or 'at' (an absolute { sec, nsec } of 'clock')")
        case (_?, let at?):
            error(at.mark, "'\(spec.name)' takes only one of 'after' and 'at'")
        case (nil, let at?):
            if case .duration = at.value {
                error(at.mark, "'at' is an absolute time of 'clock': write it as { sec, nsec } (or use 'after' with 'absolute: true' for a time from now)")
            }
            if let absolute = values["absolute"], !absolute.isDefault {
                error(absolute.mark, "'at' is absolute already (IORING_TIMEOUT_ABS); leave 'absolute' out")
            }
        case (let after?, nil):
            if case .timespec = after.value, values["absolute"].map({ $0.value == .bool(true) }) == true {
                error(after.mark, "a literal 'after' is a length as written; for an absolute time write 'at: { sec, nsec }'")
            }
        }
    }
}

extension ScenarioBuilder {
    /// A link_timeout times out the request linked before it; one with none is a mistake unless the step
    /// says `alone: true` (reproducing the kernel's -EINVAL for a lone IORING_OP_LINK_TIMEOUT).
    func checkLoneLinkTimeout(_ arguments: Arguments, linked: Bool, key: YAMLNode) {
        let alone = arguments.bool("alone") ?? false
        if !linked, !alone {
            error(key.mark, "link_timeout must directly follow a request with 'link: true' (or 'hardlink: true'); it times out that request (to submit a lone one on purpose, add 'alone: true': the kernel answers -EINVAL)")
        } else if linked, alone, let mark = arguments.argument("alone")?.mark {
            error(mark, "'alone: true', but this link_timeout follows a linked request; remove 'alone' or the link")
        }
    }
}
