/// A map from short names (op names, step keys, resource names) to values, for the loader's per-step
/// look-ups. It hashes the name's UTF-8 bytes with FNV-1a and probes linearly: for keys of a few bytes
/// that is several times cheaper than `Dictionary`'s seeded SipHash, and the tables are small.
struct NameTable<Value> {
    private var slots: [(name: String, value: Value)?]
    private(set) var count = 0

    init() {
        slots = Array(repeating: nil, count: 8)
    }

    init(_ entries: some Sequence<(String, Value)>) {
        self.init()
        for (name, value) in entries { self[name] = value }
    }

    subscript(name: String) -> Value? {
        get {
            var place = Self.hash(name) & (slots.count - 1)
            while let slot = slots[place] {
                if slot.name == name { return slot.value }
                place = (place + 1) & (slots.count - 1)
            }
            return nil
        }
        set {
            guard let newValue else {
                preconditionFailure("NameTable does not remove names")
            }
            var place = Self.hash(name) & (slots.count - 1)
            while let slot = slots[place] {
                if slot.name == name {
                    slots[place] = (name, newValue)
                    return
                }
                place = (place + 1) & (slots.count - 1)
            }
            slots[place] = (name, newValue)
            count += 1
            // At most half full, so probes stay short.
            if count * 2 > slots.count { grow() }
        }
    }

    /// The names, in no particular order.
    var names: [String] { slots.compactMap { $0?.name } }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        count = 0
        for case let (name, value)? in old { self[name] = value }
    }

    /// FNV-1a over the UTF-8 bytes, then mixed.
    private static func hash(_ name: String) -> Int {
        var name = name
        var hash = name.withUTF8 { bytes in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return hash
        }
        // Names that differ in their last byte only (`r1`, `r2`…) must not land side by side.
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return Int(truncatingIfNeeded: hash)
    }
}

extension NameTable: Sendable where Value: Sendable {}
