import CIoUring

// Socket operations: accept, connect, bind, listen, send/recv (plain, zero-copy, msg), shutdown,
// socket creation, and socket commands (IORING_OP_URING_CMD). Argument meanings follow Zig's
// std.os.linux.IoUring and liburing's io_uring_prep_* functions.
//
// Memory: socket addresses are copied into the ring's arena; buffers, message headers and
// `PeerAddress` results are retained by the ring until its requests have posted their final CQEs.

extension IoUring {
    // MARK: - Accept

    /// Queues an `accept4(2)` on the listening `socket`. The CQE's `res` is the new descriptor. When
    /// `peer` is given, the kernel writes the peer's address there. `socketFlags` are accept4's
    /// (SOCK_NONBLOCK, SOCK_CLOEXEC). The kernel opcode is IORING_OP_ACCEPT.
    /// Matches io_uring_prep_accept() in liburing and accept() in Zig's IoUring.
    public mutating func accept(userData: UInt64, socket: FileReference, peer: PeerAddress? = nil,
                                socketFlags: Int32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareAccept(userData: userData, socket: socket, peer: peer, socketFlags: socketFlags,
                          multishot: false, fileIndex: 0, flags: flags)
    }

    /// Queues a multishot accept: one CQE per incoming connection, each with IORING_CQE_F_MORE while the
    /// request stays armed; `res` is each new descriptor. `peer`, if given, holds the latest peer.
    /// The kernel opcode is IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT in `ioprio`.
    /// Matches io_uring_prep_multishot_accept() in liburing and accept_multishot() in Zig's IoUring.
    public mutating func acceptMultishot(userData: UInt64, socket: FileReference, peer: PeerAddress? = nil,
                                         socketFlags: Int32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareAccept(userData: userData, socket: socket, peer: peer, socketFlags: socketFlags,
                          multishot: true, fileIndex: 0, flags: flags)
    }

    /// Queues an accept whose new socket goes straight into the registered file table: into
    /// `.index(slot)` (the CQE's `res` is 0), or, with `.allocate`, into a free slot the kernel picks
    /// (`res` is that slot). SOCK_CLOEXEC is refused with direct descriptors. The kernel opcode is IORING_OP_ACCEPT with
    /// `file_index` = slot + 1 or IORING_FILE_INDEX_ALLOC.
    /// Matches io_uring_prep_accept_direct() in liburing and accept_direct() in Zig's IoUring (which always allocates).
    public mutating func acceptDirect(userData: UInt64, socket: FileReference, peer: PeerAddress? = nil,
                                      socketFlags: Int32 = 0, slot: FileSlot = .allocate,
                                      flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareAccept(userData: userData, socket: socket, peer: peer, socketFlags: socketFlags,
                          multishot: false, fileIndex: try slot.sqeFileIndex(), flags: flags)
    }

    /// Queues a multishot accept into kernel-picked slots of the registered file table: each CQE's
    /// `res` is the slot of one new connection. The kernel opcode is IORING_OP_ACCEPT with
    /// IORING_ACCEPT_MULTISHOT and `file_index` = IORING_FILE_INDEX_ALLOC.
    /// Matches io_uring_prep_multishot_accept_direct() in liburing and accept_multishot_direct() in Zig's IoUring.
    public mutating func acceptMultishotDirect(userData: UInt64, socket: FileReference, peer: PeerAddress? = nil,
                                               socketFlags: Int32 = 0, flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareAccept(userData: userData, socket: socket, peer: peer, socketFlags: socketFlags,
                          multishot: true, fileIndex: IORING_FILE_INDEX_ALLOC, flags: flags)
    }

    private mutating func prepareAccept(userData: UInt64, socket: FileReference, peer: PeerAddress?, socketFlags: Int32,
                                        multishot: Bool, fileIndex: UInt32, flags: SubmissionFlags) throws(IoUringError) {
        peer?.prepareForKernel()
        let sqe = try prepare(.accept, userData: userData, flags: flags, file: socket,
                              address: peer?.address ?? 0, offset: peer?.lengthAddress ?? 0)
        sqe.pointee.accept_flags = UInt32(bitPattern: socketFlags)
        if multishot { sqe.pointee.ioprio |= UInt16(IORING_ACCEPT_MULTISHOT) }
        sqe.pointee.file_index = fileIndex
        if let peer { retain(peer) }
    }

