import Foundation
import Testing
@testable import Scenario

/// `ringscript schema` against the loader, through a real validator: Python's `jsonschema` (Draft 2020-12), with
/// each YAML file turned into JSON by PyYAML under the YAML 1.2 core schema (what yaml-language-server reads and
/// what the loader's plain scalars follow: `true`/`false` only, `0o`/`0x` integers, no sexagesimal or `yes`).
/// Every corpus scenario and every Grammar.md example must validate; every invalid fixture must be refused by
/// both `check` and the schema, except the ones whose rule JSON Schema cannot say (`beyondTheSchema`, with why).
@Suite(.serialized) struct SchemaValidationTests {
    /// Invalid fixtures whose error is a reference between parts or a rule across keys: the schema accepts them
    /// (the test requires that too, so the list stays exact); `check` refuses them. The schema's description
    /// says the same.
    static let beyondTheSchema: [String: String] = [
        "invalid/buffer-post-condition": "a post-condition on a buffer the scenario does not have (a resource name)",
        "invalid/buffer-too-short": "a length beyond its buffer's size (two keys, one in a resource)",
        "invalid/capture-before-produced": "a $capture used before its producer (order of steps)",
        "invalid/capture-from-the-same-chain": "a $capture from a request of the same link chain",
        "invalid/capture-in-linked-request": "a $capture in a linked request",
        "invalid/capture-outside-repeat": "a $capture of a repeat body used outside it",
        "invalid/capture-unknown": "a $capture nobody produces",
        "invalid/contradicting-expectation": "an inline expectation and a block one that contradict",
        "invalid/dangling-link-at-end": "a link chain left open at the end (order of steps)",
        "invalid/dangling-link-before-submit": "a link chain left open at a submit point",
        "invalid/duplicate-id": "two requests with one id",
        "invalid/duplicate-user-data": "two requests with one user_data",
        "invalid/expect-unknown-id": "an expectation for an id no request has",
        "invalid/id-reserved-and-numeric": "an id that reads as a number or is reserved",
        "invalid/inline-and-block-expectation": "an expectation given inline and in the block",
        "invalid/link-crosses-repeat": "a link chain that crosses a repeat's edge",
        "invalid/link-timeout-not-after-link": "link_timeout not right after a linked request",
        "invalid/order-contradiction": "orders that contradict each other",
        "invalid/order-duplicate": "an id twice in one order",
        "invalid/pipe-without-end": "a pipe named without .read or .write (a resource's kind)",
        "invalid/registered-buffer-missing": "a *_fixed op over a buffer that is not registered",
        "invalid/repeat-id-without-index": "an id in a repeat body without {i}",
        "invalid/repeat-unknown-index": "{j} where the repeat's index is i",
        "invalid/sandbox-absolute": "an absolute path without allow_outside_sandbox (another key)",
        "invalid/sandbox-dotdot": "a path that leaves the sandbox through ..",
        "invalid/sandbox-symlink": "a path through a symlink the scenario makes",
        "invalid/not-a-file": "a buffer resource named where a file goes (the kind of a resource named elsewhere)",
        "invalid/resource-problems": "content longer than its size, buffer ring entries not a power of two, a name with a dot, two groups with one id",
        "invalid/slot-after-unregister": "a slot used after unregister_files (the state at that step)",
        "invalid/slot-out-of-range": "a slot beyond the registered table (its size is elsewhere)",
        "invalid/slot-without-table": "a slot with no file table registered",
        "invalid/stream-on-single-shot": "a stream expected of an id whose op posts one CQE",
        "invalid/struct-buffers-and-offsets": "a struct buffer smaller than the struct, offsets beyond it",
        "invalid/target-defined-later": "a target defined after the step",
        "invalid/undefined-resource": "a resource name nobody defines",
        "invalid/undefined-target": "a request id nobody defines",
    ]

    /// Turns YAML into JSON under the YAML 1.2 core schema and validates it; one line per document.
    static let validator = #"""
    import json, re, sys
    import yaml, jsonschema

    class Core12(yaml.SafeLoader):
        pass

