import IoUring
import Scenario

// Requests that wait for, bound or stop other requests (polls, timeouts, cancellation), the legacy
// provided-buffer ops, and `raw`.

extension OperationIssuer {
    // MARK: - Polls

    /// IORING_OP_POLL_ADD, with IORING_POLL_ADD_MULTI / IORING_POLL_ADD_LEVEL.
    static func pollAdd(_ op: Issue, _ ring: inout IoUring) throws {
        var pollFlags: PollFlags = []
        if op.bool("multishot") { pollFlags.insert(.multishot) }
        if op.bool("level") { pollFlags.insert(.level) }
        try ring.pollAdd(userData: op.userData, file: try op.file("fd"), events: PollMask(rawValue: op.constants32("events")),
                         pollFlags: pollFlags, flags: op.flags)
    }

    /// IORING_OP_POLL_REMOVE of the poll `target`.
    static func pollRemove(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.pollRemove(userData: op.userData, targetUserData: try op.userData(of: "target"), flags: op.flags)
    }

    /// IORING_OP_POLL_REMOVE updating the poll `target`'s events and/or user_data.
    static func pollUpdate(_ op: Issue, _ ring: inout IoUring) throws {
        let events = op.spec.arguments.named("events").map { PollMask(rawValue: UInt32(truncatingIfNeeded: $0.value)) }
        try ring.pollUpdate(userData: op.userData, targetUserData: try op.userData(of: "target"),
                            newUserData: try op.optionalUnsigned("new_user_data"), newEvents: events,
                            multishot: op.bool("multishot"), flags: op.flags)
    }

    // MARK: - Timeouts

    /// IORING_OP_TIMEOUT: `after` (absolute on `clock` with `absolute`), `count`, ETIME_SUCCESS, MULTISHOT.
    static func timeout(_ op: Issue, _ ring: inout IoUring) throws {
        var (timespec, timeoutFlags) = try op.timespec()
        if op.bool("etime_success") { timeoutFlags.insert(.etimeSuccess) }
        if op.bool("multishot") { timeoutFlags.insert(.multishot) }
        try ring.timeout(userData: op.userData, timespec: timespec, count: try op.unsigned("count", as: UInt32.self),
                         timeoutFlags: timeoutFlags, flags: op.flags)
    }

    /// IORING_OP_TIMEOUT_REMOVE of the timeout `target`.
    static func timeoutRemove(_ op: Issue, _ ring: inout IoUring) throws {
        try ring.timeoutRemove(userData: op.userData, targetUserData: try op.userData(of: "target"), flags: op.flags)
    }

    /// IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE (and IORING_LINK_TIMEOUT_UPDATE for `link`).
    static func timeoutUpdate(_ op: Issue, _ ring: inout IoUring) throws {
        let target = try op.userData(of: "target")
        let (timespec, timeoutFlags) = try op.timespec()
        if op.bool("link") {
            try ring.linkTimeoutUpdate(userData: op.userData, targetUserData: target, timespec: timespec,
                                       timeoutFlags: timeoutFlags, flags: op.flags)
        } else {
            try ring.timeoutUpdate(userData: op.userData, targetUserData: target, timespec: timespec,
                                   timeoutFlags: timeoutFlags, flags: op.flags)
        }
    }

    /// IORING_OP_LINK_TIMEOUT for the request linked before it.
    static func linkTimeout(_ op: Issue, _ ring: inout IoUring) throws {
        let (timespec, timeoutFlags) = try op.timespec()
        try ring.linkTimeout(userData: op.userData, timespec: timespec, timeoutFlags: timeoutFlags, flags: op.flags)
    }

    // MARK: - Cancellation

    /// IORING_OP_ASYNC_CANCEL by `target` (user_data), `fd` (IORING_ASYNC_CANCEL_FD, _FD_FIXED for a
    /// slot), `op` (IORING_ASYNC_CANCEL_OP) or `any`, with `all` for every match. Combinations the kernel
    /// refuses (`any` with `fd` or `op`) are issued as written. `fd` with `target` but no `op` (FD |
    /// USERDATA), which no typed cancel takes, is filled as io_uring_prep_cancel_fd() plus
    /// IORING_ASYNC_CANCEL_USERDATA and the user_data in `addr`.
    static func cancel(_ op: Issue, _ ring: inout IoUring) throws {
        var cancelFlags: CancelFlags = []
        if op.bool("all") { cancelFlags.insert(.all) }
        if op.bool("any") { cancelFlags.insert(.any) }
        let target = op.has("target") ? try op.userData(of: "target") : nil
        let file = op.has("fd") ? try op.file("fd") : nil
        if case .opcode(let opcode)? = op.spec.arguments["op"] {
            return try ring.cancel(userData: op.userData, opcode: opcode, file: file, targetUserData: target,
                                   cancelFlags: cancelFlags, flags: op.flags)
        }
        if let file {
            guard let target else {
                return try ring.cancel(userData: op.userData, file: file, cancelFlags: cancelFlags, flags: op.flags)
            }
            cancelFlags.formUnion([.fd, .userData])
            if case .fixed = file { cancelFlags.insert(.fdFixed) }
            var sqe = op.rawSQE(.asyncCancel)
            sqe.fd = file.sqeNumber
            sqe.addr = target
            sqe.opFlags = cancelFlags.rawValue
            return try ring.raw(sqe)
        }
        try ring.cancel(userData: op.userData, targetUserData: target ?? 0, cancelFlags: cancelFlags, flags: op.flags)
    }

