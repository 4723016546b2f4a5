#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
import IoUring
import Scenario
@testable import Runner

/// Every registration step once, against the real kernel; refusals come back as `-errno` results.
@Suite struct IssuingRegistrationTests {
    @Test func fileTableRegistrations() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "abc" } }
              buf:  { buffer: { size: 8 } }
            steps:
              - unregister_files
              - register_files: { files: [data, -1] }
              - register_files: { files: [data] }
              - unregister_files
              - register_files: { sparse: 8 }
              - register_files_update: { offset: 2, files: [data, -1] }
              - register_file_alloc_range: { offset: 4, count: 4 }
              - read: { fd: { slot: 2 }, buf: buf, len: 3 }
                id: r
              - openat_direct: { path: data }
                id: auto
            """)
        #expect(try h.register(0) == negated(.ENXIO))  // nothing registered yet: a result, not an error
        #expect(try h.register(1) == 0)
        #expect(try h.register(2) == negated(.EBUSY))
        #expect(try h.register(3) == 0)
        #expect(try h.register(4) == 0)
        #expect(try h.register(5) == 2)  // the number of slots updated
        #expect(try h.register(6) == 0)
        try h.issue("r")
        #expect(try h.complete("r").res == 3)
        try h.issue("auto")
        let slot = try h.complete("auto").res
        #expect((4..<8).contains(slot), "the alloc range puts auto slots in 4..<8, got \(slot)")
    }

    @Test func bufferRegistrations() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "registered" } }
              a:    { buffer: { size: 8 } }
              b:    { buffer: { size: 16 } }
            steps:
              - register_buffers: { buffers: [a, b] }
              - read_fixed: { fd: data, buf: b, len: 10 }
                id: rf
              - register_buffers: { buffers: [a] }
              - unregister_buffers
              - unregister_buffers
            """)
        #expect(try h.register(0) == 0)
        try h.issue("rf")
        #expect(h.lastSQE?.bufIndex == 1)
        #expect(try h.complete("rf").res == 10)
        #expect(h.buffer("b").bytes(0..<10) == Array("registered".utf8))
        #expect(try h.register(1) == negated(.EBUSY))
        #expect(try h.register(2) == 0)
        #expect(try h.register(3) == negated(.ENXIO))
    }

    @Test func eventfdRegistrations() throws {
        let h = try IssuingHarness("""
            resources:
              efd: { eventfd: { flags: EFD_NONBLOCK } }
            steps:
              - register_eventfd: { eventfd: efd }
              - nop: {}
                id: n
              - unregister_eventfd
              - register_eventfd_async: { eventfd: efd }
              - register_eventfd: { eventfd: efd }
              - unregister_eventfd
            """)
        #expect(try h.register(0) == 0)
        try h.issue("n")
        _ = try h.complete("n")
        var counter: UInt64 = 0
        #expect(read(h.fd("efd"), &counter, 8) == 8 && counter >= 1)
        #expect(try h.register(1) == 0)
        #expect(try h.register(2) == 0)
        #expect(try h.register(3) == negated(.EBUSY))
        #expect(try h.register(4) == 0)
    }

    @Test func napiRegistrations() throws {
        let h = try IssuingHarness("""
            steps:
              - register_napi: { busy_poll_timeout: 50us, prefer_busy_poll: true }
              - unregister_napi
            """)
        let registered = try h.register(0)
        // Kernels without CONFIG_NET_RX_BUSY_POLL refuse with EOPNOTSUPP: still a result.
        #expect(registered == 0 || registered == negated(.EOPNOTSUPP) || registered == negated(.EINVAL))
        let unregistered = try h.register(1)
        #expect(unregistered == 0 || unregistered == negated(.EOPNOTSUPP) || unregistered == negated(.EINVAL))
        #expect(RegistrationIssuer.microseconds(50_000) == 50)
        #expect(RegistrationIssuer.microseconds(1) == 1)  // never rounded down to "off"
        #expect(RegistrationIssuer.microseconds(0) == 0)
    }

    @Test func bufferRingIsRegisteredFilledAndUnregistered() throws {
        let h = try IssuingHarness("""
            resources:
              s: { socketpair: {} }
            steps:
              - register_buffer_ring: { group: 3, entries: 4, size: 64 }
              - recv: { fd: s.b, buffer_group: 3 }
                id: rx
              - unregister_buffer_ring: { group: 3 }
              - unregister_buffer_ring: { group: 3 }
            """)
        #expect(try h.register(0) == 0)
        #expect(h.ring.bufferRing(groupID: 3)?.entries == 4)
        #expect(send(h.fd("s.a"), "ring", 4, 0) == 4)
        try h.issue("rx")
        let rx = try h.complete("rx")
        #expect(rx.res == 4 && rx.flags.contains(.buffer) && (0..<4).contains(rx.flags.bufferID ?? 99))
        #expect(try h.register(1) == 0)
        #expect(try h.register(2) == negated(.ENOENT))
    }

    @Test func probeComparesTheListsWithTheKernel() throws {
        let h = try IssuingHarness("""
            steps:
              - probe: { supported: [nop, read], unsupported: [] }
              - probe: { supported: [nop], unsupported: [read, write] }
            """)
        #expect(try h.register(0) == 0)
        #expect(try h.register(1) == RegistrationIssuer.probeMismatchResult)
        #expect(RegistrationIssuer.probeMismatchResult == negated(.EOPNOTSUPP))
        let probe = try h.ring.probe()
        guard case .registration(let step) = h.scenario.graph.nodes[1].kind else {
            Issue.record("the second step is not a registration")
            return
        }
        #expect(RegistrationIssuer.probeMismatch(step, probe: probe) == "IORING_OP_READ, IORING_OP_WRITE are supported")
        let fake = Probe(lastOpcode: 1, supported: [0])
        #expect(RegistrationIssuer.probeMismatch(supported: [.nop, .read, .write], unsupported: [.nop], probe: fake)
                == "IORING_OP_READ, IORING_OP_WRITE are not supported; IORING_OP_NOP is supported")
    }
}