    Core12.yaml_implicit_resolvers = {}
    def resolve(tag, pattern, first):
        Core12.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(pattern), list(first))
    resolve("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
    resolve("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
    resolve("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789")
    resolve("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
    resolve("merge", r"^(?:<<)$", "<")

    def integer(loader, node):
        text = loader.construct_scalar(node)
        if text.startswith("0o"): return int(text[2:], 8)
        if text.startswith("0x"): return int(text[2:], 16)
        return int(text, 10)
    Core12.add_constructor("tag:yaml.org,2002:int", integer)

    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sys.argv[2:]:
        try:
            document = json.loads(json.dumps(yaml.load(open(path, encoding="utf-8"), Loader=Core12)))
        except Exception as error:
            print("UNREADABLE", path, str(error).replace("\n", " "))
            continue
        errors = list(validator.iter_errors(document))
        if errors:
            best = jsonschema.exceptions.best_match(errors)
            where = "/".join(str(part) for part in best.absolute_path)
            print("REJECTED", path, where + ": " + best.message.replace("\n", " ")[:300])
        else:
            print("VALID", path)
    """#

    /// What the validator says of each file: "VALID" or "REJECTED …", by path.
    static func validate(_ paths: [String]) throws -> [String: String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringscript-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = directory.appendingPathComponent("scenario.schema.json").path
        let script = directory.appendingPathComponent("validate.py").path
        try ScenarioSchema.json.write(toFile: schema, atomically: false, encoding: .utf8)
        try validator.write(toFile: script, atomically: false, encoding: .utf8)
        try ensurePythonModules()
        let result = try run("/usr/bin/python3", [script, schema] + paths)
        try #require(result.status == 0, "the validator failed:\n\(result.output)")
        var verdicts: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count >= 2 else { continue }
            verdicts[parts[1]] = parts[0] == "VALID" ? "VALID" : parts[0] + " " + (parts.count > 2 ? parts[2] : "")
        }
        return verdicts
    }

    /// jsonschema and PyYAML, installed with pip when missing (as root; Debian's Python wants
    /// --break-system-packages for that).
    static func ensurePythonModules() throws {
        if try run("/usr/bin/python3", ["-c", "import jsonschema, yaml"]).status == 0 { return }
        var install = try run("/usr/bin/python3", ["-m", "pip", "install", "--quiet", "jsonschema", "pyyaml"])
        if install.status != 0 {
            install = try run("/usr/bin/python3", ["-m", "pip", "install", "--quiet", "--break-system-packages", "jsonschema", "pyyaml"])
        }
        try #require(install.status == 0, "pip install jsonschema pyyaml failed:\n\(install.output)")
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func everyCorpusScenarioValidates() throws {
        let corpus = ScenarioFiles.find([Fixtures.repository.appendingPathComponent("scenarios").path]).files
        #expect(corpus.count >= 150)
        let verdicts = try Self.validate(corpus)
        for path in corpus { #expect(verdicts[path] == "VALID", "\(path): \(verdicts[path] ?? "no verdict")") }
    }

    @Test func everyGrammarExampleValidates() throws {
        let blocks = try LanguageTests.examples().filter { $0.info == "yaml" }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringscript-grammar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String: Int] = [:]
        for block in blocks {
            let path = directory.appendingPathComponent("grammar-\(block.line).yaml").path
            try block.body.write(toFile: path, atomically: false, encoding: .utf8)
            paths[path] = block.line
        }
        #expect(paths.count >= 30)
        let verdicts = try Self.validate(paths.keys.sorted())
        for (path, line) in paths {
            #expect(verdicts[path] == "VALID", "Grammar.md:\(line): \(verdicts[path] ?? "no verdict")")
        }
    }

    @Test func everyInvalidFixtureIsRefusedByTheLoaderAndTheSchema() throws {
        var fixtures: [(name: String, path: String)] = []
        for folder in ["invalid", "schema-invalid"] {
            for name in Fixtures.names(in: folder) {
                fixtures.append((folder + "/" + name, Fixtures.directory.appendingPathComponent(folder).appendingPathComponent(name + ".yaml").path))
            }
        }
        #expect(fixtures.filter { $0.name.hasPrefix("schema-invalid/") }.count >= 20)
        let verdicts = try Self.validate(fixtures.map(\.path))
        for fixture in fixtures {
            let text = try String(contentsOfFile: fixture.path, encoding: .utf8)
            #expect(ScenarioChecker.check(text: text, file: fixture.path).scenario == nil, "check accepts \(fixture.name)")
            let verdict = verdicts[fixture.path] ?? "no verdict"
            if let reason = Self.beyondTheSchema[fixture.name] {
                #expect(verdict == "VALID", "\(fixture.name) is listed as beyond the schema (\(reason)) but the schema says: \(verdict)")
            } else {
                // A YAML syntax error gives a validator no document at all.
                #expect(verdict.hasPrefix("REJECTED") || verdict.hasPrefix("UNREADABLE"), "the schema accepts \(fixture.name), which check refuses")
            }
        }
    }
}
