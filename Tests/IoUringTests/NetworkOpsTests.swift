#if canImport(Glibc)
import Glibc
#endif
import CIoUring
import Testing
@testable import IoUring

// Socket operations against the real kernel, loopback only (127.0.0.1, ::1, AF_UNIX pairs), ephemeral ports.

private let streamType = Int32(SOCK_STREAM.rawValue)
private let datagramType = Int32(SOCK_DGRAM.rawValue)

private typealias CQE = CompletionQueueEntry

/// A failed plain syscall in test setup, with its errno.
private func check(_ result: Int32, _ what: String) throws -> Int32 {
    guard result >= 0 else { throw IoUringError.syscall(.other(what), Errno(rawValue: errno)) }
    return result
}

private func plainSocket(_ family: Int32 = AF_INET, _ type: Int32 = streamType) throws -> Int32 {
    try check(Glibc.socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
}

private func plainBind(_ fd: Int32, _ address: SocketAddress) throws {
    _ = try check(address.withSockaddr { Glibc.bind(fd, $0, $1) }, "bind")
}

/// A TCP listener on loopback made with plain syscalls, and the address it listens on.
private func plainListener(_ address: SocketAddress = .loopbackIPv4()) throws -> (fd: Int32, address: SocketAddress) {
    let fd = try plainSocket(address.family)
    try plainBind(fd, address)
    _ = try check(Glibc.listen(fd, 16), "listen")
    return (fd, try SocketAddress.local(of: fd))
}

/// A blocking connect with plain syscalls.
private func plainConnect(_ address: SocketAddress) throws -> Int32 {
    let fd = try plainSocket(address.family)
    _ = try check(address.withSockaddr { Glibc.connect(fd, $0, $1) }, "connect")
    return fd
}

/// A connected loopback TCP pair made with plain syscalls.
private func tcpPair() throws -> (client: Int32, server: Int32) {
    let (listener, address) = try plainListener()
    defer { close(listener) }
    let client = try plainConnect(address)
    let server = try check(Glibc.accept(listener, nil, nil), "accept")
    return (client, server)
}

/// Reads exactly `count` bytes (or up to end of stream), waiting at most 5 s for each chunk.
private func plainReceive(_ fd: Int32, _ count: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    while result.count < count {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard try check(poll(&poller, 1, 5000), "poll") == 1 else { break }
        var chunk = [UInt8](repeating: 0, count: count - result.count)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
        if try check(Int32(n), "recv") == 0 { break }
        result += chunk[0..<n]
    }
    return result
}

private func plainSend(_ fd: Int32, _ bytes: [UInt8]) throws {
    let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    #expect(try check(Int32(n), "send") == Int32(bytes.count))
}

private func intBuffer(_ value: Int32) -> IoBuffer { IoBuffer(withUnsafeBytes(of: value) { Array($0) }) }
private func intValue(_ buffer: IoBuffer) -> Int32 { buffer.bytes(0..<4).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } }

/// Exactly one CQE, waiting at most 5 s; leaves any others in the CQ.
private func reapOne(_ ring: inout IoUring) throws -> CQE? {
    var result: CQE?
    try ring.submit()
    let start = ContinuousClock.now
    while result == nil && ContinuousClock.now - start < .seconds(5) {
        try ring.waitCQEs(1, timeout: .seconds(5) - (ContinuousClock.now - start), maximum: 1) { result = $0 }
    }
    #expect(result != nil, "no CQE within 5 s")
    return result
}

private func sortedReap(_ ring: inout IoUring, _ count: Int) throws -> [CQE] {
    try reap(&ring, count).sorted { $0.userData < $1.userData }
}

private func requireOpcodes(_ ring: borrowing IoUring, _ opcodes: [Opcode]) throws {
    let probe = try ring.probe()
    for opcode in opcodes where !probe.supports(opcode) {
        try skip("the kernel's probe does not list \(opcode)")
    }
}

private func isRetained(_ ring: borrowing IoUring, _ memory: KernelMemory) -> Bool {
    ring.retained.contains { $0 === memory }
}

@Suite struct NetworkOpsTests {
    // MARK: accept, connect, send, recv

