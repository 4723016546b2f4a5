extension ScenarioBuilder {
    /// A list of distinct buffer ids: `[7, 3, 9]`.
    func readBufferIDs(_ node: YAMLNode, what: String) -> [UInt16]? {
        guard let items = sequence(node, "\(what) (a list of buffer ids)") else { return nil }
        guard !items.isEmpty else {
            error(node.mark, "\(what) needs at least one buffer id")
            return nil
        }
        var ids: [UInt16] = []
        var seen: [UInt16: SourceMark] = [:]
        for item in items {
            guard let value = unsigned(item, "a buffer id in \(what)", bits: 16) else { return nil }
            let id = UInt16(value)
            if let first = seen[id] {
                error(item.mark, "buffer id \(id) is in \(what) twice", notes: [note(first, "first here")])
                return nil
            }
            seen[id] = item.mark
            ids.append(id)
        }
        return ids
    }

    /// The ids a `buffer_ring` resource gives its buffers: `start_id: 100` (100, 101, … for every entry) or
    /// `ids: [7, 3, 9]` (as many buffers as ids, at most `entries`). Nil: 0, 1, ….
    func readBufferRingIDs(_ keys: [String: YAMLPair], entries: UInt64, context: String) -> [UInt16]? {
        if keys["start_id"] != nil, let pair = keys["ids"] {
            error(pair.key.mark, "\(context) takes 'start_id' or 'ids', not both")
            return nil
        }
        if let pair = keys["start_id"] {
            guard let start = unsigned(pair.value, "'start_id'", bits: 16) else { return nil }
            guard start + entries <= 65536 else {
                error(pair.value.mark, "'start_id' \(start) with \(entries) buffers runs past buffer id 65535")
                return nil
            }
            return start == 0 ? nil : (0..<entries).map { UInt16(start + $0) }
        }
        if let pair = keys["ids"] {
            guard let ids = readBufferIDs(pair.value, what: "'ids'") else { return nil }
            if UInt64(ids.count) > entries {
                error(pair.value.mark, "\(ids.count) buffer ids do not fit a buffer ring of \(entries) entries")
                return nil
            }
            return ids
        }
        return nil
    }
}

extension ScenarioBuilder {
    /// `replenish_buffers` with `ids`: one new id for each buffer given back.
    func replenishUnderNewIDs(_ group: BufferGroupReference, first: UInt16, count: UInt16, _ ids: [UInt16],
                              at mark: SourceMark?) -> ControlAction {
        if ids.count != Int(count), let mark {
            error(mark, "'ids' gives \(ids.count) new id\(ids.count == 1 ? "" : "s") for \(count) buffer\(count == 1 ? "" : "s") (first \(first), count \(count)); give one for each")
        }
        return .replenishBuffersAs(group: group, first: first, count: count, newIDs: ids)
    }
}