    // MARK: - Connect, bind, listen

    /// Queues a `connect(2)` of `socket` to `address`. The kernel opcode is IORING_OP_CONNECT.
    /// Matches io_uring_prep_connect() in liburing and connect() in Zig's IoUring.
    public mutating func connect(userData: UInt64, socket: FileReference, to address: SocketAddress,
                                 flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareAddressOp(.connect, userData: userData, socket: socket, address: address, flags: flags)
    }

    /// Queues a `bind(2)` of `socket` to `address` (Linux 6.11). The kernel opcode is IORING_OP_BIND.
    /// Matches io_uring_prep_bind() in liburing and bind() in Zig's IoUring.
    public mutating func bind(userData: UInt64, socket: FileReference, to address: SocketAddress,
                              flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareAddressOp(.bind, userData: userData, socket: socket, address: address, flags: flags)
    }

    private mutating func prepareAddressOp(_ opcode: Opcode, userData: UInt64, socket: FileReference,
                                           address: SocketAddress, flags: SubmissionFlags) throws(IoUringError) {
        try address.validate()
        let length = address.encodedLength
        let storage = arena.allocate(byteCount: length, alignment: 8)
        address.encode(into: storage)
        try prepare(opcode, userData: userData, flags: flags, file: socket,
                    address: UInt64(UInt(bitPattern: storage)), offset: UInt64(length))
    }

    /// Queues a `listen(2)` on `socket` with `backlog` (Linux 6.11). The kernel opcode is IORING_OP_LISTEN.
    /// Matches io_uring_prep_listen() in liburing and listen() in Zig's IoUring.
    public mutating func listen(userData: UInt64, socket: FileReference, backlog: Int32,
                                flags: SubmissionFlags = []) throws(IoUringError) {
        try prepare(.listen, userData: userData, flags: flags, file: socket, length: UInt32(bitPattern: backlog))
    }

    // MARK: - Send and receive

    /// Queues a `recv(2)` into `buffer`; `res` is the number of bytes received, 0 at end of stream.
    /// The kernel opcode is IORING_OP_RECV. Matches io_uring_prep_recv() in liburing and recv() in
    /// Zig's IoUring with a `.buffer`.
    public mutating func recv(userData: UInt64, socket: FileReference, buffer: some BufferRegion,
                              messageFlags: MessageFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareTransfer(.recv, userData: userData, socket: socket, region: buffer.region, messageFlags: messageFlags,
                            flags: flags)
    }

    /// Queues a `recv(2)` into a buffer the kernel picks from provided-buffer group `bufferGroup`
    /// (IOSQE_BUFFER_SELECT); `length` caps the bytes (0: the buffer's size). The CQE carries
    /// IORING_CQE_F_BUFFER and the buffer id. The kernel opcode is IORING_OP_RECV.
    /// Matches recv() in Zig's IoUring with a `.buffer_selection`.
    public mutating func recv(userData: UInt64, socket: FileReference, bufferGroup: UInt16, length: UInt32 = 0,
                              messageFlags: MessageFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        let sqe = try prepare(.recv, userData: userData, flags: flags.union(.bufferSelect), file: socket, length: length)
        sqe.pointee.msg_flags = messageFlags.rawValue
        sqe.pointee.buf_group = bufferGroup
    }

    /// Queues a `send(2)` of `buffer`; `res` is the number of bytes sent. The kernel opcode is IORING_OP_SEND.
    /// Matches io_uring_prep_send() in liburing and send() in Zig's IoUring.
    public mutating func send(userData: UInt64, socket: FileReference, buffer: some BufferRegion,
                              messageFlags: MessageFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareTransfer(.send, userData: userData, socket: socket, region: buffer.region, messageFlags: messageFlags,
                            flags: flags)
    }

