/// Parses YAML text into a `YAMLNode` tree with 1-based marks, through libyaml's event API (`EventStream`).
public enum YAMLParser {
    /// Parses a single document. Anchors and aliases are expanded, `<<` merge keys are merged, and
    /// libyaml's own errors and duplicate keys come back as diagnostics at their line and column.
    public static func parse(_ text: String, file: String) -> Result<YAMLNode, DiagnosticList> {
        parse(text, file: file, stepObserver: nil)
    }

    /// Parses as `parse(_:file:)` does, handing `stepObserver` the top-level `steps` list item by item as
    /// each is complete, so a consumer can work on them while the rest is still being read.
    static func parse(_ text: String, file: String, stepObserver: (any StepStreamObserver)?) -> Result<YAMLNode, DiagnosticList> {
        var builder = TreeBuilder(file: file)
        builder.stepObserver = stepObserver
        let failure = EventStream.scan(Array(text.utf8)) { batch in
            for event in batch.events { builder.handle(event, in: batch) }
        }
        if let failure { return .failure(DiagnosticList([diagnostic(failure, file: file)])) }
        if !builder.diagnostics.isEmpty { return .failure(DiagnosticList(builder.diagnostics)) }
        return .success(builder.finish())
    }

    private static func diagnostic(_ failure: LibyamlFailure, file: String) -> Diagnostic {
        var message = failure.problem
        if let context = failure.context { message = "\(failure.problem) \(context)" }
        let mark = SourceMark(file: file, line: failure.problemLine + 1, column: failure.problemColumn + 1)
        var notes: [Diagnostic] = []
        if failure.context != nil, failure.contextLine != failure.problemLine || failure.contextColumn != failure.problemColumn {
            let contextMark = SourceMark(file: file, line: failure.contextLine + 1, column: failure.contextColumn + 1)
            notes.append(Diagnostic(.note, at: contextMark, "the construct started here"))
        }
        return Diagnostic(at: mark, "invalid YAML: \(message)", notes: notes)
    }
}

/// Receives the items of a document's top-level `steps` list while the document is being parsed.
/// Nothing of the document but the nodes it is given may be read before parsing ends.
protocol StepStreamObserver: AnyObject {
    /// Whether each step's nodes may be dropped from the document once `step(_:)` returns, so a big
    /// scenario never holds its whole tree: the returned tree then has an empty `steps` list, and an
    /// observer that needs the tree after all must parse again. When false, every node stays valid.
    var dropsStepsAfterReading: Bool { get }
    /// The root mapping's `steps` key (at `key`) opens a list at `list`; `before` are the root's pairs
    /// before it, in order. Not called when those pairs hold a `<<` merge key.
    func stepsWillStart(rootMark: SourceMark, before: [YAMLPair], key: YAMLNode, list: SourceMark)
    /// The next item of the list, complete.
    func step(_ node: YAMLNode)
}

/// Builds a `YAMLDocument` from libyaml events with a stack of open collections.
private struct TreeBuilder {
    typealias Record = YAMLDocument.Record

    let file: String
    let fileID: UInt32
    var diagnostics: [Diagnostic] = []
    private var rootIndex: Int32?
    let document = YAMLDocument()
    private var anchors: [String: Int32] = [:]
    private var stack: [Frame] = []
    private var documents = 0
    /// The items of every open collection, innermost last.
    private var openItems: [Int32] = []
    var stepObserver: (any StepStreamObserver)?
    /// The stack position of the top-level `steps` list while it is open and streamed.
    private var streamedFrame: Int?
    /// While streamed steps are dropped: the document's size when the list opened, which each step's
    /// nodes are cut back to once the observer has read them. Nil from the first anchor defined inside
    /// the list on (a later alias could need its node).
    private var streamBase: YAMLDocument.Size?

    private struct Frame {
        var isMapping: Bool
        var mark: SourceMark
        var tag: Int32
        var anchor: String?
        /// Where this collection's items start in `openItems`.
        var firstItem: Int
    }

