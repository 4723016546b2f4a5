/// Automatic user_data that skips the values the scenario writes.
extension ScenarioBuilder {
    /// Gives the requests without `user_data` their final numbers, once every step is read: 1, 2, 3… in
    /// the order they are written, skipping every value the scenario writes itself (`user_data`, the
    /// user_data a request makes the kernel post: `new_user_data`, `cqe_user_data`, and the numbers
    /// requests are acted on by: `cancel: { target: 99 }`), so a port of a C
    /// test that numbers some requests 1, 2, … never collides with the requests it leaves unnumbered.
    ///
    /// A repeat block at the top level numbers its automatic requests as one run of consecutive values
    /// (iteration after iteration, as the runner queues them), so the whole run moves past a written value
    /// that would fall inside it, to the first gap wide enough. Explicit values are constants (they repeat
    /// as written in every iteration), so every collision is excluded here, at load.
    func placeAutomaticUserData() {
        var written = Set(explicitUserData.keys)
        written.formUnion(extraUserData)
        // A request acted on by number (`cancel: { target: 99 }`) that no request was given: the number
        // is the scenario's (a cancel that must find nothing), not one to hand out.
        for node in nodes {
            guard case .request(let request) = node.kind else { continue }
            for argument in request.arguments {
                switch argument.value {
                case .request(.userData(let value)): written.insert(value)
                case .requests(let references):
                    for case .userData(let value) in references { written.insert(value) }
                default: break
                }
            }
        }
        guard !written.isEmpty else { return }
        let sortedWritten = written.sorted()
        var cursor: UInt64 = 1
        var node = 0
        while node < nodes.count {
            let segment: Range<NodeID>
            let mark = nodes[node].mark
            if case .repeatBlock(let block) = nodes[node].kind {
                segment = node..<blocks[block].body.upperBound
            } else {
                segment = node..<node + 1
            }
            node = segment.upperBound
            guard let (start, length) = automaticRun(in: segment) else { continue }
            var placed = cursor
            // The first written value at or after `placed`; move past it while it falls inside the run.
            var next = firstIndex(atLeast: placed, in: sortedWritten)
            while next < sortedWritten.count, sortedWritten[next] - placed < length {
                guard sortedWritten[next] < .max else {
                    error(mark, "no room for the automatic user_data of this step: the values written explicitly leave no gap of \(length) numbers below 2^64")
                    return
                }
                placed = sortedWritten[next] + 1
                next = firstIndex(atLeast: placed, in: sortedWritten)
            }
            guard placed <= UInt64.max - (length - 1) else {
                error(mark, "no room for the automatic user_data of this step: the values written explicitly leave no gap of \(length) numbers below 2^64")
                return
            }
            let shift = placed &- start
            if shift != 0 {
                for inner in segment {
                    guard case .request(var request) = nodes[inner].kind, !request.userData.isExplicit else { continue }
                    request.userData.base &+= shift
                    nodes[inner].kind = .request(request)
                }
            }
            cursor = placed &+ length
        }
    }

    /// The first automatic number of the requests in `segment` (a top-level step or repeat block) and
    /// how many consecutive numbers they take, nested blocks expanded; nil when none is automatic.
    private func automaticRun(in segment: Range<NodeID>) -> (start: UInt64, length: UInt64)? {
        if case .repeatBlock(let block) = nodes[segment.lowerBound].kind {
            var start: UInt64?
            var perIteration: UInt64 = 0
            for inner in segment {
                guard case .request(let request) = nodes[inner].kind, !request.userData.isExplicit else { continue }
                if start == nil { start = request.userData.base }
                perIteration = request.userData.strides.first ?? 0
                break
            }
            guard let start else { return nil }
            // Every automatic request of the block has the block's stride at depth 0.
            return (start, max(perIteration * UInt64(blocks[block].count), 1))
        }
        guard case .request(let request) = nodes[segment.lowerBound].kind, !request.userData.isExplicit else { return nil }
        return (request.userData.base, 1)
    }

    private func firstIndex(atLeast value: UInt64, in sorted: [UInt64]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