    @Test func acceptConnectSendRecvOverLoopbackTCP() throws {
        let (listener, listenAddress) = try plainListener()
        defer { close(listener) }
        var ring = try IoUring(entries: 8)

        try ring.socket(userData: 1, domain: AF_INET, type: streamType | Int32(SOCK_CLOEXEC.rawValue))
        let created = try reap(&ring, 1)
        let client = created.first?.res ?? -1
        #expect(client >= 0)
        #expect(created == [CQE(userData: 1, res: client, flags: [])])
        defer { close(client) }

        let peer = PeerAddress()
        try ring.accept(userData: 2, socket: .descriptor(listener), peer: peer, socketFlags: Int32(SOCK_CLOEXEC.rawValue))
        try ring.connect(userData: 3, socket: .descriptor(client), to: listenAddress)
        let handshake = try sortedReap(&ring, 2)
        let server = handshake.first?.res ?? -1
        #expect(server >= 0)
        #expect(handshake == [CQE(userData: 2, res: server, flags: []), CQE(userData: 3, res: 0, flags: [])])
        defer { close(server) }
        #expect(fcntl(server, F_GETFD) == FD_CLOEXEC)
        let clientAddress = try SocketAddress.local(of: client)
        #expect(peer.socketAddress == clientAddress)
        #expect(peer.length == MemoryLayout<sockaddr_in>.size)
        #expect(try SocketAddress.remote(of: server) == clientAddress)

        let message = IoBuffer(Array("hello, ring".utf8))
        let inbox = IoBuffer(count: 64)
        inbox.fill(0xEE)
        try ring.send(userData: 4, socket: .descriptor(client), buffer: message)
        try ring.recv(userData: 5, socket: .descriptor(server), buffer: inbox)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 4, res: 11, flags: []), CQE(userData: 5, res: 11, flags: [])])
        #expect(inbox.bytes(0..<11) == message.bytes())
        #expect(inbox[11] == 0xEE)

        // The other way, from a slice, with message flags.
        try ring.send(userData: 6, socket: .descriptor(server), buffer: message.slice(7..<11), messageFlags: .noSignal)
        try ring.recv(userData: 7, socket: .descriptor(client), buffer: inbox.slice(32..<36), messageFlags: .waitAll)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 6, res: 4, flags: []), CQE(userData: 7, res: 4, flags: [])])
        #expect(inbox.bytes(32..<36) == Array("ring".utf8))
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
    }

    @Test func acceptReportsAnIPv6Peer() throws {
        let listener: (fd: Int32, address: SocketAddress)
        do { listener = try plainListener(.loopbackIPv6()) } catch {
            try skip("no IPv6 loopback here: \(error)")
        }
        defer { close(listener.fd) }
        guard case .ipv6(.loopback, let port, _, _) = listener.address, port != 0 else {
            Issue.record("listener address \(listener.address)")
            return
        }
        var ring = try IoUring(entries: 4)
        let peer = PeerAddress()
        try ring.accept(userData: 1, socket: .descriptor(listener.fd), peer: peer)
        try ring.submit()
        let client = try plainConnect(listener.address)
        defer { close(client) }
        let cqe = try reapOne(&ring)
        #expect(cqe?.userData == 1 && cqe?.flags == [] && (cqe?.res ?? -1) >= 0)
        if let fd = cqe?.res, fd >= 0 { close(fd) }
        #expect(peer.length == MemoryLayout<sockaddr_in6>.size)
        #expect(peer.socketAddress == (try SocketAddress.local(of: client)))
        #expect(peer.socketAddress?.description.hasPrefix("[::1]:") == true)
    }

    @Test func multishotAcceptPostsOneCQEPerClientWithMore() throws {
        let (listener, address) = try plainListener()
        defer { close(listener) }
        var ring = try IoUring(entries: 8)
        let peer = PeerAddress()
        try ring.acceptMultishot(userData: 0x77, socket: .descriptor(listener), peer: peer)
        try ring.submit()

        var clients: [Int32] = []
        var accepted: [Int32] = []
        defer { (clients + accepted).forEach { close($0) } }
        for _ in 0..<3 {
            let client = try plainConnect(address)
            clients.append(client)
            guard let cqe = try reapOne(&ring) else { return }
            #expect(cqe.userData == 0x77)
            #expect(cqe.flags == [.more])
            #expect(cqe.res >= 0)
            if cqe.res >= 0 {
                accepted.append(cqe.res)
                #expect(try SocketAddress.remote(of: cqe.res) == SocketAddress.local(of: client))
            }
            #expect(peer.socketAddress == (try SocketAddress.local(of: client)))
        }
        #expect(Set(accepted).count == 3)
        #expect(ring.inFlight == 1)
        #expect(isRetained(ring, peer) == true)

        // Still armed: cancelling ends it with a final CQE without F_MORE.
        var finals: [CQE] = []
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(5)) { finals.append($0) })
        #expect(finals == [CQE(userData: 0x77, res: negated(.ECANCELED), flags: [])])
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
    }

    // MARK: direct descriptors

    @Test func directSocketsAndAcceptsUseFixedSlots() throws {
        let (listener, address) = try plainListener()
        defer { close(listener) }
        var ring = try IoUring(entries: 8)
        try ring.registerFilesSparse(count: 8)
        try ring.registerFileAllocRange(offset: 4, count: 4)

        try ring.socketDirect(userData: 1, domain: AF_INET, type: streamType, slot: .index(1))
        try ring.socketDirectAlloc(userData: 2, domain: AF_INET, type: streamType)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 1, res: 0, flags: []), CQE(userData: 2, res: 4, flags: [])])

        // Accept into a chosen slot (res 0), connecting from fixed slot 1.
        try ring.acceptDirect(userData: 3, socket: .descriptor(listener), slot: .index(0))
        try ring.connect(userData: 4, socket: .fixed(1), to: address)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 3, res: 0, flags: []), CQE(userData: 4, res: 0, flags: [])])

        // Accept into a kernel-picked slot (res is the slot), connecting from allocated slot 4.
        let peer = PeerAddress()
        try ring.acceptDirect(userData: 5, socket: .descriptor(listener), peer: peer)
        try ring.connect(userData: 6, socket: .fixed(4), to: address)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 5, res: 5, flags: []), CQE(userData: 6, res: 0, flags: [])])
        if case .ipv4(.loopback, let port) = peer.socketAddress { #expect(port != 0) } else {
            Issue.record("peer \(String(describing: peer.socketAddress))")
        }

        // Data flows through the fixed slots both ways.
        let one = IoBuffer(Array("slot one".utf8)), four = IoBuffer(Array("slot four!".utf8))
        let inboxZero = IoBuffer(count: 32), inboxFive = IoBuffer(count: 32)
        try ring.send(userData: 7, socket: .fixed(1), buffer: one)
        try ring.recv(userData: 8, socket: .fixed(0), buffer: inboxZero)
        try ring.send(userData: 9, socket: .fixed(4), buffer: four)
        try ring.recv(userData: 10, socket: .fixed(5), buffer: inboxFive)
        #expect(try sortedReap(&ring, 4) == [
            CQE(userData: 7, res: 8, flags: []), CQE(userData: 8, res: 8, flags: []),
            CQE(userData: 9, res: 10, flags: []), CQE(userData: 10, res: 10, flags: []),
        ])
        #expect(inboxZero.bytes(0..<8) == one.bytes())
        #expect(inboxFive.bytes(0..<10) == four.bytes())

        // SOCK_CLOEXEC makes no sense for a direct descriptor: the kernel refuses it.
        try ring.socketDirect(userData: 11, domain: AF_INET, type: streamType | Int32(SOCK_CLOEXEC.rawValue), slot: .index(2))
        #expect(try reap(&ring, 1) == [CQE(userData: 11, res: negated(.EINVAL), flags: [])])
        #expect(throws: IoUringError.self) { try ring.socketDirect(userData: 12, domain: AF_INET, type: streamType, slot: .index(.max)) }
    }

    @Test func multishotDirectAcceptAllocatesASlotPerClient() throws {
        let (listener, address) = try plainListener()
        defer { close(listener) }
        var ring = try IoUring(entries: 8)
        try ring.registerFilesSparse(count: 8)
        try ring.registerFileAllocRange(offset: 2, count: 6)
        try ring.acceptMultishotDirect(userData: 0x55, socket: .descriptor(listener))
        try ring.submit()

        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        for expectedSlot in [2, 3] as [Int32] {
            clients.append(try plainConnect(address))
            #expect(try reapOne(&ring) == CQE(userData: 0x55, res: expectedSlot, flags: [.more]))
        }
        var finals: [CQE] = []
        #expect(try ring.quiesce(cancelling: true, timeout: .seconds(5)) { finals.append($0) })
        #expect(finals == [CQE(userData: 0x55, res: negated(.ECANCELED), flags: [])])

        // Slot 3 is the second client's connection.
        try plainSend(clients[1], Array("via slot 3".utf8))
        let inbox = IoBuffer(count: 16)
        try ring.recv(userData: 1, socket: .fixed(3), buffer: inbox)
        #expect(try reap(&ring, 1) == [CQE(userData: 1, res: 10, flags: [])])
        #expect(inbox.bytes(0..<10) == Array("via slot 3".utf8))
    }

    // MARK: zero-copy sends

    @Test func sendZCPostsTheResultThenTheNotificationAndKeepsTheBufferUntilThen() throws {
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        var ring = try IoUring(entries: 4)
        try requireOpcodes(ring, [.sendZC])
        let payload = IoBuffer((0..<200).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try ring.sendZC(userData: 0x2C, socket: .descriptor(client), buffer: payload)

        #expect(try reapOne(&ring) == CQE(userData: 0x2C, res: 200, flags: [.more]))
        // The kernel may still read the buffer: the request counts as in flight and the buffer is held.
        #expect(ring.inFlight == 1)
        #expect(isRetained(ring, payload) == true)
        #expect(try reapOne(&ring) == CQE(userData: 0x2C, res: 0, flags: [.notification]))
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
        #expect(try plainReceive(server, 200) == payload.bytes())
    }

    @Test func sendZCReportsCopiedUsageOnLoopback() throws {
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        var ring = try IoUring(entries: 4)
        try requireOpcodes(ring, [.sendZC])
        let payload = IoBuffer(Array(repeating: 0x5A, count: 100))
        try ring.sendZC(userData: 1, socket: .descriptor(client), buffer: payload, messageFlags: .noSignal,
                        zeroCopyFlags: .reportUsage)
        #expect(try reapOne(&ring) == CQE(userData: 1, res: 100, flags: [.more]))
        // Loopback hands the pages to a local receiver, so the kernel copies them and says so.
        #expect(try reapOne(&ring) == CQE(userData: 1, res: ZeroCopySendFlags.usageCopied, flags: [.notification]))
        #expect(try plainReceive(server, 100) == payload.bytes())
    }

    @Test func sendZCFixedSendsFromARegisteredBuffer() throws {
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        var ring = try IoUring(entries: 4)
        try requireOpcodes(ring, [.sendZC])
        let registered = IoBuffer((0..<128).map { UInt8($0) })
        try ring.registerBuffers([registered])
        try ring.sendZCFixed(userData: 0xF1, socket: .descriptor(client), buffer: registered.slice(16..<80), bufferIndex: 0)
        #expect(try reapOne(&ring) == CQE(userData: 0xF1, res: 64, flags: [.more]))
        #expect(try reapOne(&ring) == CQE(userData: 0xF1, res: 0, flags: [.notification]))
        #expect(try plainReceive(server, 64) == Array(16..<80).map { UInt8($0) })

        // An index with no registered buffer is the kernel's EFAULT; the notification still follows.
        try ring.sendZCFixed(userData: 0xF2, socket: .descriptor(client), buffer: registered, bufferIndex: 3)
        #expect(try reapOne(&ring) == CQE(userData: 0xF2, res: negated(.EFAULT), flags: [.more]))
        #expect(try reapOne(&ring) == CQE(userData: 0xF2, res: 0, flags: [.notification]))
        #expect(ring.inFlight == 0)
    }

    // MARK: sendmsg, recvmsg

    @Test func sendmsgAndRecvmsgWithIovecsShowTruncation() throws {
        var pair: [Int32] = [-1, -1]
        _ = try check(socketpair(AF_UNIX, datagramType, 0, &pair), "socketpair")
        defer { close(pair[0]); close(pair[1]) }
        var ring = try IoUring(entries: 4)

        let parts = [IoBuffer(Array("abc".utf8)), IoBuffer(Array("defgh".utf8))]
        let outgoing = MessageHeader(sending: parts)
        #expect(outgoing.totalByteCount == 8)
        try ring.sendmsg(userData: 1, socket: .descriptor(pair[0]), message: outgoing)
        #expect(try reap(&ring, 1) == [CQE(userData: 1, res: 8, flags: [])])

        // 8 bytes into 3 + 2 bytes of iovecs: 5 land, MSG_TRUNC says the rest was dropped.
        let first = IoBuffer(count: 3), second = IoBuffer(count: 2)
        let incoming = MessageHeader(receiving: [first, second])
        try ring.recvmsg(userData: 2, socket: .descriptor(pair[1]), message: incoming)
        #expect(try reap(&ring, 1) == [CQE(userData: 2, res: 5, flags: [])])
        #expect(first.bytes() == Array("abc".utf8))
        #expect(second.bytes() == Array("de".utf8))
        #expect(incoming.messageFlags == [.truncated])
        #expect(incoming.name == nil) // the sender of a socketpair is unnamed

        // With MSG_TRUNC in the request, res is the datagram's real length; the header is reusable.
        try ring.sendmsg(userData: 3, socket: .descriptor(pair[0]), message: outgoing)
        try ring.recvmsg(userData: 4, socket: .descriptor(pair[1]), message: incoming, messageFlags: .truncated,
                         flags: [])
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 3, res: 8, flags: []), CQE(userData: 4, res: 8, flags: [])])
        #expect(incoming.messageFlags == [.truncated])

        // A datagram that fits clears the flag.
        let short = MessageHeader(sending: [IoBuffer(Array("xy".utf8))])
        try ring.sendmsg(userData: 5, socket: .descriptor(pair[0]), message: short)
        try ring.recvmsg(userData: 6, socket: .descriptor(pair[1]), message: incoming)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 5, res: 2, flags: []), CQE(userData: 6, res: 2, flags: [])])
        #expect(incoming.messageFlags == [])
        #expect(first.bytes() == Array("xyc".utf8))
        #expect(ring.retained.isEmpty)
    }

    @Test func sendmsgToAnAddressAndRecvmsgReportsTheSender() throws {
        let a = try plainSocket(AF_INET, datagramType), b = try plainSocket(AF_INET, datagramType)
        defer { close(a); close(b) }
        try plainBind(a, .loopbackIPv4())
        try plainBind(b, .loopbackIPv4())
        let addressA = try SocketAddress.local(of: a), addressB = try SocketAddress.local(of: b)
        var ring = try IoUring(entries: 4)

        let outgoing = MessageHeader(sending: [IoBuffer(Array("udp ".utf8)), IoBuffer(Array("datagram".utf8))], to: addressB)
        #expect(outgoing.name == addressB)
        let payload = IoBuffer(count: 64)
        let incoming = MessageHeader(receiving: [payload])
        try ring.recvmsg(userData: 2, socket: .descriptor(b), message: incoming)
        try ring.sendmsg(userData: 1, socket: .descriptor(a), message: outgoing)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 1, res: 12, flags: []), CQE(userData: 2, res: 12, flags: [])])
        #expect(payload.bytes(0..<12) == Array("udp datagram".utf8))
        #expect(incoming.name == addressA)
        #expect(incoming.nameLength == MemoryLayout<sockaddr_in>.size)
        #expect(incoming.messageFlags == [])
        #expect(incoming.controlLength == 0)
    }

    @Test func sendmsgPassesADescriptorAsControlData() throws {
        var pair: [Int32] = [-1, -1]
        _ = try check(socketpair(AF_UNIX, streamType, 0, &pair), "socketpair")
        var pipeEnds: [Int32] = [-1, -1]
        _ = try check(pipe(&pipeEnds), "pipe")
        defer { (pair + pipeEnds).forEach { close($0) } }
        var ring = try IoUring(entries: 4)

        let outgoing = MessageHeader(sending: [IoBuffer([0x21])], control: [.rights([pipeEnds[1]])])
        try ring.sendmsg(userData: 1, socket: .descriptor(pair[0]), message: outgoing)
        #expect(try reap(&ring, 1) == [CQE(userData: 1, res: 1, flags: [])])

        let byte = IoBuffer(count: 1)
        let incoming = MessageHeader(receiving: [byte], receivesName: false,
                                     controlCapacity: ControlMessage.space(forDataCount: 4))
        try ring.recvmsg(userData: 2, socket: .descriptor(pair[1]), message: incoming)
        #expect(try reap(&ring, 1) == [CQE(userData: 2, res: 1, flags: [])])
        #expect(byte[0] == 0x21)
        #expect(incoming.messageFlags == [])
        #expect(incoming.controlLength == ControlMessage.space(forDataCount: 4))
        let messages = incoming.controlMessages
        #expect(messages.count == 1)
        guard let received = messages.first?.fileDescriptors?.first else {
            Issue.record("no SCM_RIGHTS in \(messages)")
            return
        }
        defer { close(received) }
        #expect(received != pipeEnds[1])
        // The received descriptor is the pipe's write end.
        #expect(Glibc.write(received, "ok", 2) == 2)
        var bytes = [UInt8](repeating: 0, count: 2)
        #expect(bytes.withUnsafeMutableBytes { Glibc.read(pipeEnds[0], $0.baseAddress, 2) } == 2)
        #expect(bytes == Array("ok".utf8))
    }

    @Test func sendmsgZCPostsTheResultThenTheNotification() throws {
        let a = try plainSocket(AF_INET, datagramType), b = try plainSocket(AF_INET, datagramType)
        defer { close(a); close(b) }
        try plainBind(b, .loopbackIPv4())
        var ring = try IoUring(entries: 4)
        try requireOpcodes(ring, [.sendmsgZC])
        let parts = [IoBuffer(Array("zero ".utf8)), IoBuffer(Array("copy".utf8))]
        let outgoing = MessageHeader(sending: parts, to: try SocketAddress.local(of: b))
        try ring.sendmsgZC(userData: 0x3C, socket: .descriptor(a), message: outgoing)
        #expect(try reapOne(&ring) == CQE(userData: 0x3C, res: 9, flags: [.more]))
        #expect(ring.inFlight == 1)
        let allRetained = isRetained(ring, outgoing) && isRetained(ring, parts[0]) && isRetained(ring, parts[1])
        #expect(allRetained)
        #expect(try reapOne(&ring) == CQE(userData: 0x3C, res: 0, flags: [.notification]))
        #expect(ring.inFlight == 0)
        #expect(ring.retained.isEmpty)
        #expect(try plainReceive(b, 9) == Array("zero copy".utf8))
    }

    // MARK: buffer selection

    @Test func recvPicksAProvidedBuffer() throws {
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        var ring = try IoUring(entries: 4)
        // Provide 4 buffers of 32 bytes, ids 10…13, in group 7 (raw SQE: provided buffers are not this file's).
        let pool = IoBuffer(count: 4 * 32)
        var provide = RawSQE(opcode: Opcode.provideBuffers.rawValue)
        provide.addr = pool.kernelAddress
        provide.len = 32
        provide.fd = 4
        provide.off = 10
        provide.bufIndex = 7
        provide.userData = 1
        provide.keepAlive = [pool]
        try ring.raw(provide)
        #expect(try reap(&ring, 1) == [CQE(userData: 1, res: 0, flags: [])])

        try plainSend(client, Array("select".utf8))
        var poller = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 5000) == 1)
        // length caps the bytes taken from the chosen buffer.
        try ring.recv(userData: 2, socket: .descriptor(server), bufferGroup: 7, length: 4)
        let selected = try reap(&ring, 1)
        #expect(selected == [CQE(userData: 2, res: 4, flags: CompletionFlags(rawValue: IORING_CQE_F_BUFFER | IORING_CQE_F_SOCK_NONEMPTY | 10 << IORING_CQE_BUFFER_SHIFT))])
        #expect(selected.first?.flags.bufferID == 10)
        #expect(pool.bytes(0..<4) == Array("sele".utf8))

        try ring.recv(userData: 3, socket: .descriptor(server), bufferGroup: 7)
        let rest = try reap(&ring, 1)
        #expect(rest == [CQE(userData: 3, res: 2, flags: CompletionFlags(rawValue: IORING_CQE_F_BUFFER | 11 << IORING_CQE_BUFFER_SHIFT))])
        #expect(pool.bytes(32..<34) == Array("ct".utf8))
        withExtendedLifetime(pool) {}
    }

    // MARK: shutdown, errors

    @Test func shutdownWriteMakesThePeersRecvReturnZero() throws {
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        var ring = try IoUring(entries: 4)
        try ring.shutdown(userData: 1, socket: .descriptor(client), how: Int32(SHUT_WR), flags: .link)
        let inbox = IoBuffer(count: 8)
        try ring.recv(userData: 2, socket: .descriptor(server), buffer: inbox)
        // At end of stream TCP's inq hint is 1 (tcp_inq_hint), so the kernel sets IORING_CQE_F_SOCK_NONEMPTY
        // on the 0-byte recv: reading again would see the EOF again.
        let cqes = try sortedReap(&ring, 2)
        #expect(cqes == [CQE(userData: 1, res: 0, flags: []), CQE(userData: 2, res: 0, flags: [.socketNonEmpty])])
        // Reading still works on the half that stays open.
        try plainSend(server, [1, 2, 3])
        try ring.recv(userData: 3, socket: .descriptor(client), buffer: inbox.slice(0..<3), messageFlags: .waitAll)
        #expect(try reap(&ring, 1) == [CQE(userData: 3, res: 3, flags: [])])
        #expect(inbox.bytes(0..<3) == [1, 2, 3])
    }

    @Test func connectToAClosedPortIsRefused() throws {
        // A bound socket that does not listen: its port stays ours and refuses connections.
        let bound = try plainSocket()
        defer { close(bound) }
        try plainBind(bound, .loopbackIPv4())
        let address = try SocketAddress.local(of: bound)
        var ring = try IoUring(entries: 4)
        try ring.socket(userData: 1, domain: AF_INET, type: streamType)
        let client = try reap(&ring, 1).first?.res ?? -1
        #expect(client >= 0)
        defer { close(client) }
        try ring.connect(userData: 2, socket: .descriptor(client), to: address)
        #expect(try reap(&ring, 1) == [CQE(userData: 2, res: negated(.ECONNREFUSED), flags: [])])
    }

    @Test func bindAndListenThroughTheRingThenAddressInUse() throws {
        var ring = try IoUring(entries: 8)
        try requireOpcodes(ring, [.bind, .listen, .socket])
        try ring.socket(userData: 1, domain: AF_INET, type: streamType)
        try ring.socket(userData: 2, domain: AF_INET, type: streamType)
        let sockets = try sortedReap(&ring, 2)
        let listener = sockets.first?.res ?? -1, other = sockets.last?.res ?? -1
        #expect(listener >= 0 && other >= 0)
        defer { close(listener); close(other) }

        try ring.bind(userData: 3, socket: .descriptor(listener), to: .loopbackIPv4(), flags: .link)
        try ring.listen(userData: 4, socket: .descriptor(listener), backlog: 8)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 3, res: 0, flags: []), CQE(userData: 4, res: 0, flags: [])])
        let bound = try SocketAddress.local(of: listener)
        #expect(bound.port != 0 && bound.port != nil)
        var acceptConnection: Int32 = 0
        var length = socklen_t(4)
        _ = try check(Glibc.getsockopt(listener, SOL_SOCKET, SO_ACCEPTCONN, &acceptConnection, &length), "getsockopt")
        #expect(acceptConnection == 1)

        // A second bind to the same port fails.
        try ring.bind(userData: 5, socket: .descriptor(other), to: bound)
        #expect(try reap(&ring, 1) == [CQE(userData: 5, res: negated(.EADDRINUSE), flags: [])])

        // The ring-made listener accepts.
        let client = try plainConnect(bound)
        defer { close(client) }
        try ring.accept(userData: 6, socket: .descriptor(listener))
        let accepted = try reap(&ring, 1)
        #expect(accepted.first?.userData == 6 && (accepted.first?.res ?? -1) >= 0 && accepted.first?.flags == [])
        if let fd = accepted.first?.res, fd >= 0 { close(fd) }
    }

    @Test func bindAndConnectOverUnixPaths() throws {
        let directory = TemporaryDirectory("ring-net")
        defer { directory.remove() }
        let path = SocketAddress.unix(path: directory.file("listener.sock"))
        var ring = try IoUring(entries: 8)
        try requireOpcodes(ring, [.bind, .listen])
        let listener = try plainSocket(AF_UNIX)
        let client = try plainSocket(AF_UNIX)
        defer { close(listener); close(client) }
        try ring.bind(userData: 1, socket: .descriptor(listener), to: path, flags: .link)
        try ring.listen(userData: 2, socket: .descriptor(listener), backlog: 4)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 1, res: 0, flags: []), CQE(userData: 2, res: 0, flags: [])])
        #expect(try SocketAddress.local(of: listener) == path)

        let peer = PeerAddress()
        try ring.accept(userData: 3, socket: .descriptor(listener), peer: peer)
        try ring.connect(userData: 4, socket: .descriptor(client), to: path)
        let cqes = try sortedReap(&ring, 2)
        #expect(cqes.last == CQE(userData: 4, res: 0, flags: []))
        #expect(cqes.first?.userData == 3 && (cqes.first?.res ?? -1) >= 0)
        if let fd = cqes.first?.res, fd >= 0 { close(fd) }
        #expect(peer.socketAddress == .unix(path: "")) // the client is unnamed

        let tooLong = SocketAddress.unix(path: "/" + String(repeating: "x", count: 200))
        #expect(throws: IoUringError.self) { try ring.connect(userData: 5, socket: .descriptor(client), to: tooLong) }
        #expect(ring.sqReady == 0)
    }

    // MARK: socket commands

    @Test func setsockoptAndGetsockoptThroughTheRing() throws {
        let fd = try plainSocket()
        defer { close(fd) }
        var ring = try IoUring(entries: 4)
        try requireOpcodes(ring, [.uringCmd])
        try ring.setsockopt(userData: 1, socket: .descriptor(fd), level: SOL_SOCKET, optionName: SO_KEEPALIVE,
                            value: intBuffer(1))
        let set = try reap(&ring, 1)
        if set.first?.res == negated(.EOPNOTSUPP) { try skip("SOCKET_URING_OP_SETSOCKOPT: EOPNOTSUPP") }
        #expect(set == [CQE(userData: 1, res: 0, flags: [])])
        var plain: Int32 = 0
        var length = socklen_t(4)
        _ = try check(Glibc.getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &plain, &length), "getsockopt")
        #expect(plain == 1)

        let value = IoBuffer(count: 4)
        try ring.getsockopt(userData: 2, socket: .descriptor(fd), level: SOL_SOCKET, optionName: SO_KEEPALIVE, value: value)
        #expect(try reap(&ring, 1) == [CQE(userData: 2, res: 4, flags: [])])
        #expect(intValue(value) == 1)

        // And off again, read back through the ring.
        try ring.setsockopt(userData: 3, socket: .descriptor(fd), level: SOL_SOCKET, optionName: SO_KEEPALIVE,
                            value: intBuffer(0), flags: .link)
        try ring.getsockopt(userData: 4, socket: .descriptor(fd), level: SOL_SOCKET, optionName: SO_KEEPALIVE, value: value)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 3, res: 0, flags: []), CQE(userData: 4, res: 4, flags: [])])
        #expect(intValue(value) == 0)

        // SO_REUSEADDR likewise.
        try ring.setsockopt(userData: 5, socket: .descriptor(fd), level: SOL_SOCKET, optionName: SO_REUSEADDR,
                            value: intBuffer(1), flags: .link)
        try ring.getsockopt(userData: 6, socket: .descriptor(fd), level: SOL_SOCKET, optionName: SO_REUSEADDR, value: value)
        #expect(try sortedReap(&ring, 2) == [CQE(userData: 5, res: 0, flags: []), CQE(userData: 6, res: 4, flags: [])])
        #expect(intValue(value) == 1)
    }

    @Test func socketCommandsReportQueuedBytes() throws {
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        var ring = try IoUring(entries: 4)
        try requireOpcodes(ring, [.uringCmd])
        try plainSend(client, Array("12345".utf8))
        var poller = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 5000) == 1)
        try ring.cmdSock(userData: 1, command: .inputQueue, socket: .descriptor(server))
        let cqe = try reap(&ring, 1)
        if cqe.first?.res == negated(.EOPNOTSUPP) { try skip("SOCKET_URING_OP_SIOCINQ: EOPNOTSUPP") }
        #expect(cqe == [CQE(userData: 1, res: 5, flags: [])])
    }

    @Test func getsocknameThroughTheRing() throws {
        let (listener, address) = try plainListener()
        defer { close(listener) }
        var ring = try IoUring(entries: 4)
        try requireOpcodes(ring, [.uringCmd])
        let name = PeerAddress()
        try ring.getsockname(userData: 1, socket: .descriptor(listener), into: name)
        let cqe = try reap(&ring, 1)
        if let res = cqe.first?.res, res == negated(.EOPNOTSUPP) || res == negated(.EINVAL) {
            try skip("SOCKET_URING_OP_GETSOCKNAME is not in this kernel: \(Errno(rawValue: -res))")
        }
        #expect(cqe == [CQE(userData: 1, res: 0, flags: [])])
        #expect(name.socketAddress == address)

        let client = try plainConnect(address)
        defer { close(client) }
        let peer = PeerAddress()
        try ring.getsockname(userData: 2, socket: .descriptor(client), into: peer, peer: true)
        #expect(try reap(&ring, 1) == [CQE(userData: 2, res: 0, flags: [])])
        #expect(peer.socketAddress == address)
    }
}

