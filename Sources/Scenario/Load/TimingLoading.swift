/// `after:` / `within:` timing bounds and `share:` of an expectation (Grammar: "Timing", "Shares of outcomes").
extension ScenarioBuilder {
    /// `after:` as a timing bound: a duration bound (`">= 20ms"`, `"20ms..2s"`, `20ms`) measured from the
    /// request's own submission, or a mapping from ids to bounds measured from their first CQE. Nil when
    /// the value names ids (an order constraint, read by the caller).
    func readAfterTiming(_ node: YAMLNode, subject: ExpectationSubject) -> [TimingBound]? {
        if let pairs = node.mapping { return readTimingReferences(pairs, subject: subject, key: "after") }
        guard node.sequence == nil, let text = node.scalar, !node.isNull, ids[text] == nil, looksLikeDurationBound(text) else {
            return nil
        }
        return readDurationBound(node, key: "after").map { [TimingBound(reference: nil, bound: $0, mark: node.mark)] } ?? []
    }

    /// `within: 2s` (since its own submission) or `within: { a: 50ms }` (since a's first CQE): an upper bound.
    func readWithinTiming(_ node: YAMLNode, subject: ExpectationSubject) -> [TimingBound] {
        if let pairs = node.mapping { return readTimingReferences(pairs, subject: subject, key: "within") }
        return readDurationBound(node, key: "within").map { [TimingBound(reference: nil, bound: $0, mark: node.mark)] } ?? []
    }

    private func readTimingReferences(_ pairs: YAMLPairs, subject: ExpectationSubject, key: String) -> [TimingBound] {
        var bounds: [TimingBound] = []
        for pair in pairs {
            guard let reference = readSubject(pair.key, inOrder: true) else { continue }
            if case .userData = reference {
                error(pair.key.mark, "'\(key)' measures from a request's CQE: name the request by its id, not by user_data")
                continue
            }
            if reference == subject {
                error(pair.key.mark, "'\(subject)' cannot be timed from its own CQE; '\(key): <duration>' measures from its submission")
                continue
            }
            if let bound = readDurationBound(pair.value, key: key) {
                bounds.append(TimingBound(reference: reference, bound: bound, mark: pair.value.mark))
            }
        }
        return bounds
    }

    private func looksLikeDurationBound(_ text: String) -> Bool {
        let trimmed = text.trimmingSpaces
        if let first = trimmed.first, first == ">" || first == "<" { return true }
        if trimmed.contains("..") { return true }
        return NodeReader.parseDuration(trimmed) != nil || NodeReader.parseInteger(trimmed) != nil
    }

    /// `">= 20ms"`, `"> 20ms"`, `"<= 2s"`, `"< 2s"`, `"20ms..2s"` (inclusive; either end may be left out),
    /// or a bare duration: a lower bound for `after`, an upper one for `within`.
    func readDurationBound(_ node: YAMLNode, key: String) -> DurationBound? {
        let forms = "a duration such as 20ms, a comparison such as \">= 20ms\" or \"< 2s\", or a range such as 20ms..2s"
        guard let raw = node.scalar, !node.isNull, node.mapping == nil, node.sequence == nil else {
            error(node.mark, "'\(key)' must be \(forms), not \(node.kindDescription)")
            return nil
        }
        let text = raw.trimmingSpaces
        func duration(_ part: String) -> Int64? {
            let value = part.trimmingSpaces
            if let nanoseconds = NodeReader.parseDuration(value) { return nanoseconds }
            if NodeReader.parseInteger(value) != nil {
                error(node.mark, "'\(key)' needs a unit: ns, us, ms or s (as in 20ms), not '\(value)'")
            } else {
                error(node.mark, "'\(key)' must be \(forms), not '\(raw)'")
            }
            return nil
        }
        var bound = DurationBound()
        if let comparison = ["<=", ">=", "<", ">"].first(where: { text.hasPrefix($0) }) {
            guard let value = duration(String(text.dropFirst(comparison.count))) else { return nil }
            switch comparison {
            case ">=": bound.lower = value
            case ">": (bound.lower, bound.lowerInclusive) = (value, false)
            case "<=": bound.upper = value
            default: (bound.upper, bound.upperInclusive) = (value, false)
            }
            if key == "within", bound.lower != nil {
                error(node.mark, "'within' is an upper bound: write 'after: \"\(text)\"' for a lower one")
                return nil
            }
            if bound.upper == 0, !bound.upperInclusive {
                error(node.mark, "'\(key): \"\(text)\"' admits no interval (reap times are never earlier than submission)")
                return nil
            }
            return bound
        }
        if let (low, high) = text.splitOnce("..") {
            if !String(low).trimmingSpaces.isEmpty {
                guard let value = duration(String(low)) else { return nil }
                bound.lower = value
            }
            if !String(high).trimmingSpaces.isEmpty {
                guard let value = duration(String(high)) else { return nil }
                bound.upper = value
            }
            if let lower = bound.lower, let upper = bound.upper, lower > upper {
                error(node.mark, "the interval \(raw) is empty")
                return nil
            }
            if bound.lower == nil, bound.upper == nil {
                error(node.mark, "'\(key): \(raw)' bounds nothing; give at least one end")
                return nil
            }
            return bound
        }
        guard let value = duration(text) else { return nil }
        if key == "within" { bound.upper = value } else { bound.lower = value }
        return bound
    }

