import IoUring
import Scenario

// Socket ops: creation, bind/listen/connect/accept, send and receive in their plain, zero-copy, msg,
// provided-buffer and multishot forms, shutdown, and socket commands.

extension OperationIssuer {
    // MARK: - Socket creation

    /// IORING_OP_SOCKET.
    static func socket(_ op: Issue, _ ring: inout IoUring) throws {
        let (domain, type, proto) = try socketArguments(op)
        try ring.socket(userData: op.userData, domain: domain, type: type, protocol: proto, flags: op.flags)
    }

    /// IORING_OP_SOCKET into registered slot `slot`.
    static func socketDirect(_ op: Issue, _ ring: inout IoUring) throws {
        let (domain, type, proto) = try socketArguments(op)
        try ring.socketDirect(userData: op.userData, domain: domain, type: type, protocol: proto,
                              slot: .index(try op.slot("slot")), flags: op.flags)
    }

    /// IORING_OP_SOCKET into a free registered slot (IORING_FILE_INDEX_ALLOC).
    static func socketDirectAlloc(_ op: Issue, _ ring: inout IoUring) throws {
        let (domain, type, proto) = try socketArguments(op)
        try ring.socketDirectAlloc(userData: op.userData, domain: domain, type: type, protocol: proto, flags: op.flags)
    }

    /// Domain, type and protocol; a domain beyond AF_UNIX, AF_INET and AF_INET6 needs `allow_network`.
    private static func socketArguments(_ op: Issue) throws(RunnerError) -> (Int32, Int32, Int32) {
        let domain = op.constants("domain")
        if let refusal = SandboxRules.domainRefusal(domain, allowsNetwork: op.resolver.sandboxOptions.allowNetwork) {
            throw op.failure("domain", refusal)
        }
        return (Int32(truncatingIfNeeded: domain), Int32(truncatingIfNeeded: op.constants("type")),
                Int32(truncatingIfNeeded: op.constants("protocol")))
    }

    // MARK: - Bind, listen, connect, accept, shutdown

    /// IORING_OP_BIND.
    static func bind(_ op: Issue, _ ring: inout IoUring) throws {
        guard let address = try op.address("address") else { throw op.failure("address", "needs 'address'") }
        try ring.bind(userData: op.userData, socket: try op.file("fd"), to: address, flags: op.flags)
    }

    /// IORING_OP_LISTEN.
    static func listen(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.listen(userData: op.userData, socket: try op.file("fd"),
                        backlog: Int32(bitPattern: try op.unsigned("backlog", as: UInt32.self)), flags: op.flags)
    }

    /// IORING_OP_CONNECT.
    static func connect(_ op: Issue, _ ring: inout IoUring) throws {
        guard let address = try op.address("address") else { throw op.failure("address", "needs 'address'") }
        try ring.connect(userData: op.userData, socket: try op.file("fd"), to: address, flags: op.flags)
    }

    /// IORING_OP_SHUTDOWN.
    static func shutdown(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.shutdown(userData: op.userData, socket: try op.file("fd"), how: Int32(truncatingIfNeeded: op.constants("how")),
                          flags: op.flags)
    }

    /// IORING_OP_ACCEPT (no peer address is asked for). With `poll_first`, which the typed accept has no
    /// parameter for, filled as io_uring_prep_accept() plus IORING_ACCEPT_POLL_FIRST in `ioprio`.
    static func accept(_ op: Issue, _ ring: inout IoUring) throws {
        let socket = try op.file("fd")
        let socketFlags = Int32(truncatingIfNeeded: op.constants("flags"))
        guard op.bool("poll_first") else {
            return try ring.accept(userData: op.userData, socket: socket, socketFlags: socketFlags, flags: op.flags)
        }
        var sqe = op.rawSQE(.accept, file: socket)
        sqe.opFlags = UInt32(bitPattern: socketFlags)
        sqe.ioprio = KernelConstant.acceptPollFirst
        try ring.raw(sqe)
    }

    /// IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT.
    static func acceptMultishot(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.acceptMultishot(userData: op.userData, socket: try op.file("fd"),
                                 socketFlags: Int32(truncatingIfNeeded: op.constants("flags")), flags: op.flags)
    }

