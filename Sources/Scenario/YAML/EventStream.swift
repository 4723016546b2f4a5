internal import CYAML
import Dispatch
import Synchronization

/// One libyaml event, copied out of libyaml's memory (which the next event reuses): what it is, where it
/// starts, its scalar's value, and where its other texts (a tag, an anchor or alias name) lie in its
/// batch's bytes.
struct ParsedEvent: Sendable {
    enum Kind: UInt8 {
        case streamEnd, documentStart, scalar, alias, sequenceStart, mappingStart, sequenceEnd, mappingEnd, other
    }

    /// Where a text lies in `EventBatch.bytes`; `count` is -1 when the event has no such text.
    struct Text: Sendable {
        var start: Int32
        var count: Int32
        static let absent = Text(start: 0, count: -1)
    }

    var kind: Kind
    var isPlainScalar: Bool
    var line: UInt32
    var column: UInt32
    /// A scalar's value: its index in `EventBatch.scalars`; -1 for other events.
    var value: Int32
    var tag: Text
    var anchor: Text
}

/// A run of events, their scalars' values as strings, and the bytes their other texts point into.
struct EventBatch: Sendable {
    var events: [ParsedEvent] = []
    var scalars: [String] = []
    var bytes: [UInt8] = []

    func string(_ text: ParsedEvent.Text) -> String? {
        guard text.count >= 0 else { return nil }
        let start = Int(text.start)
        return String(decoding: bytes[start..<start + Int(text.count)], as: UTF8.self)
    }
}

/// Where libyaml stopped with a syntax error: its problem, context and their 0-based marks.
struct LibyamlFailure: Sendable {
    var problem: String
    var context: String?
    var problemLine: Int, problemColumn: Int
    var contextLine: Int, contextColumn: Int
}

/// libyaml's events for a whole document, in batches, turned into messages by a `build` step that runs
/// beside libyaml. Big documents are scanned and built on a second thread while the caller consumes the
/// messages already made; small ones are done in line, as the thread would cost more than it saves.
enum EventStream {
    /// Events per batch.
    static let batchSize = 8192
    /// Documents from this size on are scanned on a second thread.
    static let threadedThreshold = 256 * 1024
    /// Messages made ahead of the consumer at most (bounds the memory of a fast producer).
    static let messagesAhead = 32

    /// Runs libyaml over `bytes`, passing each batch of events to `build` (on the scanning thread), which
    /// sends messages that `consume` receives in order on this thread, and returns false to stop the scan;
    /// then returns libyaml's error, if the text has one. When it returns, `build` has run for the last time.
    static func scan<Message: Sendable>(_ bytes: [UInt8], build: @escaping @Sendable (EventBatch, (Message) -> Void) -> Bool,
                                        consume: (Message) -> Void) -> LibyamlFailure? {
        if bytes.count < threadedThreshold {
            return produce(bytes) { batch in build(batch, consume) }
        }
        let channel = MessageChannel<Message>(capacity: messagesAhead)
        // A private serial queue runs on an overcommitting thread: it starts even when every thread of the
        // global pool is busy (the suite runner loads scenarios from them).
        let queue = DispatchQueue(label: "ringscript.yaml-scanner")
        queue.async {
            let failure = produce(bytes) { batch in build(batch) { channel.send($0) } }
            channel.finish(failure)
        }
        while let message = channel.receive() { consume(message) }
        return channel.failure
    }

