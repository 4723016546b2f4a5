import IoUring
import Scenario

/// `cqes:` lists, matched as CQEs arrive. A list is a small automaton: its states are (element, how many
/// CQEs that element has taken), a count past an unbounded element's lower bound being one state, so a
/// request instance holds a handful of states and a bounded tail of its CQEs for messages, whatever the
/// length of its stream. CQE numbers in messages are 1-based, in the instance's arrival order
/// (notifications of zero-copy sends included).
extension CheckerCore {
    /// The CQEs a failure message shows, at most (the latest ones).
    static let sequenceTailLimit = 16

    /// One instance's progress through one `cqes:` list.
    struct SequenceMatch {
        var expectation: Int
        /// Live automaton states, each `element * stride + taken`; empty once it failed.
        var states: [State]
        /// CQEs it took so far.
        var seen = 0
        var failed = false
        /// The latest CQEs (res, flags), oldest first, at most `sequenceTailLimit`.
        var tail: [(res: Int32, flags: UInt32)] = []

        struct State: Equatable {
            var element: Int
            var taken: Int
        }
    }

    /// The states reachable from `states` without a CQE: an element that has taken its minimum may be left.
    static func closure(_ states: [SequenceMatch.State], _ sequence: CQESequence) -> [SequenceMatch.State] {
        var result: [SequenceMatch.State] = []
        var work = states
        while let state = work.popLast() {
            guard !result.contains(state) else { continue }
            result.append(state)
            if state.element < sequence.elements.count, state.taken >= sequence.elements[state.element].times.lower {
                work.append(.init(element: state.element + 1, taken: 0))
            }
        }
        return result
    }

    /// Whether one CQE meets an element's pattern: res, flags, buffer id and delivered bytes.
    static func meets(_ pattern: CQEPattern, res: Int32, flags: UInt32, data: [UInt8]?) -> Bool {
        guard pattern.matches(res: res, flags: flags) else { return false }
        if let expected = pattern.data { return data == expected }
        return true
    }

    /// The index of the instance's match state for expectation `index`, made on its first CQE.
    private mutating func sequenceMatchIndex(_ slot: Int32, _ index: Int, _ sequence: CQESequence) -> Int {
        if let position = sequenceMatches[slot]?.firstIndex(where: { $0.expectation == index }) { return position }
        let start = CheckerCore.closure([.init(element: 0, taken: 0)], sequence)
        sequenceMatches[slot, default: []].append(SequenceMatch(expectation: index, states: start))
        return sequenceMatches[slot]!.count - 1
    }

    /// Feeds one CQE of the instance at `slot` (a notification included) to expectation `index`'s list.
    mutating func advanceSequence(_ sequence: CQESequence, _ index: Int, _ slot: Int32, _ cqe: CompletionQueueEntry,
                                  arrival: Int, data: [UInt8]?) {
        let position = sequenceMatchIndex(slot, index, sequence)
        var match = sequenceMatches[slot]![position]
        guard !match.failed else { return }
        let res = cqe.res
        let flags = cqe.flags.rawValue
        match.seen += 1
        if match.tail.count == CheckerCore.sequenceTailLimit { match.tail.removeFirst() }
        match.tail.append((res, flags))
        var next: [SequenceMatch.State] = []
        for state in match.states {
            if state.element == sequence.elements.count {
                if sequence.isOpenEnded { next.append(state) }
                continue
            }
            let element = sequence.elements[state.element]
            if let upper = element.times.upper, state.taken >= upper { continue }
            guard CheckerCore.meets(element.pattern, res: res, flags: flags, data: data) else { continue }
            let taken = element.times.upper == nil ? min(state.taken + 1, element.times.lower) : state.taken + 1
            next.append(.init(element: state.element, taken: taken))
        }
        if next.isEmpty {
            let expected = CheckerCore.expectedNext(match.states, sequence)
            let observed = ObservedCQE(cqe: cqe, arrival: arrival, elapsed: .zero)
            let actual = MatchingText.cqe(observed) + "; " + CheckerCore.streamText(match)
            failSequence(index, slot, sequence, match.states, cqeNumber: match.seen, expected: expected, actual: actual, position: arrival)
            match.failed = true
            match.states = []
        } else {
            match.states = CheckerCore.closure(next, sequence)
        }
        sequenceMatches[slot]![position] = match
    }

