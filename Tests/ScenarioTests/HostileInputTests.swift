#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Scenario

/// Scenario files from strangers: every out-of-range number, oversized request, alias bomb, bad byte and
/// odd file is a located diagnostic, never a trap, a hang or a machine's worth of memory (issue 12).
@Suite struct HostileInputTests {
    /// The first located error line of `text`'s diagnostics, without the source excerpt.
    func firstError(_ text: String, options: LoadOptions = LoadOptions()) -> String {
        let rendered = diagnostics(text, options: options)
        return rendered.split(separator: "\n").first { $0.contains(": error: ") }.map(String.init) ?? rendered
    }

    func errorLines(_ text: String, options: LoadOptions = LoadOptions()) -> [String] {
        diagnostics(text, options: options).split(separator: "\n").filter { $0.contains(": error: ") }.map(String.init)
    }

    // MARK: - Slots

    @Test(arguments: [
        ("resources: { table: { file_table: { sparse: 0 } } }\nsteps:\n  - close_direct: { slot: 2 }\n",
         ["test.yaml:1:45: error: a file table needs at least one slot (IORING_REGISTER_FILES refuses an empty one)",
          "test.yaml:3:27: error: slot 2 is out of range: the registered file table has no slots (to reach it on purpose, write a slot in range and override the SQE field, e.g. 'sqe: { fd: { slot: 2 } }')"]),
        ("resources: { table: { file_table: { files: [] } } }\nsteps:\n  - close_direct: { slot: 2 }\n",
         ["test.yaml:1:44: error: a file table needs at least one slot (IORING_REGISTER_FILES refuses an empty one)",
          "test.yaml:3:27: error: slot 2 is out of range: the registered file table has no slots (to reach it on purpose, write a slot in range and override the SQE field, e.g. 'sqe: { fd: { slot: 2 } }')"]),
        ("steps:\n  - register_files: { sparse: 0 }\n  - close_direct: { slot: 2 }\n",
         ["test.yaml:3:27: error: slot 2 is out of range: the registered file table has no slots (to reach it on purpose, write a slot in range and override the SQE field, e.g. 'sqe: { fd: { slot: 2 } }')"]),
        ("resources: { table: { file_table: { sparse: many } } }\nsteps:\n  - close_direct: { slot: 2 }\n",
         ["test.yaml:1:45: error: 'sparse' must be a number, not a string",
          "test.yaml:3:27: error: slot 2 is out of range: the registered file table has no slots (to reach it on purpose, write a slot in range and override the SQE field, e.g. 'sqe: { fd: { slot: 2 } }')"]),
    ])
    func zeroSlotFileTablesAreDiagnosedNotTrapped(text: String, expected: [String]) {
        #expect(errorLines("name: s\n" + text) == expected.map(shiftLine))
    }

    /// The texts above are written without their `name:` line.
    private func shiftLine(_ line: String) -> String {
        let parts = line.split(separator: ":", maxSplits: 2)
        return "\(parts[0]):\(Int(parts[1])! + 1):\(parts[2])"
    }

