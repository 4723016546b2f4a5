/// A node of a YAML document with the position it was written at.
public struct YAMLNode: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case scalar(String)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public let kind: Kind
    public let mark: SourceMark
    /// The explicit tag (`!!str`, `!custom`), if the document gave one.
    public let tag: String?
    /// Whether a scalar was written without quotes. Only plain scalars can be numbers, booleans or null.
    public let isPlain: Bool

    public init(_ kind: Kind, mark: SourceMark, tag: String? = nil, isPlain: Bool = true) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
        self.isPlain = isPlain
    }

    public var scalar: String? {
        if case .scalar(let value) = kind { return value }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value for the scalar key `key` of a mapping.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar == key }?.value
    }

    /// Whether this is the YAML null (`~`, `null`, or nothing at all), written plainly.
    public var isNull: Bool {
        guard isPlain, tag == nil, let value = scalar else { return false }
        return value.isEmpty || value == "~" || value == "null" || value == "Null" || value == "NULL"
    }

    /// What the node is, for messages: "a mapping", "a sequence", "a number", "a boolean", "null", "a string".
    public var kindDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .scalar(let value):
            if isNull { return "null" }
            guard isPlain, tag == nil else { return "a string" }
            if ["true", "false", "True", "False", "TRUE", "FALSE"].contains(value) { return "a boolean" }
            if Int(value) != nil || Double(value) != nil || value.hasPrefix("0x") && UInt64(value.dropFirst(2), radix: 16) != nil {
                return "a number"
            }
            return "a string"
        }
    }
}

/// A key and its value in a YAML mapping, both with their marks.
public struct YAMLPair: Hashable, Sendable {
    public let key: YAMLNode
    public let value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}
