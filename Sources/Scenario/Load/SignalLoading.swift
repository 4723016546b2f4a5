extension ScenarioBuilder {
    /// The signals a scenario can count, with their numbers (Linux x86-64 and arm64 agree on SIGPIPE).
    static let countableSignals: [String: Int32] = ["SIGPIPE": 13]

    /// `signals: { SIGPIPE: 1 }`.
    func readSignalExpectations(_ node: YAMLNode) -> [SignalExpectation] {
        guard let pairs = mapping(node, "'signals' (a mapping such as { SIGPIPE: 1 })") else { return [] }
        var expectations: [SignalExpectation] = []
        var seen: Set<String> = []
        for pair in pairs {
            guard let name = string(pair.key, "a signal name") else { continue }
            guard let number = ScenarioBuilder.countableSignals[name] else {
                let names = ScenarioBuilder.countableSignals.keys.sorted()
                error(pair.key.mark, "'\(name)' cannot be counted; 'signals' counts \(names.joined(separator: ", ")) (the signal a request can raise: a write to a pipe or socket whose reader is gone, without MSG_NOSIGNAL)\(didYouMean(name, names))")
                continue
            }
            guard seen.insert(name).inserted else {
                error(pair.key.mark, "'\(name)' is in 'signals' twice")
                continue
            }
            guard let count = unsigned(pair.value, "the count of \(name)", bits: 32) else { continue }
            expectations.append(SignalExpectation(name: name, number: number, count: count, mark: pair.key.mark))
        }
        return expectations
    }
}
