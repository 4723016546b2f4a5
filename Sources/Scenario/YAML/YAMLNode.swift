/// A parsed YAML document, stored flat: one record per node, the children of every collection in one
/// array, and every scalar's text in another. Nodes are positions in it, so a 100,000-step scenario
/// is a handful of allocations rather than a few million, and copying a node costs one reference.
///
/// The parser appends to it on one thread (the scanning thread, for a big text) and hands it to
/// another only once nothing writes to it again: a chunk of streamed steps when the chunk is full, the
/// root document when parsing ends. That hand-over is what makes sharing it between threads sound.
final class YAMLDocument: @unchecked Sendable {
    struct Record: Sendable {
        enum Shape: UInt8, Sendable { case scalar, sequence, mapping }

        var mark: SourceMark
        /// A scalar's index in `scalars`; a collection's first index in `children`.
        var first: Int32
        /// A sequence's items; a mapping's pairs (each two children: key, then value).
        var count: Int32
        /// The index of the explicit tag in `tags`, or -1.
        var tag: Int32
        var shape: Shape
        var isPlain: Bool
    }

    // Only the parser's thread touches these while they change (see above), so the run-time
    // exclusivity checks would only cost time.
    @exclusivity(unchecked) var records: [Record] = []
    @exclusivity(unchecked) var children: [Int32] = []
    @exclusivity(unchecked) var scalars: [String] = []
    @exclusivity(unchecked) var tags: [String] = []
}

/// A node of a YAML document with the position it was written at.
public struct YAMLNode: Sendable {
    let document: YAMLDocument
    let index: Int

    init(_ document: YAMLDocument, _ index: Int) {
        self.document = document
        self.index = index
    }

    private var record: YAMLDocument.Record { document.records[index] }

    public var mark: SourceMark { record.mark }

    /// The explicit tag (`!!str`, `!custom`), if the document gave one.
    public var tag: String? {
        let tag = record.tag
        return tag < 0 ? nil : document.tags[Int(tag)]
    }

    /// Whether a scalar was written without quotes or tag. Only plain scalars can be numbers, booleans or null.
    public var isPlain: Bool { record.isPlain }

    public var scalar: String? {
        let record = record
        return record.shape == .scalar ? document.scalars[Int(record.first)] : nil
    }

    public var sequence: YAMLItems? {
        let record = record
        guard record.shape == .sequence else { return nil }
        return YAMLItems(document: document, first: Int(record.first), count: Int(record.count))
    }

    public var mapping: YAMLPairs? {
        let record = record
        guard record.shape == .mapping else { return nil }
        return YAMLPairs(document: document, first: Int(record.first), count: Int(record.count))
    }

    /// No pairs, for a null that stands for an empty mapping.
    var emptyPairs: YAMLPairs { YAMLPairs(document: document, first: 0, count: 0) }

    /// The value for the scalar key `key` of a mapping.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar == key }?.value
    }

    /// Whether this is the YAML null (`~`, `null`, or nothing at all), written plainly.
    public var isNull: Bool {
        guard isPlain, let value = scalar else { return false }
        // Asked of nearly every scalar: rule most out by their first byte before comparing.
        switch value.utf8.first {
        case nil: return true
        case UInt8(ascii: "~"): return value == "~"
        case UInt8(ascii: "n"), UInt8(ascii: "N"): return value == "null" || value == "Null" || value == "NULL"
        default: return false
        }
    }

    /// What the node is, for messages: "a mapping", "a sequence", "a number", "a boolean", "null", "a string".
    public var kindDescription: String {
        switch record.shape {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .scalar:
            if isNull { return "null" }
            guard isPlain, let value = scalar else { return "a string" }
            if ["true", "false", "True", "False", "TRUE", "FALSE"].contains(value) { return "a boolean" }
            if Int(value) != nil || Double(value) != nil || value.hasPrefix("0x") && UInt64(value.dropFirst(2), radix: 16) != nil {
                return "a number"
            }
            return "a string"
        }
    }
}

/// A key and its value in a YAML mapping, both with their marks.
public struct YAMLPair: Sendable {
    public let key: YAMLNode
    public let value: YAMLNode
}

/// The items of a sequence, read in place (or one node standing for a list of itself).
public struct YAMLItems: RandomAccessCollection, Sendable {
    let document: YAMLDocument
    let first: Int
    /// The node that is the whole list, or -1 for a sequence's items.
    let single: Int
    public let count: Int

    init(document: YAMLDocument, first: Int, count: Int) {
        self.document = document
        self.first = first
        self.single = -1
        self.count = count
    }

    /// `node` as a one-item list.
    init(single node: YAMLNode) {
        document = node.document
        first = 0
        single = node.index
        count = 1
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> YAMLNode {
        precondition(position >= 0 && position < count, "YAMLItems index out of range")
        return YAMLNode(document, single >= 0 ? single : Int(document.children[first + position]))
    }
}

/// The pairs of a mapping, read in place.
public struct YAMLPairs: RandomAccessCollection, Sendable {
    let document: YAMLDocument
    let first: Int
    public let count: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> YAMLPair {
        precondition(position >= 0 && position < count, "YAMLPairs index out of range")
        let at = first + 2 * position
        return YAMLPair(key: YAMLNode(document, Int(document.children[at])), value: YAMLNode(document, Int(document.children[at + 1])))
    }
}