@Suite struct SocketAddressTests {
    @Test func textRoundTrips() {
        let cases: [(String, SocketAddress)] = [
            ("127.0.0.1:8080", .ipv4(.loopback, port: 8080)),
            ("0.0.0.0:0", .ipv4(.any, port: 0)),
            ("[::1]:443", .ipv6(.loopback, port: 443)),
            ("[::]:1", .ipv6(.any, port: 1)),
            ("unix:/tmp/x.sock", .unix(path: "/tmp/x.sock")),
            ("unix:@abstract", .unix(path: "\0abstract")),
        ]
        for (text, address) in cases {
            #expect(SocketAddress(parsing: text) == address)
            #expect(address.description == text)
        }
        #expect(SocketAddress(parsing: "127.0.0.1") == nil)
        #expect(SocketAddress(parsing: "300.0.0.1:1") == nil)
        #expect(SocketAddress(parsing: "[::1]") == nil)
        #expect(SocketAddress(parsing: "127.0.0.1:70000") == nil)
        #expect(IPv4Address("10.1.2.3") == IPv4Address(10, 1, 2, 3))
        #expect(IPv4Address(10, 1, 2, 3).value == 0x0A01_0203)
        #expect(IPv6Address("fe80::1")?.bytes == [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1])
    }

    @Test(arguments: [
        SocketAddress.ipv4(IPv4Address(192, 168, 1, 2), port: 65535),
        .ipv6(IPv6Address("2001:db8::42")!, port: 80, flowInfo: 7, scopeID: 3),
        .unix(path: "/run/ring.sock"),
        .unix(path: "\0abstract name"),
        .unix(path: ""),
    ])
    func encodingRoundTrips(_ address: SocketAddress) {
        let decoded = address.withSockaddr { pointer, length in
            SocketAddress(decoding: UnsafeRawPointer(pointer), length: Int(length))
        }
        #expect(decoded == address)
    }

