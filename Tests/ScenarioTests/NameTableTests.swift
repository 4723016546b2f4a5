import Testing
@testable import Scenario

/// The loader's table of short names (op names, step keys, resources).
@Suite struct NameTableTests {
    @Test func findsEveryNameAfterGrowingAndNothingElse() {
        // Names that differ only in their last characters, as generated ids and resources do.
        var table = NameTable<Int>()
        for index in 0..<1000 { table["r" + String(index)] = index }
        #expect(table.count == 1000)
        let missing = (0..<1000).filter { (index: Int) -> Bool in table["r" + String(index)] != index }
        #expect(missing.isEmpty)
        #expect(table["r1000"] == nil)
        #expect(table[""] == nil)
        #expect(Set(table.names) == Set((0..<1000).map { "r" + String($0) }))
    }

    @Test func settingANameAgainReplacesItsValue() {
        var table = NameTable([("read", 1), ("write", 2)])
        table["read"] = 3
        #expect(table.count == 2)
        #expect(table["read"] == 3)
        #expect(table["write"] == 2)
    }

    @Test func longAndNonASCIINamesAreKeysLikeAnyOther() {
        let long = String(repeating: "buffer_", count: 20)
        let table = NameTable([(long, 1), ("fichier-été", 2), ("🙂", 3)])
        #expect(table[long] == 1)
        #expect(table["fichier-été"] == 2)
        #expect(table["🙂"] == 3)
        #expect(table["fichier-ete"] == nil)
    }
}
