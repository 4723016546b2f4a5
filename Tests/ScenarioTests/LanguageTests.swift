import Foundation
import IoUring
import Testing
@testable import Scenario

/// The documents around the language: Grammar.md cannot lie, the op table is complete, the schema is JSON.
@Suite struct LanguageTests {
    static let grammarPath = Fixtures.repository.appendingPathComponent("Grammar.md").path

    /// Fenced blocks of Grammar.md: ```yaml blocks must be valid; a ```yaml invalid block must be followed by a
    /// ```text block with exactly the diagnostics `ringscript check example.yaml` prints.
    static func examples() throws -> [(line: Int, info: String, body: String)] {
        let text = try String(contentsOfFile: grammarPath, encoding: .utf8)
        var blocks: [(Int, String, String)] = []
        var current: (line: Int, info: String, lines: [String])?
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            if current == nil, line.hasPrefix("```") {
                current = (index + 1, String(line.dropFirst(3)), [])
            } else if current != nil, line == "```" {
                blocks.append((current!.line, current!.info, current!.lines.joined(separator: "\n") + "\n"))
                current = nil
            } else if current != nil {
                current!.lines.append(line)
            }
        }
        return blocks
    }

    @Test func everyGrammarExampleIsValid() throws {
        let blocks = try LanguageTests.examples()
        let valid = blocks.filter { $0.info == "yaml" }
        #expect(valid.count >= 30, "Grammar.md should show an example for every part of the language")
        for block in valid {
            let result = diagnostics(block.body, file: "example.yaml")
            #expect(result == "valid", "Grammar.md:\(block.line): the example is rejected:\n\(result)")
        }
    }

    @Test func everyGrammarDiagnosticExampleIsExact() throws {
        let blocks = try LanguageTests.examples()
        var checked = 0
        for (index, block) in blocks.enumerated() where block.info == "yaml invalid" {
            guard index + 1 < blocks.count, blocks[index + 1].info == "text" else {
                Issue.record("Grammar.md:\(block.line): an invalid example needs a ```text block with its diagnostics")
                continue
            }
            let expected = blocks[index + 1].body
            let actual = diagnostics(block.body, file: "example.yaml") + "\n"
            #expect(actual == expected, "Grammar.md:\(block.line): the diagnostics shown differ from what check prints")
            checked += 1
        }
        #expect(checked >= 3)
    }

    @Test func grammarEmbedsTheGeneratedOpReference() throws {
        let text = try String(contentsOfFile: LanguageTests.grammarPath, encoding: .utf8)
        let generated = OpReference.markdown
        if Fixtures.updateGoldens, let start = text.range(of: OpReference.beginMarker),
           let end = text.range(of: OpReference.endMarker + "\n") {
            let updated = text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: generated)
            try updated.write(toFile: LanguageTests.grammarPath, atomically: true, encoding: .utf8)
            return
        }
        #expect(text.contains(generated), "Grammar.md's op reference is stale: run `ringscript schema --op-reference` and paste it between the markers (or RINGSCRIPT_UPDATE_GOLDENS=1 swift test --filter ScenarioTests)")
    }

    @Test func theOpTableCoversEveryOpTheBriefNames() {
        let required = ["nop", "read", "readv", "write", "writev", "read_fixed", "write_fixed", "fsync", "splice", "accept",
                        "accept_multishot", "accept_direct", "accept_multishot_direct", "connect", "epoll_ctl", "recv", "send",
                        "send_zc", "send_zc_fixed", "recvmsg", "sendmsg", "sendmsg_zc", "openat", "openat_direct", "close",
                        "close_direct", "timeout", "timeout_remove", "timeout_update", "link_timeout", "poll_add", "poll_remove",
                        "poll_update", "fallocate", "statx", "cancel", "shutdown", "renameat", "unlinkat", "mkdirat", "symlinkat",
                        "linkat", "provide_buffers", "remove_buffers", "waitid", "socket", "socket_direct", "socket_direct_alloc",
                        "bind", "listen", "setsockopt", "getsockopt", "cmd_sock", "raw"]
        for name in required { #expect(OpTable.spec(named: name)?.opcode != nil, "no op '\(name)'") }
        let registrations = ["register_files", "register_files_update", "register_file_alloc_range", "unregister_files",
                             "register_buffers", "unregister_buffers", "register_eventfd", "register_eventfd_async",
                             "unregister_eventfd", "register_napi", "unregister_napi", "register_buffer_ring",
                             "unregister_buffer_ring", "probe"]
        for name in registrations { #expect(OpTable.spec(named: name)?.category != .control, "no registration '\(name)'") }
        for name in ["submit", "wait", "sleep", "peer_write", "peer_read", "peer_close", "peer_shutdown", "peer_connect",
                     "peer_send", "peer_signal"] {
            #expect(OpTable.spec(named: name)?.category == .control, "no control step '\(name)'")
        }
        #expect(Set(OpTable.names).count == OpTable.all.count, "step names are unique")
        for spec in OpTable.all {
            #expect(Set(spec.arguments.map(\.name)).count == spec.arguments.count, "\(spec.name) repeats an argument")
        }
    }

    @Test func everyOpAppearsInSomeValidFixtureOrGrammarExample() throws {
        var texts = try Fixtures.validNames.map { try Fixtures.text("valid", $0 + ".yaml") }
        texts += try LanguageTests.examples().filter { $0.info == "yaml" }.map(\.body)
        let used = Set(texts.flatMap { text in
            text.components(separatedBy: "\n").compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("- ") else { return nil }
                return trimmed.dropFirst(2).split(separator: ":").first.map { String($0).trimmingCharacters(in: .whitespaces) }
            }
        })
        for spec in OpTable.all { #expect(used.contains(spec.name), "no valid fixture or example uses '\(spec.name)'") }
    }

    @Test func theSchemaIsJSONDraft2020AndKnowsEveryStep() throws {
        let data = Data(ScenarioSchema.json.utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let definitions = try #require(object["$defs"] as? [String: Any])
        for spec in OpTable.all {
            #expect(definitions["step." + spec.name] != nil)
            let arguments = try #require(definitions["args." + spec.name] as? [String: Any])
            #expect(arguments["description"] as? String != nil)
        }
        let properties = try #require(object["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(ScenarioBuilder.topLevelKeys))
        // Every $ref points at a definition.
        let references = ScenarioSchema.json.components(separatedBy: "\"$ref\": \"#/$defs/").dropFirst().map { $0.prefix { $0 != "\"" } }
        for reference in Set(references) { #expect(definitions[String(reference)] != nil, "dangling $ref \(reference)") }
    }

    @Test func scalarsParseLikeTheDocumentSays() {
        #expect(NodeReader.parseInteger("0x10")! == (false, 16))
        #expect(NodeReader.parseInteger("-0o17")! == (true, 15))
        #expect(NodeReader.parseInteger("1_000")! == (false, 1000))
        #expect(NodeReader.parseInteger("0b101")! == (false, 5))
        #expect(NodeReader.parseInteger("1e3") == nil)
        #expect(NodeReader.parseDuration("10ms") == 10_000_000)
        #expect(NodeReader.parseDuration("1.5s") == 1_500_000_000)
        #expect(NodeReader.parseDuration("250us") == 250_000)
        #expect(NodeReader.parseDuration("100ns") == 100)
        #expect(NodeReader.parseDuration("0") == 0)
        #expect(NodeReader.parseDuration("10") == nil)
        #expect(NodeReader.parseDuration("ms") == nil)
        #expect(NodeReader.parseHex("de ad BE EF") == [0xde, 0xad, 0xbe, 0xef])
        #expect(NodeReader.parseHex("abc") == nil)
    }

    @Test func templatesMatchTheirInstances() {
        let template = TemplateText(parsing: "conn-{i}-{j}")
        #expect(template.isTemplate)
        #expect(template.indexNames == ["i", "j"])
        #expect(template.match("conn-3-12") == ["i": 3, "j": 12])
        #expect(template.match("conn-3-") == nil)
        #expect(template.resolved(["i": 1, "j": 2]) == "conn-1-2")
        #expect(TemplateText(parsing: "plain {not a name}").isTemplate == false)
        #expect(TemplateText(parsing: "r{i}").description == "r{i}")
    }

    @Test func constantFamiliesResolveNames() {
        #expect(ConstantFamily.openFlags.value(of: "O_CREAT") == 0o100)
        #expect(ConstantFamily.setupFlags.value(of: "sqpoll") == UInt64(SetupFlags.sqPoll.rawValue))
        #expect(ConstantFamily.setupFlags.value(of: "IORING_SETUP_SQPOLL") == UInt64(SetupFlags.sqPoll.rawValue))
        #expect(ConstantFamily.completionFlags.value(of: "sock_nonempty") == UInt64(CompletionFlags.socketNonEmpty.rawValue))
        #expect(ConstantFamily.completionFlags.value(of: "buf_more") == UInt64(CompletionFlags.bufferMore.rawValue))
        for family in ConstantFamily.all {
            #expect(Set(family.names).count == family.names.count, "\(family.title) repeats a name")
        }
    }

    /// Not a timing test: the generated scenario the benchmark uses is valid and its size is right.
    @Test func theSyntheticScenarioIsValid() throws {
        let scenario = try load(SyntheticScenario.text(requests: 2000))
        #expect(scenario.graph.requestCount == 2000)
        #expect(scenario.graph.nodes.count == 2000 + 2000 / 64)
        #expect(scenario.expectations.order.count == 999)
    }
}