    /// At the instance's final CQE (or at teardown for an open-ended list): the list must be complete.
    mutating func finishSequence(_ sequence: CQESequence, _ index: Int, _ slot: Int32, position: Int, ended: Bool) {
        let matchIndex = sequenceMatchIndex(slot, index, sequence)
        let match = sequenceMatches[slot]![matchIndex]
        sequenceMatches[slot]!.remove(at: matchIndex)
        if sequenceMatches[slot]!.isEmpty { sequenceMatches[slot] = nil }
        guard !match.failed, !match.states.contains(where: { $0.element == sequence.elements.count }) else { return }
        let expected = CheckerCore.expectedNext(match.states, sequence)
        let why = ended ? "none: the stream ended" : "none: the stream was still open when the steps ended"
        let actual = match.seen == 0 ? why + "; it posted no CQE" : why + "; " + CheckerCore.streamText(match)
        failSequence(index, slot, sequence, match.states, cqeNumber: match.seen + 1, expected: expected, actual: actual, position: position)
    }

    /// Records the mismatch at the first element the list expected next (at the list, past its end).
    private mutating func failSequence(_ index: Int, _ slot: Int32, _ sequence: CQESequence, _ states: [SequenceMatch.State],
                                       cqeNumber: Int, expected: String, actual: String, position: Int) {
        guard !failures.bump(.expectation(index), "cqes") else { return }
        let next = states.map(\.element).filter { $0 < sequence.elements.count }.min()
        let mark = next.map { sequence.elements[$0].pattern.mark } ?? sequence.mark
        let text = FailureLog.Text(mark: mark, subject: subjectName(index, slot) + ": CQE \(cqeNumber)",
                                   family: family(index), expected: expected, actual: actual)
        failures.add(.expectation(index), "cqes", position: position, text)
    }

    /// What the list allows next from `states`: the patterns of the elements that could take a CQE, or the end.
    static func expectedNext(_ states: [SequenceMatch.State], _ sequence: CQESequence) -> String {
        var options: [String] = []
        for state in states.sorted(by: { $0.element < $1.element }) {
            if state.element == sequence.elements.count {
                options.append(sequence.isOpenEnded ? "any CQE (...)" : "no more CQEs (the list has \(sequence.minimumCountText))")
                continue
            }
            let element = sequence.elements[state.element]
            if let upper = element.times.upper, state.taken >= upper { continue }
            let text = "element \(state.element + 1): " + describe(element.pattern)
            if !options.contains(text) { options.append(text) }
        }
        return options.isEmpty ? "nothing" : options.joined(separator: ", or ")
    }

    /// `res 3, flags exactly more|buffer, buffer id 1`: what a pattern asks of one CQE.
    static func describe(_ pattern: CQEPattern) -> String {
        var parts: [String] = []
        if let result = pattern.result { parts.append("res \(result)") }
        if pattern.flagsExact || pattern.flagsSet != nil || pattern.flagsClear != nil {
            parts.append("flags " + MatchingText.flagsPattern(pattern))
        }
        if let ids = pattern.bufferIDs { parts.append(MatchingText.bufferIDs(ids)) }
        if let data = pattern.data {
            parts.append("data " + MatchingText.render(data[...], hex: !MatchingText.isText(data[...])))
        }
        return parts.isEmpty ? "any CQE" : parts.joined(separator: ", ")
    }

    /// `the stream: 1: res 3 more|buffer, 2: res 0 none` (the latest `sequenceTailLimit` CQEs).
    static func streamText(_ match: SequenceMatch) -> String {
        let first = match.seen - match.tail.count + 1
        var items: [String] = []
        for (offset, cqe) in match.tail.enumerated() {
            items.append("\(first + offset): res \(describeResult(cqe.res)) \(describeFlags(cqe.flags))")
        }
        let lead = first > 1 ? "the stream (CQEs \(first)–\(match.seen) of \(match.seen)): " : "the stream: "
        return lead + items.joined(separator: ", ")
    }
}

extension CQESequence {
    /// `3 CQEs`, `2 to 4 CQEs`, `at least 2 CQEs`: how long the list is.
    var minimumCountText: String {
        let lower = minimumCount
        let upper = elements.reduce(Optional(0)) { total, element in total.flatMap { t in element.times.upper.map { t + $0 } } }
        let count = CheckerCore.count(CountRange(lower: lower, upper: upper))
        return count + (upper == 1 && lower == 1 ? " CQE" : " CQEs")
    }
}
