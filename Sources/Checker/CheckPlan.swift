import IoUring
import Scenario

/// A scenario's expectations indexed for checking: for every queued request instance, the expectations
/// and order constraints it is subject to are found in O(1), whatever the number of iterations.
struct CheckPlan {
    let graph: ScenarioGraph
    let expectations: [CompletionExpectation]
    /// What each expectation is called in reports: `r{i}`, `r3`, `user_data 4096`.
    let labels: [String]
    /// Whether the expectation lets its request end the run without a final CQE
    /// (`completes: false`, or a stream with `final: none`).
    let relaxes: [Bool]
    /// Per node: its `.each` expectations (every instance).
    let eachExpectations: [[Int]]
    /// Per node: the expectations of single instances, by their iterations.
    let instanceExpectations: [NodeID: [[Int]: [Int]]]
    /// Expectations whose subject is a user_data number: every CQE with it.
    let userDataExpectations: [UInt64: [Int]]
    /// user_data numbers that requests give explicitly.
    let explicitUserData: Set<UInt64>

    let orders: [OrderRule]
    /// Per node: the order constraints a side of which names the node.
    let orderRoles: [[OrderRole]]
    /// Order constraints with a user_data side, by that number.
    let userDataOrderRoles: [UInt64: [OrderRole]]

    /// Per node: the iteration counts of its enclosing repeat blocks (outermost first), and their index names.
    let blockCounts: [[Int]]
    let indexNames: [[String]]
    /// Per node: how many instances one run issues.
    let instanceCounts: [UInt64]
    /// Per node: whether it is an IORING_OP_LINK_TIMEOUT request (`link_timeout`, or `raw` with that
    /// opcode), which a link chain's proof of its silent members passes over (it is armed beside the
    /// request before it, so its CQE proves nothing).
    let isLinkTimeout: [Bool]
    /// Whether some request may be an IOSQE_CQE_SKIP_SUCCESS member of a link chain (or is `raw`, whose
    /// flags are its own): the first CQE of a later member then proves it done, which the checker sees
    /// only through that member's record (so no request is tracked densely).
    let linksSilentRequests: Bool

    init(_ scenario: Scenario) {
        let graph = scenario.graph
        self.graph = graph
        let nodeCount = graph.nodes.count
        var blockCounts: [[Int]] = []
        var indexNames: [[String]] = []
        var instanceCounts: [UInt64] = []
        var explicitUserData: Set<UInt64> = []
        var isLinkTimeout: [Bool] = []
        var linksSilentRequests = false
        for node in graph.nodes {
            let spec = graph.request(node.id)
            isLinkTimeout.append(spec?.opcodeValue == Opcode.linkTimeout.rawValue)
            if let spec, spec.operation == "raw"
                || (spec.flags.contains(.skipSuccess) && !spec.flags.isDisjoint(with: [.link, .hardlink])) {
                linksSilentRequests = true
            }
            let blocks = graph.enclosingBlocks(of: node.id)
            let counts = blocks.map { graph.blocks[$0].count }
            blockCounts.append(counts)
            indexNames.append(blocks.map { graph.blocks[$0].indexName })
            var total: UInt64 = 1
            for count in counts {
                let (product, overflow) = total.multipliedReportingOverflow(by: UInt64(count))
                total = overflow ? .max : product
            }
            instanceCounts.append(total)
            if let spec, spec.userData.isExplicit { explicitUserData.insert(spec.userData.base) }
        }
        self.isLinkTimeout = isLinkTimeout
        self.linksSilentRequests = linksSilentRequests
        self.blockCounts = blockCounts
        self.indexNames = indexNames
        self.instanceCounts = instanceCounts
        self.explicitUserData = explicitUserData

        let expectations = scenario.expectations.completions
        self.expectations = expectations
        var labels: [String] = []
        var relaxes: [Bool] = []
        var each = [[Int]](repeating: [], count: nodeCount)
        var instances: [NodeID: [[Int]: [Int]]] = [:]
        var byUserData: [UInt64: [Int]] = [:]
        for (index, expectation) in expectations.enumerated() {
            labels.append(CheckPlan.label(expectation.subject))
            var relaxed = !expectation.completes
            if case .absent? = expectation.stream?.final { relaxed = true }
            if expectation.stream?.cqes?.isOpenEnded == true { relaxed = true }
            relaxes.append(relaxed)
            switch expectation.subject {
            case .request(let node, .each, _): each[node].append(index)
            case .request(let node, .instance(let iterations), _): instances[node, default: [:]][iterations, default: []].append(index)
            case .userData(let value): byUserData[value, default: []].append(index)
            }
        }
        self.labels = labels
        self.relaxes = relaxes
        self.eachExpectations = each
        self.instanceExpectations = instances
        self.userDataExpectations = byUserData

        var orders: [OrderRule] = []
        var roles = [[OrderRole]](repeating: [], count: nodeCount)
        var userDataRoles: [UInt64: [OrderRole]] = [:]
        for constraint in scenario.expectations.order {
            let earlier = OrderRule.Side(constraint.earlier)
            let later = OrderRule.Side(constraint.later)
            var depth = 0
            if case .node(let first, nil) = earlier, case .node(let second, nil) = later {
                let a = graph.enclosingBlocks(of: first)
                let b = graph.enclosingBlocks(of: second)
                while depth < min(a.count, b.count), a[depth] == b[depth] { depth += 1 }
            }
            let rule = orders.count
            orders.append(OrderRule(constraint: constraint, earlier: earlier, later: later, sharedDepth: depth))
            for (side, isEarlier) in [(earlier, true), (later, false)] {
                switch side {
                case .node(let node, let instance):
                    let cqe = isEarlier ? constraint.earlierCQE : constraint.laterCQE
                    roles[node].append(OrderRole(rule: rule, isEarlier: isEarlier, instance: instance, cqe: cqe))
                case .userData(let value):
                    userDataRoles[value, default: []].append(OrderRole(rule: rule, isEarlier: isEarlier, instance: nil))
                }
            }
        }
        self.orders = orders
        self.orderRoles = roles
        self.userDataOrderRoles = userDataRoles
    }

