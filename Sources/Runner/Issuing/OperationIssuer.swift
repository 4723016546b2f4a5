import IoUring
import Scenario

/// Turns one instance of a request step into the engine call that queues its SQE.
///
/// Every op of the op table has a handler here (`handledOperations` lists them; a test proves the list
/// equals the table). A handler reads the step's typed arguments, resolves operands through the
/// `OperandResolver`, and calls the engine's typed operation with the step's user_data and IOSQE_*
/// flags. Where the engine has no typed call for an op (or no parameter for an argument the step
/// sets, such as `rw_flags` or `poll_first`), the handler fills a `RawSQE` exactly as liburing's
/// io_uring_prep_* helper would, keeping the memory it points at alive through `keepAlive`; each such
/// place names the liburing helper it follows.
public enum OperationIssuer {
    /// Queues the SQE of `spec` at `instance` with `userData` and the step's IOSQE_* flags
    /// (`spec.flags`), through the engine's typed operation for it. Operands are resolved by `resolver`.
    /// Throws `.engine` when the engine refuses (a full SQ, an argument it can tell is wrong) and
    /// `.unsupported` when the step asks for something the runner cannot express.
    public static func issue(_ spec: RequestSpec, instance: StepInstance, userData: UInt64,
                             resolver: some OperandResolver, ring: inout IoUring) throws(RunnerError) {
        guard let handler = handlers[spec.operation] else {
            throw .unsupported("no issuer for op '\(spec.operation)'")
        }
        let issue = Issue(spec: spec, instance: instance, userData: userData, resolver: resolver)
        do {
            try handler(issue, &ring)
            if let overrides = spec.sqeOverrides { try applyOverrides(overrides, issue, &ring) }
        } catch let error as RunnerError {
            throw error
        } catch let error as IoUringError {
            throw .engine(error)
        } catch {
            throw .unsupported("'\(spec.operation)': \(error)")
        }
    }

    /// The op-table names this issuer handles: every operation of `OpTable`.
    public static var handledOperations: Set<String> { Set(handlers.keys) }

    typealias Handler = @Sendable (Issue, inout IoUring) throws -> Void

    /// One handler per op-table operation name.
    static let handlers: [String: Handler] = [
        "nop": nop,
        // Files
        "read": read, "readv": read, "read_multishot": readMultishot,
        "write": write, "writev": write,
        "read_fixed": readFixed, "write_fixed": writeFixed,
        "fsync": fsync, "sync_file_range": syncFileRange, "fallocate": fallocate, "fadvise": fadvise,
        "ftruncate": ftruncate, "splice": splice, "tee": tee,
        "openat": openat, "openat_direct": openatDirect, "openat2": openat2,
        "close": close, "close_direct": closeDirect, "statx": statx,
        "renameat": renameat, "unlinkat": unlinkat, "mkdirat": mkdirat, "symlinkat": symlinkat, "linkat": linkat,
        "epoll_ctl": epollCtl, "epoll_wait": epollWait, "waitid": waitid,
        "files_update": filesUpdate, "fixed_fd_install": fixedFDInstall,
        // Sockets
        "socket": socket, "socket_direct": socketDirect, "socket_direct_alloc": socketDirectAlloc,
        "bind": bind, "listen": listen,
        "accept": accept, "accept_multishot": acceptMultishot, "accept_direct": acceptDirect,
        "accept_multishot_direct": acceptMultishotDirect,
        "connect": connect, "shutdown": shutdown,
        "send": send, "send_zc": sendZC, "send_zc_fixed": sendZCFixed,
        "sendmsg": sendmsg, "sendmsg_zc": sendmsg, "recv": recv, "recvmsg": recvmsg,
        "setsockopt": setsockopt, "getsockopt": getsockopt, "cmd_sock": cmdSock,
        // Control
        "poll_add": pollAdd, "poll_remove": pollRemove, "poll_update": pollUpdate,
        "timeout": timeout, "timeout_remove": timeoutRemove, "timeout_update": timeoutUpdate,
        "link_timeout": linkTimeout, "cancel": cancel,
        "provide_buffers": provideBuffers, "remove_buffers": removeBuffers,
        // Newer ops (NewerIssuing.swift)
        "futex_wait": futexWait, "futex_wake": futexWake, "futex_waitv": futexWaitv,
        "msg_ring": messageRing, "msg_ring_fd": messageRingFile, "pipe": pipe, "pipe_direct": pipeDirect,
        "readv_fixed": readvFixed, "writev_fixed": writevFixed,
        "fgetxattr": fgetxattr, "getxattr": getxattr, "fsetxattr": fsetxattr, "setxattr": setxattr,
        "madvise": madvise, "recv_zc": receiveZeroCopy,
        "raw": raw,
    ]

    // MARK: - nop

    /// IORING_OP_NOP, with IORING_NOP_INJECT_RESULT when `result` is given.
    static func nop(_ op: Issue, _ ring: inout IoUring) throws {
        if op.has("result") {
            let result = try op.signed("result")
            guard let value = Int32(exactly: result) else { throw op.failure("result", "'result' \(result) does not fit a CQE's res") }
            try ring.nop(userData: op.userData, injectingResult: value, flags: op.flags)
        } else {
            try ring.nop(userData: op.userData, flags: op.flags)
        }
    }
}
