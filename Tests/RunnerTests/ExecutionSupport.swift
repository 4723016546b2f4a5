import Checker
import IoUring
import Planner
import Scenario
import Testing
@testable import Runner

/// Keeps every trace event, for small scenarios.
final class RecordingObserver: TraceObserver {
    private(set) var events: [TraceEvent] = []

    func observe(_ event: TraceEvent) { events.append(event) }

    /// CQEs before the teardown event, in arrival order.
    var checkedCompletions: [ObservedCQE] {
        var result: [ObservedCQE] = []
        for event in events {
            if case .teardown = event { break }
            if case .completed(let cqe) = event { result.append(cqe) }
        }
        return result
    }

    /// CQEs after the teardown event.
    var teardownCompletions: [ObservedCQE] {
        var result: [ObservedCQE] = []
        var afterTeardown = false
        for event in events {
            if case .teardown = event { afterTeardown = true }
            if afterTeardown, case .completed(let cqe) = event { result.append(cqe) }
        }
        return result
    }

    var queued: [QueuedRequest] {
        events.compactMap { if case .queued(let request) = $0 { return request } else { return nil } }
    }

    var enters: [EnterCall] {
        events.compactMap { if case .entered(let call) = $0 { return call } else { return nil } }
    }

    var controlSummaries: [String] {
        events.compactMap { if case .controlled(_, _, let summary, _) = $0 { return summary } else { return nil } }
    }

    var registrations: [RegistrationOutcome] {
        events.compactMap { if case .registered(let outcome) = $0 { return outcome } else { return nil } }
    }

    /// The user_data → id map the queued events give.
    var ids: [UInt64: String] {
        var map: [UInt64: String] = [:]
        for request in queued { map[request.userData] = request.id }
        return map
    }

    /// `id: res` for each checked CQE, in arrival order.
    var results: [String] {
        let ids = self.ids
        return checkedCompletions.map { "\(ids[$0.cqe.userData] ?? String($0.cqe.userData)): \(ResultText.describe($0.cqe.res))" }
    }
}

/// Counts events without keeping them, for long scenarios.
final class CountingObserver: TraceObserver {
    var queued = 0
    var completed = 0
    var entered = 0
    var lastArrival = -1

    func observe(_ event: TraceEvent) {
        switch event {
        case .queued: queued += 1
        case .completed(let cqe):
            completed += 1
            lastArrival = cqe.arrival
        case .entered: entered += 1
        default: break
        }
    }
}

enum ResultText {
    static func describe(_ res: Int32) -> String { res < 0 && res > -4096 ? "-" + Errno(rawValue: -res).name : String(res) }
}

/// Loads, plans and runs a scenario.
@discardableResult
func execute(_ yaml: String, file: String = "test.yaml", options: ExecutionOptions = ExecutionOptions(),
             observer: any TraceObserver = RecordingObserver(),
             configure: (inout ScenarioExecution) -> Void = { _ in }) throws -> ExecutionResult {
    let scenario = try ScenarioLoader.load(yaml, file: file).get()
    let plan = try Planner.plan(scenario).get()
    var execution = ScenarioExecution(scenario: scenario, plan: plan, options: options, observer: observer)
    configure(&execution)
    return execution.run()
}

extension ExecutionResult {
    var facts: PostRunFacts? {
        if case .ran(let facts, _) = outcome { return facts }
        return nil
    }

    var ending: RunEnding? {
        if case .ran(_, let ending) = outcome { return ending }
        return nil
    }
}
