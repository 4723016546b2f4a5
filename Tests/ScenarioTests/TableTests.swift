import Testing
@testable import Scenario

/// The runner's and checker's per-request tables against the standard library's.
@Suite struct TableTests {
    @Test func everyStepKeyHasAPlaceOnAStepAndComesBackInWrittenOrder() throws {
        let root = try YAMLParser.parse("a: 1\nb: 2\n", file: "t.yaml").get()
        let pairs = Array(try #require(root.mapping))
        var keys = StepKeys()
        for key in StepKey.allCases.reversed() { keys[key] = pairs[key.rawValue % 2] }
        #expect(StepKey.allCases.allSatisfy { keys[$0] != nil })
        #expect(keys.written.count == StepKey.allCases.count)
        #expect(keys.written.map(\.pair.key.mark.line) == keys.written.map(\.pair.key.mark.line).sorted())
    }

    @Test func userDataTableAgreesWithADictionary() {
        let table = UserDataTable(capacity: 4)
        var reference: [UInt64: Int32] = [:]
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        for step in 0..<200_000 {
            // Keys from a few shapes: dense (automatic numbers), strided, clustered, and random.
            let pick = next()
            let key: UInt64
            switch pick % 4 {
            case 0: key = pick >> 2 % 512
            case 1: key = (pick >> 2 % 64) * 4096
            case 2: key = 0xFFFF_FFFF_FFFF_FF00 | (pick >> 2 & 0xFF)
            default: key = next()
            }
            switch next() % 3 {
            case 0, 1:
                let value = Int32(step % 1_000_000)
                table.set(value, for: key)
                reference[key] = value
            default:
                #expect(table.remove(key) == reference.removeValue(forKey: key))
            }
            if step % 997 == 0 {
                #expect(table.count == reference.count)
                for (key, value) in reference { #expect(table.value(for: key) == value) }
            }
        }
        #expect(Dictionary(uniqueKeysWithValues: table.entries.map { ($0.key, $0.value) }) == reference)
        table.removeAll()
        #expect(table.isEmpty && table.value(for: 1) == nil)
    }

    @Test func flatArrayGrowsInPlace() {
        let array = FlatArray<Int32>(capacity: 2)
        for value in 0..<1000 { array.append(Int32(value)) }
        #expect(array.count == 1000 && array[999] == 999)
        array[10] += 5
        #expect(array[10] == 15)
        #expect(array.popLast() == 999 && array.count == 999)
        #expect(array.elements.prefix(3) == [0, 1, 2])
        array.removeAll()
        #expect(array.isEmpty && array.popLast() == nil)
        let filled = FlatArray(repeating: UInt64(7), count: 5)
        #expect(filled.elements == [7, 7, 7, 7, 7])
    }
}
