internal import CYAML

/// A YAML value to write: what the TAP diagnostic blocks hold. Mapping keys keep the order given.
public indirect enum YAMLOutput: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case sequence([YAMLOutput])
    case mapping([YAMLOutputPair])

    /// A mapping from pairs in order.
    public static func map(_ pairs: [(String, YAMLOutput)]) -> YAMLOutput {
        .mapping(pairs.map { YAMLOutputPair(key: $0.0, value: $0.1) })
    }
}

/// One key and its value in a `YAMLOutput.mapping`.
public struct YAMLOutputPair: Hashable, Sendable {
    public var key: String
    public var value: YAMLOutput

    public init(key: String, value: YAMLOutput) {
        self.key = key
        self.value = value
    }
}

/// Writes YAML through libyaml's emitter (`yaml_emitter_*`), so quoting and escaping are libyaml's:
/// strings are always quoted (never read back as numbers or booleans), control characters escaped.
public enum YAMLEmitter {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var problem: String
        public var description: String { "libyaml emitter: \(problem)" }
    }

    /// One block-style document without `---`/`...` markers, ending in a newline.
    public static func document(_ value: YAMLOutput) throws(Failure) -> String {
        let sink = OutputSink()
        var emitter = yaml_emitter_t()
        guard yaml_emitter_initialize(&emitter) == 1 else { throw Failure(problem: "cannot initialize") }
        defer { yaml_emitter_delete(&emitter) }
        yaml_emitter_set_output(&emitter, { data, buffer, size in
            guard let data, let buffer else { return 0 }
            Unmanaged<OutputSink>.fromOpaque(data).takeUnretainedValue().bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
            return 1
        }, Unmanaged.passUnretained(sink).toOpaque())
        yaml_emitter_set_unicode(&emitter, 1)
        yaml_emitter_set_width(&emitter, -1)
        yaml_emitter_set_indent(&emitter, 2)

        func emit(_ build: (inout yaml_event_t) -> Int32) throws(Failure) {
            var event = yaml_event_t()
            guard build(&event) == 1 else { throw Failure(problem: "cannot build an event") }
            // yaml_emitter_emit takes the event over, on failure too.
            guard yaml_emitter_emit(&emitter, &event) == 1 else {
                throw Failure(problem: emitter.problem.map { String(cString: $0) } ?? "emit failed")
            }
        }
        func scalar(_ text: String, quoted: Bool) throws(Failure) {
            var bytes = Array(text.utf8)
            let count = Int32(bytes.count)
            try bytes.withUnsafeMutableBufferPointer { (buffer) throws(Failure) in
                try emit { yaml_scalar_event_initialize(&$0, nil, nil, buffer.baseAddress ?? nil, count, quoted ? 0 : 1, 1, YAML_ANY_SCALAR_STYLE) }
            }
        }
        func node(_ value: YAMLOutput) throws(Failure) {
            switch value {
            case .string(let text): try scalar(text, quoted: true)
            case .integer(let number): try scalar(String(number), quoted: false)
            case .number(let number): try scalar(number.isFinite ? String(number) : ".nan", quoted: false)
            case .bool(let flag): try scalar(flag ? "true" : "false", quoted: false)
            case .sequence(let items):
                try emit { yaml_sequence_start_event_initialize(&$0, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE) }
                for item in items { try node(item) }
                try emit { yaml_sequence_end_event_initialize(&$0) }
            case .mapping(let pairs):
                try emit { yaml_mapping_start_event_initialize(&$0, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE) }
                for pair in pairs {
                    try scalar(pair.key, quoted: false)
                    try node(pair.value)
                }
                try emit { yaml_mapping_end_event_initialize(&$0) }
            }
        }

        try emit { yaml_stream_start_event_initialize(&$0, YAML_UTF8_ENCODING) }
        try emit { yaml_document_start_event_initialize(&$0, nil, nil, nil, 1) }
        try node(value)
        try emit { yaml_document_end_event_initialize(&$0, 1) }
        try emit { yaml_stream_end_event_initialize(&$0) }
        guard yaml_emitter_flush(&emitter) == 1 else { throw Failure(problem: "flush failed") }
        var text = String(decoding: sink.bytes, as: UTF8.self)
        // An implicit document may still end with the `...` marker libyaml adds after an open-ended scalar.
        if text.hasSuffix("...\n") { text.removeLast(4) }
        return text
    }

    /// Collects what the emitter writes.
    private final class OutputSink {
        var bytes: [UInt8] = []
    }
}
