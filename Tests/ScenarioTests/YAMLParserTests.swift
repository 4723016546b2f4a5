import Testing
@testable import Scenario

@Suite struct YAMLParserTests {
    func parse(_ text: String) throws -> YAMLNode {
        try YAMLParser.parse(text, file: "t.yaml").get()
    }

    func diagnostics(_ text: String) -> String {
        switch YAMLParser.parse(text, file: "t.yaml") {
        case .success: return "no diagnostics"
        case .failure(let list): return DiagnosticRenderer(sources: ["t.yaml": text]).render(list.diagnostics)
        }
    }

    @Test func nodesKeepOneBasedLineAndColumn() throws {
        let root = try parse("name: x\nsteps:\n  - nop: {}\n    id: a\n")
        #expect(root.mark == SourceMark(file: "t.yaml", line: 1, column: 1))
        let step = try #require(root["steps"]?.sequence?.first)
        #expect(step.mark == SourceMark(file: "t.yaml", line: 3, column: 5))
        let id = try #require(step["id"])
        #expect(id.scalar == "a")
        #expect(id.mark.description == "t.yaml:4:9")
    }

    @Test func plainAndQuotedScalarsAreTold() throws {
        let root = try parse("a: 12\nb: \"12\"\nc: ~\nd: !!str 5\ne: true\n")
        #expect(root["a"]?.kindDescription == "a number")
        #expect(root["b"]?.kindDescription == "a string")
        #expect(root["c"]?.isNull == true)
        #expect(root["d"]?.tag == "tag:yaml.org,2002:str")
        #expect(root["d"]?.kindDescription == "a string")
        #expect(root["e"]?.kindDescription == "a boolean")
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let root = try parse("""
        base: &base { fd: data, len: 4 }
        one: *base
        two:
          <<: *base
          len: 8
        """)
        #expect(root["one"]?["fd"]?.scalar == "data")
        #expect(root["two"]?["len"]?.scalar == "8")
        #expect(root["two"]?["fd"]?.scalar == "data")
        #expect(root["two"]?.mapping?.count == 2)
    }

    @Test func duplicateKeysAreReportedWithTheFirstPlace() {
        #expect(diagnostics("a: 1\nb: 2\na: 3\n") == """
        t.yaml:3:1: error: duplicate key 'a'
        a: 3
        ^
        t.yaml:1:1: note: 'a' first appears here
        a: 1
        ^
        1 error
        """)
    }

    @Test func libyamlErrorsBecomeDiagnostics() {
        #expect(diagnostics("a: [1, 2\nb: 3\n") == """
        t.yaml:2:2: error: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence
        b: 3
         ^
        t.yaml:1:4: note: the construct started here
        a: [1, 2
           ^
        1 error
        """)
    }

    @Test func unknownAliasAndSecondDocument() {
        #expect(diagnostics("a: *nope\n") == """
        t.yaml:1:4: error: unknown alias '*nope'
        a: *nope
           ^
        1 error
        """)
        #expect(diagnostics("a: 1\n---\nb: 2\n").hasPrefix("t.yaml:2:1: error: a scenario file holds one YAML document"))
    }

    @Test func emptyDocumentIsAnEmptyMapping() throws {
        #expect(try parse("").mapping?.isEmpty == true)
    }

    @Test func suggestionsFindNearMisses() {
        #expect(suggestion(for: "reed", among: ["read", "write", "readv"]) == "read")
        #expect(suggestion(for: "lnik", among: ["link", "hardlink"]) == "link")
        #expect(suggestion(for: "banana", among: ["read", "write"]) == nil)
    }

    @Test func renderingKeepsTabsUnderTheCaret() {
        let text = "a:\n\t\tb: 1\n"
        let mark = SourceMark(file: "t.yaml", line: 2, column: 3)
        #expect(DiagnosticRenderer(sources: ["t.yaml": text]).render(Diagnostic(at: mark, "x")) == "t.yaml:2:3: error: x\n\t\tb: 1\n\t\t^")
    }
}
