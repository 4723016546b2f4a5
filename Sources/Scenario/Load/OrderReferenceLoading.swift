/// Order constraints on any CQE of a request (`poll.final`, `rx[2]`, `zc.notification`) and the check
/// that an order does not contradict itself.
extension ScenarioBuilder {
    /// One side of an order constraint: a request (or user_data) and one of its CQEs.
    struct OrderVertex: Hashable {
        var subject: ExpectationSubject
        var reference: CQEReference

        var description: String { subject.description + reference.suffix }
    }

    /// `poll`, `poll.final`, `rx[2]`, `zc.notification`: an id of an order and which of its CQEs.
    func readOrderSide(_ node: YAMLNode) -> (ExpectationSubject, CQEReference)? {
        guard let text = node.scalar else {
            error(node.mark, "an order lists ids (such as rx, poll.final, rx[2], zc.notification), not \(node.kindDescription)")
            return nil
        }
        var id = text
        var reference = CQEReference.first
        if text.hasSuffix(".final") {
            id = String(text.dropLast(".final".count))
            reference = .final
        } else if text.hasSuffix(".notification") {
            id = String(text.dropLast(".notification".count))
            reference = .notification
        } else if text.hasSuffix("]"), let open = text.lastIndex(of: "[") {
            id = String(text[..<open])
            let digits = text[text.index(after: open)..<text.index(before: text.endIndex)]
            guard let number = Int(digits), number >= 1 else {
                error(node.mark, "'\(text)': a CQE number is 1 or more in brackets (\(id)[1] is its first CQE, \(id)[2] the second)")
                return nil
            }
            reference = number == 1 ? .first : .number(number)
        }
        guard let subject = readSubject(node, inOrder: true, text: id) else { return nil }
        guard reference != .first else { return (subject, reference) }
        guard case .request(let nodeID, _, _) = subject, case .request(let spec) = nodes[nodeID].kind else {
            error(node.mark, "'\(text)': a user_data side of an order means its first CQE; name a request id to pick another CQE")
            return nil
        }
        let zeroCopy = ["send_zc", "send_zc_fixed", "sendmsg_zc"].contains(spec.operation)
        switch reference {
        case .notification where !zeroCopy && spec.operation != "raw":
            error(node.mark, "'\(text)': only a zero-copy send posts a notification CQE, and '\(id)' is \(spec.operation)")
            return nil
        case .number(let number) where !spec.isMultishot && spec.operation != "raw":
            error(node.mark, "'\(text)': '\(id)' (\(spec.operation)) posts one CQE, so it has no CQE \(number)")
            return nil
        default:
            return (subject, reference)
        }
    }

    /// An order that contradicts itself has a cycle: the constraints, plus what is known of one request's
    /// CQEs (its first comes no later than its second…, and its final one last). Reports the first cycle,
    /// with each written constraint in it.
    func checkOrderCycles(_ constraints: [OrderConstraint]) {
        var vertices: [OrderVertex: Int] = [:]
        var names: [OrderVertex] = []
        func vertex(_ subject: ExpectationSubject, _ reference: CQEReference) -> Int {
            let key = OrderVertex(subject: subject, reference: reference)
            if let index = vertices[key] { return index }
            vertices[key] = names.count
            names.append(key)
            return names.count - 1
        }
        // Edges: to, and the constraint written (nil: an edge within one request).
        var successors: [[(to: Int, constraint: Int?)]] = []
        func addEdge(_ from: Int, _ to: Int, _ constraint: Int?) {
            while successors.count < names.count { successors.append([]) }
            successors[from].append((to, constraint))
        }
        for (index, constraint) in constraints.enumerated() {
            let from = vertex(constraint.earlier, constraint.earlierCQE)
            let to = vertex(constraint.later, constraint.laterCQE)
            addEdge(from, to, index)
        }
        var bySubject: [ExpectationSubject: [CQEReference]] = [:]
        for key in names { bySubject[key.subject, default: []].append(key.reference) }
        for (subject, references) in bySubject where references.count > 1 {
            for a in references {
                for b in references where a < b { addEdge(vertex(subject, a), vertex(subject, b), nil) }
            }
        }
        while successors.count < names.count { successors.append([]) }
        var state = [Int](repeating: 0, count: names.count)  // 1: on the current path, 2: done
        for start in names.indices where state[start] == 0 {
            // Iterative depth-first search; `path` holds the edges taken (from, index into successors[from]).
            var stack: [(vertex: Int, next: Int)] = [(start, 0)]
            var path: [(from: Int, edge: Int)] = []
            state[start] = 1
            while let top = stack.last {
                let outgoing = successors[top.vertex]
                if top.next < outgoing.count {
                    stack[stack.count - 1].next += 1
                    let edge = outgoing[top.next]
                    if state[edge.to] == 1 {
                        let cycleStart = path.firstIndex { $0.from == edge.to } ?? path.count
                        let cycle = Array(path[cycleStart...]) + [(top.vertex, top.next)]
                        let written = cycle.compactMap { successors[$0.from][$0.edge].constraint }
                        let text = cycle.map { names[$0.from].description } + [names[edge.to].description]
                        let closing = constraints[written.last!]
                        error(closing.mark, "the order contradicts itself: \(text.joined(separator: " before "))",
                              notes: written.dropLast().map { note(constraints[$0].mark, "'\(constraints[$0].earlier)\(constraints[$0].earlierCQE.suffix)' before '\(constraints[$0].later)\(constraints[$0].laterCQE.suffix)' is required here") })
                        return
                    }
                    if state[edge.to] == 0 {
                        state[edge.to] = 1
                        stack.append((edge.to, 0))
                        path.append((top.vertex, top.next))
                    }
                } else {
                    state[top.vertex] = 2
                    stack.removeLast()
                    if !path.isEmpty { path.removeLast() }
                }
            }
        }
    }
}
