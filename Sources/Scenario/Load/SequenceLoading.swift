import IoUring

/// `cqes:` of a request's expectation: its CQEs one by one (CQESequence).
extension ScenarioBuilder {
    /// The keys of one element of a `cqes` list.
    static let sequenceElementKeys = ["res", "flags", "buffer", "data", "times"]

    /// Reads `cqes` into `expectation.stream`, refusing what it cannot stand beside: `stream` (the other
    /// form of a stream's shape), `notification` (the list has the notification CQE in it) and a pattern
    /// for every CQE (`res`, `flags`, `buffer`, `data`: each element says its own).
    func readCQEList(_ pair: YAMLPair, keys: [String: YAMLPair], subject: ExpectationSubject, request: RequestSpec?,
                     into expectation: inout CompletionExpectation) {
        if let request, !request.isMultishot, request.operation != "raw" {
            error(pair.key.mark, "'cqes' lists the CQEs of a multishot request or zero-copy send, but '\(subject)' (\(request.operation)) posts one CQE; write its pattern (res, flags…) directly")
            return
        }
        if let stream = keys["stream"] {
            error(stream.key.mark, "'stream' and 'cqes' both describe the CQEs of '\(subject)': use one",
                  notes: [note(pair.key.mark, "'cqes' is here")])
            return
        }
        if let notification = keys["notification"] {
            error(notification.key.mark, "'cqes' already lists the notification CQE (flags [notif]) of '\(subject)': drop 'notification'",
                  notes: [note(pair.key.mark, "'cqes' is here")])
            return
        }
        if let other = ["res", "flags", "buffer", "data"].first(where: { keys[$0] != nil }) {
            error(keys[other]!.key.mark, "'\(other)' beside 'cqes' is ambiguous: put it in the elements of the list",
                  notes: [note(pair.key.mark, "'cqes' is here")])
            return
        }
        guard let sequence = readCQESequence(pair.value) else { return }
        var stream = StreamExpectation(moreCount: nil, totalCount: nil, each: nil, final: .required, mark: pair.value.mark)
        stream.cqes = sequence
        expectation.stream = stream
    }

    /// `[ {res: 3, flags: [more]}, {res: 1, times: "1.."}, -ECANCELED, ... ]`.
    func readCQESequence(_ node: YAMLNode) -> CQESequence? {
        guard let items = sequence(node, "'cqes' (a list of CQE patterns)") else { return nil }
        var elements: [CQESequence.Element] = []
        var openEnded = false
        var valid = true
        let count = items.count
        for (position, item) in items.enumerated() {
            if item.isPlain, item.scalar == "..." {
                if position != count - 1 {
                    error(item.mark, "'...' (any further CQEs) can only be the last element of 'cqes'")
                    valid = false
                }
                openEnded = true
                continue
            }
            var pattern = CQEPattern(mark: item.mark)
            var times = CountRange.exactly(1)
            if let pairs = item.mapping {
                let keys = checkKeys(pairs, allowed: ScenarioBuilder.sequenceElementKeys, in: "an element of 'cqes'")
                readPattern(keys, into: &pattern)
                if let pair = keys["times"] {
                    guard let range = readCountRange(pair.value, "'times'") else {
                        valid = false
                        continue
                    }
                    if range.upper == 0 {
                        error(pair.value.mark, "'times: 0' matches no CQE: drop the element")
                        valid = false
                    }
                    times = range
                }
            } else if item.sequence != nil || item.scalar == nil {
                error(item.mark, "an element of 'cqes' is a CQE pattern ({ res, flags, buffer, data, times }), a result, or '...' (last), not \(item.kindDescription)")
                valid = false
                continue
            } else {
                guard let result = readResultPattern(item) else {
                    valid = false
                    continue
                }
                pattern.result = result
            }
            elements.append(CQESequence.Element(pattern: pattern, times: times))
        }
        if elements.isEmpty && !openEnded && valid {
            error(node.mark, "'cqes' needs at least one CQE pattern (or '...' for any CQEs)")
            return nil
        }
        return valid ? CQESequence(elements: elements, isOpenEnded: openEnded, mark: node.mark) : nil
    }
}
