#if canImport(Glibc)
import Glibc
#endif
import Testing
import IoUring
import Scenario
@testable import Runner

/// Socket ops issued through the real kernel over loopback and socket pairs.
@Suite struct IssuingNetworkTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Reads what is waiting on `fd` (up to 256 bytes).
    private func drain(_ fd: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, 256, Int32(MSG_DONTWAIT))
        return count > 0 ? Array(buffer[0..<count]) : []
    }

    @Test func acceptConnectSendRecvOverLoopback() throws {
        let h = try IssuingHarness("""
            resources:
              l:   { tcp_listener: {} }
              buf: { buffer: { size: 16 } }
            steps:
              - socket: { domain: AF_INET, type: [SOCK_STREAM, SOCK_CLOEXEC], protocol: IPPROTO_TCP }
                id: sock
                capture: s
              - connect: { fd: $s, address: l }
                id: conn
              - accept: { fd: l }
                id: acc
                capture: c
              - send: { fd: $s, data: "hello", flags: MSG_NOSIGNAL }
                id: tx
              - recv: { fd: $c, buf: buf, len: 5, flags: MSG_WAITALL }
                id: rx
            """)
        try h.issue("sock")
        let sock = try #require(h.lastSQE)
        #expect(sock.fd == AF_INET && sock.off == UInt64(Int32(SOCK_STREAM.rawValue) | O_CLOEXEC) && sock.len == 6)
        let socket = try h.complete("sock")
        #expect(socket.res >= 0)
        h.capture("s", socket)
        try h.issue("conn")
        let connect = try #require(h.lastSQE)
        #expect(connect.fd == socket.res && connect.off == 16 && connect.addr != 0)
        try h.issue("acc")
        let pair = try h.reap(2)
        let accepted = try #require(pair.first { $0.userData == h.userData("acc") })
        #expect(h.res("conn", in: pair) == 0)
        #expect(accepted.res >= 0)
        h.capture("c", accepted)
        try h.issue("tx")
        #expect(h.lastSQE?.opFlags == 0x4000)
        #expect(try h.complete("tx").res == 5)
        try h.issue("rx")
        #expect(h.lastSQE.map { ($0.fd, $0.len, $0.opFlags) } ?? (0, 0, 0) == (accepted.res, 5, 0x100))
        #expect(try h.complete("rx").res == 5)
        #expect(h.buffer("buf").bytes(0..<5) == bytes("hello"))
        close(socket.res)
        close(accepted.res)
    }

    @Test func bindListenAndSocketOptionsThroughTheRing() throws {
        let h = try IssuingHarness("""
            resources:
              conn: { tcp_pair: {} }
            steps:
              - socket: { domain: AF_INET, type: SOCK_STREAM }
                id: sock
                capture: s
              - setsockopt: { fd: $s, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1 }
                id: reuse
              - bind: { fd: $s, address: "127.0.0.1:0" }
                id: bind
              - listen: { fd: $s, backlog: 8 }
                id: listen
              - getsockopt: { fd: $s, level: SOL_SOCKET, name: SO_ACCEPTCONN }
                id: get
              - cmd_sock: { fd: conn.server, cmd: SIOCINQ }
                id: inq
              - shutdown: { fd: conn.client, how: SHUT_WR }
                id: shut
            """)
        try h.issue("sock")
        let socket = try h.complete("sock")
        h.capture("s", socket)
        try h.issue("reuse")
        #expect(try h.complete("reuse").res == 0)
        var value: Int32 = 0
        var length = socklen_t(4)
        getsockopt(socket.res, SOL_SOCKET, SO_REUSEADDR, &value, &length)
        #expect(value == 1)
        try h.issue("bind")
        #expect(try h.complete("bind").res == 0)
        try h.issue("listen")
        #expect(h.lastSQE?.len == 8)
        #expect(try h.complete("listen").res == 0)
        #expect(try IoUring::SocketAddress.local(of: socket.res).port != 0)
        try h.issue("get")
        #expect(try h.complete("get").res == 4)  // the option's length
        #expect(send(h.fd("conn.client"), "abc", 3, 0) == 3)
        try h.issue("inq")
        #expect(h.lastSQE?.off == 0)  // cmd_op SOCKET_URING_OP_SIOCINQ
        #expect(try h.complete("inq").res == 3)
        try h.issue("shut")
        #expect(h.lastSQE?.len == 1)
        #expect(try h.complete("shut").res == 0)
        close(socket.res)
    }

    @Test func getsockoptWritesTheValueIntoTheScenariosBuffer() throws {
        let h = try IssuingHarness("""
            resources:
              conn: { tcp_pair: {} }
              val:  { buffer: { size: 4, fill: 0xee } }
            steps:
              - getsockopt: { fd: conn.client, level: SOL_SOCKET, name: SO_TYPE, buf: val }
                id: get
            """)
        try h.issue("get")
        #expect(try h.complete("get").res == 4)
        #expect(h.buffer("val").bytes(0..<4) == [1, 0, 0, 0])  // SOCK_STREAM
    }

    @Test func sendToAnAddressFillsAddr2AndAddrLen() throws {
        let h = try IssuingHarness("""
            resources:
              u:   { udp_socket: {} }
            steps:
              - socket: { domain: AF_INET, type: SOCK_DGRAM }
                id: sock
                capture: s
              - send: { fd: $s, data: "datagram", address: u }
                id: tx
              - send_zc: { fd: $s, data: "zc-gram", address: u }
                id: zc
            """)
        try h.issue("sock")
        let socket = try h.complete("sock")
        h.capture("s", socket)
        try h.issue("tx")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.send.rawValue && sqe.off != 0 && sqe.spliceFDIn == 16 && sqe.len == 8)
        #expect(try h.complete("tx").res == 8)
        #expect(drain(h.fd("u")) == bytes("datagram"))
        try h.issue("zc")
        #expect(h.lastSQE?.opcode == Opcode.sendZC.rawValue)
        let cqes = try h.reap(2)
        #expect(cqes.first?.res == 7 && cqes.first?.flags.contains(.more) == true)
        #expect(cqes.last?.flags.contains(.notification) == true)
        #expect(drain(h.fd("u")) == bytes("zc-gram"))
        close(socket.res)
    }

    @Test func sendZeroCopyPostsAResultThenANotification() throws {
        let h = try IssuingHarness("""
            resources:
              conn: { tcp_pair: {} }
              buf:  { buffer: { content: "fixed-zc" } }
              regs: { registered_buffers: [buf] }
            steps:
              - send_zc: { fd: conn.client, data: "hello", report_usage: true }
                id: zc
              - send_zc_fixed: { fd: conn.client, buf: buf, len: 5, poll_first: true }
                id: zcf
            """)
        try h.issue("zc")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.sendZC.rawValue && sqe.ioprio == 8 && sqe.len == 5)
        let cqes = try h.reap(2)
        #expect(cqes.map(\.userData) == [h.userData("zc"), h.userData("zc")])
        #expect(cqes[0].res == 5 && cqes[0].flags.contains(.more))
        #expect(cqes[1].flags.contains(.notification) && !cqes[1].flags.contains(.more))
        #expect(drain(h.fd("conn.server")) == bytes("hello"))
        try h.issue("zcf")
        let fixed = try #require(h.lastSQE)
        #expect(fixed.ioprio == 1 | 4 && fixed.bufIndex == 0)  // POLL_FIRST | FIXED_BUF
        let fixedCQEs = try h.reap(2)
        #expect(fixedCQEs[0].res == 5)
        #expect(drain(h.fd("conn.server")) == bytes("fixed"))
    }

    @Test func sendmsgAndRecvmsgWithTheSendersAddress() throws {
        let h = try IssuingHarness("""
            resources:
              up:  { udp_pair: {} }
              a:   { buffer: { content: "io" } }
              b:   { buffer: { content: "vec" } }
              vec: { iovecs: [a, b] }
              buf: { buffer: { size: 32 } }
            steps:
              - sendmsg: { fd: up.client, iovecs: vec }
                id: tx
              - recvmsg: { fd: up.server, buf: buf, name_len: 16, control_len: 64 }
                id: rx
              - sendmsg_zc: { fd: up.client, data: "zero" }
                id: zc
            """)
        try h.issue("tx")
        #expect(h.lastSQE.map { ($0.opcode, $0.len) } ?? (0, 0) == (Opcode.sendmsg.rawValue, 1))
        #expect(try h.complete("tx").res == 5)
        try h.issue("rx")
        #expect(h.lastSQE?.opcode == Opcode.recvmsg.rawValue)
        #expect(try h.complete("rx").res == 5)
        #expect(h.buffer("buf").bytes(0..<5) == bytes("iovec"))
        try h.issue("zc")
        #expect(h.lastSQE?.opcode == Opcode.sendmsgZC.rawValue)
        let cqes = try h.reap(2)
        #expect(cqes[0].res == 4)
        #expect(drain(h.fd("up.server")) == bytes("zero"))
    }

    @Test func provideBuffersThenRecvWithBufferSelect() throws {
        let h = try IssuingHarness("""
            resources:
              s: { socketpair: {} }
            steps:
              - provide_buffers: { group: 7, count: 4, size: 16, start_id: 10 }
                id: provide
              - recv: { fd: s.b, buffer_group: 7 }
                id: rx
              - read: { fd: s.b, buffer_group: 7, len: 8 }
                id: rd
              - remove_buffers: { group: 7, count: 8 }
                id: remove
            """)
        try h.issue("provide")
        let provide = try #require(h.lastSQE)
        #expect(provide.fd == 4 && provide.len == 16 && provide.off == 10 && provide.bufIndex == 7)
        #expect(try h.complete("provide").res == 0)
        #expect(send(h.fd("s.a"), "hi", 2, 0) == 2)
        try h.issue("rx")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.flags & SubmissionFlags.bufferSelect.rawValue != 0 && sqe.bufIndex == 7)
        let rx = try h.complete("rx")
        #expect(rx.res == 2 && rx.flags.contains(.buffer) && rx.flags.bufferID == 10)
        #expect(send(h.fd("s.a"), "more", 4, 0) == 4)
        try h.issue("rd")
        #expect(h.lastSQE.map { ($0.len, $0.bufIndex) } ?? (0, 0) == (8, 7))
        let rd = try h.complete("rd")
        #expect(rd.res == 4 && rd.flags.bufferID == 11)
        try h.issue("remove")
        #expect(try h.complete("remove").res == 2)
    }

    @Test func multishotRecvIntoABufferRingUntilEndOfStream() throws {
        let h = try IssuingHarness("""
            resources:
              conn: { tcp_pair: {} }
              grp:  { buffer_ring: { group: 9, entries: 8, size: 64 } }
            steps:
              - recv: { fd: conn.server, buffer_group: grp, multishot: true }
                id: rx
            """)
        try h.issue("rx")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.ioprio == 2 && sqe.bufIndex == 9 && sqe.flags & SubmissionFlags.bufferSelect.rawValue != 0)
        try h.ring.submit()
        #expect(send(h.fd("conn.client"), "one", 3, 0) == 3)
        let first = try h.reap(1)
        #expect(first.first?.res == 3 && first.first?.flags.contains([.more, .buffer]) == true)
        Glibc.shutdown(h.fd("conn.client"), Int32(SHUT_WR))
        let last = try h.reap(1)
        #expect(last.first?.res == 0 && last.first?.flags.contains(.more) == false)
    }

    @Test func recvBundleAndPollFirstSetTheirIoprioBits() throws {
        let h = try IssuingHarness("""
            resources:
              conn: { tcp_pair: {} }
              grp:  { buffer_ring: { group: 4, entries: 4, size: 4 } }
              buf:  { buffer: { size: 8 } }
            steps:
              - recv: { fd: conn.server, buffer_group: grp, bundle: true }
                id: bundle
              - recv: { fd: conn.server, buf: buf, poll_first: true }
                id: pf
            """)
        #expect(send(h.fd("conn.client"), "12345678", 8, 0) == 8)
        try h.issue("bundle")
        #expect(h.lastSQE?.ioprio == 16)
        let bundle = try h.complete("bundle")
        #expect(bundle.res == 8 && bundle.flags.contains(.buffer))  // two 4-byte buffers in one CQE
        #expect(send(h.fd("conn.client"), "x", 1, 0) == 1)
        try h.issue("pf")
        #expect(h.lastSQE.map { ($0.ioprio, $0.len) } ?? (0, 0) == (1, 8))
        #expect(try h.complete("pf").res == 1)
    }

    @Test func recvmsgMultishotWithProvidedBuffers() throws {
        let h = try IssuingHarness("""
            resources:
              s:   { socketpair: { type: SOCK_DGRAM } }
              grp: { buffer_ring: { group: 2, entries: 4, size: 256 } }
            steps:
              - recvmsg: { fd: s.b, buffer_group: grp, multishot: true }
                id: rx
            """)
        try h.issue("rx")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.recvmsg.rawValue && sqe.ioprio == 2 && sqe.bufIndex == 2 && sqe.len == 1)
        #expect(send(h.fd("s.a"), "dgram", 5, 0) == 5)
        let cqe = try #require(try h.reap(1).first)
        // res covers the io_uring_recvmsg_out header and the payload.
        #expect(cqe.res >= 5 + 16 && cqe.flags.contains([.more, .buffer]))
    }

    @Test func acceptFamily() throws {
        let h = try IssuingHarness("""
            resources:
              l:     { tcp_listener: {} }
              table: { file_table: { sparse: 8 } }
            steps:
              - accept: { fd: l, poll_first: true, flags: SOCK_NONBLOCK }
                id: pf
              - accept_multishot: { fd: l }
                id: multi
              - accept_direct: { fd: l, slot: 3 }
                id: direct
              - accept_multishot_direct: { fd: l }
                id: multidirect
              - socket_direct: { slot: 5 }
                id: sd
              - socket_direct_alloc: {}
                id: sda
            """)
        let address = h.resolver.addresses["l"]!
        func connectClient() throws -> Int32 {
            let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var raw = sockaddr_in()
            raw.sin_family = sa_family_t(AF_INET)
            raw.sin_port = address.port!.bigEndian
            raw.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
            let status = withUnsafePointer(to: &raw) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(status == 0)
            return fd
        }
        var clients: [Int32] = []
        defer { for fd in clients { close(fd) } }

        try h.issue("pf")
        let pf = try #require(h.lastSQE)
        #expect(pf.ioprio == 4 && pf.opFlags == UInt32(O_NONBLOCK))
        try h.ring.submit()
        clients.append(try connectClient())
        let accepted = try h.complete("pf")
        #expect(accepted.res >= 0)
        close(accepted.res)

        try h.issue("multi")
        #expect(h.lastSQE?.ioprio == 1)
        try h.ring.submit()
        clients.append(try connectClient())
        clients.append(try connectClient())
        let multi = try h.reap(2)
        #expect(multi.allSatisfy { $0.res >= 0 && $0.flags.contains(.more) })
        for cqe in multi { close(cqe.res) }
        try h.issue("direct")  // the multishot accept is still armed and takes connections first
        #expect(h.lastSQE?.spliceFDIn == 4)
        try h.issue("multidirect")
        #expect(h.lastSQE.map { UInt32(bitPattern: $0.spliceFDIn) } == UInt32.max)
        try h.issue("sd")
        #expect(h.lastSQE?.spliceFDIn == 6)
        try h.issue("sda")
        #expect(h.lastSQE.map { UInt32(bitPattern: $0.spliceFDIn) } == UInt32.max)
        let sockets = try h.reap(2)
        #expect(h.res("sd", in: sockets) == 0)
        #expect((h.res("sda", in: sockets) ?? -1) >= 0)
    }
}
