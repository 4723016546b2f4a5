import Checker
import IoUring
import Scenario
import Testing
@testable import Runner

/// Chosen buffer ids on the real kernel, and `expect: signals`.
@Suite struct ChosenBufferIDTests {
    @Test func aBufferRingHandsOutItsChosenIdsAndTheirData() throws {
        let outcome = try reportedOutcome("""
            name: chosen ids
            requires: { ops: [recv], kernel: "5.19" }
            resources:
              s:  { socketpair: { type: SOCK_SEQPACKET } }
              br: { buffer_ring: { group: 3, entries: 4, size: 8, ids: [700, 30] } }
            steps:
              - peer_write: { fd: s.a, data: "ab" }
              - peer_write: { fd: s.a, data: "cde" }
              - peer_write: { fd: s.a, data: "f" }
              - recv: { fd: s.b, buffer_group: br }
                id: a
              - wait: [a]
              - recv: { fd: s.b, buffer_group: br }
                id: b
              - wait: [b]
              - recv: { fd: s.b, buffer_group: br }
                id: none_left
            expect:
              a: { res: 2, buffer: 700, data: "ab" }
              b: { res: 3, buffer: 30, data: "cde" }
              none_left: -ENOBUFS
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func aWrongIdExpectationFailsWithTheKernelsId() throws {
        let outcome = try reportedOutcome("""
            name: start id
            requires: { ops: [recv], kernel: "5.19" }
            resources:
              s:  { socketpair: { type: SOCK_SEQPACKET } }
              br: { buffer_ring: { group: 3, entries: 2, size: 8, start_id: 100 } }
            steps:
              - peer_write: { fd: s.a, data: "ab" }
              - recv: { fd: s.b, buffer_group: br }
                id: a
            expect:
              a: { res: 2, buffer: 0 }
            """)
        #expect(outcome.verdict == .fail)
        #expect(outcome.mismatches.first?.actual.contains("buffer id 100") == true, "\(outcome.mismatches)")
    }

    @Test func replenishUnderNewIdsRenamesTheBuffer() throws {
        let outcome = try reportedOutcome("""
            name: renamed
            requires: { ops: [recv], kernel: "5.19" }
            resources:
              s:  { socketpair: { type: SOCK_SEQPACKET } }
              br: { buffer_ring: { group: 3, entries: 2, size: 8 } }
            steps:
              - peer_write: { fd: s.a, data: "ab" }
              - peer_write: { fd: s.a, data: "cd" }
              - peer_write: { fd: s.a, data: "ef" }
              - recv: { fd: s.b, buffer_group: br }
                id: a
              - wait: [a]
              - recv: { fd: s.b, buffer_group: br }
                id: b
              - wait: [b]
              - replenish_buffers: { group: br, first: 0, count: 2, ids: [9, 8] }
              - recv: { fd: s.b, buffer_group: br }
                id: c
            expect:
              a: { res: 2, buffer: 0, data: "ab" }
              b: { res: 2, buffer: 1, data: "cd" }
              c: { res: 2, buffer: 9, data: "ef" }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func badIdListsAreLocatedErrors() {
        let errors = loadErrors("""
            name: bad ids
            resources:
              a: { buffer_ring: { group: 1, entries: 2, size: 8, ids: [1, 2, 3] } }
              b: { buffer_ring: { group: 2, entries: 4, size: 8, ids: [5, 5] } }
              c: { buffer_ring: { group: 3, entries: 4, size: 8, start_id: 65534 } }
              d: { buffer_ring: { group: 4, entries: 4, size: 8, start_id: 1, ids: [1] } }
            steps:
              - replenish_buffers: { group: a, first: 1, count: 2, ids: [4] }
            """)
        #expect(errors.contains("3:59: 3 buffer ids do not fit a buffer ring of 2 entries"), "\(errors)")
        #expect(errors.contains("4:63: buffer id 5 is in 'ids' twice"), "\(errors)")
        #expect(errors.contains("5:64: 'start_id' 65534 with 4 buffers runs past buffer id 65535"), "\(errors)")
        #expect(errors.contains("6:67: buffer_ring 'd' takes 'start_id' or 'ids', not both"), "\(errors)")
        #expect(errors.contains { $0.hasPrefix("8:61: 'ids' gives 1 new id for 2 buffers") }, "\(errors)")
    }
}

@Suite struct SignalExpectationTests {
    @Test func anInlineWriteToAPipeWithoutReaderRaisesOneSigpipeAndTheRunGoesOn() throws {
        let outcome = try reportedOutcome("""
            name: sigpipe
            requires: { ops: [write] }
            resources:
              p: { pipe: {} }
            steps:
              - peer_close: p.read
              - write: { fd: p.write, data: "x" }
                id: w
            expect:
              w: -EPIPE
              signals: { SIGPIPE: 1 }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func aWrongSignalCountFailsAtItsLineWithTheCount() throws {
        let outcome = try reportedOutcome("""
            name: no sigpipe expected
            requires: { ops: [write] }
            resources:
              p: { pipe: {} }
            steps:
              - peer_close: p.read
              - write: { fd: p.write, data: "x" }
                id: w
            expect:
              w: -EPIPE
              signals: { SIGPIPE: 0 }
            """)
        #expect(outcome.verdict == .fail)
        let mismatch = try #require(outcome.mismatches.first)
        #expect(mismatch.subject == "signals")
        #expect(mismatch.expected == "SIGPIPE 0 times")
        #expect(mismatch.actual == "SIGPIPE 1 time")
        #expect(mismatch.mark.line == 11)
    }

    @Test func aWriteInAnIoWqWorkerRaisesNoSigpipe() throws {
        let outcome = try reportedOutcome("""
            name: worker write
            requires: { ops: [write] }
            resources:
              p: { pipe: {} }
            steps:
              - peer_close: p.read
              - write: { fd: p.write, data: "x" }
                id: w
                async: true
            expect:
              w: -EPIPE
              signals: { SIGPIPE: 0 }
            """)
        #expect(outcome.verdict == .pass, "\(outcome.mismatches) \(outcome.reason ?? "")")
    }

    @Test func onlyCountableSignalsAreAccepted() {
        let errors = loadErrors("""
            name: bad signal
            steps:
              - nop: {}
            expect:
              signals: { SIGPIPF: 1 }
            """)
        #expect(errors.contains { $0.hasPrefix("5:14: 'SIGPIPF' cannot be counted") && $0.contains("did you mean 'SIGPIPE'") }, "\(errors)")
    }

    @Test func aSignalsExpectationIsSomethingToCheck() throws {
        let scenario = try ScenarioLoader.load("""
            name: only signals
            steps:
              - nop: {}
            expect:
              signals: { SIGPIPE: 0 }
            """, file: "s.yaml").get()
        #expect(!scenario.hasNothingToCheck)
    }
}