    @Test func fileTablesHaveAtMostTheKernelsSlots() {
        #expect(firstError("name: s\nresources: { t: { file_table: { sparse: 2000000 } } }\nsteps: [nop: {}]\n")
            == "test.yaml:2:41: error: a file table has at most 1048576 slots (IORING_MAX_FIXED_FILES), not 2000000")
    }

    @Test func theLargestSlotIsOutOfRangeOfASmallTable() {
        #expect(firstError("name: s\nresources: { t: { file_table: { sparse: 1 } } }\nsteps:\n  - close_direct: { slot: 2147483647 }\n")
            == "test.yaml:4:27: error: slot 2147483647 is out of range: the registered file table has only slot 0 (to reach it on purpose, write a slot in range and override the SQE field, e.g. 'sqe: { fd: { slot: 2147483647 } }')")
        #expect(firstError("name: s\nresources: { t: { file_table: { sparse: 1 } } }\nsteps:\n  - close_direct: { slot: 2147483648 }\n")
            == "test.yaml:4:27: error: 'slot' must be between 0 and 2147483647, not 2147483648")
    }

    // MARK: - Sizes, counts and offsets

    @Test(arguments: [
        ("  f: { file: { size: 2147483648 } }",
         "test.yaml:3:22: error: file 'f' needs 2147483648 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)"),
        ("  f: { file: { size: 18446744073709551615, sparse: true } }",
         "test.yaml:3:22: error: file 'f' needs 18446744073709551615 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)"),
        ("  f: { file: { pattern: ab, size: 4294967296 } }",
         "test.yaml:3:35: error: file 'f' needs 4294967296 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)"),
        ("  b: { buffer: { size: 2147483648 } }",
         "test.yaml:3:24: error: buffer 'b' needs 2147483648 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)"),
        ("  r: { buffer_ring: { group: 1, entries: 32768, size: 2147483647 } }",
         "test.yaml:3:55: error: buffer_ring 'r' needs 70368744144896 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)"),
        ("  p: { provided_buffers: { group: 1, count: 65535, size: 2147483647 } }",
         "test.yaml:3:58: error: provided_buffers 'p' needs 140735340806145 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)"),
        ("  r: { buffer_ring: { group: 1, entries: 4, size: 0 } }",
         "test.yaml:3:51: error: the buffers of buffer_ring 'r' need at least one byte each, not 0"),
        ("  p: { provided_buffers: { group: 1, count: 4, size: 0 } }",
         "test.yaml:3:54: error: the buffers of provided_buffers 'p' need at least one byte each, not 0"),
        ("  b: { buffer: { size: 16 } }\n  v: { iovecs: [{ buffer: b, offset: 4294967295 }] }",
         "test.yaml:4:17: error: offset 4294967295 is past the end of buffer 'b' (16 bytes)"),
    ])
    func oversizedResourcesAreRefusedAtTheirSize(resource: String, expected: String) {
        #expect(firstError("name: s\nresources:\n\(resource)\nsteps: [nop: {}]\n") == expected)
    }

    @Test func aScenariosResourcesTogetherAreBounded() {
        let buffers = (0..<5).map { "  b\($0): { buffer: { size: 268435456 } }" }.joined(separator: "\n")
        #expect(errorLines("name: s\nresources:\n\(buffers)\nsteps: [nop: {}]\n")
            == ["test.yaml:7:25: error: buffer 'b4' brings the scenario's buffers and files to more than the 1 GiB a scenario may use in all (--max-memory raises it)"])
    }

    @Test func inlineDataIsBounded() {
        #expect(firstError("name: s\nresources: { s: { socketpair: {} } }\nsteps:\n  - peer_write: { fd: s.b, data: { pattern: b, size: 2147483647 } }\n")
            == "test.yaml:4:54: error: 'data' needs 2147483647 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)")
    }

    @Test func limitsAreRaisedByTheLoadOptions() throws {
        let text = "name: s\nresources:\n  f: { file: { size: 8589934592, sparse: true } }\nsteps: [nop: {}]\n"
        #expect(firstError(text).contains("more than the 256 MiB one buffer or file may have"))
        let raised = LoadOptions(limits: ScenarioLimits(bufferBytes: 16 << 30, scenarioBytes: 16 << 30))
        _ = try load(text, options: raised)
    }

    @Test func provideBuffersCountTimesSizeCannotOverflow() {
        #expect(errorLines("name: s\nresources: { b: { buffer: { size: 16 } } }\nsteps:\n  - provide_buffers: { group: 7, count: 4294967295, size: 4294967295, buf: b }\n") == [
            "test.yaml:4:41: error: 'count' of provide_buffers is at most 65535 (the SQE's 16-bit buffer count), not 4294967295",
            "test.yaml:4:76: error: 4294967295 buffers of 4294967295 bytes need 18446744065119617025 bytes, but buffer 'b' holds 16",
        ])
    }

    @Test func registeredBufferRingsNeedBytesInEveryBuffer() {
        #expect(firstError("name: s\nsteps:\n  - register_buffer_ring: { group: 1, entries: 8, size: 0 }\n")
            == "test.yaml:3:57: error: the buffers of 'register_buffer_ring' need at least one byte each, not 0")
    }

    @Test func memoryTheRunnerAllocatesForAnOpIsBounded() {
        let text = """
            name: s
            resources: { e: { epoll: {} } }
            steps:
              - provide_buffers: { group: 7, count: 65535, size: 4294967295 }
              - epoll_wait: { epfd: e, max_events: 4294967295 }
              - provide_buffers: { group: 8, count: 65536, size: 1 }
              - repeat: 1000000
                steps:
                  - provide_buffers: { group: 9, count: 16, size: 4096 }
            """
        #expect(errorLines(text + "\n") == [
            "test.yaml:4:54: error: 'provide_buffers' needs 281470681677825 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)",
            "test.yaml:5:40: error: 'epoll_wait' needs 51539607540 bytes, more than the 256 MiB one buffer or file may have (--max-buffer raises it)",
            "test.yaml:6:41: error: 'count' of provide_buffers is at most 65535 (the SQE's 16-bit buffer count), not 65536",
            "test.yaml:9:55: error: 'provide_buffers' repeated 1000000 times brings the scenario's buffers and files to more than the 1 GiB a scenario may use in all (--max-memory raises it)",
        ])
    }

    /// Found by the fuzzer (seeds 20261204, 20261205): `run` crashed on a 4 GiB msghdr, or refused what
    /// `check` accepted. Each is now refused at load, located.
    @Test func whatTheRunnerCannotDoIsRefusedAtLoad() {
        let text = """
            name: s
            resources:
              u: { udp_socket: {} }
              f: { file: {} }
              b: { buffer: { size: 8 } }
            ring: { flags: [no_mmap, registered_fd_only] }
            steps:
              - recvmsg: { fd: u, buf: b, name_len: 4294967295, control_len: 65536 }
              - fgetxattr: { fd: f, name: "user.\\0x", buf: b }
            """
        let errors = errorLines(text + "\n")
        #expect(errors.count == 4, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("test.yaml:6:16: error: IORING_SETUP_NO_MMAP and IORING_SETUP_REGISTERED_FD_ONLY") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:8:41: error: 'name_len' must be between 0 and 65535, not 4294967295") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:8:66: error: 'control_len' must be between 0 and 65535, not 65536") })
        #expect(errors.contains { $0.hasPrefix("test.yaml:9:31: error:") && $0.contains("NUL byte") })
    }

    @Test func postConditionOffsetsDoNotOverflow() {
        let text = """
            name: s
            resources:
              b: { buffer: { size: 8 } }
              f: { file: { content: abc } }
            steps: [nop: {}]
            expect:
              buffers:
                b: { at: 18446744073709551615, hex_prefix: "03 00 00 00" }
              files:
                f: { at: 18446744073709551615, prefix: "x" }
            """
        #expect(errorLines(text + "\n") == [
            "test.yaml:8:48: error: 'hex_prefix' at 18446744073709551615 gives 4 bytes, past the end of buffer 'b' (8)",
            "test.yaml:10:14: error: 'at' 18446744073709551615 reads past the 256 MiB a file post-condition may read (--max-buffer raises it)",
        ])
    }

    // MARK: - Repeat counts and their products

    @Test func nestedRepeatCountsDoNotOverflow() {
        let block = "  - repeat: 1000000000\n    steps:\n      - repeat: 1000000000\n        steps:\n          - nop: {}\n            user_data: 5\n"
        let text = "name: s\nallow_duplicate_user_data: true\nsteps:\n" + String(repeating: block, count: 20)
        #expect(firstError(text) == "test.yaml:4:5: error: this repeat block issues too many requests")
    }

    @Test func manyLargeRepeatBlocksDoNotOverflowTheirSum() {
        // Each block is within bounds; the sum of them is not.
        let block = "  - repeat: 1000000000\n    steps:\n      - repeat: 100000\n        steps:\n          - nop: {}\n            user_data: 5\n"
        let text = "name: s\nallow_duplicate_user_data: true\nsteps:\n" + String(repeating: block, count: 4)
        #expect(errorLines(text) == ["test.yaml:16:5: error: this repeat block issues too many requests",
                                     "test.yaml:22:5: error: this repeat block issues too many requests"])
    }

    @Test(arguments: ["0", "-1", "1000000001", "18446744073709551616"])
    func repeatCountsOutOfRangeAreLocated(count: String) {
        #expect(firstError("name: s\nsteps:\n  - repeat: \(count)\n    steps: [nop: {}]\n")
            .hasPrefix("test.yaml:3:13: error: 'repeat' (the number of iterations) must be"))
    }

    // MARK: - Durations and {i}

    @Test(arguments: ["99999999999999999999s", "9300000000s", "1e9s", "-1s"])
    func durationsBeyondNanosecondsAreLocated(duration: String) {
        #expect(firstError("name: s\ndeadline: \(duration)\nsteps: [nop: {}]\n")
            == "test.yaml:2:11: error: 'deadline' must be a duration such as 10ms, 1.5s, 250us or 100ns, not '\(duration)'")
    }

    @Test func theLongestDurationStillConverts() throws {
        let scenario = try load("name: s\ndeadline: 9000000000s\nsteps: [nop: {}]\n")
        #expect(scenario.deadlineNanoseconds == 9_000_000_000_000_000_000)
    }

    @Test func aRepeatIndexTooLargeForAnIntIsNoMatch() {
        let text = "name: s\nsteps:\n  - repeat: 2\n    steps:\n      - nop: {}\n        id: r{i}\n  - wait: [r99999999999999999999]\n"
        #expect(firstError(text) == "test.yaml:7:12: error: no request has the id 'r99999999999999999999'")
    }

    // MARK: - Aliases and nesting

    @Test func anAliasBombStopsAtTheAliasThatGoesOverTheLimit() {
        var lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1..<9 { lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]") }
        let text = lines.joined(separator: "\n") + "\nsteps: []\n"
        #expect(text.utf8.count < 600)
        let start = ContinuousClock.now
        #expect(firstError(text) == "test.yaml:7:45: error: alias '*a4' stands for 111111 nodes, more than the 98783 left of the 1000000 that aliases may expand to in one document (an alias bomb?)")
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func anAliasBombInsideTheStreamedStepsIsStoppedToo() {
        var lines = ["name: bomb", "a0: &a0 [{ nop: {} }, { nop: {} }, { nop: {} }, { nop: {} }]"]
        for level in 1..<12 { lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 4).joined(separator: ", ") + "]") }
        let text = lines.joined(separator: "\n") + "\nsteps:\n  - *a11\n"
        #expect(firstError(text).contains("error: alias '*a"))
    }

    @Test func anAliasBombInABigDocumentIsStoppedOnTheScanningThread() {
        // Over EventStream.threadedThreshold, so libyaml and the tree run on a second thread.
        var lines = ["name: big bomb", "steps:"]
        for index in 0..<12_000 { lines.append("  - nop: {}\n    id: n\(index)") }
        lines.append("  - &a0 [x, x, x, x, x, x, x, x, x, x]")
        for level in 1..<9 { lines.append("  - &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]") }
        let text = lines.joined(separator: "\n") + "\n"
        #expect(text.utf8.count > EventStream.threadedThreshold)
        #expect(errorLines(text) == ["test.yaml:24008:45: error: alias '*a4' stands for 111111 nodes, more than the 98783 left of the 1000000 that aliases may expand to in one document (an alias bomb?)"])
    }

    @Test func aliasesWithinTheLimitStillExpand() throws {
        let scenario = try load("name: s\nsteps: [&step { nop: {} }, *step, *step]\n")
        #expect(scenario.graph.requestCount == 3)
    }

    @Test(arguments: ["[", "{a: "])
    func deepNestingIsLocated(open: String) {
        let close = open == "[" ? "]" : "}"
        let text = "name: s\nx: " + String(repeating: open, count: 100_000) + "1" + String(repeating: close, count: 100_000) + "\n"
        let error = firstError(text)
        #expect(error.hasPrefix("test.yaml:2:") && error.hasSuffix("error: collections are nested more than 256 deep"))
    }

    // MARK: - libyaml's positions

    @Test func controlCharactersAreReportedWhereLibyamlFindsThem() {
        #expect(firstError("name: x\nsteps:\n  - nop: {}\n    id: a\u{1}b\n")
            == "test.yaml:4:10: error: invalid YAML: control characters are not allowed (#x1)")
        #expect(firstError("name: x\nsteps:\n  - nop: {}\n    id: é\u{7f}\n")
            == "test.yaml:4:10: error: invalid YAML: control characters are not allowed (#x7F)")
    }

    // MARK: - Limits as options

    @Test func sizesParseWithBinaryUnits() {
        #expect(ScenarioLimits.parseSize("4096") == 4096)
        #expect(ScenarioLimits.parseSize("64KiB") == 64 << 10)
        #expect(ScenarioLimits.parseSize("512M") == 512 << 20)
        #expect(ScenarioLimits.parseSize("2GiB") == 2 << 30)
        #expect(ScenarioLimits.parseSize("1TB") == 1 << 40)
        for bad in ["", "GiB", "-1", "1.5GiB", "99999999999999999999", "4294967296TiB", "1 GiB"] {
            #expect(ScenarioLimits.parseSize(bad) == nil)
        }
    }
}
