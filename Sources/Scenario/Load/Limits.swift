/// The most a scenario may ask for, so that a file from a stranger cannot exhaust the machine. Every
/// limit is a located diagnostic when exceeded; the command line raises the ones a real scenario may
/// need (`--max-memory`, `--max-buffer`, `--max-scenario-size`). Grammar.md, "Limits", lists them.
public struct ScenarioLimits: Hashable, Sendable {
    /// The size of a scenario file in bytes (64 MiB).
    public var scenarioFileBytes: Int
    /// YAML nodes that aliases may materialise in one document, counting every copy of every node an
    /// alias stands for (1,000,000): a "billion laughs" document stops at its first alias beyond it.
    public var aliasNodes: Int
    /// Collections nested in one another (256 deep).
    public var nestingDepth: Int
    /// One buffer, file, inline data, buffer ring or set of provided buffers, in bytes (256 MiB).
    public var bufferBytes: UInt64
    /// Every buffer, file, buffer ring and provided buffer of a scenario together, in bytes (1 GiB).
    public var scenarioBytes: UInt64

    public static let mebibyte: UInt64 = 1 << 20

    public init(scenarioFileBytes: Int = 64 << 20, aliasNodes: Int = 1_000_000, nestingDepth: Int = 256,
                bufferBytes: UInt64 = 256 << 20, scenarioBytes: UInt64 = 1 << 30) {
        self.scenarioFileBytes = scenarioFileBytes
        self.aliasNodes = aliasNodes
        self.nestingDepth = nestingDepth
        self.bufferBytes = bufferBytes
        self.scenarioBytes = scenarioBytes
    }

    /// `4096`, `64KiB`, `256MiB`, `1GiB` (also `K`, `M`, `G`, `KB`…, all binary) as bytes; nil for
    /// anything else or more than 2^62.
    public static func parseSize(_ text: String) -> UInt64? {
        let units: [(suffix: String, shift: UInt64)] = [
            ("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40), ("KB", 10), ("MB", 20), ("GB", 30), ("TB", 40),
            ("K", 10), ("M", 20), ("G", 30), ("T", 40), ("B", 0),
        ]
        var digits = Substring(text)
        var shift: UInt64 = 0
        for unit in units where text.hasSuffix(unit.suffix) {
            digits = text.dropLast(unit.suffix.count)
            shift = unit.shift
            break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(digits),
              value <= (UInt64(1) << 62) >> shift else { return nil }
        return value << shift
    }

    /// `256 MiB`, `1 GiB`, `4097 bytes`: a size in messages.
    public static func describe(_ bytes: UInt64) -> String {
        for (shift, unit) in [(UInt64(40), "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) byte\(bytes == 1 ? "" : "s")"
    }
}