    /// The SQE of an IORING_OP_RECV or IORING_OP_SEND (`opcode`) of `slice`, kept alive until the CQE.
    private mutating func prepareTransfer(_ opcode: Opcode, userData: UInt64, socket: FileReference, region slice: IoBufferSlice,
                                          messageFlags: MessageFlags, flags: SubmissionFlags) throws(IoUringError) {
        let sqe = try prepare(opcode, userData: userData, flags: flags, file: socket,
                              address: slice.address, length: try IoUring.byteLength(slice.count))
        sqe.pointee.msg_flags = messageFlags.rawValue
        retain(slice.buffer)
    }

    /// Queues a zero-copy `send(2)` of `buffer` (Linux 6.0). It usually posts two CQEs with the same
    /// user data: the result (`res` = bytes sent, IORING_CQE_F_MORE set), then the notification
    /// (IORING_CQE_F_NOTIF, no F_MORE) once the kernel no longer reads the buffer. The ring keeps the
    /// buffer until the notification. The kernel opcode is IORING_OP_SEND_ZC.
    /// Matches io_uring_prep_send_zc() in liburing and send_zc() in Zig's IoUring.
    public mutating func sendZC(userData: UInt64, socket: FileReference, buffer: some BufferRegion,
                                messageFlags: MessageFlags = [], zeroCopyFlags: ZeroCopySendFlags = [],
                                flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = buffer.region
        let sqe = try prepare(.sendZC, userData: userData, flags: flags, file: socket,
                              address: slice.address, length: try IoUring.byteLength(slice.count))
        sqe.pointee.msg_flags = messageFlags.rawValue
        sqe.pointee.ioprio = zeroCopyFlags.rawValue
        retain(slice.buffer)
    }

    /// Queues a zero-copy send from registered buffer `bufferIndex` (see `registerBuffers`); `buffer`
    /// must lie inside that registered buffer. CQEs as for `sendZC`. The kernel opcode is
    /// IORING_OP_SEND_ZC with IORING_RECVSEND_FIXED_BUF in `ioprio` and `buf_index`.
    /// Matches io_uring_prep_send_zc_fixed() in liburing and send_zc_fixed() in Zig's IoUring.
    public mutating func sendZCFixed(userData: UInt64, socket: FileReference, buffer: some BufferRegion,
                                     bufferIndex: UInt16, messageFlags: MessageFlags = [],
                                     zeroCopyFlags: ZeroCopySendFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = buffer.region
        let sqe = try prepare(.sendZC, userData: userData, flags: flags, file: socket,
                              address: slice.address, length: try IoUring.byteLength(slice.count))
        sqe.pointee.msg_flags = messageFlags.rawValue
        sqe.pointee.ioprio = zeroCopyFlags.rawValue | UInt16(IORING_RECVSEND_FIXED_BUF)
        sqe.pointee.buf_index = bufferIndex
        retain(slice.buffer)
    }

    /// Queues a `recvmsg(2)` into `message` (a header made with `MessageHeader(receiving:…)`); `res` is
    /// the bytes received, and `message` then holds `messageFlags`, `name` and `controlMessages`.
    /// The kernel opcode is IORING_OP_RECVMSG. Matches io_uring_prep_recvmsg() in liburing and recvmsg() in Zig's IoUring.
    public mutating func recvmsg(userData: UInt64, socket: FileReference, message: MessageHeader,
                                 messageFlags: MessageFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareMessage(.recvmsg, userData: userData, socket: socket, message: message,
                           messageFlags: messageFlags, flags: flags)
    }

    /// Queues a `sendmsg(2)` of `message` (a header made with `MessageHeader(sending:…)`); `res` is the
    /// bytes sent. The kernel opcode is IORING_OP_SENDMSG. Matches io_uring_prep_sendmsg() in liburing
    /// and sendmsg() in Zig's IoUring.
    public mutating func sendmsg(userData: UInt64, socket: FileReference, message: MessageHeader,
                                 messageFlags: MessageFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareMessage(.sendmsg, userData: userData, socket: socket, message: message,
                           messageFlags: messageFlags, flags: flags)
    }

