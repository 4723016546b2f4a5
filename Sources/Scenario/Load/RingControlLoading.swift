import IoUring

// The loader's side of `reap`, `enter` and `ring_state` (RingControl) and of `ring: { reap: … }`.

extension ScenarioBuilder {
    /// `ring.reap`: `auto` (every submission reaps, the default) or `manual`.
    func readReapMode(_ node: YAMLNode) -> Bool {
        guard let text = string(node, "'reap'") else { return false }
        switch text {
        case "auto": return false
        case "manual": return true
        default:
            error(node.mark, "'reap' must be auto (every submission reaps) or manual (only reap steps, waits, captures and the end of the steps reap), not '\(text)'\(didYouMean(text, ["auto", "manual"]))")
            return false
        }
    }

    /// The RingControl of a `reap`, `enter` or `ring_state` step whose arguments are read.
    func readRingControl(_ spec: StepSpec, _ arguments: Arguments, at mark: SourceMark) -> RingControl {
        switch spec.name {
        case "reap":
            if !reapsManually {
                error(mark, "'reap' needs 'ring: { reap: manual }': otherwise every submission reaps already, and there is nothing left for it")
            }
            if arguments["timeout"] != nil && arguments["count"] == nil, let timeout = arguments.argument("timeout") {
                error(timeout.mark, "'timeout' bounds the wait for 'count' CQEs; a reap of every ready CQE does not wait")
            }
            if arguments.unsigned("count") == 0, let count = arguments.argument("count") {
                error(count.mark, "'count' must be at least 1 (write '- reap' to reap every ready CQE)")
            }
            return .reap(count: arguments.unsigned("count").map { UInt32($0) }, timeoutNanoseconds: arguments.duration("timeout"))
        case "enter":
            let flags = EnterFlags(rawValue: UInt32(truncatingIfNeeded: arguments.named("flags")?.value ?? 0))
            let minComplete = UInt32(arguments.unsigned("min_complete") ?? 0)
            let timeout = arguments.duration("timeout")
            if minComplete > 0 && !flags.contains(.getEvents), let argument = arguments.argument("min_complete") {
                error(argument.mark, "'min_complete' waits only with 'flags: [getevents]' (the kernel ignores it otherwise)")
            }
            if timeout != nil && !flags.contains(.getEvents), let argument = arguments.argument("timeout") {
                error(argument.mark, "'timeout' bounds a wait, which needs 'flags: [getevents]'")
            }
            if flags.contains(.extArg), let argument = arguments.argument("flags") {
                error(argument.mark, "'ext_arg' is set by 'timeout' (the runner builds the struct io_uring_getevents_arg); remove it from 'flags'")
            }
            if flags.contains(.registeredRing), let argument = arguments.argument("flags") {
                error(argument.mark, "'registered_ring' needs a registered ring descriptor, which this scenario's ring does not have")
            }
            return .enter(EnterStep(toSubmit: arguments.unsigned("to_submit").map { UInt32($0) }, minComplete: minComplete,
                                    flags: flags, timeoutNanoseconds: timeout))
        default:
            var checks: [RingStateCheck] = []
            for field in RingStateCheck.Field.allCases {
                guard let argument = arguments.argument(field.rawValue) else { continue }
                let expected: RingStateCheck.Expected
                switch (field, argument.value) {
                case (.sqFlags, .named(let value)): expected = .exactBits(value)
                case (.features, .named(let value)): expected = .hasBits(value)
                case (.featuresLacking, .named(let value)): expected = .lacksBits(value)
                case (_, .unsigned(let value)): expected = .count(UInt32(truncatingIfNeeded: value))
                default: continue
                }
                checks.append(RingStateCheck(field: field, expected: expected, mark: argument.mark))
            }
            return .state(checks)
        }
    }
}
