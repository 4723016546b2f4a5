import Testing
import IoUring
@testable import Scenario

/// Struct views and byte forms in buffer/file post-conditions: what the loader keeps, misuse located.
@Suite struct StructViewLoadingTests {
    static let head = """
        name: t
        resources:
          st: { buffer: { size: 256 } }
          small: { buffer: { size: 16 } }
        steps:
          - statx: { path: ".", buf: st }
        expect:
          buffers:

        """

    @Test func fieldsBecomeOneCheckEachAtTheirUAPIOffsets() throws {
        let scenario = try ScenarioLoader.load(Self.head + "    st: { statx: { stx_size: 11, stx_mask: { has: [STATX_SIZE] }, stx_mode: { type: S_IFDIR } } }\n", file: "test.yaml").get()
        let fields = scenario.expectations.buffers.compactMap { condition -> StructFieldCheck? in
            if case .field(let field) = condition.check { return field }
            return nil
        }
        #expect(fields.map(\.field.name) == ["stx_size", "stx_mask", "stx_mode"])
        #expect(fields.map(\.field.offset) == [40, 0, 28])  // struct statx in include/uapi/linux/stat.h
        #expect(fields[1].expectation == .has(0x200, shown: "STATX_SIZE"))
        var bytes = [UInt8](repeating: 0, count: 256)
        bytes[40] = 11
        #expect(fields[0].holds(try #require(fields[0].value(in: bytes))))
        bytes[40] = 12
        #expect(!fields[0].holds(try #require(fields[0].value(in: bytes))))
    }

    @Test(arguments: [
        ("    st: { statx: { stx_sise: 1 } }\n", "test.yaml:9:20: error: 'statx' has no field 'stx_sise' (did you mean 'stx_size'?)"),
        ("    small: { statx: { stx_size: 1 } }\n", "test.yaml:9:21: error: a 'statx' view needs 256 bytes, but buffer 'small' has 16"),
        ("    st: { statx: { stx_size: { type: S_IFREG } } }\n", "test.yaml:9:32: error: 'type' is for stx_mode (the S_IFMT bits), not 'statx.stx_size'"),
        ("    st: { statx: { stx_mode: { type: S_IFXX } } }\n", "test.yaml:9:38: error: 'statx.stx_mode' 'type' must be one of S_IFREG"),
    ])
    func misusedViewsAreLocated(line: String, expected: String) {
        let found = diagnostics(Self.head + line).split(separator: "\n").filter { $0.contains(": error: ") }.map(String.init)
        #expect(found.first?.hasPrefix(expected) == true, "\(found)")
    }

    @Test func byteFormsAreAcceptedInContentChecks() throws {
        let scenario = try ScenarioLoader.load(Self.head + "    small: { prefix: { pattern: \"ab\", size: 4 } }\n", file: "test.yaml").get()
        #expect(scenario.expectations.buffers.first?.check == .prefix(Array("abab".utf8)))
    }
}
