#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Runner

@Suite struct DiscoveryTests {
    @Test func findsYAMLRecursivelyInStableOrderOnce() throws {
        let sandbox = try Sandbox.create(label: "discovery")
        defer { sandbox.remove() }
        for directory in ["b", "a", "a/deep", ".hidden"] { mkdir(sandbox.resolve(directory), 0o755) }
        for file in ["b/z.yaml", "a/y.yml", "a/deep/x.yaml", "a/notes.txt", ".hidden/h.yaml", "top.yaml"] {
            close(open(sandbox.resolve(file), O_CREAT | O_WRONLY, 0o644))
        }
        let found = try ScenarioDiscovery.find([sandbox.path, sandbox.resolve("top.yaml"), sandbox.resolve("a/notes.txt")])
        #expect(found == ["a/deep/x.yaml", "a/y.yml", "b/z.yaml", "top.yaml", "a/notes.txt"].map(sandbox.resolve))
    }

    @Test func missingPathsAreErrorsNamingThePath() {
        #expect(throws: RunnerError.system("stat(/nonexistent/x)", .ENOENT)) {
            try ScenarioDiscovery.find(["/nonexistent/x"])
        }
    }

    @Test func filtersTagsAndShards() {
        let selection = Selection(filter: "link", tags: ["fast"])
        #expect(selection.matches(path: "scenarios/links/a.yaml", name: "x", tags: ["fast", "net"]))
        #expect(!selection.matches(path: "scenarios/links/a.yaml", name: "x", tags: ["net"]))
        #expect(!selection.matches(path: "scenarios/net/a.yaml", name: "x", tags: ["fast"]))
        #expect(Selection(filter: "*/net/*.yaml").matches(path: "scenarios/net/a.yaml", name: "", tags: []))
        #expect(Selection(filter: "net/*").matches(path: "scenarios/net/a.yaml", name: "", tags: []))
        #expect(!Selection(filter: "et/*").matches(path: "scenarios/net/a.yaml", name: "", tags: []))
        #expect(Selection(filter: "cancels the rest").matches(path: "a.yaml", name: "a failing link cancels the rest", tags: []))
        let shard = Selection(shard: Selection.parseShard("2/3"))
        #expect((0..<7).filter(shard.inShard) == [1, 4])
        #expect(Selection.parseShard("0/3") == nil && Selection.parseShard("4/3") == nil && Selection.parseShard("x") == nil)
    }
}