    /// `share: { -ETIME: ">= 99%", 0: "<= 1%" }`: for an expectation of every instance of a repeated request.
    func readShares(_ node: YAMLNode, subject: ExpectationSubject) -> [OutcomeShare] {
        guard let pairs = mapping(node, "'share' (results mapped to percent bounds, as in { -ETIME: \">= 99%\" })") else { return [] }
        var repeated = false
        if case .request(let id, .each, _) = subject { repeated = nodes[id].block != nil }
        if case .userData = subject { repeated = true }
        if !repeated {
            error(node.mark, "'share' counts outcomes over the instances of a request in a repeat block; '\(subject)' has one instance")
            return []
        }
        var shares: [OutcomeShare] = []
        for pair in pairs {
            guard let result = readResultPattern(pair.key) else { continue }
            guard let bound = readPercentBound(pair.value) else { continue }
            shares.append(OutcomeShare(result: result, lower: bound.lower, lowerInclusive: bound.lowerInclusive,
                                       upper: bound.upper, upperInclusive: bound.upperInclusive, mark: pair.key.mark))
        }
        if pairs.isEmpty { error(node.mark, "'share' needs at least one result, as in { -ETIME: \">= 99%\" }") }
        return shares
    }

    /// `">= 99%"`, `"> 0%"`, `"<= 1%"`, `"< 5%"`, `"90%..100%"`.
    private func readPercentBound(_ node: YAMLNode) -> (lower: Double?, lowerInclusive: Bool, upper: Double?, upperInclusive: Bool)? {
        let forms = "a comparison such as \">= 99%\" or \"< 1%\", or a range such as 90%..100%"
        guard let raw = node.scalar, !node.isNull, node.mapping == nil, node.sequence == nil else {
            error(node.mark, "a share must be \(forms), not \(node.kindDescription)")
            return nil
        }
        let text = raw.trimmingSpaces
        func percent(_ part: String) -> Double? {
            let value = part.trimmingSpaces
            guard value.hasSuffix("%"), let number = Double(value.dropLast()), number >= 0, number <= 100,
                  value.dropLast().allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else {
                error(node.mark, "a share must be \(forms) (percent, 0% to 100%), not '\(raw)'")
                return nil
            }
            return number
        }
        if let comparison = ["<=", ">=", "<", ">"].first(where: { text.hasPrefix($0) }) {
            guard let value = percent(String(text.dropFirst(comparison.count))) else { return nil }
            switch comparison {
            case ">=": return (value, true, nil, true)
            case ">": return (value, false, nil, true)
            case "<=": return (nil, true, value, true)
            default: return (nil, true, value, false)
            }
        }
        if let (low, high) = text.splitOnce("..") {
            guard let lower = percent(String(low)), let upper = percent(String(high)) else { return nil }
            if lower > upper {
                error(node.mark, "the range \(raw) is empty")
                return nil
            }
            return (lower, true, upper, true)
        }
        error(node.mark, "a share must be \(forms), not '\(raw)' (a bare percent would not say which way it bounds)")
        return nil
    }

    /// A `wait` step's `expect`: `timeout` (the wait must expire with its requests still pending) or
    /// `done` (the default: every listed request completes before the timeout).
    func readWaitExpectation(_ arguments: Arguments, hasTimeout: Bool) -> Bool {
        guard let argument = arguments.argument("expect"), case .text(let text) = argument.value else { return false }
        switch text.text {
        case "timeout":
            if !hasTimeout {
                error(argument.mark, "'expect: timeout' needs a 'timeout' for the wait to expire at (the deadline ends the run)")
            }
            return true
        case "done": return false
        default:
            error(argument.mark, "a wait's 'expect' is 'timeout' (it must expire) or 'done' (the default), not '\(text.text)'\(didYouMean(text.text, ["timeout", "done"]))")
            return false
        }
    }
}
