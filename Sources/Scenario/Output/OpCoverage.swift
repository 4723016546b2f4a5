/// Which scenario files use each SQE operation and registration step of the op table: what
/// `ringscript ops --coverage DIR` prints, and what the test suite holds the corpus to.
public struct OpCoverage: Sendable {
    /// One op or registration step and the scenario files (paths as found) whose steps use it.
    public struct Entry: Sendable, Equatable {
        public var spec: StepSpec
        public var files: [String]

        /// `op` or `registration`.
        public var kind: String { spec.opcode == nil ? "registration" : "op" }
    }

    /// Every op and registration step, in op-table order.
    public var entries: [Entry]
    /// Scenario files that did not load, with their diagnostics: their steps are not counted.
    public var invalid: [CheckReport.FileResult]
    /// How many valid scenario files were read.
    public var scenarioCount: Int

    /// The steps that can be covered: every SQE operation and every registration of the op table
    /// (control steps are the runner's own, not the kernel's).
    public static var coverable: [StepSpec] { OpTable.operations + OpTable.registrations }

    /// `ringscript ops` without a directory: every op and registration, nothing counted.
    public static var table: String {
        OpCoverage(entries: coverable.map { Entry(spec: $0, files: []) }, invalid: [], scenarioCount: 0).text(withCounts: false)
    }

    /// The names no scenario uses, in op-table order.
    public var uncovered: [String] { entries.filter { $0.files.isEmpty }.map(\.spec.name) }

    /// Counts the scenario files under `paths` (files, or directories searched for .yaml) using each step.
    public static func measure(paths: [String], options: LoadOptions = LoadOptions()) -> OpCoverage {
        let report = ScenarioChecker.check(paths: paths, options: options)
        var users: [String: [String]] = [:]
        var count = 0
        for file in report.files {
            guard let scenario = file.scenario else { continue }
            count += 1
            for name in stepNames(of: scenario) { users[name, default: []].append(file.path) }
        }
        return OpCoverage(entries: coverable.map { Entry(spec: $0, files: users[$0.name] ?? []) },
                          invalid: report.files.filter { $0.scenario == nil }, scenarioCount: count)
    }

    /// The op and registration step names a scenario uses, repeat bodies included, each once.
    public static func stepNames(of scenario: Scenario) -> Set<String> {
        var names: Set<String> = []
        for node in scenario.graph.nodes {
            switch node.kind {
            case .request(let request): names.insert(request.operation)
            case .registration(let step): names.insert(step.registration.stepName)
            case .control, .repeatBlock: break
            }
        }
        return names
    }

    /// The op table as `ringscript ops` prints it: name, kind and kernel name, one step per line; with the
    /// counts of a coverage run, how many scenario files use each and a closing summary.
    public func text(withCounts: Bool) -> String {
        let nameWidth = entries.map(\.spec.name.count).max() ?? 0
        let kernelWidth = entries.map(\.spec.kernelName.count).max() ?? 0
        var lines: [String] = []
        for entry in entries {
            var line = entry.spec.name.padding(nameWidth) + "  " + entry.kind.padding(12) + "  "
            if withCounts {
                let count = entry.files.count
                line += entry.spec.kernelName.padding(kernelWidth) + "  " + (count == 0 ? "NO SCENARIO" : "\(count) file\(count == 1 ? "" : "s")")
            } else {
                line += entry.spec.kernelName
            }
            lines.append(line.trailingSpacesRemoved)
        }
        if withCounts {
            let covered = entries.count - uncovered.count
            var summary = "\(covered) of \(entries.count) ops and registrations have a scenario (\(scenarioCount) scenario file\(scenarioCount == 1 ? "" : "s") read)"
            if !invalid.isEmpty { summary += "; \(invalid.count) invalid file\(invalid.count == 1 ? "" : "s") not counted" }
            lines.append(summary)
            if !uncovered.isEmpty { lines.append("without a scenario: " + uncovered.joined(separator: ", ")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }

    var trailingSpacesRemoved: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
