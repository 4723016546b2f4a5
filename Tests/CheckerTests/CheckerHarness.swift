import IoUring
import Scenario
import Testing
@testable import Checker

/// Feeds an `ExpectationChecker` the events a runner would send for a scenario, without a kernel:
/// instances are queued by id (or all in execution order) and CQEs are made up by the test.
final class CheckerHarness {
    let scenario: Scenario
    let checker: ExpectationChecker
    private(set) var arrival = 0

    init(_ yaml: String, file: String = "t.yaml", sourceLocation: SourceLocation = #_sourceLocation) throws {
        switch ScenarioLoader.load(yaml, file: file) {
        case .success(let scenario): self.scenario = scenario
        case .failure(let list):
            let text = DiagnosticRenderer(sources: [file: yaml]).render(list.diagnostics)
            Issue.record("scenario does not load:\n\(text)", sourceLocation: sourceLocation)
            throw list
        }
        checker = ExpectationChecker(scenario: scenario)
    }

    /// The request node whose id (template, as written) is `id`.
    func node(_ id: String) -> NodeID {
        scenario.graph.nodes.first { scenario.graph.request($0.id)?.id?.description == id }!.id
    }

    func userData(_ node: NodeID, _ iterations: [Int] = []) -> UInt64 {
        scenario.graph.request(node)!.userData.value(iterations: iterations)
    }

    /// Queues one instance of a request, as the runner reports it.
    func queue(_ node: NodeID, _ iterations: [Int] = [], id: String? = nil, flags extra: SubmissionFlags = []) {
        let spec = scenario.graph.request(node)!
        var sqe = RawSQE(opcode: spec.opcodeValue)
        sqe.flags = spec.flags.union(extra).rawValue
        let userData = spec.userData.value(iterations: iterations)
        sqe.userData = userData
        if case .request(.request(let target, let targetIterations, _))? = spec.arguments["target"] {
            var its: [Int] = []
            if case .instance(let indices) = targetIterations { its = indices }
            sqe.addr = scenario.graph.request(target)!.userData.value(iterations: its)
        }
        var resolved = id
        if resolved == nil, let template = spec.id {
            let blocks = scenario.graph.enclosingBlocks(of: node)
            var values: [String: Int] = [:]
            for (block, value) in zip(blocks, iterations) { values[scenario.graph.blocks[block].indexName] = value }
            resolved = template.resolved(values)
        }
        checker.observe(.queued(QueuedRequest(node: node, iterations: iterations, id: resolved, userData: userData,
                                              sqe: sqe, elapsed: .microseconds(10))))
    }

    func queue(_ id: String, _ iterations: [Int] = []) { queue(node(id), iterations) }

    /// Queues every request instance in execution order; registration steps report `registrationResult`.
    func queueAll(registrationResult: Int32 = 0) {
        for instance in scenario.graph.instances {
            switch scenario.graph.nodes[instance.node].kind {
            case .request: queue(instance.node, instance.iterations)
            case .registration:
                checker.observe(.registered(RegistrationOutcome(node: instance.node, iterations: instance.iterations,
                                                                result: registrationResult, elapsed: .microseconds(20))))
            default: break
            }
        }
    }

    /// Reaps a made-up CQE.
    func complete(userData: UInt64, res: Int32, flags: UInt32 = 0, data: [UInt8]? = nil) {
        checker.observe(.completed(ObservedCQE(cqe: CompletionQueueEntry(userData: userData, res: res, flags: CompletionFlags(rawValue: flags)),
                                               arrival: arrival, elapsed: .microseconds(100 + 10 * Int64(arrival)), data: data)))
        arrival += 1
    }

    func complete(_ id: String, _ iterations: [Int] = [], res: Int32, flags: UInt32 = 0, data: [UInt8]? = nil) {
        complete(userData: userData(node(id), iterations), res: res, flags: flags, data: data)
    }

    func teardown(deadlineExpired: Bool = false) {
        checker.observe(.teardown(deadlineExpired: deadlineExpired, elapsed: .milliseconds(3)))
    }

    func finish(_ facts: PostRunFacts = PostRunFacts(), deadlineExpired: Bool = false) -> ScenarioOutcome {
        checker.finish(facts: facts, ending: RunEnding(deadlineExpired: deadlineExpired, duration: .milliseconds(3)))
    }

    /// The text report of `finish`.
    func report(_ facts: PostRunFacts = PostRunFacts(), deadlineExpired: Bool = false) -> String {
        TextReporter(useColor: false).render(finish(facts, deadlineExpired: deadlineExpired))
    }
}

/// CQE flag bits for tests.
let more: UInt32 = 0x2
let bufferFlag: UInt32 = 0x1
let notif: UInt32 = 0x8
func buffer(_ id: UInt16) -> UInt32 { bufferFlag | UInt32(id) << 16 }