    init(file: String) {
        self.file = file
        fileID = SourceFiles.id(of: file)
    }

    /// The document, with its root (an empty mapping for an empty document).
    mutating func finish() -> YAMLNode {
        let root = rootIndex ?? newRecord(Record(mark: SourceMark(fileID: fileID, line: 1, column: 1), first: Int32(document.children.count),
                                                 count: 0, tag: -1, shape: .mapping, isPlain: false))
        return YAMLNode(document, Int(root))
    }

    /// Handles one event of `batch`.
    mutating func handle(_ event: ParsedEvent, in batch: EventBatch) {
        let mark = SourceMark(fileID: fileID, line: Int(event.line), column: Int(event.column))
        switch event.kind {
        case .streamEnd, .other:
            break
        case .documentStart:
            documents += 1
            if documents == 2 {
                diagnostics.append(Diagnostic(at: mark, "a scenario file holds one YAML document; found a second one"))
            }
        case .scalar:
            let tag = self.tag(batch.string(event.tag))
            let node = newScalar(batch.scalars[Int(event.value)], mark: mark, tag: tag, isPlain: event.isPlainScalar && tag < 0)
            if let anchor = batch.string(event.anchor) { define(anchor, node) }
            add(node)
        case .alias:
            let name = batch.string(event.anchor) ?? ""
            if let node = anchors[name] {
                add(node)
            } else {
                diagnostics.append(Diagnostic(at: mark, "unknown alias '*\(name)'"))
                add(newScalar("", mark: mark, tag: -1, isPlain: true))
            }
        case .sequenceStart, .mappingStart:
            if event.kind == .sequenceStart, stepObserver != nil { startStreamingIfSteps(at: mark) }
            stack.append(Frame(isMapping: event.kind == .mappingStart, mark: mark, tag: tag(batch.string(event.tag)),
                               anchor: batch.string(event.anchor), firstItem: openItems.count))
        case .sequenceEnd, .mappingEnd:
            if streamedFrame == stack.count - 1 {
                streamedFrame = nil
                streamBase = nil
                stepObserver = nil
            }
            let frame = stack.removeLast()
            let first = Int32(document.children.count)
            let count: Int
            if frame.isMapping {
                count = appendPairs(from: frame.firstItem)
            } else {
                count = openItems.count - frame.firstItem
                document.children.append(contentsOf: openItems[frame.firstItem...])
            }
            openItems.removeSubrange(frame.firstItem...)
            let node = newRecord(Record(mark: frame.mark, first: first, count: Int32(count), tag: frame.tag,
                                        shape: frame.isMapping ? .mapping : .sequence, isPlain: false))
            if let anchor = frame.anchor { define(anchor, node) }
            add(node)
        }
    }

    private mutating func tag(_ text: String?) -> Int32 {
        guard let text else { return -1 }
        document.tags.append(text)
        return Int32(document.tags.count - 1)
    }

    private mutating func newScalar(_ text: String, mark: SourceMark, tag: Int32, isPlain: Bool) -> Int32 {
        document.scalars.append(text)
        return newRecord(Record(mark: mark, first: Int32(document.scalars.count - 1), count: 0, tag: tag, shape: .scalar, isPlain: isPlain))
    }

    private mutating func newRecord(_ record: Record) -> Int32 {
        document.records.append(record)
        return Int32(document.records.count - 1)
    }

    private mutating func add(_ node: Int32) {
        if stack.isEmpty {
            if rootIndex == nil { rootIndex = node }
        } else if streamedFrame == stack.count - 1, let observer = stepObserver {
            observer.step(YAMLNode(document, Int(node)))
            if let streamBase {
                document.truncate(to: streamBase)
            } else {
                openItems.append(node)
            }
        } else {
            openItems.append(node)
        }
    }

    private mutating func define(_ anchor: String, _ node: Int32) {
        anchors[anchor] = node
        if streamedFrame != nil { streamBase = nil }
    }

