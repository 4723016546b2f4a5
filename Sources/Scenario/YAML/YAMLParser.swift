/// Parses YAML text into a `YAMLNode` tree with 1-based marks, through libyaml's event API (`EventStream`).
public enum YAMLParser {
    /// Parses a single document. Anchors and aliases are expanded, `<<` merge keys are merged, and
    /// libyaml's own errors and duplicate keys come back as diagnostics at their line and column.
    /// Aliases that would materialise more than `limits.aliasNodes` nodes, and collections nested deeper
    /// than `limits.nestingDepth`, stop the parse with a diagnostic where it happened.
    public static func parse(_ text: String, file: String, limits: ScenarioLimits = ScenarioLimits()) -> Result<YAMLNode, DiagnosticList> {
        parse(text, file: file, limits: limits, stepObserver: nil)
    }

    /// Parses as `parse(_:file:)` does, handing `stepObserver` the top-level `steps` list step by step as
    /// each is complete, so a consumer can work on them while the rest is still being read. Streamed
    /// steps are not part of the returned tree: its `steps` list is empty.
    ///
    /// For a big text, libyaml and the tree building both run on a second thread; the observer is
    /// called on this one, with steps in documents of their own (`StepStreamObserver`).
    static func parse(_ text: String, file: String, limits: ScenarioLimits = ScenarioLimits(),
                      stepObserver: (any StepStreamObserver)?) -> Result<YAMLNode, DiagnosticList> {
        let builder = TreeBuilder(file: file, streamsSteps: stepObserver != nil, limits: limits)
        let failure = EventStream.scan(Array(text.utf8), build: { batch, send in
            for event in batch.events where !builder.isHalted { builder.handle(event, in: batch, send: send) }
            return !builder.isHalted
        }, consume: { (message: StepStreamMessage) in
            switch message {
            case .stepsStart(let rootMark, let before, let list):
                stepObserver?.stepsWillStart(rootMark: rootMark, before: before, list: list)
            case .steps(let document, let steps):
                for step in steps { stepObserver?.step(YAMLNode(document, Int(step))) }
            }
        })
        // The builder's thread has finished with it: `scan` returns after its last hand-over.
        if builder.isHalted { return .failure(DiagnosticList(builder.diagnostics)) }
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

/// Receives the items of a document's top-level `steps` list while the document is being parsed, on
/// the thread that called `YAMLParser.parse`. The nodes it is given belong to documents of their own
/// (a chunk of steps, a copy of the pairs before the list), which nothing writes to once handed over.
protocol StepStreamObserver: AnyObject {
    /// The root mapping's `steps` key opens a list at `list`; `before` are the root's pairs before it, in
    /// order. Not called when those pairs hold a `<<` merge key.
    func stepsWillStart(rootMark: SourceMark, before: [YAMLPair], list: SourceMark)
    /// The next item of the list, complete.
    func step(_ node: YAMLNode)
}

/// What the tree builder hands the observer's thread.
enum StepStreamMessage: Sendable {
    case stepsStart(rootMark: SourceMark, before: [YAMLPair], list: SourceMark)
    /// Complete steps, in order: their nodes in `document`.
    case steps(YAMLDocument, [Int32])
}

/// Builds `YAMLDocument`s from libyaml events with a stack of open collections.
///
/// A class shared by two threads in turn: the scanning thread builds with it while the text is parsed,
/// and the caller reads the result once `EventStream.scan` has returned (after its last hand-over).
/// The steps of a streamed `steps` list go into chunk documents that are handed over whole; everything
/// else goes into the root document, which the caller only reads at the end. One thread at a time, so
/// the properties read for every event skip the run-time exclusivity checks.
private final class TreeBuilder: @unchecked Sendable {
    typealias Record = YAMLDocument.Record

    /// Steps per chunk handed over: big enough that hand-overs are rare, small enough to start early.
    static let stepsPerChunk = 256

    let file: String
    let fileID: UInt32
    @exclusivity(unchecked) private(set) var diagnostics: [Diagnostic] = []
    @exclusivity(unchecked) private var rootIndex: Int32?
    /// Everything outside the streamed steps.
    private let rootDocument = YAMLDocument()
    /// Where new nodes go: the root document, or the chunk of streamed steps being filled.
    @exclusivity(unchecked) private var document: YAMLDocument
    /// Anchored nodes, with the document that holds them and how many nodes they stand for with every
    /// alias inside expanded; an alias from another document copies the node.
    @exclusivity(unchecked) private var anchors: [String: (document: YAMLDocument, node: Int32, size: Int)] = [:]
    let limits: ScenarioLimits
    /// Nodes written out in the text, and nodes aliases stand for (every copy counted): the document's
    /// expanded size is their sum.
    @exclusivity(unchecked) private var literalNodes = 0
    @exclusivity(unchecked) private var aliasedNodes = 0
    /// Set when a limit stops the parse: later events are not handled.
    @exclusivity(unchecked) private(set) var isHalted = false
    @exclusivity(unchecked) private var stack: [Frame] = []
    private var documents = 0
    /// The items of every open collection, innermost last.
    @exclusivity(unchecked) private var openItems: [Int32] = []
    /// Whether a top-level `steps` list is still to be streamed.
    @exclusivity(unchecked) private var streamsSteps: Bool
    /// The stack position of the top-level `steps` list while it is open and streamed.
    @exclusivity(unchecked) private var streamedFrame: Int?
    /// The completed steps of the current chunk.
    @exclusivity(unchecked) private var chunkSteps: [Int32] = []

    private struct Frame {
        var isMapping: Bool
        var mark: SourceMark
        var tag: Int32
        var anchor: String?
        /// Where this collection's items start in `openItems`.
        var firstItem: Int
        /// `literalNodes` and `aliasedNodes` when it opened, for its expanded size.
        var literalNodesBefore: Int
        var aliasedNodesBefore: Int
    }

    init(file: String, streamsSteps: Bool, limits: ScenarioLimits) {
        self.file = file
        self.limits = limits
        fileID = SourceFiles.id(of: file)
        self.streamsSteps = streamsSteps
        document = rootDocument
    }

    /// The document, with its root (an empty mapping for an empty document).
    func finish() -> YAMLNode {
        let root = rootIndex ?? newRecord(Record(mark: SourceMark(fileID: fileID, line: 1, column: 1), first: Int32(document.children.count),
                                                 count: 0, tag: -1, shape: .mapping, isPlain: false))
        return YAMLNode(rootDocument, Int(root))
    }

    /// Handles one event of `batch`; `send` hands messages to the observer's thread.
    func handle(_ event: ParsedEvent, in batch: EventBatch, send: (StepStreamMessage) -> Void) {
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
            literalNodes += 1
            if let anchor = batch.string(event.anchor) { anchors[anchor] = (document, node, 1) }
            add(node, send: send)
        case .alias:
            let name = batch.string(event.anchor) ?? ""
            if let (source, node, size) = anchors[name] {
                guard size <= limits.aliasNodes - aliasedNodes else {
                    halt(Diagnostic(at: mark, "alias '*\(name)' stands for \(size) nodes, more than the \(limits.aliasNodes - aliasedNodes) left of the \(limits.aliasNodes) that aliases may expand to in one document (an alias bomb?)"))
                    return
                }
                aliasedNodes += size
                add(source === document ? node : copy(node, from: source), send: send)
            } else {
                diagnostics.append(Diagnostic(at: mark, "unknown alias '*\(name)'"))
                add(newScalar("", mark: mark, tag: -1, isPlain: true), send: send)
            }
        case .sequenceStart, .mappingStart:
            guard stack.count < limits.nestingDepth else {
                halt(Diagnostic(at: mark, "collections are nested more than \(limits.nestingDepth) deep"))
                return
            }
            let frame = Frame(isMapping: event.kind == .mappingStart, mark: mark, tag: tag(batch.string(event.tag)),
                              anchor: batch.string(event.anchor), firstItem: openItems.count,
                              literalNodesBefore: literalNodes, aliasedNodesBefore: aliasedNodes)
            if event.kind == .sequenceStart, streamsSteps { startStreamingIfSteps(at: mark, send: send) }
            stack.append(frame)
        case .sequenceEnd, .mappingEnd:
            if streamedFrame == stack.count - 1 {
                sendChunk(send)
                streamedFrame = nil
                document = rootDocument
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
            literalNodes += 1
            if let anchor = frame.anchor {
                let size = (literalNodes - frame.literalNodesBefore) + (aliasedNodes - frame.aliasedNodesBefore)
                anchors[anchor] = (document, node, size)
            }
            add(node, send: send)
        }
    }

    /// Stops the parse at a limit: `diagnostic` says which; no event after this one is handled.
    private func halt(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
        isHalted = true
    }

    private func tag(_ text: String?) -> Int32 {
        guard let text else { return -1 }
        document.tags.append(text)
        return Int32(document.tags.count - 1)
    }

    private func newScalar(_ text: String, mark: SourceMark, tag: Int32, isPlain: Bool) -> Int32 {
        document.scalars.append(text)
        return newRecord(Record(mark: mark, first: Int32(document.scalars.count - 1), count: 0, tag: tag, shape: .scalar, isPlain: isPlain))
    }

    private func newRecord(_ record: Record) -> Int32 {
        document.records.append(record)
        return Int32(document.records.count - 1)
    }

    private func add(_ node: Int32, send: (StepStreamMessage) -> Void) {
        if stack.isEmpty {
            if rootIndex == nil { rootIndex = node }
        } else if streamedFrame == stack.count - 1 {
            chunkSteps.append(node)
            if chunkSteps.count == TreeBuilder.stepsPerChunk { sendChunk(send) }
        } else {
            openItems.append(node)
        }
    }

    /// Hands over the steps completed so far, and starts a new chunk document.
    private func sendChunk(_ send: (StepStreamMessage) -> Void) {
        guard !chunkSteps.isEmpty else { return }
        send(.steps(document, chunkSteps))
        chunkSteps.removeAll(keepingCapacity: true)
        document = YAMLDocument()
    }

    /// Copies `node` of `source`, with everything under it, into the current document (an alias to a
    /// node of another document).
    private func copy(_ node: Int32, from source: YAMLDocument) -> Int32 {
        var record = source.records[Int(node)]
        if record.tag >= 0 {
            document.tags.append(source.tags[Int(record.tag)])
            record.tag = Int32(document.tags.count - 1)
        }
        switch record.shape {
        case .scalar:
            document.scalars.append(source.scalars[Int(record.first)])
            record.first = Int32(document.scalars.count - 1)
        case .sequence, .mapping:
            let width = record.shape == .mapping ? 2 : 1
            let children = (0..<Int(record.count) * width).map { copy(source.children[Int(record.first) + $0], from: source) }
            record.first = Int32(document.children.count)
            document.children.append(contentsOf: children)
        }
        return newRecord(record)
    }

    /// A list opening as the value of the root mapping's `steps` key is streamed to the observer.
    private func startStreamingIfSteps(at mark: SourceMark, send: (StepStreamMessage) -> Void) {
        guard stack.count == 1, stack[0].isMapping else { return }
        let firstItem = stack[0].firstItem
        let written = openItems.count - firstItem
        guard written % 2 == 1, let key = openItems.last, document.records[Int(key)].isPlain, scalar(key) == "steps" else { return }
        streamsSteps = false
        // The pairs before the list, copied into a document of their own for the observer's thread.
        var before: [(key: Int32, value: Int32)] = []
        var index = firstItem
        while index + 1 < openItems.count - 1 {
            let pairKey = openItems[index]
            if document.records[Int(pairKey)].isPlain, scalar(pairKey) == "<<" { return }
            before.append((pairKey, openItems[index + 1]))
            index += 2
        }
        document = YAMLDocument()
        let header = document
        let pairs = before.map { pair in
            YAMLPair(key: YAMLNode(header, Int(copy(pair.key, from: rootDocument))),
                     value: YAMLNode(header, Int(copy(pair.value, from: rootDocument))))
        }
        send(.stepsStart(rootMark: stack[0].mark, before: pairs, list: mark))
        // The first chunk of steps.
        document = YAMLDocument()
        streamedFrame = stack.count
    }

    private func scalar(_ node: Int32) -> String? {
        let record = document.records[Int(node)]
        return record.shape == .scalar ? document.scalars[Int(record.first)] : nil
    }

    /// Pairs up the open mapping's alternating keys and values (from `firstItem` in `openItems`) into
    /// `document.children`, merges `<<` keys, and reports duplicate keys; returns the number of pairs. Linear in the
    /// size of the mapping: keys are looked up in a dictionary, and merging is only done when a `<<` key
    /// is present.
    private func appendPairs(from firstItem: Int) -> Int {
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
