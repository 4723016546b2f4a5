#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring

/// What `ringscript check` found: each file's scenario or diagnostics, and how long loading took.
public struct CheckReport: Sendable {
    public struct FileResult: Sendable {
        public var path: String
        public var text: String
        public var scenario: Scenario?
        public var diagnostics: [Diagnostic]
        /// Parsing the YAML and building and validating the model: one figure, as the steps are validated
        /// while the rest of the document is parsed (`ScenarioLoader.load`).
        public var loadDuration: Duration
        /// Planning the valid scenario, when the caller planned it (`check --timing`).
        public var planDuration: Duration?
    }

    public var files: [FileResult]

    public init(files: [FileResult]) { self.files = files }

    public var isValid: Bool { files.allSatisfy { $0.scenario != nil } }
    /// 0 when every scenario is valid, 2 otherwise (1 is left for failed runs).
    public var exitCode: Int32 { isValid ? 0 : 2 }
    public var diagnostics: [Diagnostic] { files.flatMap(\.diagnostics) }

    /// Every diagnostic in compiler form with the offending line and caret, then the summary line.
    public var renderedDiagnostics: String {
        let diagnostics = self.diagnostics
        if diagnostics.isEmpty { return DiagnosticRenderer.summary(of: []) }
        var sources: [String: String] = [:]
        for file in files where !file.diagnostics.isEmpty && !file.text.isEmpty { sources[file.path] = file.text }
        return DiagnosticRenderer(sources: sources).render(diagnostics)
    }

    /// One line per file: how long loading (parsing and validation, overlapped) and planning (when timed)
    /// took, and how big the scenario is.
    public var timingLines: [String] {
        files.map { file in
            let steps = file.scenario?.graph.nodes.count ?? 0
            let requests = file.scenario?.graph.requestCount ?? 0
            let plan = file.planDuration.map { ", plan \(CheckReport.milliseconds($0)) ms" } ?? ""
            let total = file.loadDuration + (file.planDuration ?? .zero)
            return "\(file.path): load (parse + validate) \(CheckReport.milliseconds(file.loadDuration)) ms\(plan), total \(CheckReport.milliseconds(total)) ms (\(steps) steps, \(requests) SQEs)"
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = (Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10
        return String(tenths.rounded() / 10)
    }
}

/// Checks scenario files without a ring: parse, build the model, validate.
public enum ScenarioChecker {
    /// Checks every file named, and every `.yaml` / `.yml` file under each directory named (`ScenarioFiles`).
    public static func check(paths: [String], options: LoadOptions = LoadOptions()) -> CheckReport {
        var results: [CheckReport.FileResult] = []
        let listing = ScenarioFiles.find(paths)
        for problem in listing.problems {
            results.append(CheckReport.FileResult(path: problem.path, text: "", scenario: nil,
                                                  diagnostics: [Diagnostic(at: SourceMark(file: problem.path, line: 1, column: 1), "cannot read '\(problem.path)': \(problem.errno.name) (\(problem.errno.message))")],
                                                  loadDuration: .zero))
        }
        for path in listing.files {
            switch ScenarioFileReader.read(path, limits: options.limits) {
            case .success(let text):
                results.append(check(text: text, file: path, options: options))
            case .failure(let failure):
                results.append(CheckReport.FileResult(path: path, text: failure.displayText, scenario: nil,
                                                      diagnostics: [failure.diagnostic], loadDuration: .zero))
            }
        }
        return CheckReport(files: results)
    }

    /// Checks one scenario's text; `file` names it in diagnostics.
    public static func check(text: String, file: String, options: LoadOptions = LoadOptions()) -> CheckReport.FileResult {
        let clock = ContinuousClock()
        let start = clock.now
        let loaded = ScenarioLoader.load(text, file: file, options: options)
        var result = CheckReport.FileResult(path: file, text: text, scenario: nil, diagnostics: [], loadDuration: clock.now - start)
        switch loaded {
        case .success(let scenario): result.scenario = scenario
        case .failure(let list): result.diagnostics = list.diagnostics
        }
        return result
    }
}