    /// `r{i}`, `r3`, or `user_data 4096`.
    static func label(_ subject: ExpectationSubject) -> String {
        switch subject {
        case .request(_, _, let written): return written
        case .userData(let value): return "user_data \(value)"
        }
    }

    /// What an instance is called: its resolved id, or the op and line with the iteration indices.
    func name(node: NodeID, iterations: [Int], id: String?) -> String {
        if let id { return id }
        let spec = graph.request(node)
        if let template = spec?.id {
            var values: [String: Int] = [:]
            for (name, value) in zip(indexNames[node], iterations) { values[name] = value }
            return template.resolved(values)
        }
        var text = "\(spec?.operation ?? "step") at line \(graph.nodes[node].mark.line)"
        if !iterations.isEmpty {
            text += " [" + zip(indexNames[node], iterations).map { "\($0)=\($1)" }.joined(separator: ", ") + "]"
        }
        return text
    }

    /// The request node and iterations whose automatic (or explicit) user_data is `value`, if any.
    func request(withUserData value: UInt64) -> (node: NodeID, iterations: [Int])? {
        for node in graph.nodes {
            guard let spec = graph.request(node.id) else { continue }
            let rule = spec.userData
            if rule.isExplicit {
                if rule.base == value { return (node.id, blockCounts[node.id].map { _ in 0 }) }
                continue
            }
            guard value >= rule.base else { continue }
            var rest = value - rule.base
            var iterations: [Int] = []
            for (stride, count) in zip(rule.strides, blockCounts[node.id]) {
                let iteration = stride == 0 ? 0 : rest / stride
                guard iteration < UInt64(count) else { break }
                iterations.append(Int(iteration))
                rest -= iteration * stride
            }
            if rest == 0, iterations.count == blockCounts[node.id].count { return (node.id, iterations) }
        }
        return nil
    }
}

/// A side of an order constraint and the role an instance plays in it.
struct OrderRole: Hashable {
    let rule: Int
    let isEarlier: Bool
    /// For a side naming one instance of a repeated request: its iterations.
    let instance: [Int]?
    /// Which of the instance's CQEs the side means (OrderReferences.swift).
    var cqe: CQEReference = .first
}

/// An order constraint, resolved: `earlier`'s first CQE before `later`'s. When both sides are every
/// iteration of requests in the same repeat blocks, the constraint holds per shared iteration
/// (`a{i}` before `b{i}`); otherwise every instance of `earlier` comes before every instance of `later`.
struct OrderRule {
    enum Side {
        /// A request: every instance, or the one at `instance`.
        case node(NodeID, instance: [Int]?)
        /// Every CQE with this user_data.
        case userData(UInt64)

        init(_ subject: ExpectationSubject) {
            switch subject {
            case .request(let node, .each, _): self = .node(node, instance: nil)
            case .request(let node, .instance(let iterations), _): self = .node(node, instance: iterations)
            case .userData(let value): self = .userData(value)
            }
        }
    }

    let constraint: OrderConstraint
    let earlier: Side
    let later: Side
    /// How many enclosing repeat blocks the sides share (only when both are `.each`).
    let sharedDepth: Int
}
