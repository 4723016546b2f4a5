import Foundation
import Testing
import Scenario
@testable import Planner

/// Loads a fixture next to this file and plans it.
func fixture(_ name: String) throws -> (scenario: Scenario, text: String) {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "Fixtures"))
    let text = try String(contentsOf: url, encoding: .utf8)
    let scenario = try ScenarioLoader.load(text, file: name + ".yaml").get()
    return (scenario, text)
}

func plan(_ name: String) throws -> (Plan, Scenario) {
    let (scenario, _) = try fixture(name)
    return (try Planner.plan(scenario).get(), scenario)
}

func load(_ yaml: String, file: String = "inline.yaml") throws -> Scenario {
    try ScenarioLoader.load(yaml, file: file).get()
}

@Suite struct PlannerTests {
    @Test func theIssueSketchIsOneChainOfThree() throws {
        let (plan, scenario) = try plan("issue-sketch")
        #expect(plan.sqEntries == 8 && plan.cqEntries == 16)
        #expect(plan.chains.count == 1)
        #expect(plan.chains[0].nodes == [0, 1, 2])
        #expect(plan.chains[0].links == [.link, .link])
        #expect(plan.step(0).chain == .head(chain: 0, length: 3))
        #expect(plan.step(2).chain == .member(chain: 0, position: 2))
        #expect(plan.steps.allSatisfy { $0.submitsBefore == nil && $0.awaitedCaptures.isEmpty && $0.completion == .awaited })
        #expect(PlanRenderer(plan: plan, scenario: scenario).text == """
            plan: a failing link member cancels the rest of the chain (issue-sketch.yaml)
            ring: 8 SQ entries, 16 CQ entries; 3 SQEs in all
            the runner also submits when the SQ is full or a link chain would not fit, and reaps ready CQEs before every submission

            sqe  r1     read   user_data 1  link  line 8
            sqe  bad    write  user_data 2  link  line 11
            sqe  after  nop    user_data 3        line 14
            link chain: r1 -> bad -> after (3 SQEs, submitted together)
            end: submit, wait for the final CQE of every awaited request (deadline 10s, the default)
            teardown: cancel what is still in flight (IORING_ASYNC_CANCEL_ANY) and drain

            """)
    }

    @Test func aChainLongerThanTheSubmissionQueueIsAnErrorAtItsFirstStep() throws {
        let (scenario, text) = try fixture("chain-too-long")
        guard case .failure(let list) = Planner.plan(scenario) else {
            Issue.record("a 3-SQE chain planned on a 2-entry SQ")
            return
        }
        #expect(DiagnosticRenderer(sources: ["chain-too-long.yaml": text]).render(list.diagnostics) == """
            chain-too-long.yaml:6:5: error: this link chain has 3 SQEs but the submission queue holds 2; the kernel only links SQEs submitted together, so raise 'ring.entries' to 4 or more
              - nop: {}
                ^
            1 error
            """)
        // The same chain fits a bigger ring.
        let bigger = try #require(try? Planner.plan(scenario, sqEntries: 4, cqEntries: 8).get())
        #expect(bigger.chains.map(\.links) == [[.link, .hardlink]])
    }

    @Test func capturesInsideARepeatWaitForTheirProducerOnce() throws {
        let (plan, scenario) = try plan("captures-in-repeat")
        // nodes: 0 start, 1 repeat, 2 n{i}, 3 o{i}, 4 r{i}, 5 c{i}, 6 submit, 7 last
        #expect(plan.step(4).awaitedCaptures == [CaptureDependency(name: "fd", producer: 3)])
        #expect(plan.step(5).awaitedCaptures == [CaptureDependency(name: "fd", producer: 3)])
        #expect(plan.step(3).capture == PlannedCapture(name: "fd", kind: .fd, source: .result))
        #expect(plan.step(2).chain == .head(chain: 0, length: 2))
        #expect(plan.step(2).blocks == [0] && plan.step(0).blocks.isEmpty)
        #expect(plan.step(6).submitsBefore == .submit(waitFor: 1))
        #expect(plan.deadline == .seconds(2))
        #expect(plan.requestCount == 402)
        #expect(PlanRenderer(plan: plan, scenario: scenario).text == """
            plan: open, read and close a file per iteration (captures-in-repeat.yaml)
            ring: 4 SQ entries, 8 CQ entries; 402 SQEs in all
            the runner also submits when the SQ is full or a link chain would not fit, and reaps ready CQEs before every submission

            sqe  start  nop  user_data 1  drain  line 9
            repeat 100 times, index i  (line 12):
              sqe  n{i}  nop     user_data 2+4*i  link                line 14
              sqe  o{i}  openat  user_data 3+4*i        captures $fd  line 17
              link chain: n{i} -> o{i} (2 SQEs, submitted together)
              wait for $fd: submit, reap the CQE of o{i}
              sqe  r{i}  read   user_data 4+4*i  line 20
              sqe  c{i}  close  user_data 5+4*i  line 22
            end repeat
            submit, wait for 1 CQE  (line 24)
            sqe  last  nop  user_data 402  drain  line 25
            end: submit, wait for the final CQE of every awaited request (deadline 2s)
            teardown: cancel what is still in flight (IORING_ASYNC_CANCEL_ANY) and drain

            """)
    }

    @Test func chainMembersWaitForTheirCapturesBeforeTheChainIsQueued() throws {
        let scenario = try load("""
            name: open, then read and close in a chain
            resources:
              buf: { buffer: { size: 8 } }
            steps:
              - openat: { path: f.txt, flags: [O_CREAT, O_RDWR] }
                capture: fd
              - nop: {}
                link: true
              - read: { fd: $fd, buf: buf }
                link: true
              - close: { fd: $fd }
            """)
        let plan = try Planner.plan(scenario).get()
        // nodes: 0 openat, 1 nop (head), 2 read, 3 close
        #expect(plan.step(1).chain == .head(chain: 0, length: 3))
        #expect(plan.step(1).awaitedCaptures == [CaptureDependency(name: "fd", producer: 0)])
        #expect(plan.step(2).awaitedCaptures.isEmpty && plan.step(3).awaitedCaptures.isEmpty)
    }

    @Test func controlAndRegistrationStepsAreSubmitPoints() throws {
        let (plan, scenario) = try plan("control-and-peers")
        let points = plan.steps.compactMap(\.submitsBefore)
        #expect(points == [.peerAction("peer_write"), .peerAction("peer_close"), .submit(waitFor: nil),
                           .peerAction("peer_connect"), .peerAction("peer_write"), .wait, .submit(waitFor: 1), .sleep,
                           .registration("IORING_REGISTER_FILES_UPDATE"), .peerAction("peer_signal")])
        // A control step's capture is known when it has run: nothing waits for a CQE.
        #expect(plan.steps.allSatisfy { $0.awaitedCaptures.isEmpty })
        #expect(plan.step(5).capture == PlannedCapture(name: "client", kind: .peerSocket, source: .controlStep))
        #expect(PlanRenderer(plan: plan, scenario: scenario).text == """
            plan: submit points, waits, sleeps and peer actions (control-and-peers.yaml)
            ring: 64 SQ entries, 128 CQ entries; 4 SQEs in all
            the runner also submits when the SQ is full or a link chain would not fit, and reaps ready CQEs before every submission

            sqe  r  read  user_data 1  line 9
            submit, peer_write 4 bytes to p.write  (line 11)
            peer_close p.write  (line 12)
            sqe  acc  accept  user_data 2  line 13
            submit  (line 15)
            peer_connect 1 client to l, capturing $client  (line 16)
            peer_write 1 byte to $client  (line 18)
            wait for acc (at most 500ms)  (line 19)
            sqe  t  timeout  user_data 3  line 20
            submit, wait for 1 CQE  (line 22)
            sleep 1ms  (line 23)
            register: IORING_REGISTER_FILES_UPDATE, expect >= 0  (line 24)
            peer_signal efd +3  (line 25)
            sqe  e  read  user_data 4  line 26
            end: submit, wait for the final CQE of every awaited request (deadline 10s, the default)
            teardown: cancel what is still in flight (IORING_ASYNC_CANCEL_ANY) and drain

            """)
    }

    @Test func requestsThatNeedNotCompleteDoNotHoldTheRunOpen() throws {
        let (plan, _) = try plan("open-requests")
        // nodes: 0 quiet, 1 long, 2 poll, 3 acc, 4 repeat, 5 t{i}, 6 plain
        #expect(plan.step(0).completion == .open(.skipSuccess))
        #expect(plan.step(1).completion == .open(.notExpectedToComplete))
        #expect(plan.step(2).completion == .open(.streamStaysOpen))
        // A multishot request nothing relaxes is awaited until its final CQE, as the checker requires it.
        #expect(plan.step(3).completion == .awaited)
        #expect(plan.step(5).completion == .awaited)
        #expect(plan.awaitsCompletion(node: 5, iterations: [0], userData: 5))
        #expect(!plan.awaitsCompletion(node: 5, iterations: [1], userData: 6))
        #expect(plan.awaitsCompletion(node: 6, iterations: [], userData: 1000))
        #expect(!plan.awaitsCompletion(node: 0, iterations: [], userData: 1))
    }

    @Test func userDataExpectationsThatNeverCompleteAreOpenByValue() throws {
        let scenario = try load("""
            name: by user_data
            steps:
              - timeout: { after: 10s }
                user_data: 77
            expect:
              77: { completes: false }
            """)
        let plan = try Planner.plan(scenario).get()
        #expect(plan.openUserData == [77])
        #expect(!plan.awaitsCompletion(node: 0, iterations: [], userData: 77))
    }

    @Test func slotsNamedInTheSQEAreCapturedAsWritten() throws {
        let scenario = try load("""
            name: slots
            resources:
              table: { file_table: { sparse: 4 } }
              f: { file: { path: f.txt, content: "x" } }
            steps:
              - openat_direct: { path: f.txt, slot: 2 }
                id: fixed
                capture: s
              - openat_direct: { path: f.txt }
                id: auto
                capture: t
              - close_direct: { slot: $s }
              - close_direct: { slot: $t }
            """)
        let plan = try Planner.plan(scenario).get()
        #expect(plan.step(0).capture?.source == .namedSlot(2))
        #expect(plan.step(1).capture?.source == .result)
    }

    @Test func ringSizesRoundUpLikeTheKernel() throws {
        var ring = RingSpec()
        ring.entries = 10
        #expect(Planner.ringSizes(of: ring) == (16, 32))
        ring.cqEntries = 33
        #expect(Planner.ringSizes(of: ring) == (16, 64))
        ring.entries = 1
        ring.cqEntries = nil
        #expect(Planner.ringSizes(of: ring) == (1, 2))
    }

    @Test func clampedRingsGetTheKernelsLimits() throws {
        var ring = RingSpec()
        ring.entries = 100_000
        ring.cqEntries = 1_000_000
        ring.flags = [.clamp, .cqSize]
        #expect(Planner.requestedSizes(of: ring) == (131_072, 1_048_576))
        #expect(Planner.ringSizes(of: ring) == (32768, 65536))
        ring.cqEntries = nil
        ring.flags = [.clamp]
        #expect(Planner.ringSizes(of: ring) == (32768, 65536))
        ring.entries = 8
        #expect(Planner.ringSizes(of: ring) == (8, 16))
    }

    @Test func durationsReadLikeTheScenarioLanguage() {
        #expect(PlanRenderer.format(.seconds(10)) == "10s")
        #expect(PlanRenderer.format(.milliseconds(1500)) == "1.5s")
        #expect(PlanRenderer.format(.milliseconds(1)) == "1ms")
        #expect(PlanRenderer.format(.microseconds(250)) == "250us")
        #expect(PlanRenderer.format(.nanoseconds(100)) == "100ns")
    }

    @Test func dotOfTheIssueSketch() throws {
        let (plan, scenario) = try plan("issue-sketch")
        #expect(PlanRenderer(plan: plan, scenario: scenario).dot == """
            digraph "a failing link member cancels the rest of the chain" {
              rankdir=TB;
              node [fontname="monospace", fontsize=10];
              edge [fontname="monospace", fontsize=9];
              n0 [shape=box, label="r1\\nread\\nuser_data 1\\nlink"];
              n1 [shape=box, label="bad\\nwrite\\nuser_data 2\\nlink"];
              n2 [shape=box, label="after\\nnop\\nuser_data 3"];
              n0 -> n1 [label="link", color="black"];
              n1 -> n2 [label="link", color="black"];
            }

            """)
    }

    @Test func dotNamesEveryNodeAndEdgeKind() throws {
        let (plan, scenario) = try plan("captures-in-repeat")
        let dot = PlanRenderer(plan: plan, scenario: scenario).dot
        #expect(dot.hasPrefix("digraph \"open, read and close a file per iteration\" {\n"))
        #expect(dot.contains("  subgraph cluster_0 {\n    label=\"repeat 100× (i)\";"))
        #expect(dot.contains("n2 -> n3 [label=\"link\", color=\"black\"];"))
        #expect(dot.contains("n3 -> n4 [label=\"$fd\", color=\"blue\", style=dashed];"))
        #expect(dot.contains("n5 -> n6 [label=\"submit\", color=\"gray\", style=dotted];"))
        #expect(dot.contains("[label=\"drain\", color=\"red\"];"))
        #expect(dot.contains("n6 [shape=ellipse, label=\"submit, wait for 1 CQE\"];"))
        #expect(dot.hasSuffix("}\n"))
    }
}
