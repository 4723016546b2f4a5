internal import CYAML

/// Parses YAML text into a `YAMLNode` tree with 1-based marks, through libyaml's event API.
public enum YAMLParser {
    /// Parses a single document. Anchors and aliases are expanded, `<<` merge keys are merged, and
    /// libyaml's own errors and duplicate keys come back as diagnostics at their line and column.
    public static func parse(_ text: String, file: String) -> Result<YAMLNode, DiagnosticList> {
        var builder = TreeBuilder(file: file)
        let bytes = Array(text.utf8)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            return .failure(DiagnosticList([Diagnostic(at: SourceMark(file: file, line: 1, column: 1), "libyaml could not initialise a parser")]))
        }
        defer { yaml_parser_delete(&parser) }

        return bytes.withUnsafeBufferPointer { buffer -> Result<YAMLNode, DiagnosticList> in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) != 0 else {
                    return .failure(DiagnosticList([libyamlDiagnostic(parser, file: file)]))
                }
                defer { yaml_event_delete(&event) }
                let done = builder.handle(event)
                if done { break }
            }
            if !builder.diagnostics.isEmpty { return .failure(DiagnosticList(builder.diagnostics)) }
            return .success(builder.root ?? YAMLNode(.mapping([]), mark: SourceMark(file: file, line: 1, column: 1)))
        }
    }

    private static func libyamlDiagnostic(_ parser: yaml_parser_t, file: String) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "YAML syntax error"
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            message = "\(problem) \(context)"
        }
        let mark = SourceMark(file: file, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        var notes: [Diagnostic] = []
        if parser.context != nil, parser.context_mark.line != parser.problem_mark.line || parser.context_mark.column != parser.problem_mark.column {
            let contextMark = SourceMark(file: file, line: Int(parser.context_mark.line) + 1, column: Int(parser.context_mark.column) + 1)
            notes.append(Diagnostic(.note, at: contextMark, "the construct started here"))
        }
        return Diagnostic(at: mark, "invalid YAML: \(message)", notes: notes)
    }
}

/// Builds nodes from libyaml events with a stack of open collections.
private struct TreeBuilder {
    let file: String
    let fileID: UInt32
    var root: YAMLNode?
    var diagnostics: [Diagnostic] = []
    private var anchors: [String: YAMLNode] = [:]
    private var stack: [Frame] = []
    private var documents = 0

    private struct Frame {
        var isMapping: Bool
        var mark: SourceMark
        var tag: String?
        var anchor: String?
        var items: [YAMLNode] = []
    }

    init(file: String) {
        self.file = file
        fileID = SourceFiles.id(of: file)
    }

    /// Handles one event; returns true at the end of the stream.
    mutating func handle(_ event: yaml_event_t) -> Bool {
        let mark = SourceMark(fileID: fileID, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents == 2 {
                diagnostics.append(Diagnostic(at: mark, "a scenario file holds one YAML document; found a second one"))
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = string(scalar.value, length: Int(scalar.length))
            let tag = cString(scalar.tag)
            let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            let node = YAMLNode(.scalar(value), mark: mark, tag: tag, isPlain: plain && tag == nil)
            if let anchor = cString(scalar.anchor) { anchors[anchor] = node }
            add(node)
        case YAML_ALIAS_EVENT:
            let name = cString(event.data.alias.anchor) ?? ""
            if let node = anchors[name] {
                add(node)
            } else {
                diagnostics.append(Diagnostic(at: mark, "unknown alias '*\(name)'"))
                add(YAMLNode(.scalar(""), mark: mark))
            }
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            stack.append(Frame(isMapping: false, mark: mark, tag: cString(start.tag), anchor: cString(start.anchor)))
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            stack.append(Frame(isMapping: true, mark: mark, tag: cString(start.tag), anchor: cString(start.anchor)))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let node: YAMLNode
            if frame.isMapping {
                node = YAMLNode(.mapping(pairs(of: frame.items)), mark: frame.mark, tag: frame.tag, isPlain: false)
            } else {
                node = YAMLNode(.sequence(frame.items), mark: frame.mark, tag: frame.tag, isPlain: false)
            }
            if let anchor = frame.anchor { anchors[anchor] = node }
            add(node)
        default:
            break
        }
        return false
    }

    private mutating func add(_ node: YAMLNode) {
        if stack.isEmpty {
            if root == nil { root = node }
        } else {
            stack[stack.count - 1].items.append(node)
        }
    }

    /// Pairs up a mapping's alternating keys and values, merges `<<` keys, and reports duplicate keys.
    /// Linear in the size of the mapping: keys are looked up in a dictionary, and merging is only done
    /// when a `<<` key is present.
    private mutating func pairs(of items: [YAMLNode]) -> [YAMLPair] {
        var explicit: [YAMLPair] = []
        explicit.reserveCapacity(items.count / 2)
        // Duplicate keys: a linear scan of the keys so far for the small mappings scenarios are made of,
        // a dictionary beyond (linear in the size of the mapping either way).
        let small = items.count <= 32
        var firstKeyMark: [String: SourceMark] = [:]
        var mergeSources: [YAMLNode] = []
        var index = 0
        while index + 1 < items.count {
            let key = items[index]
            let value = items[index + 1]
            index += 2
            if key.isPlain, key.scalar == "<<" {
                mergeSources += value.sequence ?? [value]
                continue
            }
            if let name = key.scalar {
                let first: SourceMark?
                if small {
                    first = explicit.first { $0.key.scalar == name }?.key.mark
                } else {
                    first = firstKeyMark[name]
                    if first == nil { firstKeyMark[name] = key.mark }
                }
                if let first {
                    diagnostics.append(Diagnostic(at: key.mark, "duplicate key '\(name)'",
                                                  notes: [Diagnostic(.note, at: first, "'\(name)' first appears here")]))
                    continue
                }
            }
            explicit.append(YAMLPair(key: key, value: value))
        }
        guard !mergeSources.isEmpty else { return explicit }
        // Keys written explicitly override merged ones; of merged keys, the first source wins.
        var merged: [YAMLPair] = []
        var taken = Set(explicit.compactMap { $0.key.scalar })
        for source in mergeSources {
            guard let sourcePairs = source.mapping else {
                diagnostics.append(Diagnostic(at: source.mark, "a '<<' merge key takes a mapping or a sequence of mappings, not \(source.kindDescription)"))
                continue
            }
            for pair in sourcePairs where taken.insert(pair.key.scalar ?? "").inserted {
                merged.append(pair)
            }
        }
        return explicit + merged
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private func cString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        var length = 0
        while pointer[length] != 0 { length += 1 }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
