import Testing
@testable import Checker

@Suite struct PostConditionTests {
    static let buffers = """
        name: buffers
        resources:
          buf:  { buffer: { size: 16, content: "hello" } }
          raw:  { buffer: { size: 4, fill: 0xff } }
          big:  { buffer: { size: 200 } }
          word: { buffer: { size: 3 } }
        steps:
          - nop: {}
            id: n
        expect:
          n: 0
          buffers:
            buf: { prefix: "hello world" }
            raw: { unchanged: true }
            big: { hex_prefix: "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01" }
            word: { equals: "abc" }
        """

    @Test func theRunnerIsAskedForExactlyWhatTheConditionsName() throws {
        let run = try CheckerHarness(Self.buffers)
        #expect(run.checker.neededFacts.buffers == ["buf", "raw", "big", "word"])
        #expect(run.checker.neededFacts.paths == [])
        let files = try CheckerHarness(Self.files)
        #expect(files.checker.neededFacts.buffers == [])
        #expect(files.checker.neededFacts.paths == ["new.txt", "old.txt", "made", "out.bin", "gone.txt"])
    }

    @Test func buffersThatHoldWhatIsExpectedPass() throws {
        let run = try CheckerHarness(Self.buffers)
        run.queueAll()
        run.complete("n", res: 0)
        var big = [UInt8](repeating: 0, count: 200)
        big[46] = 1
        let facts = PostRunFacts(buffers: ["buf": Array("hello world\0\0\0\0\0".utf8), "raw": [0xff, 0xff, 0xff, 0xff],
                                           "big": big, "word": Array("abc".utf8)])
        #expect(run.report(facts) == "PASS  buffers (3.0 ms)")
    }

    @Test func bytesAtAnOffsetCheckAStructField() throws {
        let yaml = """
            name: a field at an offset
            resources:
              st: { buffer: { size: 64 } }
            steps:
              - nop: {}
                id: n
            expect:
              n: 0
              buffers:
                st:
                  - { at: 28, hex_prefix: "a4 81" }
                  - { at: 40, hex_prefix: "0b 00 00 00" }
            """
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[28] = 0xa4
        bytes[29] = 0x81
        bytes[40] = 11
        let passing = try CheckerHarness(yaml)
        passing.queueAll()
        passing.complete("n", res: 0)
        #expect(passing.report(PostRunFacts(buffers: ["st": bytes])) == "PASS  a field at an offset (3.0 ms)")

        bytes[40] = 12
        let failing = try CheckerHarness(yaml)
        failing.queueAll()
        failing.complete("n", res: 0)
        #expect(failing.report(PostRunFacts(buffers: ["st": bytes])) == """
            FAIL  a field at an offset (3.0 ms)
              t.yaml:12:19: buffer st  (first divergence)
                expected                       | actual
                at 40: starts with 0b 00 00 00 ≠ at 40: 0c 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 (24 bytes)
            """)
    }

    @Test func bufferMismatchesShowTheBytesAroundTheFirstDifference() throws {
        let run = try CheckerHarness(Self.buffers)
        run.queueAll()
        run.complete("n", res: 0)
        let facts = PostRunFacts(buffers: ["buf": Array("hello there\0\0\0\0\0".utf8), "raw": [0xff, 0x00, 0xff, 0xff],
                                           "big": [UInt8](repeating: 0, count: 200)])
        #expect(run.report(facts) == """
            FAIL  buffers (3.0 ms)
              t.yaml:13:12: buffer buf  (first divergence)
                expected                  | actual
                starts with "hello world" ≠ "hello there\\0\\0\\0\\0\\0" (16 bytes), differs from byte 6
              t.yaml:14:12: buffer raw
                expected                         | actual
                unchanged: ff ff ff ff (4 bytes) ≠ ff 00 ff ff (4 bytes), differs from byte 1
              t.yaml:15:12: buffer big
                expected                                                        | actual
                starts with …00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 ≠ …00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00… (200 bytes), differs from byte 46
              t.yaml:16:13: buffer word
                expected        | actual
                "abc" (3 bytes) ≠ not reported by the runner
            """)
    }

    static let files = """
        name: files
        resources:
          old:  { file: { path: old.txt, content: "moved" } }
          out:  { file: { path: out.bin } }
        steps:
          - renameat: { old_path: old.txt, new_path: new.txt }
            id: mv
        expect:
          mv: 0
          files:
            new.txt: { exists: true, type: file, content: "moved", size: 5 }
            old.txt: { exists: false }
            made: { type: directory }
            out: { hex: "00 01 02" }
            gone.txt: { size: 3 }
        """

    @Test func filesInTheExpectedStatePass() throws {
        let run = try CheckerHarness(Self.files)
        run.queueAll()
        run.complete("mv", res: 0)
        let facts = PostRunFacts(files: [
            "new.txt": FileFacts(kind: .file, size: 5, content: Array("moved".utf8)),
            "old.txt": FileFacts(kind: .missing),
            "made": FileFacts(kind: .directory, size: 4096),
            "out.bin": FileFacts(kind: .file, size: 3, content: [0, 1, 2]),
            "gone.txt": FileFacts(kind: .file, size: 3, content: [1, 2, 3]),
        ])
        #expect(run.report(facts) == "PASS  files (3.0 ms)")
    }

    @Test func fileMismatchesNameThePathAndWhatDiffered() throws {
        let run = try CheckerHarness(Self.files)
        run.queueAll()
        run.complete("mv", res: 0)
        let facts = PostRunFacts(files: [
            "new.txt": FileFacts(kind: .file, size: 4, content: Array("move".utf8)),
            "old.txt": FileFacts(kind: .file, size: 5, content: Array("moved".utf8)),
            "made": FileFacts(kind: .symlink, size: 4),
            "out.bin": FileFacts(kind: .file, size: 3, content: [0, 1, 3]),
            "gone.txt": FileFacts(kind: .missing),
        ])
        #expect(run.report(facts) == """
            FAIL  files (3.0 ms)
              t.yaml:11:5: file new.txt: size  (first divergence)
                expected | actual
                5 bytes  ≠ 4 bytes
              t.yaml:11:5: file new.txt: content
                expected          | actual
                "moved" (5 bytes) ≠ "move" (4 bytes), differs from byte 4
              t.yaml:12:5: file old.txt: exists
                expected       | actual
                does not exist ≠ a regular file (5 bytes)
              t.yaml:13:5: file made: type
                expected    | actual
                a directory ≠ a symlink
              t.yaml:14:5: file out.bin: content
                expected           | actual
                00 01 02 (3 bytes) ≠ 00 01 03 (3 bytes), differs from byte 2
              t.yaml:15:5: file gone.txt: exists
                expected | actual
                exists   ≠ missing
            """)
    }

    @Test func postConditionsComeAfterTheTraceInTheReport() throws {
        let run = try CheckerHarness(Self.files)
        run.queueAll()
        run.complete("mv", res: -17)
        let facts = PostRunFacts(files: [
            "new.txt": FileFacts(kind: .missing), "old.txt": FileFacts(kind: .missing),
            "made": FileFacts(kind: .directory), "out.bin": FileFacts(kind: .file, size: 3, content: [0, 1, 2]),
            "gone.txt": FileFacts(kind: .file, size: 3, content: [1, 2, 3]),
        ])
        #expect(run.report(facts) == """
            FAIL  files (3.0 ms)
              t.yaml:9:3: mv: res  (first divergence)
                expected | actual
                0        ≠ -EEXIST
              t.yaml:11:5: file new.txt: exists
                expected | actual
                exists   ≠ missing
            """)
    }
}