    /// Runs libyaml over `bytes`, sending full batches as they fill until `send` returns false; returns
    /// its error, if any.
    private static func produce(_ bytes: [UInt8], send: (EventBatch) -> Bool) -> LibyamlFailure? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            return LibyamlFailure(problem: "libyaml could not initialise a parser", context: nil,
                                  problemLine: 0, problemColumn: 0, contextLine: 0, contextColumn: 0)
        }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer -> LibyamlFailure? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var batch = EventBatch()
            batch.events.reserveCapacity(batchSize)
            batch.scalars.reserveCapacity(batchSize)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) != 0 else {
                    if !batch.events.isEmpty, !send(batch) { return nil }
                    return failure(of: parser, in: buffer)
                }
                let kind = append(event, to: &batch)
                yaml_event_delete(&event)
                if kind == .streamEnd {
                    _ = send(batch)
                    return nil
                }
                if batch.events.count == batchSize {
                    guard send(batch) else { return nil }
                    batch = EventBatch()
                    batch.events.reserveCapacity(batchSize)
                    batch.scalars.reserveCapacity(batchSize)
                }
            }
        }
    }

    private static func append(_ event: yaml_event_t, to batch: inout EventBatch) -> ParsedEvent.Kind {
        func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> ParsedEvent.Text {
            guard let pointer else { return .absent }
            var count = 0
            if let length { count = length } else { while pointer[count] != 0 { count += 1 } }
            let start = Int32(batch.bytes.count)
            batch.bytes.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count))
            return ParsedEvent.Text(start: start, count: Int32(count))
        }
        var parsed = ParsedEvent(kind: .other, isPlainScalar: false, line: UInt32(truncatingIfNeeded: event.start_mark.line + 1),
                                 column: UInt32(truncatingIfNeeded: event.start_mark.column + 1),
                                 value: -1, tag: .absent, anchor: .absent)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            parsed.kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            parsed.kind = .documentStart
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            parsed.kind = .scalar
            parsed.value = Int32(batch.scalars.count)
            batch.scalars.append(scalar.value == nil ? "" : String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self))
            parsed.tag = text(scalar.tag)
            parsed.anchor = text(scalar.anchor)
            parsed.isPlainScalar = scalar.style == YAML_PLAIN_SCALAR_STYLE
        case YAML_ALIAS_EVENT:
            parsed.kind = .alias
            parsed.anchor = text(event.data.alias.anchor)
        case YAML_SEQUENCE_START_EVENT:
            parsed.kind = .sequenceStart
            parsed.tag = text(event.data.sequence_start.tag)
            parsed.anchor = text(event.data.sequence_start.anchor)
        case YAML_MAPPING_START_EVENT:
            parsed.kind = .mappingStart
            parsed.tag = text(event.data.mapping_start.tag)
            parsed.anchor = text(event.data.mapping_start.anchor)
        case YAML_SEQUENCE_END_EVENT:
            parsed.kind = .sequenceEnd
        case YAML_MAPPING_END_EVENT:
            parsed.kind = .mappingEnd
        default:
            break
        }
        batch.events.append(parsed)
        return parsed.kind
    }

    private static func failure(of parser: yaml_parser_t, in bytes: UnsafeBufferPointer<UInt8>) -> LibyamlFailure {
        var failure = LibyamlFailure(problem: parser.problem.map { String(cString: $0) } ?? "YAML syntax error",
                                     context: parser.context.map { String(cString: $0) },
                                     problemLine: Int(parser.problem_mark.line), problemColumn: Int(parser.problem_mark.column),
                                     contextLine: Int(parser.context_mark.line), contextColumn: Int(parser.context_mark.column))
        if parser.error == YAML_READER_ERROR {
            // The reader (bad bytes, control characters) says where by byte offset and leaves the marks at
            // 0:0; the offending value goes into the message as libyaml's own tools print it.
            let (line, column) = position(ofByte: Int(parser.problem_offset), in: bytes)
            failure.problemLine = line
            failure.problemColumn = column
            failure.contextLine = line
            failure.contextColumn = column
            if parser.problem_value >= 0 {
                failure.problem += " (#x\(String(parser.problem_value, radix: 16, uppercase: true)))"
            }
        }
        return failure
    }

    /// The 0-based line and column (in characters, as libyaml counts them) of byte `offset`.
    static func position(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var line = 0
        var column = 0
        for byte in bytes.prefix(max(0, min(offset, bytes.count))) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}

/// Messages handed from the scanning thread to the consuming one, at most `capacity` ahead.
private final class MessageChannel<Message: Sendable>: Sendable {
    private struct State {
        var messages: [Message?] = []
        var head = 0
        var finished = false
        var failure: LibyamlFailure?
    }

    private let state = Mutex(State())
    /// One signal per message sent, and one at the end.
    private let available = DispatchSemaphore(value: 0)
    private let space: DispatchSemaphore

    init(capacity: Int) {
        space = DispatchSemaphore(value: capacity)
    }

    func send(_ message: Message) {
        space.wait()
        state.withLock { $0.messages.append(message) }
        available.signal()
    }

    func finish(_ failure: LibyamlFailure?) {
        state.withLock {
            $0.finished = true
            $0.failure = failure
        }
        available.signal()
    }

    /// The next message, waiting for it; nil once the producer has finished and every message was taken.
    func receive() -> Message? {
        available.wait()
        let message = state.withLock { state -> Message? in
            guard state.head < state.messages.count else { return nil }
            defer {
                state.messages[state.head] = nil
                state.head += 1
            }
            return state.messages[state.head]
        }
        if message != nil { space.signal() }
        return message
    }

    var failure: LibyamlFailure? { state.withLock { $0.failure } }
}
