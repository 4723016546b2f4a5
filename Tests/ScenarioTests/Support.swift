import Foundation
import Testing
@testable import Scenario

/// Where the fixtures live in the source tree (tests read them from there, so goldens can be rewritten).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Set RINGSCRIPT_UPDATE_GOLDENS=1 to rewrite `.graph` / `.expected` files from the current output
    /// (then review the diff: a golden is only as good as the reading it got).
    static let updateGoldens = ProcessInfo.processInfo.environment["RINGSCRIPT_UPDATE_GOLDENS"] == "1"

    static func names(in folder: String) -> [String] {
        let url = directory.appendingPathComponent(folder)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func text(_ folder: String, _ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(folder).appendingPathComponent(file), encoding: .utf8)
    }

    static func write(_ text: String, _ folder: String, _ file: String) throws {
        try text.write(to: directory.appendingPathComponent(folder).appendingPathComponent(file), atomically: true, encoding: .utf8)
    }

    static let validNames = names(in: "valid")
    static let invalidNames = names(in: "invalid")
}

/// Loads scenario text, failing the test with the rendered diagnostics if it is invalid.
func load(_ text: String, file: String = "test.yaml", options: LoadOptions = LoadOptions(),
          sourceLocation: SourceLocation = #_sourceLocation) throws -> Scenario {
    switch ScenarioLoader.load(text, file: file, options: options) {
    case .success(let scenario):
        return scenario
    case .failure(let list):
        let rendered = DiagnosticRenderer(sources: [file: text]).render(list.diagnostics)
        Issue.record("unexpected diagnostics:\n\(rendered)", sourceLocation: sourceLocation)
        throw list
    }
}

/// The rendered diagnostics for invalid text ("valid" if there are none).
func diagnostics(_ text: String, file: String = "test.yaml", options: LoadOptions = LoadOptions()) -> String {
    switch ScenarioLoader.load(text, file: file, options: options) {
    case .success: return "valid"
    case .failure(let list): return DiagnosticRenderer(sources: [file: text]).render(list.diagnostics)
    }
}

extension Scenario {
    /// The node whose request id is `id`.
    func node(_ id: String) -> Node? {
        graph.nodes.first { node in
            if case .request(let request) = node.kind { return request.id?.description == id }
            return false
        }
    }

    func request(_ id: String) -> RequestSpec? {
        guard let node = node(id), case .request(let request) = node.kind else { return nil }
        return request
    }

    func expectation(_ subject: String) -> CompletionExpectation? {
        expectations.completions.first { $0.subject.description == subject }
    }
}