    @Test func encodedLengthsMatchTheKernelsStructs() {
        #expect(SocketAddress.loopbackIPv4().encodedLength == 16)
        #expect(SocketAddress.loopbackIPv6().encodedLength == 28)
        #expect(SocketAddress.unix(path: "/a").encodedLength == 2 + 3)
        #expect(SocketAddress.unix(path: "\0a").encodedLength == 2 + 2)
        #expect(SocketAddress.loopbackIPv4(port: 9).family == AF_INET)
        #expect(SocketAddress.unix(path: "/a").port == nil)
    }

    @Test func controlMessagesRoundTrip() {
        let messages = [ControlMessage.rights([3, 4, 5]), ControlMessage(level: 41, type: 50, data: [1, 2, 3])]
        let bytes = ControlMessage.encode(messages)
        #expect(bytes.count == ControlMessage.space(forDataCount: 12) + ControlMessage.space(forDataCount: 3))
        #expect(ControlMessage.decode(bytes) == messages)
        #expect(ControlMessage.decode(bytes).first?.fileDescriptors == [3, 4, 5])
        #expect(messages[1].fileDescriptors == nil)
    }

    @Test func flagTablesNameEveryFlag() {
        #expect(MessageFlags.named.count == 16)
        #expect(MessageFlags.truncated.rawValue == UInt32(MSG_TRUNC))
        #expect(MessageFlags.noSignal.rawValue == UInt32(MSG_NOSIGNAL))
        #expect(MessageFlags.waitAll.rawValue == UInt32(MSG_WAITALL))
        #expect(MessageFlags.controlTruncated.rawValue == UInt32(MSG_CTRUNC))
        #expect(ZeroCopySendFlags.usageCopied == Int32.min)
        #expect(SocketCommand.getsockopt.rawValue == UInt32(SOCKET_URING_OP_GETSOCKOPT))
    }
}