    // MARK: - Legacy provided buffers

    /// IORING_OP_PROVIDE_BUFFERS: `count` buffers of `size` bytes cut from `buf` (or from memory the
    /// issuer allocates), ids from `start_id`. The engine keeps that memory as long as the ring.
    static func provideBuffers(_ op: Issue, _ ring: inout IoUring) throws {
        guard let group = op.bufferGroup("group") else { throw op.failure("group", "needs 'group'") }
        let count = try op.unsigned("count")
        guard let count16 = UInt16(exactly: count) else {
            throw op.failure("count", "'count' \(count) is more than the engine's provide_buffers takes (65535)")
        }
        let size = try op.unsigned("size", as: UInt32.self)
        let memory: IoBufferSlice
        if let operand = op.spec.arguments.buffer("buf") {
            memory = try op.resolver.buffer(operand, length: nil)
        } else {
            memory = IoBuffer(count: Int(count) * Int(size)).region
        }
        try ring.provideBuffers(userData: op.userData, memory, bufferSize: size, count: count16, groupID: group,
                                startingBufferID: try op.unsigned("start_id", as: UInt16.self), flags: op.flags)
    }

    /// IORING_OP_REMOVE_BUFFERS. A count above 65535, which the typed call cannot take, is filled as
    /// io_uring_prep_remove_buffers() does (count in `fd`) so the kernel gives its own answer.
    static func removeBuffers(_ op: Issue, _ ring: inout IoUring) throws {
        guard let group = op.bufferGroup("group") else { throw op.failure("group", "needs 'group'") }
        let count = try op.unsigned("count", as: UInt32.self)
        guard let count16 = UInt16(exactly: count) else {
            var sqe = op.rawSQE(.removeBuffers)
            sqe.fd = Int32(bitPattern: count)
            sqe.bufIndex = group
            return try ring.raw(sqe)
        }
        try ring.removeBuffers(userData: op.userData, count: count16, groupID: group, flags: op.flags)
    }

    // MARK: - raw

    /// An SQE with every field as written. `sqe_flags` are already in the step's flags; a slot as `fd`
    /// sets IOSQE_FIXED_FILE; a buffer as `addr` puts its address there and keeps it alive. What
    /// `SandboxRules.rawRefusal` refuses (path opcodes, numeric descriptors, sends to addresses in
    /// buffers) is refused here too, as `check` refused it where it was literal.
    static func raw(_ op: Issue, _ ring: inout IoUring) throws {
        var sqe = RawSQE(opcode: op.spec.opcodeValue)
        sqe.flags = op.flags.rawValue
        sqe.userData = op.userData
        let options = op.resolver.sandboxOptions
        var number: Int32?
        if case .descriptor(let written)? = op.spec.arguments.file("fd") {
            number = written
            sqe.fd = written  // as written: for IORING_OP_SOCKET it is the domain, not a descriptor
        } else {
            sqe.setFile(try op.file("fd"))
        }
        sqe.ioprio = try op.unsigned("ioprio", as: UInt16.self)
        sqe.off = try op.unsigned(op.has("offset") ? "offset" : "off")  // the SQE's `off` / `addr2`
        if let refusal = SandboxRules.rawRefusal(opcode: sqe.opcode, fd: number, offset: sqe.off,
                                                 allowsOutsideSandbox: options.allowOutsideSandbox,
                                                 allowsNetwork: options.allowNetwork) {
            throw op.failure(number != nil && refusal.hasPrefix("descriptor") ? "fd" : "opcode", refusal)
        }
        switch op.spec.arguments["addr"] {
        case .addressField(let operand?, _)?:
            let region = try op.resolver.buffer(operand, length: nil)
            sqe.addr = region.kernelAddress
            sqe.keepAlive = [region.buffer]
        case .addressField(nil, let number)?:
            sqe.addr = number
        default:
            break
        }
        sqe.len = try op.unsigned("len", as: UInt32.self)
        sqe.opFlags = try op.unsigned("op_flags", as: UInt32.self)
        sqe.bufIndex = try op.unsigned("buf_index", as: UInt16.self)
        sqe.personality = try op.unsigned("personality", as: UInt16.self)
        let spliceFDIn = try op.signed("splice_fd_in")
        guard let spliceFDIn32 = Int32(exactly: spliceFDIn) else { throw op.failure("splice_fd_in", "'splice_fd_in' does not fit 32 bits") }
        sqe.spliceFDIn = spliceFDIn32
        sqe.addr3 = try op.unsigned("addr3")
        sqe.pad2 = try op.unsigned("pad2")
        try ring.raw(sqe)
    }
}
