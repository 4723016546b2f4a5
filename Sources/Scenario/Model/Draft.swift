extension Scenario {
    /// Whether the scenario states nothing to check: no expectation (under `expect:` or in a step), no
    /// order, no post-condition, no `allow_other_cqes`, no registration or submit step with its own
    /// `expect:`, no `probe` listing ops, no `ring_state`, `check_eventfd` or `check_position` step. Such a scenario is a draft for `ringscript record`; `run` fails it,
    /// so that a golden never recorded cannot pass CI by accident.
    public var hasNothingToCheck: Bool {
        let expectations = self.expectations
        guard expectations.completions.isEmpty, expectations.order.isEmpty, !expectations.allowsOtherCompletions,
              expectations.buffers.isEmpty, expectations.files.isEmpty, expectations.signals.isEmpty else { return false }
        for node in graph.nodes {
            switch node.kind {
            case .registration(let step):
                if step.expectationMark != nil { return false }
                if case .probe(let supported, let unsupported) = step.registration, !supported.isEmpty || !unsupported.isEmpty {
                    return false
                }
            case .control(let step):
                if step.expected != nil || step.action.isCheck { return false }
                if case .ring(.state) = step.action { return false }
            case .request, .repeatBlock:
                continue
            }
        }
        return true
    }
}

extension BufferCondition {
    /// A condition on `buffer` that always holds (`prefix` of nothing): it makes the runner gather the
    /// buffer's bytes, for `ringscript record --contents`.
    public static func gathering(_ buffer: String, mark: SourceMark) -> BufferCondition {
        BufferCondition(buffer: buffer, check: .prefix([]), mark: mark)
    }
}

extension FileCondition {
    /// A condition on `path` that always holds: it makes the runner gather the path's state and content,
    /// for `ringscript record --contents`.
    public static func gathering(_ path: String, resource: String?, mark: SourceMark) -> FileCondition {
        FileCondition(path: path, resource: resource, exists: nil, type: nil, size: nil, content: .prefix([]), mark: mark,
                      gathersContent: true)
    }
}
