import IoUring

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

    /// One kernel opcode (`IORING_OP_*` of the 6.18 UAPI): the typed ops that issue it and the scenario
    /// files whose requests carry it (typed or `raw`).
    public struct OpcodeEntry: Sendable, Equatable {
        public var opcode: Opcode
        /// Op-table names that issue this opcode (`read` issues IORING_OP_READ and, with `iovecs`, READV).
        public var typedOps: [String]
        public var files: [String]

        public var isCovered: Bool { !typedOps.isEmpty && !files.isEmpty }
    }

    /// Every op and registration step, in op-table order.
    public var entries: [Entry]
    /// Every kernel opcode, in opcode order.
    public var opcodes: [OpcodeEntry] = []
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

    /// The kernel opcodes without a typed op or without a scenario, in opcode order.
    public var uncoveredOpcodes: [OpcodeEntry] { opcodes.filter { !$0.isCovered } }

    /// The op-table names that issue each kernel opcode.
    public static func typedOps(of opcode: Opcode) -> [String] {
        OpTable.operations.filter { !$0.isRaw && ($0.opcode == opcode || $0.opcodeVariant?.opcode == opcode) }.map(\.name)
    }

    /// Every kernel opcode with its typed ops and no files, for `ringscript ops`.
    static func opcodeEntries(files: [UInt8: [String]] = [:]) -> [OpcodeEntry] {
        Opcode.allCases.map { OpcodeEntry(opcode: $0, typedOps: typedOps(of: $0), files: files[$0.rawValue] ?? []) }
    }

    /// Counts the scenario files under `paths` (files, or directories searched for .yaml) using each step.
    public static func measure(paths: [String], options: LoadOptions = LoadOptions()) -> OpCoverage {
        let report = ScenarioChecker.check(paths: paths, options: options)
        var users: [String: [String]] = [:]
        var opcodeUsers: [UInt8: [String]] = [:]
        var count = 0
        for file in report.files {
            guard let scenario = file.scenario else { continue }
            count += 1
            for name in stepNames(of: scenario) { users[name, default: []].append(file.path) }
            for opcode in opcodeValues(of: scenario).sorted() { opcodeUsers[opcode, default: []].append(file.path) }
        }
        return OpCoverage(entries: coverable.map { Entry(spec: $0, files: users[$0.name] ?? []) },
                          opcodes: opcodeEntries(files: opcodeUsers),
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

    /// The kernel opcodes a scenario's requests carry (the SQE's opcode byte, `raw` ones included).
    public static func opcodeValues(of scenario: Scenario) -> Set<UInt8> {
        var values: Set<UInt8> = []
        for node in scenario.graph.nodes {
            if case .request(let request) = node.kind { values.insert(request.opcodeValue) }
        }
        return values
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
            lines.append("")
            lines += opcodeLines()
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension OpCoverage {
    /// The kernel opcodes of a coverage run: opcode, typed ops, files (or what is missing), then a summary
    /// and the list of the opcodes without a typed op or a scenario.
    func opcodeLines() -> [String] {
        let nameWidth = opcodes.map(\.opcode.kernelName.count).max() ?? 0
        let opsWidth = opcodes.map { $0.typedOps.isEmpty ? 8 : $0.typedOps.joined(separator: ", ").count }.max() ?? 0
        var lines: [String] = []
        for entry in opcodes {
            let typed = entry.typedOps.isEmpty ? "NO TYPED OP" : entry.typedOps.joined(separator: ", ")
            let count = entry.files.count
            let files = count == 0 ? "NO SCENARIO" : "\(count) file\(count == 1 ? "" : "s")"
            lines.append((entry.opcode.kernelName.padding(nameWidth) + "  " + typed.padding(opsWidth) + "  " + files).trailingSpacesRemoved)
        }
        let missing = uncoveredOpcodes
        lines.append("\(opcodes.count - missing.count) of \(opcodes.count) kernel opcodes (IORING_OP_*, Linux 6.18) have a typed op and a scenario")
        if !missing.isEmpty {
            let described = missing.map { entry -> String in
                var lacks: [String] = []
                if entry.typedOps.isEmpty { lacks.append("no typed op") }
                if entry.files.isEmpty { lacks.append("no scenario") }
                return "\(entry.opcode.kernelName) (\(lacks.joined(separator: ", ")))"
            }
            lines.append("kernel opcodes without a typed op or a scenario: " + described.joined(separator: ", "))
        }
        return lines
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
