import Scenario
import Testing

/// Automatic user_data skips every value a scenario writes (Grammar "Ids and user_data").
@Suite struct AutomaticUserDataTests {
    /// The automatic user_data of every instance of request `id` (iterations of one enclosing block).
    private func values(_ scenario: Scenario, _ id: String, iterations: Int = 1) throws -> [UInt64] {
        let request = try #require(scenario.request(id))
        if request.userData.strides.isEmpty { return [request.userData.base] }
        return (0..<iterations).map { request.userData.value(iterations: [$0]) }
    }

    @Test func automaticNumbersSkipTheExplicitOnes() throws {
        let scenario = try load("""
            name: a port numbering some requests 1, 2, 4
            steps:
              - nop: {}
                id: first
                user_data: 1
              - nop: {}
                id: helper_a
              - nop: {}
                id: second
                user_data: 2
              - nop: {}
                id: helper_b
              - nop: {}
                id: fourth
                user_data: 4
              - nop: {}
                id: helper_c
            """)
        #expect(try values(scenario, "helper_a") == [3])
        #expect(try values(scenario, "helper_b") == [5])
        #expect(try values(scenario, "helper_c") == [6])
    }

    @Test func aRepeatBlockMovesWholePastAnExplicitValue() throws {
        let scenario = try load("""
            name: explicit values inside the range a repeat block would take
            steps:
              - nop: {}
                id: before
              - repeat: 3
                steps:
                  - nop: {}
                    id: "r{i}"
              - nop: {}
                id: explicit
                user_data: 3
              - nop: {}
                id: after
            """)
        // 1 is taken by `before`; the block's 2, 3, 4 would cover the written 3: it moves to 4, 5, 6, and
        // the numbers go on after it in written order (the gap at 2 stays unused).
        #expect(try values(scenario, "before") == [1])
        #expect(try values(scenario, "r{i}", iterations: 3) == [4, 5, 6])
        #expect(try values(scenario, "after") == [7])
    }

    @Test func postedUserDataIsSkippedToo() throws {
        let scenario = try load("""
            name: a msg_ring posts user_data 2 into the ring
            steps:
              - msg_ring: { ring: $ring, data: 7, cqe_user_data: 2 }
              - nop: {}
                id: helper
            expect:
              2: 7
            """)
        #expect(scenario.graph.nodes.compactMap { node -> UInt64? in
            if case .request(let request) = node.kind { return request.userData.base }
            return nil
        } == [1, 3])
    }

    @Test func aNumberACancelTargetsIsSkipped() throws {
        let scenario = try load("""
            name: a cancel by a number no request has must find nothing
            steps:
              - nop: {}
                id: a
              - cancel: { target: 2 }
                id: finds_nothing
              - nop: {}
                id: b
            expect:
              a: 0
              finds_nothing: -ENOENT
              b: 0
            """)
        #expect(try values(scenario, "a") == [1])
        #expect(try values(scenario, "finds_nothing") == [3])
        #expect(try values(scenario, "b") == [4])
    }

    @Test func theEnginesFormerValuesAreAScenariosToUse() throws {
        let scenario = try load("""
            name: every 64-bit value is usable
            steps:
              - nop: {}
                id: top
                user_data: 0xFFFFFFFFFFFFFFFF
              - nop: {}
                id: below
                user_data: 0xFFFFFFFFFFFFFFFE
              - nop: {}
                id: zero
                user_data: 0
            """)
        #expect(try values(scenario, "top") == [.max])
        #expect(try values(scenario, "below") == [.max - 1])
    }
}

/// `$ring`, the ring's own descriptor as a file (Grammar "More than one ring").
@Suite struct RingOperandTests {
    @Test func ringIsAFileOperand() throws {
        let scenario = try load("""
            name: the ring as a file
            resources:
              b: { buffer: { size: 4 } }
            steps:
              - read: { fd: $ring, buf: b }
                id: r
              - register_files: { files: [$ring] }
                expect: -EBADF
            """)
        #expect(scenario.request("r")?.arguments.file("fd") == .ring)
    }

    @Test func ringCannotBeACaptureName() {
        #expect(diagnostics("""
            name: a capture that would hide the ring
            resources:
              d: { directory: {} }
            steps:
              - openat: { dir: d, path: "x", flags: [O_CREAT, O_RDWR] }
                capture: ring
            """).hasPrefix("test.yaml:6:14: error: '$ring' names the scenario's own ring descriptor; pick another capture name"))
    }
}
