import IoUring

extension ScenarioBuilder {
    static let completionKeys = ["res", "flags", "buffer", "data", "stream", "cqes", "completes", "notification", "before", "after", "within", "share"]

    func readExpectations(_ node: YAMLNode) -> Expectations {
        var expectations = Expectations()
        guard let pairs = mapping(node, "'expect'") else { return expectations }
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error(pair.key.mark, "keys of 'expect' must be ids, not \(pair.key.kindDescription)")
                continue
            }
            switch key {
            case "order":
                readOrderChain(pair.value, into: &expectations.order)
            case "orders":
                guard let chains = sequence(pair.value, "'orders' (a list of orders)") else { continue }
                for chain in chains { readOrderChain(chain, into: &expectations.order) }
            case "allow_other_cqes":
                expectations.allowsOtherCompletions = bool(pair.value, "'allow_other_cqes'") ?? false
            case "buffers":
                expectations.buffers += readBufferConditions(pair.value)
            case "files":
                expectations.files += readFileConditions(pair.value)
            case "signals":
                expectations.signals += readSignalExpectations(pair.value)
            default:
                guard let subject = readSubject(pair.key) else { continue }
                var request: RequestSpec?
                if case .request(let node, let iterations, _) = subject {
                    if case .request(let spec) = nodes[node].kind { request = spec }
                    if iterations == .each, let inline = inlineExpectationNodes[node] {
                        error(pair.key.mark, "'\(key)' already has an expectation in its step", notes: [note(inline, "the step's 'expect' is here")])
                        continue
                    }
                }
                if let expectation = readCompletionExpectation(pair.value, subject: subject, request: request, mark: pair.key.mark) {
                    expectations.completions.append(expectation)
                }
            }
        }
        expectations.order += pendingOrder
        pendingOrder = []
        return expectations
    }

    func mergeInlineExpectations(into expectations: inout Expectations) {
        // Both lists are usually in source order with `expect` after the steps: then the big list is
        // moved and appended to, not copied and sorted.
        var merged = inlineExpectations
        inlineExpectations = []
        merged.append(contentsOf: expectations.completions)
        if merged.indices.dropFirst().contains(where: { !(merged[$0 - 1].mark < merged[$0].mark) }) {
            merged.sort { $0.mark < $1.mark }
        }
        expectations.completions = merged
        expectations.order += pendingOrder
        pendingOrder = []
    }

    /// An id key of `expect` (or of an order): a request id, one iteration of a repeated id, or a user_data number.
    func readSubject(_ node: YAMLNode, inOrder: Bool = false, text written: String? = nil) -> ExpectationSubject? {
        guard let text = written ?? node.scalar else { return nil }
        if node.isPlain, let parts = NodeReader.parseInteger(text), !parts.negative {
            guard explicitUserData[parts.magnitude] != nil || extraUserData.contains(parts.magnitude) else {
                error(node.mark, "no request has user_data \(text) (numeric keys name explicit 'user_data' values)")
                return nil
            }
            return .userData(parts.magnitude)
        }
        switch resolveID(text, at: node.mark) {
        case .found(let subject): return subject
        case .invalid: return nil
        case .unknown:
            let known = ids.keys.sorted()
            if inOrder {
                error(node.mark, "unknown id '\(text)' in an order constraint\(didYouMean(text, known))")
            } else {
                error(node.mark, "expectation for unknown id '\(text)'\(didYouMean(text, known + reservedExpectKeys))")
            }
            return nil
        }
    }

    // MARK: - Per request

    func readCompletionExpectation(_ node: YAMLNode, subject: ExpectationSubject, request: RequestSpec?,
                                   mark: SourceMark) -> CompletionExpectation? {
        var expectation = CompletionExpectation(subject: subject, mark: mark, cqe: CQEPattern(mark: node.mark),
                                                stream: nil, completes: true, notification: nil)
        if node.isPlain, node.scalar == "never" {
            expectation.completes = false
            return expectation
        }
        guard let pairs = node.mapping else {
            guard let result = readResultPattern(node) else { return nil }
            expectation.cqe.result = result
            return expectation
        }
        let keys = checkKeys(pairs, allowed: ScenarioBuilder.completionKeys, in: "the expectation of '\(subject)'")
        readPattern(keys, into: &expectation.cqe)
        // The pattern of every CQE of a stream: where `more` is set is the stream's shape, not a flag to match.
        let zeroCopy = ["send_zc", "send_zc_fixed", "sendmsg_zc"]
        let streams = { (spec: RequestSpec) in
            (spec.isMultishot && !zeroCopy.contains(spec.operation)) || spec.operation == "raw"
        }
        var isStream = request.map(streams) ?? (keys["stream"] != nil)
        if case .userData(let value) = subject, !isStream {
            // Every CQE with the number: a stream's too, when a request with it is one.
            isStream = nodes.contains { node in
                guard case .request(let spec) = node.kind else { return false }
                return spec.userData.isExplicit && spec.userData.base == value && streams(spec)
            }
        }
        if isStream, expectation.cqe.flagsExact { expectation.cqe.flagsIgnored = UInt64(CompletionFlags.more.rawValue) }
        if let pair = keys["completes"], let completes = bool(pair.value, "'completes'") {
            expectation.completes = completes
            if !completes, let other = ["res", "flags", "buffer", "data", "stream", "cqes", "notification", "within", "share"].first(where: { keys[$0] != nil }) {
                error(keys[other]!.key.mark, "'\(other)' describes a CQE, but 'completes: false' says '\(subject)' posts none")
            }
        }
        if let pair = keys["stream"] {
            if let request, !request.isMultishot {
                error(pair.key.mark, "'stream' describes a multishot request, but '\(subject)' (\(request.operation)) posts one CQE")
            } else {
                expectation.stream = readStream(pair.value)
            }
        }
        if let pair = keys["cqes"] { readCQEList(pair, keys: keys, subject: subject, request: request, into: &expectation) }
        if let pair = keys["notification"] {
            if let request, !["send_zc", "send_zc_fixed", "sendmsg_zc"].contains(request.operation) {
                error(pair.key.mark, "'notification' is for zero-copy sends, but '\(subject)' is \(request.operation)")
            } else if pair.value.isPlain, let text = pair.value.scalar, ["true", "True", "TRUE", "false", "False", "FALSE"].contains(text) {
                expectation.notification = bool(pair.value, "'notification'")
            } else if let pattern = readCQEPattern(pair.value, "'notification'") {
                expectation.notification = true
                expectation.notificationPattern = pattern
            }
        }
        for (name, subjectIsEarlier) in [("before", true), ("after", false)] {
            guard let pair = keys[name] else { continue }
            if name == "after", let timing = readAfterTiming(pair.value, subject: subject) {
                expectation.timing += timing
                continue
            }
            for item in list(pair.value) {
                guard let (other, reference) = readOrderSide(item) else { continue }
                if other == subject, reference == .first {
                    error(item.mark, "'\(subject)' cannot come \(name) itself")
                    continue
                }
                let constraint = subjectIsEarlier
                    ? OrderConstraint(earlier: subject, later: other, mark: item.mark, laterCQE: reference)
                    : OrderConstraint(earlier: other, later: subject, mark: item.mark, earlierCQE: reference)
                pendingOrder.append(constraint)
            }
        }
        if let pair = keys["within"] { expectation.timing += readWithinTiming(pair.value, subject: subject) }
        if let pair = keys["share"] { expectation.shares = readShares(pair.value, subject: subject) }
        return expectation
    }

    /// `res`, `flags` and `buffer` of a CQE pattern.
    func readPattern(_ keys: [String: YAMLPair], into pattern: inout CQEPattern) {
        if let pair = keys["res"] { pattern.result = readResultPattern(pair.value) }
        if let pair = keys["flags"] {
            if let pairs = pair.value.mapping {
                let flags = checkKeys(pairs, allowed: ["set", "clear"], in: "'flags'")
                if let set = flags["set"] { pattern.flagsSet = readConstants(set.value, .completionFlags, what: "'set'") }
                if let clear = flags["clear"] { pattern.flagsClear = readConstants(clear.value, .completionFlags, what: "'clear'") }
                if let set = pattern.flagsSet, let clear = pattern.flagsClear, set.value & clear.value != 0 {
                    error(pair.value.mark, "a CQE flag cannot be both set and clear")
                }
            } else {
                // A bare number or list is exact: `flags: 0` means no flag at all.
                pattern.flagsSet = readConstants(pair.value, .completionFlags, what: "'flags'")
                pattern.flagsExact = true
            }
        }
        if let pair = keys["buffer"] {
            let ids = list(pair.value).compactMap { unsigned($0, "a buffer id", bits: 16).map(UInt16.init) }
            pattern.bufferIDs = ids
        }
        if let pair = keys["data"] { pattern.data = bytes(pair.value, "'data'") }
    }

    private func readStream(_ node: YAMLNode) -> StreamExpectation? {
        guard let pairs = mapping(node, "'stream'") else { return nil }
        let keys = checkKeys(pairs, allowed: ["more", "count", "each", "final", "data"], in: "'stream'")
        var stream = StreamExpectation(moreCount: nil, totalCount: nil, each: nil, final: .required, mark: node.mark)
        if let pair = keys["more"] { stream.moreCount = readCountRange(pair.value, "'more'") }
        if let pair = keys["count"] { stream.totalCount = readCountRange(pair.value, "'count'") }
        if let more = stream.moreCount, let total = stream.totalCount, let upper = total.upper, more.lower + 1 > upper {
            error(keys["count"]!.value.mark, "a stream with at least \(more.lower) CQEs with 'more' has at least \(more.lower + 1) CQEs, not at most \(upper)")
        }
        if let pair = keys["each"] {
            stream.each = readCQEPattern(pair.value, "'each'")
            // Every CQE `each` applies to has `more`: exact flags need not list it.
            if stream.each?.flagsExact == true { stream.each?.flagsIgnored = UInt64(CompletionFlags.more.rawValue) }
        }
        if let pair = keys["data"] { stream.data = bytes(pair.value, "'data'") }
        if let pair = keys["final"] {
            if pair.value.isPlain, pair.value.scalar == "none" {
                stream.final = .absent
            } else if let pattern = readCQEPattern(pair.value, "'final'") {
                stream.final = .matching(pattern)
            }
        }
        return stream
    }

    /// A CQE pattern given as a mapping (`res`, `flags`, `buffer`) or as a bare result.
    private func readCQEPattern(_ node: YAMLNode, _ what: String) -> CQEPattern? {
        var pattern = CQEPattern(mark: node.mark)
        if let pairs = node.mapping {
            let keys = checkKeys(pairs, allowed: ["res", "flags", "buffer", "data"], in: what)
            readPattern(keys, into: &pattern)
        } else {
            guard let result = readResultPattern(node) else { return nil }
            pattern.result = result
        }
        return pattern
    }

    /// `3`, `"2..5"`, `"1.."` or `{ min: 1, max: 5 }`.
    func readCountRange(_ node: YAMLNode, _ what: String) -> CountRange? {
        if let pairs = node.mapping {
            let keys = checkKeys(pairs, allowed: ["min", "max"], in: what)
            let lower = keys["min"].flatMap { integer($0.value, "'min'", in: 0...Int64(Int32.max)) } ?? 0
            let upper = keys["max"].flatMap { integer($0.value, "'max'", in: 0...Int64(Int32.max)) }
            return checkedRange(Int(lower), upper.map { Int($0) }, node)
        }
        guard let text = node.scalar else {
            error(node.mark, "\(what) must be a count, a range such as 2..5, or { min, max }, not \(node.kindDescription)")
            return nil
        }
        if let (lowText, highText) = text.splitOnce("..") {
            let low = lowText.trimmingSpaces
            let high = highText.trimmingSpaces
            guard let lower = low.isEmpty ? 0 : Int(low), lower >= 0, high.isEmpty || Int(high) != nil else {
                error(node.mark, "\(what) must be a count or a range such as 2..5, not '\(text)'")
                return nil
            }
            return checkedRange(lower, high.isEmpty ? nil : Int(high)!, node)
        }
        guard let count = integer(node, what, in: 0...Int64(Int32.max)) else { return nil }
        return .exactly(Int(count))
    }

    private func checkedRange(_ lower: Int, _ upper: Int?, _ node: YAMLNode) -> CountRange? {
        if let upper, upper < lower {
            error(node.mark, "the range \(lower)..\(upper) is empty")
            return nil
        }
        return CountRange(lower: lower, upper: upper)
    }

    // MARK: - Results

    /// `11`, `-EBADF`, `any`, `0..64`, `">= 0"`, `{ min: 0, max: 64 }`, or a list of those (any of).
    /// `<=` must be tried before `<`.
    static let comparisonsLongestFirst = ResultPattern.Comparison.allCases.sorted { $0.rawValue.count > $1.rawValue.count }

    func readResultPattern(_ node: YAMLNode) -> ResultPattern? {
        if let items = node.sequence {
            guard !items.isEmpty else {
                error(node.mark, "an any-of list of results needs at least one entry")
                return nil
            }
            var patterns: [ResultPattern] = []
            for item in items {
                if item.sequence != nil {
                    error(item.mark, "any-of lists do not nest")
                    continue
                }
                if let pattern = readResultPattern(item) { patterns.append(pattern) }
            }
            return patterns.count == items.count ? .anyOf(patterns) : nil
        }
        if let pairs = node.mapping {
            let keys = checkKeys(pairs, allowed: ["min", "max"], in: "a result range")
            let lower = keys["min"].flatMap { readResultValue($0.value) }
            let upper = keys["max"].flatMap { readResultValue($0.value) }
            if keys.isEmpty { error(node.mark, "a result range needs 'min', 'max' or both") }
            if let lower, let upper, lower > upper {
                error(node.mark, "the range \(ResultPattern.format(lower))..\(ResultPattern.format(upper)) is empty")
                return nil
            }
            return .range(min: lower, max: upper)
        }
        guard let text = node.scalar, !node.isNull else {
            error(node.mark, "a result must be a number, -ERRNO, a range, a comparison, a list or any, not \(node.kindDescription)")
            return nil
        }
        if text == "any" { return .any }
        let first = text.utf8.first ?? 0
        let startsLikeComparison = first == UInt8(ascii: "<") || first == UInt8(ascii: ">") || first == UInt8(ascii: "=") || first == UInt8(ascii: "!")
        for comparison in ScenarioBuilder.comparisonsLongestFirst where startsLikeComparison && text.hasPrefix(comparison.rawValue) {
            let operand = String(text.dropFirst(comparison.rawValue.count)).trimmingSpaces
            guard let value = parseResultValue(operand, at: node.mark) else { return nil }
            return .comparison(comparison, value)
        }
        if let (lowText, highText) = text.splitOnce("..") {
            let low = lowText.trimmingSpaces
            let high = highText.trimmingSpaces
            let lower = low.isEmpty ? nil : parseResultValue(low, at: node.mark)
            let upper = high.isEmpty ? nil : parseResultValue(high, at: node.mark)
            if (!low.isEmpty && lower == nil) || (!high.isEmpty && upper == nil) { return nil }
            if low.isEmpty && high.isEmpty {
                error(node.mark, "a result range needs at least one end, as in 0..64")
                return nil
            }
            if let lower, let upper, lower > upper {
                error(node.mark, "the range \(text) is empty")
                return nil
            }
            return .range(min: lower, max: upper)
        }
        if text.hasPrefix("-E"), let errno = Errno(name: String(text.dropFirst())) { return .errno(errno) }
        guard let value = parseResultValue(text, at: node.mark) else { return nil }
        return .exact(value)
    }

    private func readResultValue(_ node: YAMLNode) -> Int64? {
        guard let text = node.scalar else {
            error(node.mark, "a result must be a number or -ERRNO, not \(node.kindDescription)")
            return nil
        }
        return parseResultValue(text, at: node.mark)
    }

    /// A number in the range of `res` (Int32), or `-ENAME`.
    private func parseResultValue(_ text: String, at mark: SourceMark) -> Int64? {
        if let parts = NodeReader.parseInteger(text) {
            // A hex result above 0x7fffffff is the 32-bit pattern of res, as the kernel defines flag-like
            // results (IORING_NOTIF_USAGE_ZC_COPIED is 1U << 31).
            if !parts.negative, text.lowercased().hasPrefix("0x"), (0x8000_0000...0xFFFF_FFFF).contains(parts.magnitude) {
                return Int64(Int32(bitPattern: UInt32(parts.magnitude)))
            }
            let magnitude = Int64(clamping: parts.magnitude)
            let value = parts.negative ? -magnitude : magnitude
            guard value >= Int64(Int32.min), value <= Int64(Int32.max) else {
                error(mark, "\(text) is out of range for a CQE result (a 32-bit signed number)")
                return nil
            }
            return value
        }
        if text.hasPrefix("-E") || text.hasPrefix("E") {
            let name = text.hasPrefix("-") ? String(text.dropFirst()) : text
            guard let errno = Errno(name: name) else {
                error(mark, "unknown errno name '\(name)'\(didYouMean(name, Errno.allNames))")
                return nil
            }
            guard text.hasPrefix("-") else {
                error(mark, "CQE results carry errors negated: write '-\(name)'")
                return nil
            }
            return -Int64(errno.rawValue)
        }
        error(mark, "a result must be a number, -ERRNO, a range (0..64), a comparison (\">= 0\"), a list or any, not '\(text)'")
        return nil
    }

    // MARK: - Order

    /// `[a, b, [c, d], e]`: each entry before the next; an inner list is a group in any order.
    private func readOrderChain(_ node: YAMLNode, into order: inout [OrderConstraint]) {
        guard let items = sequence(node, "an order") else { return }
        var groups: [[(subject: ExpectationSubject, reference: CQEReference, mark: SourceMark)]] = []
        var seen: [OrderVertex: SourceMark] = [:]
        for item in items {
            var group: [(ExpectationSubject, CQEReference, SourceMark)] = []
            for member in list(item) {
                if member.sequence != nil {
                    error(member.mark, "an unordered group holds ids, not another list")
                    continue
                }
                guard let (subject, reference) = readOrderSide(member) else { continue }
                if let first = seen[OrderVertex(subject: subject, reference: reference)] {
                    error(member.mark, "'\(subject)\(reference.suffix)' appears twice in this order", notes: [note(first, "first listed here")])
                    continue
                }
                seen[OrderVertex(subject: subject, reference: reference)] = member.mark
                group.append((subject, reference, member.mark))
            }
            if !group.isEmpty { groups.append(group) }
        }
        for (earlier, later) in zip(groups, groups.dropFirst()) {
            for first in earlier {
                for second in later {
                    order.append(OrderConstraint(earlier: first.subject, later: second.subject, mark: second.mark,
                                                 earlierCQE: first.reference, laterCQE: second.reference))
                }
            }
        }
    }

    /// An order that contradicts itself has a cycle; report the first one found (OrderReferenceLoading.swift).
    func checkOrder(_ constraints: [OrderConstraint]) {
        checkOrderCycles(constraints)
    }

    // MARK: - Buffers and files

    private func readBufferConditions(_ node: YAMLNode) -> [BufferCondition] {
        guard let pairs = mapping(node, "'buffers'") else { return [] }
        var conditions: [BufferCondition] = []
        for pair in pairs {
            guard let name = string(pair.key, "a buffer name"), let buffer = bufferResource(name, at: pair.key.mark) else { continue }
            // A list holds several checks of one buffer (fields of a struct at different offsets).
            for item in list(pair.value) {
                guard let checks = mapping(item, "the expectation of buffer '\(name)'") else { continue }
                let keys = checkKeys(checks, allowed: ["equals", "prefix", "hex", "hex_prefix", "unchanged", "at"] + KernelStructLayout.structs.keys.sorted(), in: "the expectation of buffer '\(name)'")
                let offset = readContentOffset(keys, in: "buffer '\(name)'")
                for check in checks {
                    // A struct view (StructViews.swift): one condition per field.
                    if let key = check.key.scalar, KernelStructLayout.structs[key] != nil {
                        for (field, mark) in readStructView(key, check.value, buffer: name, size: buffer.size) {
                            conditions.append(BufferCondition(buffer: name, check: .field(field), mark: mark))
                        }
                        continue
                    }
                    guard let key = check.key.scalar, key != "at", keys[key] != nil,
                          var content = readContentCheck(key, check.value) else { continue }
                    if let offset, case .prefix(let bytes) = content {
                        content = .at(offset: offset, bytes)
                        if offset > buffer.size || UInt64(bytes.count) > buffer.size - offset {
                            error(check.value.mark, "'\(key)' at \(offset) gives \(bytes.count) bytes, past the end of buffer '\(name)' (\(buffer.size))")
                            continue
                        }
                    }
                    if case .equals(let bytes) = content, UInt64(bytes.count) != buffer.size {
                        error(check.value.mark, "'\(key)' gives \(bytes.count) bytes, but buffer '\(name)' has \(buffer.size); use '\(key == "hex" ? "hex_prefix" : "prefix")' to check the start")
                        continue
                    }
                    if case .prefix(let bytes) = content, UInt64(bytes.count) > buffer.size {
                        error(check.value.mark, "'\(key)' gives \(bytes.count) bytes, more than buffer '\(name)' has (\(buffer.size))")
                        continue
                    }
                    conditions.append(BufferCondition(buffer: name, check: content, mark: check.key.mark))
                }
            }
        }
        return conditions
    }

    /// `at:`, the offset a `prefix` / `hex_prefix` check starts at; an error with any other check.
    private func readContentOffset(_ keys: [String: YAMLPair], in what: String) -> UInt64? {
        guard let pair = keys["at"], let offset = unsigned(pair.value, "'at'", bits: 64) else { return nil }
        if let other = ["equals", "content", "hex", "unchanged"].first(where: { keys[$0] != nil }) {
            error(pair.key.mark, "'at' goes with 'prefix' or 'hex_prefix' (the bytes found from that offset), not with '\(other)'")
        } else if keys["prefix"] == nil && keys["hex_prefix"] == nil {
            error(pair.key.mark, "'at' needs 'prefix' or 'hex_prefix' in the expectation of \(what)")
        }
        return offset
    }

    /// `equals`/`content`, `prefix`, `hex`, `hex_prefix` or `unchanged: true`.
    private func readContentCheck(_ key: String, _ node: YAMLNode) -> ContentCheck? {
        switch key {
        case "unchanged":
            guard let value = bool(node, "'unchanged'") else { return nil }
            if !value { error(node.mark, "'unchanged: false' checks nothing; leave it out") }
            return value ? .unchanged : nil
        case "hex", "hex_prefix":
            guard let text = string(node, "'\(key)'") else { return nil }
            guard let bytes = NodeReader.parseHex(text) else {
                error(node.mark, "'\(key)' must be pairs of hex digits, as in \"68 65 6c 6c 6f\"")
                return nil
            }
            return key == "hex" ? .equals(bytes) : .prefix(bytes)
        default:
            // Every byte form: text, { text }, { hex }, { pattern, size }, { size }.
            guard let bytes = bytes(node, "'\(key)'") else { return nil }
            return key == "prefix" ? .prefix(bytes) : .equals(bytes)
        }
    }

    private func readFileConditions(_ node: YAMLNode) -> [FileCondition] {
        guard let pairs = mapping(node, "'files'") else { return [] }
        var conditions: [FileCondition] = []
        for pair in pairs {
            guard let key = pathString(pair.key, "a file name or path") else { continue }
            var path = key
            var resourceName: String?
            if let index = resourceIndex[key] {
                guard let resourcePath = resources[index].kind.path else {
                    error(pair.key.mark, "'\(key)' is \(article(resources[index].kind.keyword)) \(resources[index].kind.keyword), not a file, directory or symlink")
                    continue
                }
                path = resourcePath
                resourceName = key
            } else {
                checkSandbox(path: key, at: pair.key.mark, what: "path")
            }
            guard let checks = mapping(pair.value, "the expectation of '\(key)'") else { continue }
            let keys = checkKeys(checks, allowed: ["exists", "type", "size", "content", "prefix", "hex", "hex_prefix", "at"], in: "the expectation of '\(key)'")
            let offset = readContentOffset(keys, in: "'\(key)'")
            var condition = FileCondition(path: path, resource: resourceName, exists: nil, type: nil, size: nil, content: nil, mark: pair.key.mark)
            if let pair = keys["exists"] { condition.exists = bool(pair.value, "'exists'") }
            if let pair = keys["type"], let text = string(pair.value, "'type'") {
                if let type = FileCondition.FileType(rawValue: text) { condition.type = type } else {
                    error(pair.value.mark, "'type' must be file, directory or symlink, not '\(text)'")
                }
            }
            if let pair = keys["size"] { condition.size = unsigned(pair.value, "'size'", bits: 64) }
            let contentKeys = ["content", "prefix", "hex", "hex_prefix"].filter { keys[$0] != nil }
            if contentKeys.count > 1 {
                error(keys[contentKeys[1]]!.key.mark, "the expectation of '\(key)' takes one of content, prefix, hex or hex_prefix")
            } else if let contentKey = contentKeys.first {
                condition.content = readContentCheck(contentKey == "content" ? "equals" : contentKey, keys[contentKey]!.value)
                if let offset, case .prefix(let bytes)? = condition.content {
                    condition.content = .at(offset: offset, bytes)
                    // The runner reads the file up to the end of the expected bytes: no further than a file may be.
                    if offset > limits.bufferBytes || UInt64(bytes.count) > limits.bufferBytes - offset, let at = keys["at"] {
                        error(at.value.mark, "'at' \(offset) reads past the \(ScenarioLimits.describe(limits.bufferBytes)) a file post-condition may read (--max-buffer raises it)")
                    }
                }
            }
            if condition.exists == false, let other = ["type", "size", "content", "prefix", "hex", "hex_prefix"].first(where: { keys[$0] != nil }) {
                error(keys[other]!.key.mark, "'\(other)' describes a file, but 'exists: false' says there is none")
            }
            if case .equals(let bytes)? = condition.content, let size = condition.size, UInt64(bytes.count) != size {
                error(keys["size"]!.value.mark, "'size' \(size) contradicts the \(bytes.count) bytes of the expected content")
            }
            conditions.append(condition)
        }
        return conditions
    }

    // MARK: - Sandbox

    /// Paths stay inside the sandbox, judged as openat2(2) with RESOLVE_BENEATH resolves them against
    /// their directory (`relativeTo`, a path in the sandbox): not absolute, no `..` that climbs above the
    /// sandbox directory (`d/../x` stays inside), not through a symlink the scenario makes (a `..` after
    /// one would climb from wherever it points) — unless the scenario or the runner opted in.
    func checkSandbox(path: String, at mark: SourceMark, what: String, relativeTo directory: String = "") {
        guard !allowsOutsideSandbox else { return }
        let optIn = "(set 'allow_outside_sandbox: true' to allow it)"
        if path.hasPrefix("/") {
            error(mark, "\(what) '\(path)' is absolute; scenario paths are relative to the sandbox directory \(optIn)")
            return
        }
        let components = (directory.split(separator: "/") + path.split(separator: "/")).filter { !$0.isEmpty }
        var resolved: [Substring] = []
        for (position, component) in components.enumerated() {
            if component == "." { continue }
            if component == ".." {
                guard !resolved.isEmpty else {
                    let whole = directory.isEmpty ? "'\(path)'" : "'\(path)' (from '\(directory)')"
                    error(mark, "\(what) \(whole) leaves the sandbox through '..' \(optIn)")
                    return
                }
                resolved.removeLast()
                continue
            }
            resolved.append(component)
            // The last component may be a symlink: whether it is followed is the operation's business.
            guard position < components.count - 1 else { continue }
            let prefix = resolved.joined(separator: "/")
            if let link = symlinks[prefix] {
                error(mark, "\(what) '\(path)' goes through the symlink '\(prefix)', which may point outside the sandbox \(optIn)",
                      notes: [note(link, "'\(prefix)' is made a symlink here")])
                return
            }
        }
    }
}