    /// IORING_OP_ACCEPT into registered slot `slot` (or a free one for `auto`).
    static func acceptDirect(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.acceptDirect(userData: op.userData, socket: try op.file("fd"),
                              socketFlags: Int32(truncatingIfNeeded: op.constants("flags")),
                              slot: try op.slotChoice("slot"), flags: op.flags)
    }

    /// IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT into free registered slots.
    static func acceptMultishotDirect(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.acceptMultishotDirect(userData: op.userData, socket: try op.file("fd"),
                                       socketFlags: Int32(truncatingIfNeeded: op.constants("flags")), flags: op.flags)
    }

    // MARK: - Send

    /// IORING_OP_SEND of `buf` or inline `data`. With a destination `address` (sendto) or `poll_first`,
    /// which the typed send has no parameters for, filled as io_uring_prep_sendto(): the `sockaddr` in
    /// `addr2`, its length in `addr_len`, IORING_RECVSEND_POLL_FIRST in `ioprio`.
    static func send(_ op: Issue, _ ring: inout IoUring) throws {
        let socket = try op.file("fd")
        guard let buffer = try op.transferBuffer() else { throw op.failure(nil, "needs 'buf' or 'data'") }
        let messageFlags = MessageFlags(rawValue: op.constants32("flags"))
        let address = try op.address("address")
        let pollFirst = op.bool("poll_first")
        guard address != nil || pollFirst else {
            return try ring.send(userData: op.userData, socket: socket, buffer: buffer, messageFlags: messageFlags, flags: op.flags)
        }
        try ring.raw(sendTo(op, .send, socket: socket, buffer: buffer, messageFlags: messageFlags, address: address,
                            ioprio: pollFirst ? KernelConstant.recvSendPollFirst : 0))
    }

    /// IORING_OP_SEND_ZC of `buf` or inline `data`; a destination `address` is filled as
    /// io_uring_prep_sendto() does for IORING_OP_SEND_ZC (`addr2`, `addr_len`).
    static func sendZC(_ op: Issue, _ ring: inout IoUring) throws {
        let socket = try op.file("fd")
        guard let buffer = try op.transferBuffer() else { throw op.failure(nil, "needs 'buf' or 'data'") }
        let messageFlags = MessageFlags(rawValue: op.constants32("flags"))
        let zeroCopyFlags = zeroCopyFlags(op)
        guard let address = try op.address("address") else {
            return try ring.sendZC(userData: op.userData, socket: socket, buffer: buffer, messageFlags: messageFlags,
                                   zeroCopyFlags: zeroCopyFlags, flags: op.flags)
        }
        try ring.raw(sendTo(op, .sendZC, socket: socket, buffer: buffer, messageFlags: messageFlags, address: address,
                            ioprio: zeroCopyFlags.rawValue))
    }

    /// IORING_OP_SEND_ZC from a registered buffer (IORING_RECVSEND_FIXED_BUF, `buf_index`).
    static func sendZCFixed(_ op: Issue, _ ring: inout IoUring) throws {
        let (slice, index) = try op.registeredBuffer()
        try ring.sendZCFixed(userData: op.userData, socket: try op.file("fd"), buffer: slice, bufferIndex: index,
                             messageFlags: MessageFlags(rawValue: op.constants32("flags")),
                             zeroCopyFlags: zeroCopyFlags(op), flags: op.flags)
    }

    private static func zeroCopyFlags(_ op: Issue) -> ZeroCopySendFlags {
        var flags: ZeroCopySendFlags = []
        if op.bool("poll_first") { flags.insert(.pollFirst) }
        if op.bool("report_usage") { flags.insert(.reportUsage) }
        return flags
    }

    /// A send with an optional destination, as io_uring_prep_send() + io_uring_prep_send_set_addr() fill it.
    private static func sendTo(_ op: Issue, _ opcode: Opcode, socket: FileReference, buffer: IoBufferSlice,
                               messageFlags: MessageFlags, address: IoUring::SocketAddress?, ioprio: UInt16) -> RawSQE {
        var sqe = op.rawSQE(opcode, file: socket)
        sqe.addr = buffer.kernelAddress
        sqe.len = UInt32(buffer.count)
        sqe.opFlags = messageFlags.rawValue
        sqe.ioprio = ioprio
        sqe.keepAlive = [buffer.buffer]
        if let address {
            let encoded = KernelBytes.sockaddr(address)
            let storage = IoBuffer(encoded)
            sqe.off = storage.kernelAddress                // addr2
            sqe.spliceFDIn = Int32(UInt16(encoded.count))  // addr_len (the low 16 bits)
            sqe.keepAlive.append(storage)
        }
        return sqe
    }