    /// Queues a zero-copy `sendmsg(2)` (Linux 6.1). CQEs as for `sendZC`: the result with
    /// IORING_CQE_F_MORE, then the IORING_CQE_F_NOTIF notification. The kernel opcode is
    /// IORING_OP_SENDMSG_ZC. Matches io_uring_prep_sendmsg_zc() in liburing and sendmsg_zc() in Zig's IoUring.
    public mutating func sendmsgZC(userData: UInt64, socket: FileReference, message: MessageHeader,
                                   messageFlags: MessageFlags = [], flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareMessage(.sendmsgZC, userData: userData, socket: socket, message: message,
                           messageFlags: messageFlags, flags: flags)
    }

    private mutating func prepareMessage(_ opcode: Opcode, userData: UInt64, socket: FileReference, message: MessageHeader,
                                         messageFlags: MessageFlags, flags: SubmissionFlags) throws(IoUringError) {
        message.prepareForKernel()
        let sqe = try prepare(opcode, userData: userData, flags: flags, file: socket, address: message.address, length: 1)
        sqe.pointee.msg_flags = messageFlags.rawValue
        retain(message)
        for slice in message.buffers { retain(slice.buffer) }
    }

    static func byteLength(_ count: Int) throws(IoUringError) -> UInt32 {
        guard let length = UInt32(exactly: count) else {
            throw .invalidArgument("\(count) bytes do not fit an SQE's 32-bit length")
        }
        return length
    }

    // MARK: - Shutdown

    /// Queues a `shutdown(2)` of `socket`; `how` is SHUT_RD, SHUT_WR or SHUT_RDWR.
    /// The kernel opcode is IORING_OP_SHUTDOWN. Matches io_uring_prep_shutdown() in liburing and shutdown() in Zig's IoUring.
    public mutating func shutdown(userData: UInt64, socket: FileReference, how: Int32,
                                  flags: SubmissionFlags = []) throws(IoUringError) {
        try prepare(.shutdown, userData: userData, flags: flags, file: socket, length: UInt32(bitPattern: how))
    }

    // MARK: - Socket creation

    /// Queues a `socket(2)`; `res` is the new descriptor. `type` may include SOCK_NONBLOCK and
    /// SOCK_CLOEXEC. The kernel opcode is IORING_OP_SOCKET (Linux 5.19).
    /// Matches io_uring_prep_socket() in liburing and socket() in Zig's IoUring.
    public mutating func socket(userData: UInt64, domain: Int32, type: Int32, protocol: Int32 = 0,
                                flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareSocket(userData: userData, domain: domain, type: type, protocol: `protocol`, fileIndex: 0, flags: flags)
    }

    /// Queues a `socket(2)` whose socket goes into registered file table slot `slot`; `res` is 0
    /// (with `.allocate`, the slot the kernel picked, as `socketDirectAlloc`).
    /// The kernel opcode is IORING_OP_SOCKET with `file_index` = slot + 1.
    /// Matches io_uring_prep_socket_direct() in liburing and socket_direct() in Zig's IoUring.
    public mutating func socketDirect(userData: UInt64, domain: Int32, type: Int32, protocol: Int32 = 0, slot: FileSlot,
                                      flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareSocket(userData: userData, domain: domain, type: type, protocol: `protocol`,
                          fileIndex: try slot.sqeFileIndex(), flags: flags)
    }

    /// Queues a `socket(2)` whose socket goes into a free registered-file slot the kernel picks; `res`
    /// is that slot. The kernel opcode is IORING_OP_SOCKET with `file_index` = IORING_FILE_INDEX_ALLOC.
    /// Matches io_uring_prep_socket_direct_alloc() in liburing and socket_direct_alloc() in Zig's IoUring.
    public mutating func socketDirectAlloc(userData: UInt64, domain: Int32, type: Int32, protocol: Int32 = 0,
                                           flags: SubmissionFlags = []) throws(IoUringError) {
        try prepareSocket(userData: userData, domain: domain, type: type, protocol: `protocol`,
                          fileIndex: IORING_FILE_INDEX_ALLOC, flags: flags)
    }

