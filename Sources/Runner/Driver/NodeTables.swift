#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Checker
import IoUring
import Planner
import Scenario

/// What the plan says about each node, flattened once into the tables the per-instance path reads.
extension RunDriver {
    /// The per-node tables.
    static func nodeInfo(scenario: Scenario, plan: Plan, events: Bool, fastPaths: Bool) -> ([NodeInfo], [UInt64], [NodeID]) {
        let graph = scenario.graph
        var referenced = [Bool](repeating: false, count: graph.nodes.count)
        func mark(_ reference: RequestReference) {
            if case .request(let node, _, _) = reference, node < referenced.count { referenced[node] = true }
        }
        for node in graph.nodes {
            switch node.kind {
            case .request(let spec):
                for argument in spec.arguments {
                    switch argument.value {
                    case .request(let reference): mark(reference)
                    case .requests(let references): references.forEach(mark)
                    default: break
                    }
                }
            case .control(let step):
                if case .wait(let references, _) = step.action { references.forEach(mark) }
            default: break
            }
        }
        var infos: [NodeInfo] = []
        var strides: [UInt64] = []
        var producers: [NodeID] = []
        let renamesPolls = graph.nodes.contains { node in
            if case .request(let spec) = node.kind { return spec.operation == "poll_update" }
            return false
        }
        let uniqueAutomatic = !scenario.options.allowDuplicateUserData && !renamesPolls
        infos.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            // Registrations and control steps (peer actions included) wait for the captures they use too.
            func withCaptures(_ kind: NodeInfo.Kind) -> NodeInfo {
                var info = NodeInfo(kind: kind)
                let awaited = plan.steps[node.id].awaitedCaptures
                info.awaitsCaptures = !awaited.isEmpty
                info.producerStart = Int32(producers.count)
                info.producerCount = Int32(awaited.count)
                producers += awaited.map(\.producer)
                return info
            }
            switch node.kind {
            case .registration: infos.append(withCaptures(.registration)); continue
            case .control(let step):
                var info = withCaptures(.control)
                if case .submit(let wait) = step.action {
                    info.plainSubmit = step.expected == nil
                    info.submitWait = wait ?? 0
                    info.waitsForCompletions = info.submitWait > 0
                }
                infos.append(info)
                continue
            case .repeatBlock: infos.append(NodeInfo(kind: .repeatBlock)); continue
            case .request(let spec):
                let step = plan.steps[node.id]
                var info = NodeInfo(kind: .request)
                if case .head(_, let length)? = step.chain { info.needed = UInt32(clamping: length) }
                info.awaitsCaptures = !step.awaitedCaptures.isEmpty
                info.producerStart = Int32(producers.count)
                info.producerCount = Int32(step.awaitedCaptures.count)
                producers += step.awaitedCaptures.map(\.producer)
                info.capturesValue = step.capture != nil
                info.isClose = spec.operation == "close"
                info.isPollUpdate = spec.operation == "poll_update"
                info.skipSuccess = spec.flags.contains(.skipSuccess)
                if case .awaited = step.completion {
                    info.awaitMode = plan.openUserData.isEmpty && plan.openInstances[node.id] == nil ? 1 : 2
                }
                info.userDataBase = spec.userData.base
                info.strideStart = Int32(strides.count)
                info.depth = Int32(spec.userData.strides.count)
                strides += spec.userData.strides
                info.referenced = referenced[node.id]
                info.hasID = spec.id != nil
                if let id = spec.id {
                    // The checker names an instance from the id template and its iterations itself, the
                    // same way, when the enclosing blocks' index names are distinct.
                    let names = graph.enclosingBlocks(of: node.id).map { graph.blocks[$0].indexName }
                    info.rendersID = events || (id.isTemplate && Set(names).count != names.count)
                }
                info.templatable = fastPaths && templatable(spec)
                info.uniqueUserData = fastPaths && uniqueAutomatic && !spec.userData.isExplicit
                if info.templatable {
                    for argument in spec.arguments {
                        guard case .randomOffset(let random) = argument.value else { continue }
                        if argument.name == "in_offset" {
                            info.randomAddress = PreparedRandom(random)
                        } else {
                            info.randomOffset = PreparedRandom(random)
                        }
                    }
                }
                infos.append(info)
            }
        }
        return (infos, strides, producers)
    }
}