    /// IORING_OP_SENDMSG / IORING_OP_SENDMSG_ZC of `iovecs`, `buf` or inline `data`, to `address` when
    /// given, through a `MessageHeader` the issuer builds.
    static func sendmsg(_ op: Issue, _ ring: inout IoUring) throws {
        let regions = try messageRegions(op, otherwise: "needs 'iovecs', 'buf' or 'data'")
        let message = MessageHeader(sending: regions, to: try op.address("address"))
        let messageFlags = MessageFlags(rawValue: op.constants32("flags"))
        let socket = try op.file("fd")
        if op.spec.operation == "sendmsg_zc" {
            try ring.sendmsgZC(userData: op.userData, socket: socket, message: message, messageFlags: messageFlags, flags: op.flags)
        } else {
            try ring.sendmsg(userData: op.userData, socket: socket, message: message, messageFlags: messageFlags, flags: op.flags)
        }
    }

    // MARK: - Receive

    /// IORING_OP_RECV into `buf`, or into a provided buffer of `buffer_group` (IOSQE_BUFFER_SELECT).
    /// `multishot` (IORING_RECV_MULTISHOT), `bundle` (IORING_RECVSEND_BUNDLE) and `poll_first`
    /// (IORING_RECVSEND_POLL_FIRST) live in `ioprio`, which the typed recv calls have no parameter for
    /// (the engine's multishot recv needs a `BufferGroup` handle): with any of them the SQE is filled
    /// as io_uring_prep_recv() / io_uring_prep_recv_multishot() do.
    static func recv(_ op: Issue, _ ring: inout IoUring) throws {
        let socket = try op.file("fd")
        let messageFlags = MessageFlags(rawValue: op.constants32("flags"))
        var ioprio: UInt16 = 0
        if op.bool("poll_first") { ioprio |= KernelConstant.recvSendPollFirst }
        if op.bool("multishot") { ioprio |= KernelConstant.recvMultishot }
        if op.bool("bundle") { ioprio |= KernelConstant.recvSendBundle }
        if let group = op.bufferGroup("buffer_group") {
            let length = try op.unsigned("len", as: UInt32.self)
            guard ioprio != 0 else {
                return try ring.recv(userData: op.userData, socket: socket, bufferGroup: group, length: length,
                                     messageFlags: messageFlags, flags: op.flags)
            }
            var sqe = op.rawSQE(.recv, file: socket)
            sqe.flags |= SubmissionFlags.bufferSelect.rawValue
            sqe.len = length
            sqe.opFlags = messageFlags.rawValue
            sqe.bufIndex = group
            sqe.ioprio = ioprio
            return try ring.raw(sqe)
        }
        guard let buffer = try op.transferBuffer() else { throw op.failure(nil, "needs 'buf' or 'buffer_group'") }
        guard ioprio != 0 else {
            return try ring.recv(userData: op.userData, socket: socket, buffer: buffer, messageFlags: messageFlags, flags: op.flags)
        }
        var sqe = op.rawSQE(.recv, file: socket)
        sqe.addr = buffer.kernelAddress
        sqe.len = UInt32(buffer.count)
        sqe.opFlags = messageFlags.rawValue
        sqe.ioprio = ioprio
        sqe.keepAlive = [buffer.buffer]
        try ring.raw(sqe)
    }

