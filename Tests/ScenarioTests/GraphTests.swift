import IoUring
import Testing
@testable import Scenario

/// The model as the runner will consume it, asserted field by field for the main forms.
@Suite struct GraphTests {
    @Test func theIssueSketchBuildsALinkedChain() throws {
        let scenario = try load(Fixtures.text("valid", "issue-sketch.yaml"))
        #expect(scenario.name == "a failing link member cancels the rest of the chain")
        #expect(scenario.requirements.operations == [.openat, .read, .write])
        #expect(scenario.ring.entries == 8)
        #expect(scenario.resources.map(\.name) == ["data", "buf"])
        guard case .file(let file) = scenario.resources[0].kind else { Issue.record("data is not a file"); return }
        #expect(file.content == Array("hello world".utf8))
        #expect(file.path == "data")

        let nodes = scenario.graph.nodes
        #expect(nodes.count == 3)
        let read = try #require(scenario.request("r1"))
        #expect(read.opcode == .read)
        #expect(read.flags == .link)
        #expect(read.userData == UserDataRule(base: 1))
        #expect(read.arguments.file("fd") == .resource(ResourceReference(name: "data")))
        #expect(read.arguments.buffer("buf") == .resource(name: "buf", offset: 0))
        #expect(read.arguments.unsigned("len") == 64)
        #expect(read.arguments.signed("offset") == 0)
        let bad = try #require(scenario.request("bad"))
        #expect(bad.opcode == .write)
        #expect(bad.arguments.file("fd") == .descriptor(-1))
        #expect(bad.userData.base == 2)
        let after = try #require(scenario.request("after"))
        #expect(after.opcode == .nop)
        #expect(after.flags == [])
        #expect(after.userData.base == 3)
        #expect(scenario.graph.edges == [Edge(from: 0, to: 1, kind: .link), Edge(from: 1, to: 2, kind: .link)])

        #expect(scenario.expectation("r1")?.cqe.result == .exact(11))
        #expect(scenario.expectation("bad")?.cqe.result == .errno(.EBADF))
        #expect(scenario.expectation("after")?.cqe.result == .errno(.ECANCELED))
        #expect(scenario.expectations.order.map(\.description) == ["r1 before bad", "bad before after"])
        #expect(scenario.expectations.buffers == [BufferCondition(buffer: "buf", check: .prefix(Array("hello world".utf8)),
                                                                  mark: SourceMark(file: "test.yaml", line: 21, column: 21))])
        #expect(scenario.node("r1")?.mark.description == "test.yaml:8:5")
    }

    @Test func flagsMakeLinkHardlinkAndDrainEdges() throws {
        let scenario = try load(Fixtures.text("valid", "sqe-flags.yaml"))
        #expect(scenario.request("a")?.flags == .link)
        #expect(scenario.request("b")?.flags == .hardlink)
        #expect(scenario.request("d")?.flags == [.drain, .async])
        #expect(scenario.request("e")?.flags == .skipSuccess)
        #expect(scenario.graph.edges == [Edge(from: 0, to: 1, kind: .link), Edge(from: 1, to: 2, kind: .hardlink),
                                         Edge(from: 2, to: 3, kind: .drain)])
        #expect(scenario.expectation("e")?.completes == false)
    }

    @Test func controlStepsAreSubmitBoundaries() throws {
        let scenario = try load(Fixtures.text("valid", "control-steps.yaml"))
        let kinds = scenario.graph.nodes.map { node -> String in
            switch node.kind {
            case .request(let request): return request.operation
            case .control(let control): return Scenario.describe(control.action)
            default: return "?"
            }
        }
        #expect(kinds == ["nop", "submit", "nop", "submit wait=1", "timeout", "submit wait=0",
                          "wait [t(#4)] timeout=1000000000ns", "sleep 1000000ns", "nop", "wait [c(#8)]"])
        #expect(scenario.graph.edges.filter { $0.kind == .submitBoundary }.map { [$0.from, $0.to] } == [[0, 1], [2, 3], [4, 5], [8, 9]])
    }

    @Test func repeatBlocksStayBlocksAndNumberUserDataArithmetically() throws {
        let scenario = try load(Fixtures.text("valid", "repeat.yaml"))
        let graph = scenario.graph
        #expect(graph.nodes.count == 10)
        #expect(graph.blocks.count == 3)
        #expect(graph.blocks[0].count == 1000)
        #expect(graph.blocks[0].body == 2..<5)
        #expect(graph.blocks[2].parent == 1)
        #expect(graph.requestCount == 1 + 3000 + 6 + 1)
        let opened = try #require(scenario.request("o{i}"))
        #expect(opened.userData.value(iterations: [0]) == 3)
        #expect(opened.userData.value(iterations: [999]) == 3 + 3 * 999)
        let nested = try #require(scenario.request("m{outer}-{i}"))
        #expect((0..<3).flatMap { outer in (0..<2).map { nested.userData.value(iterations: [outer, $0]) } } == Array(3002...3007))
        #expect(scenario.request("after")?.userData.base == 3008)
        #expect(opened.arguments.text("path")?.resolved(["i": 7]) == "file-7.txt")
        // The capture inside the block is a per-iteration data dependency.
        #expect(graph.edges.contains(Edge(from: 3, to: 4, kind: .capture("fd"))))
        // One expectation for every iteration, one for the last instance only.
        guard case .request(let node, let iterations, _)? = scenario.expectation("o999")?.subject else {
            Issue.record("o999 is not an instance")
            return
        }
        #expect(node == 3 && iterations == .instance([999]))
    }

    @Test func instancesStreamRepeatBlocksInExecutionOrder() throws {
        let scenario = try load("""
        name: streamed
        steps:
          - nop: {}
            id: a
          - repeat: 2
            as: x
            steps:
              - nop: {}
                id: "b{x}"
              - repeat: 3
                steps:
                  - nop: {}
                    id: "c{x}-{i}"
          - nop: {}
            id: d
        """)
        let order = scenario.graph.instances.map { instance -> String in
            let request = scenario.graph.request(instance.node)!
            var indices: [String: Int] = [:]
            for (block, iteration) in zip(scenario.graph.enclosingBlocks(of: instance.node), instance.iterations) {
                indices[scenario.graph.blocks[block].indexName] = iteration
            }
            return request.id!.resolved(indices) + "=" + String(request.userData.value(iterations: instance.iterations))
        }
        #expect(order == ["a=1", "b0=2", "c0-0=3", "c0-1=4", "c0-2=5", "b1=6", "c1-0=7", "c1-1=8", "c1-2=9", "d=10"])
        #expect(scenario.graph.requestCount == 10)
    }

    @Test func capturesBecomeDataDependencies() throws {
        let scenario = try load(Fixtures.text("valid", "captures.yaml"))
        let open = try #require(scenario.request("open"))
        #expect(open.capture?.name == "fd")
        #expect(open.capture?.kind == .fd)
        let read = try #require(scenario.request("r"))
        guard case .capture(let capture)? = read.arguments.file("fd") else {
            Issue.record("fd of r is not a capture")
            return
        }
        #expect(capture == CaptureReference(name: "fd", producer: 0, kind: .fd))
        #expect(read.flags == [])
        #expect(scenario.graph.edges == [Edge(from: 0, to: 1, kind: .capture("fd")), Edge(from: 0, to: 2, kind: .capture("fd"))])
    }

    @Test func slotCapturesImplyFixedFile() throws {
        let scenario = try load(Fixtures.text("valid", "captures-direct.yaml"))
        #expect(scenario.request("open")?.capture?.kind == .slot)
        #expect(scenario.request("open")?.arguments["slot"] == .slot(.allocate))
        #expect(scenario.request("r")?.flags == .fixedFile)
        #expect(scenario.request("acc")?.arguments["slot"] == .slot(.index(3)))
        #expect(SlotChoice.index(3).fileIndexField == 4)
        #expect(SlotChoice.allocate.fileIndexField == UInt32.max)
    }

    @Test func registrationsCarryTheirExpectedResult() throws {
        let scenario = try load(Fixtures.text("valid", "registrations.yaml"))
        let registrations = scenario.graph.nodes.compactMap { node -> RegistrationStep? in
            if case .registration(let step) = node.kind { return step }
            return nil
        }
        #expect(registrations.count == 15)
        #expect(registrations[4].registration == .buffers(["a", "b"]))
        #expect(registrations[0].registration == .sparseFiles(count: 8))
        #expect(registrations[1].registration == .filesUpdate(offset: 2, [.resource(ResourceReference(name: "data"))]))
        #expect(registrations[3].expected == .errno(.EBUSY))
        #expect(registrations[0].expected == .success)
        #expect(registrations[6].registration == .unregisterEventfd)
        #expect(registrations[7].registration.kernelName == "IORING_REGISTER_EVENTFD_ASYNC")
        #expect(registrations[8].expected == .anyOf([.exact(0), .errno(.EINVAL)]))
        #expect(registrations[10].registration == .bufferRing(BufferRingSpec(group: 3, entries: 4, size: 64, incremental: false)))
        #expect(registrations[11].registration == .probe(supported: [.nop, .read], unsupported: []))
        #expect(scenario.request("r")?.flags == .fixedFile)
        #expect(scenario.request("rf")?.arguments["buf"] == .registeredBuffer(RegisteredBufferOperand(name: "b", index: 1, offset: 0)))
    }

    @Test func rawStepsKeepEveryField() throws {
        let scenario = try load(Fixtures.text("valid", "raw-step.yaml"))
        let bogus = try #require(scenario.request("bogus"))
        #expect(bogus.opcodeValue == 250)
        #expect(bogus.opcode == nil)
        #expect(bogus.arguments.unsigned("op_flags") == 0xffff_ffff)
        #expect(bogus.arguments["addr"] == .addressField(nil, 0x1000))
        #expect(bogus.arguments.signed("splice_fd_in") == -1)
        let read = try #require(scenario.request("r"))
        #expect(read.opcode == .read)
        #expect(read.arguments["addr"] == .addressField(.resource(name: "buf", offset: 0), 0))
        #expect(scenario.request("n")?.flags == .async)
        #expect(scenario.request("fixed")?.flags == [.fixedFile, .link])
    }

    @Test func explicitUserDataAndNumericExpectations() throws {
        let scenario = try load(Fixtures.text("valid", "user-data.yaml"))
        let values = scenario.graph.nodes.compactMap { scenario.graph.request($0.id)?.userData }
        #expect(values.map(\.base) == [0x1000, 0x1000, 42, 1, 0])
        #expect(values.map(\.isExplicit) == [true, true, true, false, true])
        #expect(scenario.expectations.completions.first?.subject == .userData(0x1000))
    }

    @Test func variantOpcodesFollowTheArguments() throws {
        let scenario = try load(Fixtures.text("valid", "resources-buffers.yaml"))
        #expect(scenario.request("rv")?.opcode == .readv)
        #expect(scenario.request("rv")?.arguments["len"] == nil)
        #expect(scenario.request("wv")?.opcode == .writev)
        guard case .iovecs(let iovecs)? = scenario.resource(named: "vec")?.kind else {
            Issue.record("vec is not an iovecs resource")
            return
        }
        #expect(iovecs == [IovecSpec(buffer: "a", offset: 0, length: 4), IovecSpec(buffer: "b", offset: 2, length: 6)])
    }

    @Test func multishotComesFromTheTableOrTheArgument() throws {
        let scenario = try load(Fixtures.text("valid", "expect-streams.yaml"))
        #expect(scenario.request("poll")?.isMultishot == true)
        #expect(scenario.request("acc")?.isMultishot == true)
        #expect(scenario.request("rm")?.flags == .bufferSelect)
        let tick = try #require(scenario.expectation("tick")?.stream)
        #expect(tick.moreCount == .exactly(2))
        #expect(tick.totalCount == .exactly(3))
        #expect(tick.each?.result == .errno(.ETIME))
        #expect(scenario.expectation("poll")?.stream?.final == .absent)
        #expect(scenario.expectation("poll")?.stream?.totalCount == CountRange(lower: 1, upper: 5))
    }

    @Test func resultPatternsMatch() throws {
        let scenario = try load(Fixtures.text("valid", "expect-results.yaml"))
        func pattern(_ id: String) -> ResultPattern { scenario.expectation(id)?.cqe.result ?? .exact(.min) }
        #expect(pattern("range") == .range(min: 0, max: 64))
        #expect(pattern("range").matches(64) && !pattern("range").matches(65))
        #expect(pattern("open_range") == .range(min: 1, max: nil))
        #expect(pattern("mapping_range") == .range(min: -11, max: 10))
        #expect(pattern("comparison") == .comparison(.greaterOrEqual, 0))
        #expect(pattern("any_of").matches(-114) && pattern("any_of").matches(101) && !pattern("any_of").matches(1))
        #expect(pattern("anything") == .any)
        #expect(pattern("not_equal") == .comparison(.notEqual, -4))
        #expect(pattern("not_equal").description == "!= -EINTR")
        #expect(pattern("errno").description == "-EBADF")
    }

    @Test func flagExpectationsNameCQEFlags() throws {
        let scenario = try load(Fixtures.text("valid", "expect-flags.yaml"))
        let rx = try #require(scenario.expectation("rx")?.cqe)
        #expect(rx.flagsSet?.value == UInt64(CompletionFlags.buffer.rawValue))
        #expect(rx.flagsClear?.value == UInt64(CompletionFlags.more.rawValue | CompletionFlags.socketNonEmpty.rawValue))
        #expect(rx.bufferIDs == [0, 1])
        #expect(rx.matches(res: 3, flags: CompletionFlags.buffer.rawValue | (1 << 16)))
        #expect(!rx.matches(res: 3, flags: CompletionFlags.buffer.rawValue | (2 << 16)))
        #expect(!rx.matches(res: 3, flags: CompletionFlags.buffer.rawValue | CompletionFlags.more.rawValue))
        #expect(scenario.expectation("zc")?.notification == true)
    }

    @Test func notificationTakesABoolOrACQEPattern() throws {
        let scenario = try load("""
            name: notification patterns
            resources:
              c: { tcp_pair: {} }
            steps:
              - send_zc: { fd: c.client, data: "a", report_usage: true }
                id: copied
              - send_zc: { fd: c.client, data: "b" }
                id: plain
              - send_zc: { fd: c.client, data: "c" }
                id: bare
            expect:
              copied: { notification: { res: 0x80000000, flags: [notif] } }
              plain: { notification: True }
              bare: { notification: 0 }
            """)
        let copied = try #require(scenario.expectation("copied"))
        #expect(copied.notification == true)
        #expect(copied.notificationPattern?.result == .exact(Int64(Int32.min)))
        #expect(copied.notificationPattern?.flagsSet?.value == UInt64(CompletionFlags.notification.rawValue))
        #expect(scenario.expectation("plain")?.notification == true)
        #expect(scenario.expectation("plain")?.notificationPattern == nil)
        #expect(scenario.expectation("bare")?.notificationPattern?.result == .exact(0))
    }

    @Test func hexResultsAboveInt32MaxAreBitPatterns() throws {
        let scenario = try load("""
            name: hex results
            steps:
              - nop: { result: -2147483648 }
                id: low
            expect:
              low: 0x80000000
            """)
        #expect(scenario.expectation("low")?.cqe.result == .exact(Int64(Int32.min)))
        #expect(diagnostics("""
            name: out of range
            steps:
              - nop: {}
                id: n
            expect:
              n: 0x100000000
            """).contains("0x100000000 is out of range for a CQE result"))
    }

    @Test func addressesTakeACapturedSocket() throws {
        let scenario = try load("""
            name: connect to a captured socket
            steps:
              - socket: {}
                id: server
                capture: srv
              - bind: { fd: $srv, address: "127.0.0.1:0" }
                id: bound
                link: true
              - listen: { fd: $srv }
                id: listening
              - socket: {}
                id: client
                capture: cli
              - connect: { fd: $cli, address: $srv }
                id: connected
            """)
        let connect = try #require(scenario.graph.nodes.compactMap { scenario.graph.request($0.id) }.first { $0.operation == "connect" })
        guard case .address(.capture(let capture))? = connect.arguments["address"] else {
            Issue.record("the address is not a capture")
            return
        }
        #expect(capture.name == "srv" && capture.producer == 0)
        #expect(scenario.graph.edges.contains(Edge(from: 0, to: 4, kind: .capture("srv"))))
        // The linked listen uses $srv, which bind (the chain's head) already waited for.
        #expect(scenario.graph.edges.contains(Edge(from: 1, to: 2, kind: .link)))
    }

    /// A linked member may use a capture made before its chain: the runner waits for every capture the
    /// chain uses before queuing its first request. An address capture must be a socket.
    @Test func aLinkedMemberMayUseACaptureMadeBeforeTheChain() {
        #expect(diagnostics("""
            name: a capture the chain did not wait for
            resources:
              buf: { buffer: { size: 8 } }
            steps:
              - socket: {}
                capture: a
              - socket: {}
                capture: b
              - bind: { fd: $a, address: "127.0.0.1:0" }
                link: true
              - listen: { fd: $b }
              - read: { fd: -1, buf: buf }
                capture: n
              - connect: { fd: $a, address: $n }
            """) == """
            test.yaml:14:33: error: 'address' needs a socket descriptor to ask where it is bound, but '$n' is a captured count
              - connect: { fd: $a, address: $n }
                                            ^
            1 error
            """)
    }

    @Test func replenishBuffersNamesARingGroupAndARangeOfIds() throws {
        let scenario = try load("""
            name: replenish
            resources:
              br: { buffer_ring: { group: 5, entries: 4, size: 8 } }
            steps:
              - replenish_buffers: { group: br, first: 1, count: 2 }
              - replenish_buffers: { group: 5, first: 3 }
            """)
        let actions = scenario.graph.nodes.compactMap { node -> ControlAction? in
            if case .control(let step) = node.kind { return step.action }
            return nil
        }
        #expect(actions == [.replenishBuffers(group: BufferGroupReference(group: 5, resource: "br"), first: 1, count: 2),
                            .replenishBuffers(group: BufferGroupReference(group: 5), first: 3, count: 1)])
        #expect(diagnostics("""
            name: replenish a legacy group
            resources:
              lg: { provided_buffers: { group: 2, count: 1, size: 8 } }
            steps:
              - replenish_buffers: { group: lg, first: 0 }
            """) == """
            test.yaml:5:33: error: 'lg' is a legacy provided_buffers group: refill it with provide_buffers; replenish_buffers is for buffer rings
              - replenish_buffers: { group: lg, first: 0 }
                                            ^
            1 error
            """)
    }

    @Test func xfailCanBeBoundedByTheReleasesWithTheFix() throws {
        let bounded = try load("""
            name: bounded
            xfail: { reason: "bug", fixed_in: ["7.1", "6.18.50"] }
            steps:
              - nop
            """)
        #expect(bounded.expectedFailure == "bug")
        #expect(bounded.expectedFailureFixedIn.map(\.string) == ["7.1", "6.18.50"])
        func expects(_ release: String) -> Bool { bounded.expectsFailure(on: KernelRelease(parsing: release)!) != nil }
        #expect(expects("6.18.44-fc") && expects("6.19.3") && expects("6.12") && expects("7.0.9"))
        #expect(!expects("6.18.50") && !expects("6.18.61-custom") && !expects("7.1") && !expects("7.2.1") && !expects("8.0"))

        let single = try load("""
            name: single
            xfail: { reason: "bug", fixed_in: "6.9" }
            steps:
              - nop
            """)
        #expect(single.expectsFailure(on: KernelRelease(parsing: "6.8.12")!) == "bug")
        #expect(single.expectsFailure(on: KernelRelease(parsing: "6.9")!) == nil)
        let always = try load("""
            name: always
            xfail: "bug"
            steps:
              - nop
            """)
        #expect(always.expectsFailure(on: KernelRelease(parsing: "99.0")!) == "bug")

        #expect(diagnostics("""
            name: wrong
            xfail: { fixed_in: [soon], why: x }
            steps:
              - nop
            """) == """
            test.yaml:2:8: error: 'xfail' needs a 'reason'
            xfail: { fixed_in: [soon], why: x }
                   ^
            test.yaml:2:21: error: 'fixed_in' lists releases such as "7.1" or "6.18.50", not 'soon'
            xfail: { fixed_in: [soon], why: x }
                                ^
            test.yaml:2:28: error: unknown key 'why' in 'xfail'
            xfail: { fixed_in: [soon], why: x }
                                       ^
            3 errors
            """)
    }

    @Test func napiCanBeRequired() throws {
        let scenario = try load("""
            name: napi
            requires: { napi: true, kernel: "6.9" }
            steps:
              - register_napi: {}
            """)
        #expect(scenario.requirements.napi && scenario.requirements.kernel?.minor == 9)
        #expect(try load("name: no napi\nsteps:\n  - nop\n").requirements.napi == false)
    }

    @Test func dataIsReadAsBytesOnCQEsAndStreams() throws {
        let scenario = try load("""
            name: data
            resources:
              s:  { socketpair: {} }
              br: { buffer_ring: { group: 1, entries: 4, size: 8 } }
            steps:
              - recv: { fd: s.b, buffer_group: br }
                id: one
              - recv: { fd: s.b, buffer_group: br, multishot: true }
                id: many
            expect:
              one: { data: { hex: "61 62" } }
              many: { stream: { each: { data: "x" }, final: { res: 0, data: "" }, data: { pattern: "x", size: 3 } } }
            """)
        #expect(scenario.expectation("one")?.cqe.data == Array("ab".utf8))
        let stream = try #require(scenario.expectation("many")?.stream)
        #expect(stream.each?.data == Array("x".utf8) && stream.data == Array("xxx".utf8))
        guard case .matching(let final) = stream.final else { Issue.record("no final pattern"); return }
        #expect(final.data == [])
    }

    @Test func orderFormsLowerToPairwiseConstraints() throws {
        let scenario = try load(Fixtures.text("valid", "expect-order.yaml"))
        #expect(scenario.expectations.order.map(\.description) == [
            "a before b", "a before c", "b before d", "c before d", "a before e", "e before f", "b before f", "e before f",
        ])
    }

    @Test func resourcesOfEveryKind() throws {
        let files = try load(Fixtures.text("valid", "resources-files.yaml"))
        guard case .file(let pattern)? = files.resource(named: "pattern")?.kind,
              case .file(let hole)? = files.resource(named: "hole")?.kind,
              case .file(let closed)? = files.resource(named: "closed")?.kind,
              case .symlink(let link)? = files.resource(named: "link")?.kind else {
            Issue.record("unexpected resource kinds")
            return
        }
        #expect(pattern.content == Array("ababa".utf8))
        #expect(hole.sparse && hole.size == 1_048_576 && hole.openFlags.value == 0)
        #expect(!closed.opens)
        #expect(link.target == "text")
        let network = try load(Fixtures.text("valid", "resources-network.yaml"))
        #expect(network.resources.map(\.kind.keyword) == ["tcp_listener", "tcp_listener", "udp_socket", "tcp_pair", "udp_pair", "buffer"])
        #expect(network.resource(named: "conn")?.kind.endpoints == [.client, .server])
    }

    @Test func sandboxOptInComesFromTheScenarioOrTheRunner() throws {
        let text = "name: outside\nsteps:\n  - openat: { path: /etc/hostname }\n"
        #expect(diagnostics(text).contains("is absolute"))
        let scenario = try load(text, options: LoadOptions(allowOutsideSandbox: true))
        #expect(scenario.graph.nodes.count == 1)
        #expect(try load(Fixtures.text("valid", "sandbox-opt-in.yaml")).options.allowOutsideSandbox)
    }

    @Test func dumpOfASmallScenarioReadsWell() throws {
        let scenario = try load("""
        name: tiny
        resources:
          p: { pipe: {} }
        steps:
          - write: { fd: p.write, data: "hi" }
            id: w
            link: true
          - read: { fd: p.read, buffer_group: 3 }
            id: r
        expect:
          w: 2
        """)
        #expect(scenario.dump() == """
        scenario: tiny
        ring: entries=64
        resources:
          p: pipe
        nodes:
          #0 write id=w user_data=1 opcode=IORING_OP_WRITE sqe_flags=IOSQE_IO_LINK {fd=p.write, data="hi", len=2*, offset=0*, flags=0*} @5:5
          #1 read id=r user_data=2 opcode=IORING_OP_READ sqe_flags=IOSQE_BUFFER_SELECT {fd=p.read, buffer_group=group 3, len=0*, offset=0*, flags=0*} @8:5
        edges:
          0 -link-> 1
        requests: 2
        expect:
          w(#0): res=2 @11

        """)
    }

    @Test func randomOffsetsAreAlignedReproducibleAndPerUserData() throws {
        let scenario = try load("""
        name: random offsets
        resources:
          data: { file: { size: 65536 } }
          buf:  { buffer: { size: 4096 } }
        steps:
          - read: { fd: data, buf: buf, offset: { random: 65536, align: 4096 } }
            id: r
          - write: { fd: data, buf: buf, len: 1, offset: { random: 100, seed: 7 } }
            id: w
          - splice: { in: data, in_offset: { random: 8192, align: 512 }, out: data, out_offset: 0, len: 1 }
            id: s
        """)
        let read = try #require(scenario.request("r"))
        guard case .randomOffset(let random)? = read.arguments["offset"] else {
            Issue.record("offset is not random: \(String(describing: read.arguments["offset"]))")
            return
        }
        #expect(random == RandomOffset(range: 65536, align: 4096, seed: 0))
        #expect(random.units == 16)
        var seen = Set<UInt64>()
        for userData in UInt64(1)...64 {
            let offset = random.value(userData: userData)
            #expect(offset % 4096 == 0 && offset + 4096 <= 65536)
            #expect(offset == random.value(userData: userData))
            seen.insert(offset)
        }
        #expect(seen.count > 8, "64 requests should spread over the 16 blocks: \(seen.sorted())")
        let write = try #require(scenario.request("w"))
        #expect(write.arguments["offset"] == .randomOffset(RandomOffset(range: 100, align: 1, seed: 7)))
        #expect((0..<1000).allSatisfy { RandomOffset(range: 100, seed: 7).value(userData: $0) < 100 })
        let splice = try #require(scenario.request("s"))
        #expect(splice.arguments["in_offset"] == .randomOffset(RandomOffset(range: 8192, align: 512)))
        #expect(scenario.dump().contains("offset=random(65536 align 4096 seed 0)"))
    }
}
