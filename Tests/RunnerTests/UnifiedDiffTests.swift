#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Runner

/// `record --diff`'s unified diff, as text, and against the consumer people read it with: GNU diff
/// (`diff -u` must print the same hunks) and patch (the diff must apply).
@Suite struct UnifiedDiffTests {
    @Test func anAddedBlockAtTheEnd() {
        let old = "name: x\nsteps:\n  - nop\n"
        let new = old + "expect:\n  n: 0\n"
        #expect(UnifiedDiff.render(old: old, new: new, from: "a/x.yaml", to: "b/x.yaml") == """
            --- a/x.yaml
            +++ b/x.yaml
            @@ -1,3 +1,5 @@
             name: x
             steps:
               - nop
            +expect:
            +  n: 0

            """)
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.render(old: "a\n", new: "a\n", from: "a", to: "b") == "")
    }

    @Test func aMissingNewlineAtTheEndIsShown() {
        #expect(UnifiedDiff.render(old: "a\nb", new: "a\nb\nc\n", from: "a", to: "b") == """
            --- a
            +++ b
            @@ -1,2 +1,3 @@
             a
            -b
            \\ No newline at end of file
            +b
            +c

            """)
    }

    @Test func distantChangesMakeSeparateHunks() {
        let old = (1...20).map { "line \($0)\n" }.joined()
        var lines = (1...20).map { "line \($0)\n" }
        lines[1] = "changed 2\n"
        lines.insert("inserted\n", at: 17)
        let new = lines.joined()
        #expect(UnifiedDiff.render(old: old, new: new, from: "a", to: "b") == """
            --- a
            +++ b
            @@ -1,5 +1,5 @@
             line 1
            -line 2
            +changed 2
             line 3
             line 4
             line 5
            @@ -15,6 +15,7 @@
             line 15
             line 16
             line 17
            +inserted
             line 18
             line 19
             line 20

            """)
    }

    /// GNU diff prints the same hunks for edits of every kind, and patch applies ours.
    @Test(arguments: [
        ("", "one\n"),
        ("one\n", ""),
        ("a\nb\nc\nd\n", "a\nc\nd\ne\n"),
        ("x\ny\nz\n", "x\nY\nz"),
        ("expect:\n  a: 1\n  b: 2\n\nnext: 3\n", "expect:  # recorded\n  a: 1\n  b: { res: 2, flags: [] }\n  c: 0\n\nnext: 3\n"),
        ((1...40).map { "l\($0)\n" }.joined(), (1...40).filter { $0 % 7 != 0 }.map { "l\($0)\n" }.joined() + "tail\n"),
    ])
    func gnuDiffAgreesAndPatchApplies(_ texts: (String, String)) throws {
        let directory = try GoldenDirectory()
        let old = directory.write("old", texts.0)
        let new = directory.write("new", texts.1)
        let ours = UnifiedDiff.render(old: texts.0, new: texts.1, from: "old", to: "new")
        let gnu = directory.sandbox.path + "/gnu.diff"
        guard system("diff -u --label old --label new \(old) \(new) > \(gnu)") >= 0 else {
            Issue.record("could not run diff")
            return
        }
        #expect(ours == directory.read(gnu))
        _ = directory.write("ours.diff", ours)
        let status = system("cd \(directory.sandbox.path) && patch -s -o patched old ours.diff >/dev/null 2>&1")
        if status >> 8 == 127 { return }   // no patch(1) on this machine: GNU diff's agreement is the check
        #expect(directory.read(directory.sandbox.path + "/patched") == texts.1)
    }
}