    /// IORING_OP_RECVMSG into `iovecs` or `buf`, through a `MessageHeader` the issuer builds with room
    /// for `control_len` bytes of ancillary data and, when `name_len` > 0, for the sender's address (a
    /// whole `sockaddr_storage`: the engine's header takes no smaller name). With `buffer_group` (and
    /// `multishot`), which the typed recvmsg has no parameters for, filled as io_uring_prep_recvmsg()
    /// (+ io_uring_prep_recvmsg_multishot()): a header without iovecs, `buf_group`, IOSQE_BUFFER_SELECT,
    /// IORING_RECV_MULTISHOT in `ioprio`.
    static func recvmsg(_ op: Issue, _ ring: inout IoUring) throws {
        let socket = try op.file("fd")
        let messageFlags = MessageFlags(rawValue: op.constants32("flags"))
        let controlCapacity = Int(try op.unsigned("control_len", as: UInt32.self))
        // Exactly `name_len` bytes for the address: with provided buffers the kernel reserves that much of
        // each buffer for it (struct io_uring_recvmsg_out, name, control, payload).
        let nameCapacity = Int(try op.unsigned("name_len", as: UInt32.self))
        if let group = op.bufferGroup("buffer_group") {
            let message = MessageHeader(receiving: [], nameCapacity: nameCapacity, controlCapacity: controlCapacity)
            var sqe = op.rawSQE(.recvmsg, file: socket)
            sqe.flags |= SubmissionFlags.bufferSelect.rawValue
            sqe.addr = message.kernelAddress
            sqe.len = 1
            sqe.opFlags = messageFlags.rawValue
            sqe.bufIndex = group
            sqe.ioprio = op.bool("multishot") ? KernelConstant.recvMultishot : 0
            sqe.keepAlive = [message]
            return try ring.raw(sqe)
        }
        let regions = try messageRegions(op, otherwise: "needs 'iovecs', 'buf' or 'buffer_group'")
        let message = MessageHeader(receiving: regions, nameCapacity: nameCapacity, controlCapacity: controlCapacity)
        try ring.recvmsg(userData: op.userData, socket: socket, message: message, messageFlags: messageFlags, flags: op.flags)
    }

    /// The regions of a sendmsg/recvmsg header: `iovecs`, or the one region of `buf` (or inline `data`);
    /// with neither, the step fails with `missing`.
    private static func messageRegions(_ op: Issue, otherwise missing: String) throws -> [IoBufferSlice] {
        if let iovecs = try op.iovecs() { return iovecs }
        if let buffer = try op.transferBuffer(length: nil) { return [buffer] }
        throw op.failure(nil, missing)
    }

    // MARK: - Socket commands

    /// SOCKET_URING_OP_SETSOCKOPT with the int `value`.
    static func setsockopt(_ op: Issue, _ ring: inout IoUring) throws {
        let value = try op.signed("value")
        guard let int = Int32(exactly: value) else { throw op.failure("value", "'value' \(value) is not a 32-bit int") }
        try ring.setsockopt(userData: op.userData, socket: try op.file("fd"), level: Int32(truncatingIfNeeded: op.constants("level")),
                            optionName: Int32(truncatingIfNeeded: op.constants("name")), value: IoBuffer(KernelBytes.of(int)),
                            flags: op.flags)
    }

    /// SOCKET_URING_OP_GETSOCKOPT into `len` bytes of `buf`, or of memory the issuer allocates; res is
    /// the option's length.
    static func getsockopt(_ op: Issue, _ ring: inout IoUring) throws {
        let socket = try op.file("fd")
        let level = Int32(truncatingIfNeeded: op.constants("level"))
        let name = Int32(truncatingIfNeeded: op.constants("name"))
        if let slice = try op.transferBuffer() {
            return try ring.getsockopt(userData: op.userData, socket: socket, level: level, optionName: name, value: slice,
                                       flags: op.flags)
        }
        let value = IoBuffer(count: Int(try op.unsigned("len", as: UInt32.self)))
        try ring.getsockopt(userData: op.userData, socket: socket, level: level, optionName: name, value: value, flags: op.flags)
    }

    /// IORING_OP_URING_CMD with `cmd` as `cmd_op` and no option. A command number the engine does not
    /// name is filled as io_uring_prep_cmd_sock() would (`cmd_op` overlays `off`).
    static func cmdSock(_ op: Issue, _ ring: inout IoUring) throws {
        let socket = try op.file("fd")
        let command = op.constants32("cmd")
        guard let known = SocketCommand(rawValue: command) else {
            var sqe = op.rawSQE(.uringCmd, file: socket)
            sqe.off = UInt64(command)
            return try ring.raw(sqe)
        }
        try ring.cmdSock(userData: op.userData, command: known, socket: socket, flags: op.flags)
    }
}