    private mutating func prepareSocket(userData: UInt64, domain: Int32, type: Int32, protocol: Int32,
                                        fileIndex: UInt32, flags: SubmissionFlags) throws(IoUringError) {
        let sqe = try prepare(.socket, userData: userData, flags: flags, length: UInt32(bitPattern: `protocol`),
                              offset: UInt64(UInt32(bitPattern: type)))
        sqe.pointee.fd = domain
        sqe.pointee.file_index = fileIndex
    }

    // MARK: - Socket commands

    /// Queues a socket command (Linux 6.7): `command` on `socket` with `level`, `optionName`, and
    /// `value` as the option's bytes (`optval`/`optlen`). The kernel opcode is IORING_OP_URING_CMD
    /// with `cmd_op` = SOCKET_URING_OP_*. Matches io_uring_prep_cmd_sock() in liburing and cmd_sock() in Zig's IoUring.
    public mutating func cmdSock(userData: UInt64, command: SocketCommand, socket: FileReference, level: Int32 = 0,
                                 optionName: Int32 = 0, value: (any BufferRegion)? = nil,
                                 flags: SubmissionFlags = []) throws(IoUringError) {
        let slice = value?.region
        let length = try IoUring.byteLength(slice?.count ?? 0)
        let sqe = try prepare(.uringCmd, userData: userData, flags: flags, file: socket)
        sqe.pointee.cmd_op = command.rawValue
        sqe.pointee.level = UInt32(bitPattern: level)
        sqe.pointee.optname = UInt32(bitPattern: optionName)
        sqe.pointee.optval = slice?.address ?? 0
        sqe.pointee.optlen = length
        if let slice { retain(slice.buffer) }
    }

    /// Queues a `setsockopt(2)` through a socket command: `value` holds the option's bytes (for an
    /// int option, 4 bytes in native order). `res` is 0. SOCKET_URING_OP_SETSOCKOPT on IORING_OP_URING_CMD.
    /// Matches setsockopt() in Zig's IoUring.
    public mutating func setsockopt(userData: UInt64, socket: FileReference, level: Int32, optionName: Int32,
                                    value: some BufferRegion, flags: SubmissionFlags = []) throws(IoUringError) {
        try cmdSock(userData: userData, command: .setsockopt, socket: socket, level: level, optionName: optionName,
                    value: value, flags: flags)
    }

    /// Queues a `getsockopt(2)` through a socket command: the kernel writes the option into `value`
    /// and `res` is its length. SOCKET_URING_OP_GETSOCKOPT on IORING_OP_URING_CMD.
    /// Matches getsockopt() in Zig's IoUring.
    public mutating func getsockopt(userData: UInt64, socket: FileReference, level: Int32, optionName: Int32,
                                    value: some BufferRegion, flags: SubmissionFlags = []) throws(IoUringError) {
        try cmdSock(userData: userData, command: .getsockopt, socket: socket, level: level, optionName: optionName,
                    value: value, flags: flags)
    }

    /// Queues a `getsockname(2)` (or `getpeername(2)` when `peer`) through a socket command; the
    /// address lands in `address`. SOCKET_URING_OP_GETSOCKNAME on IORING_OP_URING_CMD (Linux 6.19).
    /// Matches io_uring_prep_cmd_getsockname() in liburing.
    public mutating func getsockname(userData: UInt64, socket: FileReference, into address: PeerAddress,
                                     peer: Bool = false, flags: SubmissionFlags = []) throws(IoUringError) {
        address.prepareForKernel()
        let sqe = try prepare(.uringCmd, userData: userData, flags: flags, file: socket, address: address.address)
        sqe.pointee.cmd_op = SocketCommand.getsockname.rawValue
        sqe.pointee.addr3 = address.lengthAddress
        sqe.pointee.optlen = peer ? 1 : 0
        retain(address)
    }
}
