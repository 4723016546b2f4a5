import Foundation
import Testing
@testable import Scenario

/// Big documents are scanned on a second thread and their steps validated while parsing goes on
/// (`EventStream`, `ScenarioLoader.load`). These tests hold that path to the result of parsing the whole
/// tree first and validating it after (`load(_ root:)`), scenario and diagnostics alike.
@Suite struct StreamingLoadTests {
    /// The whole tree first, then the model: the reference the streamed load must agree with.
    func loadWholeTree(_ text: String, file: String = "s.yaml") -> Result<Scenario, DiagnosticList> {
        switch YAMLParser.parse(text, file: file) {
        case .success(let root): return ScenarioLoader.load(root, file: file)
        case .failure(let list): return .failure(list)
        }
    }

    func rendered(_ result: Result<Scenario, DiagnosticList>, _ text: String) -> String {
        switch result {
        case .success: return "valid"
        case .failure(let list): return DiagnosticRenderer(sources: ["s.yaml": text]).render(list.diagnostics)
        }
    }

    @Test func aBigScenarioIsScannedOnASecondThreadAndLoadsAsTheWholeTreeDoes() throws {
        let text = SyntheticScenario.text(requests: 6000)
        #expect(text.utf8.count >= EventStream.threadedThreshold, "the text must be big enough to take the threaded path")
        let streamed = try ScenarioLoader.load(text, file: "s.yaml").get()
        let whole = try loadWholeTree(text).get()
        #expect(streamed == whole)
        #expect(streamed.graph.requestCount == 6000)
    }

    @Test func stepErrorsFoundWhileStreamingMatchTheWholeTreeLoad() {
        // Errors late in a big file: an unknown resource, an id used twice, an unknown expectation id.
        var text = SyntheticScenario.text(requests: 5000)
        text = text.replacingOccurrences(of: "id: s4000\n", with: "id: s1\n")
        text = text.replacingOccurrences(of: "  - read: { fd: data, buf: buf, len: 16, offset: 0 }\n    id: s4998\n",
                                          with: "  - read: { fd: nothere, buf: buf, len: 16, offset: 0 }\n    id: s4998\n")
        let streamed = rendered(ScenarioLoader.load(text, file: "s.yaml"), text)
        #expect(streamed == rendered(loadWholeTree(text), text))
        #expect(streamed.contains("duplicate id 's1'"))
        #expect(streamed.contains("'nothere'"))
    }

    @Test func keysAfterTheStepsAreReadAsIfTheyCameFirst() throws {
        // `resources` after `steps`: the steps cannot be validated as they stream, so the tree is read whole.
        let text = """
        name: resources after steps
        steps:
          - read: { fd: data, buf: buf, len: 4, offset: 0 }
            id: r
        resources:
          data: { file: { content: "abcd" } }
          buf: { buffer: { size: 8 } }
        expect:
          r: { res: 4 }
        """
        let scenario = try ScenarioLoader.load(text, file: "s.yaml").get()
        #expect(scenario == (try loadWholeTree(text).get()))
        #expect(scenario.resources.count == 2)
    }

    @Test func emptyAndMergedStepListsAreReportedAsBefore() {
        let empty = "name: x\nsteps: []\n"
        #expect(rendered(ScenarioLoader.load(empty, file: "s.yaml"), empty) == rendered(loadWholeTree(empty), empty))
        #expect(rendered(ScenarioLoader.load(empty, file: "s.yaml"), empty).hasPrefix("s.yaml:2:8: error: 'steps' is empty"))
        let merged = """
        base: &base { name: merged }
        <<: *base
        steps:
          - nop
        """
        #expect(rendered(ScenarioLoader.load(merged, file: "s.yaml"), merged) == rendered(loadWholeTree(merged), merged))
    }

    @Test func aSyntaxErrorDeepInABigFileIsReportedFromTheScanningThread() {
        var text = SyntheticScenario.text(requests: 6000)
        text = text.replacingOccurrences(of: "  - nop: {}\n    id: s5000\n", with: "  - nop: {\n    id: s5000\n")
        let result = rendered(ScenarioLoader.load(text, file: "s.yaml"), text)
        #expect(result == rendered(loadWholeTree(text), text))
        #expect(result.contains("error: invalid YAML"))
    }

    @Test func theParserHandsOverEachTopLevelStepAsItCompletesInChunksOfTheirOwn() throws {
        final class Recorder: StepStreamObserver {
            var headerKeys: [String] = []
            var steps: [Int] = []
            var largestDocument = 0
            func stepsWillStart(rootMark: SourceMark, before: [YAMLPair], list: SourceMark) {
                headerKeys = before.compactMap(\.key.scalar)
            }
            func step(_ node: YAMLNode) {
                steps.append(node.mark.line)
                largestDocument = max(largestDocument, node.document.records.count)
            }
        }
        let recorder = Recorder()
        let text = SyntheticScenario.text(requests: 6000)
        let root = try YAMLParser.parse(text, file: "s.yaml", stepObserver: recorder).get()
        #expect(recorder.headerKeys == ["name", "ring", "resources"])
        #expect(recorder.steps.count == 6000 + 6000 / 64)
        let whole = try YAMLParser.parse(text, file: "s.yaml").get()
        #expect(recorder.steps == whole["steps"]?.sequence?.map(\.mark.line))
        // Steps come in documents of a chunk each, and the returned tree keeps an empty list.
        #expect(recorder.largestDocument < 20 * 256)
        #expect(root["steps"]?.sequence?.isEmpty == true)
        #expect(root["expect"]?["order"]?.sequence?.count == 1000)
    }

    @Test func anAliasToAnAnchorInAnEarlierChunkIsACopyOfIt() throws {
        var text = SyntheticScenario.text(requests: 6000)
        text = text.replacingOccurrences(of: "  - read: { fd: data, buf: buf, len: 16, offset: 0 }\n    id: s3000\n",
                                          with: "  - read: &args { fd: data, buf: buf, len: 16, offset: 0 }\n    id: s3000\n")
        text = text.replacingOccurrences(of: "  - read: { fd: data, buf: buf, len: 16, offset: 0 }\n    id: s5997\n",
                                          with: "  - read: *args\n    id: s5997\n")
        let streamed = try ScenarioLoader.load(text, file: "s.yaml").get()
        #expect(streamed == (try loadWholeTree(text).get()))
    }

    @Test func anAliasToAnAnchorBeforeTheStepsIsACopyOfIt() throws {
        var text = SyntheticScenario.text(requests: 6000)
        text = text.replacingOccurrences(of: "buf: { buffer: { size: 64 } }", with: "buf: { buffer: { size: &size 64 } }")
        text = text.replacingOccurrences(of: "  - read: { fd: data, buf: buf, len: 16, offset: 0 }\n    id: s5997\n",
                                          with: "  - read: { fd: data, buf: buf, len: *size, offset: 0 }\n    id: s5997\n")
        let streamed = try ScenarioLoader.load(text, file: "s.yaml").get()
        #expect(streamed == (try loadWholeTree(text).get()))
        let node = try #require(streamed.graph.nodes.first { streamed.graph.request($0.id)?.id?.text == "s5997" })
        #expect(streamed.graph.request(node.id)?.arguments.unsigned("len") == 64)
    }
}