    /// A list opening as the value of the root mapping's `steps` key is streamed to the observer.
    private mutating func startStreamingIfSteps(at mark: SourceMark) {
        guard stack.count == 1, stack[0].isMapping, let observer = stepObserver else { return }
        let firstItem = stack[0].firstItem
        let written = openItems.count - firstItem
        guard written % 2 == 1, let key = openItems.last, document.records[Int(key)].isPlain, scalar(key) == "steps" else { return }
        var before: [YAMLPair] = []
        var index = firstItem
        while index + 1 < openItems.count - 1 {
            let pairKey = openItems[index]
            if document.records[Int(pairKey)].isPlain, scalar(pairKey) == "<<" {
                stepObserver = nil
                return
            }
            before.append(YAMLPair(key: YAMLNode(document, Int(pairKey)), value: YAMLNode(document, Int(openItems[index + 1]))))
            index += 2
        }
        streamedFrame = stack.count
        if observer.dropsStepsAfterReading { streamBase = document.size }
        observer.stepsWillStart(rootMark: stack[0].mark, before: before, key: YAMLNode(document, Int(key)), list: mark)
    }

    private func scalar(_ node: Int32) -> String? {
        let record = document.records[Int(node)]
        return record.shape == .scalar ? document.scalars[Int(record.first)] : nil
    }

    /// Pairs up the open mapping's alternating keys and values (from `firstItem` in `openItems`) into
    /// `document.children`, merges `<<` keys, and reports duplicate keys; returns the number of pairs. Linear in the
    /// size of the mapping: keys are looked up in a dictionary, and merging is only done when a `<<` key
    /// is present.
    private mutating func appendPairs(from firstItem: Int) -> Int {
        let start = document.children.count
        let itemCount = openItems.count - firstItem
        // Duplicate keys: a linear scan of the keys so far for the small mappings scenarios are made of,
        // a dictionary beyond (linear in the size of the mapping either way).
        let small = itemCount <= 32
        var firstKeyMark: [String: SourceMark] = [:]
        var mergeSources: [Int32] = []
        var index = firstItem
        while index + 1 < openItems.count {
            let key = openItems[index]
            let value = openItems[index + 1]
            index += 2
            let name = scalar(key)
            if document.records[Int(key)].isPlain, name == "<<" {
                let source = document.records[Int(value)]
                if source.shape == .sequence {
                    mergeSources += document.children[Int(source.first)..<Int(source.first + source.count)]
                } else {
                    mergeSources.append(value)
                }
                continue
            }
            if let name {
                let first: SourceMark?
                if small {
                    first = stride(from: start, to: document.children.count, by: 2).first { scalar(document.children[$0]) == name }
                        .map { document.records[Int(document.children[$0])].mark }
                } else {
                    first = firstKeyMark[name]
                    if first == nil { firstKeyMark[name] = document.records[Int(key)].mark }
                }
                if let first {
                    diagnostics.append(Diagnostic(at: document.records[Int(key)].mark, "duplicate key '\(name)'",
                                                  notes: [Diagnostic(.note, at: first, "'\(name)' first appears here")]))
                    continue
                }
            }
            document.children.append(key)
            document.children.append(value)
        }
        guard !mergeSources.isEmpty else { return (document.children.count - start) / 2 }
        // Keys written explicitly override merged ones; of merged keys, the first source wins.
        var taken = Set(stride(from: start, to: document.children.count, by: 2).compactMap { scalar(document.children[$0]) })
        for source in mergeSources {
            let record = document.records[Int(source)]
            guard record.shape == .mapping else {
                let description = YAMLNode(document, Int(source)).kindDescription
                diagnostics.append(Diagnostic(at: record.mark, "a '<<' merge key takes a mapping or a sequence of mappings, not \(description)"))
                continue
            }
            for pair in 0..<Int(record.count) {
                let key = document.children[Int(record.first) + 2 * pair]
                guard taken.insert(scalar(key) ?? "").inserted else { continue }
                document.children.append(key)
                document.children.append(document.children[Int(record.first) + 2 * pair + 1])
            }
        }
        return (document.children.count - start) / 2
    }
}
