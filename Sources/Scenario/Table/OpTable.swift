import IoUring

/// The single table of everything a step can be: every SQE op, every registration and every control
/// step, with its arguments. Parsing, validation, the JSON Schema and Grammar.md's reference all read it.
public enum OpTable {
    /// Every step kind, in documentation order.
    public static let all: [StepSpec] = operations + registrations + controls

    /// The step kind called `name`.
    public static func spec(named name: String) -> StepSpec? { byName[name] }

    /// Every step name, for did-you-mean suggestions.
    public static var names: [String] { all.map(\.name) }

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    // MARK: - Argument shorthands

    private static func required(_ name: String, _ type: ArgumentType, _ doc: String) -> ArgumentSpec {
        ArgumentSpec(name, type, .required, doc)
    }

    private static func optional(_ name: String, _ type: ArgumentType, _ doc: String) -> ArgumentSpec {
        ArgumentSpec(name, type, .optional, doc)
    }

    private static func defaulted(_ name: String, _ type: ArgumentType, _ value: ArgumentValue, _ shown: String,
                                  _ doc: String) -> ArgumentSpec {
        ArgumentSpec(name, type, .defaulted(value, shown: shown), doc)
    }

    private static func derived(_ name: String, _ type: ArgumentType, _ shown: String, _ doc: String) -> ArgumentSpec {
        ArgumentSpec(name, type, .derived(shown: shown), doc)
    }

    private static let u32 = ArgumentType.unsigned(bits: 32, capturable: false)
    private static let u16 = ArgumentType.unsigned(bits: 16, capturable: false)
    /// Room in a msghdr the runner allocates (`name_len`, `control_len`): bounded, as buffers are.
    private static let messageRoom = u16
    private static let u64 = ArgumentType.unsigned(bits: 64, capturable: false)
    private static let length = ArgumentType.unsigned(bits: 32, capturable: true)
    private static let length64 = ArgumentType.unsigned(bits: 64, capturable: true)

    private static func no(_ name: String, _ doc: String) -> ArgumentSpec {
        defaulted(name, .bool, .bool(false), "false", doc)
    }

    private static func constants(_ name: String, _ family: ConstantFamily, _ doc: String) -> ArgumentSpec {
        defaulted(name, .constants(family), .named(NamedValue(value: 0)), "0", doc)
    }

    private static let fd = required("fd", .file, "The file, socket or pipe end.")
    private static let dir = defaulted("dir", .directory, .file(.currentDirectory), "cwd",
                                       "Directory `path` is relative to (`cwd`: the sandbox).")
    private static let buf = optional("buf", .buffer, "The buffer resource.")
    private static let data = optional("data", .data, "Bytes to send, given inline instead of `buf`.")
    private static let len = derived("len", length, "the buffer's size", "Bytes to transfer.")
    private static let fileOffset = defaulted("offset", .offset, .signed(0), "0",
                                              "File offset; -1 uses (and advances) the file position; `{ random: N, align: A, seed: S }` a different pseudo-random multiple of A below N for every request (see [random offsets](#random-offsets)).")
    private static let rwFlags = constants("flags", .readWriteFlags, "RWF_* flags (`rw_flags`).")
    private static let messageFlags = constants("flags", .messageFlags, "MSG_* flags.")
    private static let bufferGroup = optional("buffer_group", .bufferGroup,
                                              "Pick the buffer from this provided-buffer group (IOSQE_BUFFER_SELECT).")
    private static let pollFirst = no("poll_first", "IORING_RECVSEND_POLL_FIRST: poll before trying the transfer.")
    private static let after = optional("after", .timespec, "The timeout's length (or, with `absolute`, its distance from now); `{ sec, nsec }` goes to the kernel as written, invalid ones included.")
    private static let at = optional("at", .timespec, "An absolute time of `clock`, `{ sec, nsec }` as written (IORING_TIMEOUT_ABS); instead of `after`.")
    private static let absolute = no("absolute", "IORING_TIMEOUT_ABS: the runner turns `after` into an absolute time of `clock`.")
    private static let clock = defaulted("clock", .clock, .named(NamedValue(value: 0, names: ["monotonic"])), "monotonic",
                                         "`monotonic`, `boottime` (IORING_TIMEOUT_BOOTTIME) or `realtime` (IORING_TIMEOUT_REALTIME).")
    private static let target = required("target", .request, "The request to act on: its id or user_data.")
    private static let mode = defaulted("mode", u32, .unsigned(0o644), "0o644", "Permission bits for a new file.")
    private static let sendAddress = optional("address", .address, "Destination, for unconnected sockets (sendto).")
    private static let sendFlags: [StepSpec.Rule] = [.exactlyOne(["buf", "data"])]
    private static let futexWord = required("word", .buffer, "The 32-bit futex word: a buffer resource or `{ buffer: b, offset: N }` (4-byte aligned).")
    private static let futexMask = defaulted("mask", u64, .unsigned(0xffff_ffff), "0xffffffff", "Bitset the waiter and the waker must share (FUTEX_BITSET_MATCH_ANY by default).")
    private static let futexFlags = defaulted("futex_flags", .constants(.futex2Flags),
                                              .named(NamedValue(value: 0x82, names: ["FUTEX2_SIZE_U32", "FUTEX2_PRIVATE"])),
                                              "[FUTEX2_SIZE_U32, FUTEX2_PRIVATE]", "FUTEX2_* flags of the word.")
    private static let ringTarget = defaulted("ring", .ring, .text(TemplateText(parsing: "$ring")), "$ring",
                                              "The ring to message: `$ring` (this scenario's ring) or `{ slot: N }` (a registered ring descriptor).")
    private static let xattrName = required("name", .text, "The attribute's name, with its namespace (`user.note`).")

    // MARK: - Operations

    static let operations: [StepSpec] = [
        StepSpec("nop", .operation(.nop), "Does nothing and completes with 0, or with `result` when given (IORING_NOP_INJECT_RESULT).", [
            optional("result", .signed(bits: 32), "The result the CQE should carry."),
        ]),
        StepSpec("read", .operation(.read), "Reads into a buffer, iovecs (IORING_OP_READV) or a provided buffer.", [
            fd, buf,
            optional("iovecs", .iovecs, "Scatter into these buffers instead (IORING_OP_READV)."),
            bufferGroup,
            derived("len", length, "the buffer's size", "Bytes to read."),
            fileOffset, rwFlags,
        ], rules: [.exactlyOne(["buf", "iovecs", "buffer_group"]), .atMostOne(["iovecs", "len"])],
           captures: .count, variant: .init(argument: "iovecs", opcode: .readv)),
        StepSpec("readv", .operation(.readv), "Reads into the buffers of an iovecs resource.", [
            fd, required("iovecs", .iovecs, "The buffers to fill, in order."), fileOffset, rwFlags,
        ], captures: .count),
        StepSpec("read_multishot", .operation(.readMultishot), "Reads repeatedly into provided buffers, one CQE per read, until EOF or an error.", [
            fd, required("buffer_group", .bufferGroup, "The provided-buffer group to read into."),
            defaulted("len", length, .unsigned(0), "0", "Bytes per read; 0 uses the whole buffer."),
            fileOffset,
        ], multishot: .always),
        StepSpec("write", .operation(.write), "Writes from a buffer, inline data or iovecs (IORING_OP_WRITEV).", [
            fd, buf, data,
            optional("iovecs", .iovecs, "Gather from these buffers instead (IORING_OP_WRITEV)."),
            derived("len", length, "the buffer's or data's size", "Bytes to write."),
            fileOffset, rwFlags,
        ], rules: [.exactlyOne(["buf", "data", "iovecs"]), .atMostOne(["iovecs", "len"])],
           captures: .count, variant: .init(argument: "iovecs", opcode: .writev)),
        StepSpec("writev", .operation(.writev), "Writes the buffers of an iovecs resource.", [
            fd, required("iovecs", .iovecs, "The buffers to write, in order."), fileOffset, rwFlags,
        ], captures: .count),
        StepSpec("read_fixed", .operation(.readFixed), "Reads into a registered buffer.", [
            fd, required("buf", .registeredBuffer, "A registered buffer (its index becomes `buf_index`)."),
            len, fileOffset, rwFlags,
        ], captures: .count),
        StepSpec("write_fixed", .operation(.writeFixed), "Writes from a registered buffer.", [
            fd, required("buf", .registeredBuffer, "A registered buffer (its index becomes `buf_index`)."),
            len, fileOffset, rwFlags,
        ], captures: .count),
        StepSpec("fsync", .operation(.fsync), "Flushes a file to storage; `datasync` skips metadata.", [
            fd, no("datasync", "IORING_FSYNC_DATASYNC: like fdatasync(2)."),
            defaulted("offset", u64, .unsigned(0), "0", "Start of the range (0 with `len` 0: the whole file)."),
            defaulted("len", u32, .unsigned(0), "0", "Length of the range; 0: to the end."),
        ]),
        StepSpec("sync_file_range", .operation(.syncFileRange), "sync_file_range(2) on a byte range.", [
            fd, defaulted("offset", u64, .unsigned(0), "0", "Start of the range."),
            defaulted("len", u32, .unsigned(0), "0", "Length; 0: to the end of the file."),
            constants("flags", .syncFileRangeFlags, "SYNC_FILE_RANGE_* flags."),
        ]),
        StepSpec("fallocate", .operation(.fallocate), "Allocates, punches or zeroes a range of a file.", [
            fd, constants("mode", .fallocateModes, "FALLOC_FL_* mode bits."),
            defaulted("offset", u64, .unsigned(0), "0", "Start of the range."),
            required("len", u64, "Length of the range."),
        ]),
        StepSpec("fadvise", .operation(.fadvise), "posix_fadvise(2) on a range of a file.", [
            fd, defaulted("offset", u64, .unsigned(0), "0", "Start of the range."),
            defaulted("len", u32, .unsigned(0), "0", "Length; 0: to the end."),
            required("advice", .constants(.fadviseAdvice), "POSIX_FADV_* advice."),
        ]),
        StepSpec("ftruncate", .operation(.ftruncate), "Truncates or extends a file to `len` bytes.", [
            fd, required("len", u64, "The new size."),
        ]),
        StepSpec("splice", .operation(.splice), "Moves bytes between two descriptors, one of them a pipe.", [
            required("in", .file, "Source descriptor (a slot sets SPLICE_F_FD_IN_FIXED)."),
            defaulted("in_offset", .offset, .signed(-1), "-1", "Offset in `in`; -1 for pipes and the current position."),
            required("out", .file, "Destination descriptor."),
            defaulted("out_offset", .offset, .signed(-1), "-1", "Offset in `out`; -1 for pipes and the current position."),
            required("len", length, "Bytes to move."),
            constants("flags", .spliceFlags, "SPLICE_F_* flags."),
        ], captures: .count),
        StepSpec("tee", .operation(.tee), "Duplicates bytes from one pipe to another without consuming them.", [
            required("in", .file, "Source pipe end."), required("out", .file, "Destination pipe end."),
            required("len", length, "Bytes to duplicate."), constants("flags", .spliceFlags, "SPLICE_F_* flags."),
        ], captures: .count),
        StepSpec("openat", .operation(.openat), "Opens a file; the CQE's res is the new descriptor.", [
            dir, required("path", .path, "The path, inside the sandbox."),
            constants("flags", .openFlags, "O_* flags (O_RDONLY when empty)."), mode,
        ], captures: .fd),
        StepSpec("openat_direct", .operation(.openat), "Opens a file straight into a registered file slot.", [
            dir, required("path", .path, "The path, inside the sandbox."),
            constants("flags", .openFlags, "O_* flags."), mode,
            defaulted("slot", .slotOrAuto, .slot(.allocate), "auto", "The slot, or `auto` (IORING_FILE_INDEX_ALLOC): res is the slot."),
        ], captures: .slot),
        StepSpec("openat2", .operation(.openat2), "Opens a file with openat2(2)'s `struct open_how`.", [
            dir, required("path", .path, "The path, inside the sandbox."),
            constants("flags", .openFlags, "O_* flags."),
            defaulted("mode", u32, .unsigned(0), "0",
                      "Permission bits, only with O_CREAT or O_TMPFILE: openat2 refuses a mode without them (EINVAL)."),
            constants("resolve", .resolveFlags, "RESOLVE_* flags."),
        ], captures: .fd),
        StepSpec("close", .operation(.close), "Closes a descriptor.", [fd]),
        StepSpec("close_direct", .operation(.close), "Closes a registered file slot (`file_index`).", [
            required("slot", .slot, "The slot, or a slot capture."),
        ]),
        StepSpec("statx", .operation(.statx), "statx(2) into `buf`, or into a buffer the runner provides.", [
            dir, required("path", .path, "The path, inside the sandbox (may be empty with AT_EMPTY_PATH)."),
            constants("flags", .atFlags, "AT_* flags."),
            defaulted("mask", .constants(.statxMask), .named(NamedValue(value: 0x7ff, names: ["STATX_BASIC_STATS"])),
                      "STATX_BASIC_STATS", "STATX_* fields wanted."),
            optional("buf", .buffer, "Where the kernel writes `struct statx` (256 bytes or more), for `buffers:` checks with `at:` (`stx_size` is at 40, `stx_mode` at 28)."),
        ]),
        StepSpec("renameat", .operation(.renameat), "Renames a path.", [
            defaulted("old_dir", .directory, .file(.currentDirectory), "cwd", "Directory of `old_path`."),
            required("old_path", .path, "The existing path."),
            defaulted("new_dir", .directory, .file(.currentDirectory), "cwd", "Directory of `new_path`."),
            required("new_path", .path, "The new path."),
            constants("flags", .renameFlags, "RENAME_* flags."),
        ]),
        StepSpec("unlinkat", .operation(.unlinkat), "Removes a file, or a directory with AT_REMOVEDIR.", [
            dir, required("path", .path, "The path to remove."), constants("flags", .atFlags, "AT_REMOVEDIR or 0."),
        ]),
        StepSpec("mkdirat", .operation(.mkdirat), "Creates a directory.", [
            dir, required("path", .path, "The new directory."),
            defaulted("mode", u32, .unsigned(0o755), "0o755", "Permission bits."),
        ]),
        StepSpec("symlinkat", .operation(.symlinkat), "Creates a symbolic link `link` pointing at `target`.", [
            required("target", .path, "What the link points at (checked like a path: it must stay in the sandbox)."),
            dir, required("link", .path, "The new link's path."),
        ]),
        StepSpec("linkat", .operation(.linkat), "Creates a hard link.", [
            defaulted("old_dir", .directory, .file(.currentDirectory), "cwd", "Directory of `old_path`."),
            required("old_path", .path, "The existing file."),
            defaulted("new_dir", .directory, .file(.currentDirectory), "cwd", "Directory of `new_path`."),
            required("new_path", .path, "The new link."),
            constants("flags", .atFlags, "AT_SYMLINK_FOLLOW, AT_EMPTY_PATH."),
        ]),
        StepSpec("socket", .operation(.socket), "Creates a socket; res is the descriptor.", [
            defaulted("domain", .constants(.addressFamilies), .named(NamedValue(value: 2, names: ["AF_INET"])), "AF_INET", "AF_* family."),
            defaulted("type", .constants(.socketTypes), .named(NamedValue(value: 1, names: ["SOCK_STREAM"])), "SOCK_STREAM",
                      "SOCK_* type, with SOCK_NONBLOCK / SOCK_CLOEXEC."),
            constants("protocol", .protocols, "IPPROTO_*; 0 picks the default."),
        ], captures: .fd),
        StepSpec("socket_direct", .operation(.socket), "Creates a socket straight into a given registered file slot.", [
            defaulted("domain", .constants(.addressFamilies), .named(NamedValue(value: 2, names: ["AF_INET"])), "AF_INET", "AF_* family."),
            defaulted("type", .constants(.socketTypes), .named(NamedValue(value: 1, names: ["SOCK_STREAM"])), "SOCK_STREAM", "SOCK_* type."),
            constants("protocol", .protocols, "IPPROTO_*."),
            required("slot", .slot, "The slot to fill."),
        ], captures: .slot),
        StepSpec("socket_direct_alloc", .operation(.socket), "Creates a socket in a free registered slot; res is the slot.", [
            defaulted("domain", .constants(.addressFamilies), .named(NamedValue(value: 2, names: ["AF_INET"])), "AF_INET", "AF_* family."),
            defaulted("type", .constants(.socketTypes), .named(NamedValue(value: 1, names: ["SOCK_STREAM"])), "SOCK_STREAM", "SOCK_* type."),
            constants("protocol", .protocols, "IPPROTO_*."),
        ], captures: .slot),
        StepSpec("bind", .operation(.bind), "Binds a socket to an address.", [
            fd, required("address", .address, "The address (port 0: the kernel picks)."),
        ]),
        StepSpec("listen", .operation(.listen), "Makes a bound socket listen.", [
            fd, defaulted("backlog", u32, .unsigned(128), "128", "Queue length."),
        ]),
        StepSpec("accept", .operation(.accept), "Accepts one connection; res is the new descriptor.", [
            fd, constants("flags", .socketFlags, "SOCK_NONBLOCK, SOCK_CLOEXEC."), pollFirst,
        ], captures: .fd),
        StepSpec("accept_multishot", .operation(.accept), "Accepts connections until cancelled (IORING_ACCEPT_MULTISHOT).", [
            fd, constants("flags", .socketFlags, "SOCK_NONBLOCK, SOCK_CLOEXEC."),
        ], captures: .fd, multishot: .always),
        StepSpec("accept_direct", .operation(.accept), "Accepts one connection into a registered file slot.", [
            fd, constants("flags", .socketFlags, "SOCK_NONBLOCK, SOCK_CLOEXEC."),
            defaulted("slot", .slotOrAuto, .slot(.allocate), "auto", "The slot, or `auto`: res is the slot."),
        ], captures: .slot),
        StepSpec("accept_multishot_direct", .operation(.accept), "Accepts connections into free registered slots until cancelled.", [
            fd, constants("flags", .socketFlags, "SOCK_NONBLOCK, SOCK_CLOEXEC."),
        ], captures: .slot, multishot: .always),
        StepSpec("connect", .operation(.connect), "Connects a socket.", [
            fd, required("address", .address, "Where to connect: a listener resource or an address."),
        ]),
        StepSpec("shutdown", .operation(.shutdown), "Shuts down part of a full-duplex connection.", [
            fd, required("how", .constants(.shutdownHow), "SHUT_RD, SHUT_WR or SHUT_RDWR."),
        ]),
        StepSpec("send", .operation(.send), "Sends from a buffer or inline data.", [
            fd, buf, data, derived("len", length, "the buffer's or data's size", "Bytes to send."),
            messageFlags, sendAddress, pollFirst,
        ], rules: sendFlags, captures: .count),
        StepSpec("send_zc", .operation(.sendZC), "Zero-copy send: a result CQE (with `more`), then a notification CQE (`notif`).", [
            fd, buf, data, derived("len", length, "the buffer's or data's size", "Bytes to send."),
            messageFlags, sendAddress, pollFirst,
            no("report_usage", "IORING_SEND_ZC_REPORT_USAGE: the notification's res says whether data was copied."),
        ], rules: sendFlags, captures: .count, multishot: .always),
        StepSpec("send_zc_fixed", .operation(.sendZC), "Zero-copy send from a registered buffer (IORING_RECVSEND_FIXED_BUF).", [
            fd, required("buf", .registeredBuffer, "A registered buffer."), len, messageFlags, pollFirst,
            no("report_usage", "IORING_SEND_ZC_REPORT_USAGE."),
        ], captures: .count, multishot: .always),
        StepSpec("sendmsg", .operation(.sendmsg), "sendmsg(2) from iovecs, a buffer or inline data.", [
            fd, optional("iovecs", .iovecs, "The message's buffers."), buf, data, messageFlags, sendAddress,
        ], rules: [.exactlyOne(["iovecs", "buf", "data"])], captures: .count),
        StepSpec("sendmsg_zc", .operation(.sendmsgZC), "Zero-copy sendmsg: a result CQE, then a notification CQE.", [
            fd, optional("iovecs", .iovecs, "The message's buffers."), buf, data, messageFlags, sendAddress,
        ], rules: [.exactlyOne(["iovecs", "buf", "data"])], captures: .count, multishot: .always),
        StepSpec("recv", .operation(.recv), "Receives into a buffer or a provided buffer; optionally multishot.", [
            fd, buf, bufferGroup, derived("len", length, "the buffer's size (0 with `buffer_group`)", "Bytes to receive."),
            messageFlags,
            no("multishot", "IORING_RECV_MULTISHOT: keep receiving into provided buffers."), pollFirst,
            no("bundle", "IORING_RECVSEND_BUNDLE: take several provided buffers at once."),
        ], rules: [.exactlyOne(["buf", "buffer_group"]), .requires("multishot", "buffer_group"), .requires("bundle", "buffer_group")],
           captures: .count, multishot: .whenArgument("multishot")),
        StepSpec("recvmsg", .operation(.recvmsg), "recvmsg(2) into iovecs, a buffer or a provided buffer; optionally multishot.", [
            fd, optional("iovecs", .iovecs, "The buffers to fill."), buf, bufferGroup, messageFlags,
            no("multishot", "IORING_RECV_MULTISHOT (needs `buffer_group`)."),
            defaulted("control_len", messageRoom, .unsigned(0), "0", "Room for ancillary data (at most 65535 bytes)."),
            defaulted("name_len", messageRoom, .unsigned(0), "0", "Room for the sender's address (msg_namelen; at most 65535 bytes); with provided buffers, reserved in each one."),
        ], rules: [.exactlyOne(["iovecs", "buf", "buffer_group"]), .requires("multishot", "buffer_group")],
           captures: .count, multishot: .whenArgument("multishot")),
        StepSpec("epoll_ctl", .operation(.epollCtl), "Adds, changes or removes a descriptor of an epoll instance.", [
            required("epfd", .file, "The epoll resource."),
            required("op", .constants(.epollOperations), "EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL."),
            fd, constants("events", .epollEvents, "EPOLL* events."),
            defaulted("data", u64, .unsigned(0), "0", "The event's user data."),
        ]),
        StepSpec("epoll_wait", .operation(.epollWait), "Waits for events on an epoll instance; res is the number of events.", [
            required("epfd", .file, "The epoll resource."),
            defaulted("max_events", u32, .unsigned(16), "16", "Room for this many events."),
        ]),
        StepSpec("poll_add", .operation(.pollAdd), "Waits until a descriptor has the events; res is the events that fired.", [
            fd, required("events", .constants(.pollEvents), "POLL* events."),
            no("multishot", "IORING_POLL_ADD_MULTI: post a CQE (with `more`) for every event."),
            no("level", "IORING_POLL_ADD_LEVEL: level-triggered."),
        ], multishot: .whenArgument("multishot")),
        StepSpec("poll_remove", .operation(.pollRemove), "Removes a poll request.", [target]),
        StepSpec("poll_update", .operation(.pollRemove), "Changes the events and/or user_data of a poll request.", [
            target,
            optional("events", .constants(.pollEvents), "New events (IORING_POLL_UPDATE_EVENTS)."),
            optional("new_user_data", u64, "New user_data (IORING_POLL_UPDATE_USER_DATA)."),
            no("multishot", "Keep (or make) it multishot."),
        ], rules: [.atLeastOne(["events", "new_user_data"])]),
        StepSpec("timeout", .operation(.timeout), "Completes with -ETIME after `after`, or with 0 once `count` other CQEs arrived.", [
            after, at, defaulted("count", u32, .unsigned(0), "0", "Complete after this many other CQEs (0: only by time)."),
            absolute, clock,
            no("etime_success", "IORING_TIMEOUT_ETIME_SUCCESS: expiry does not break a link chain."),
            no("multishot", "IORING_TIMEOUT_MULTISHOT: fire every `after`, `count` times (0: forever)."),
        ], multishot: .whenArgument("multishot")),
        StepSpec("timeout_remove", .operation(.timeoutRemove), "Cancels a timeout.", [target]),
        StepSpec("timeout_update", .operation(.timeoutRemove), "Re-arms a timeout (IORING_TIMEOUT_UPDATE) or link timeout (IORING_LINK_TIMEOUT_UPDATE).", [
            target, after, at, absolute, clock,
            no("link", "The target is a link_timeout (IORING_LINK_TIMEOUT_UPDATE)."),
        ]),
        StepSpec("link_timeout", .operation(.linkTimeout), "Cancels the request linked before it if that has not completed after `after`.", [
            after, at, absolute, clock,
            no("alone", "Not after a linked request, on purpose: the kernel answers -EINVAL (a lone IORING_OP_LINK_TIMEOUT)."),
        ]),
        StepSpec("cancel", .operation(.asyncCancel), "Cancels requests by user_data, file, opcode, or all (IORING_OP_ASYNC_CANCEL).", [
            optional("target", .request, "Cancel the request with this id or user_data."),
            optional("fd", .file, "Cancel requests on this file (IORING_ASYNC_CANCEL_FD)."),
            optional("op", .opcode, "Cancel requests with this opcode (IORING_ASYNC_CANCEL_OP)."),
            no("any", "IORING_ASYNC_CANCEL_ANY: every request."),
            no("all", "IORING_ASYNC_CANCEL_ALL: every match, not just the first; res is the count."),
        ], rules: [.atLeastOne(["target", "fd", "op", "any"]), .atMostOne(["target", "any"])]),
        StepSpec("provide_buffers", .operation(.provideBuffers), "Adds buffers to a legacy provided-buffer group.", [
            required("group", .bufferGroup, "The group id (or a provided_buffers resource)."),
            required("count", u32, "How many buffers."), required("size", u32, "Bytes per buffer."),
            defaulted("start_id", u16, .unsigned(0), "0", "Id of the first buffer."),
            optional("buf", .buffer, "Memory to carve them from (the runner allocates it when absent)."),
        ]),
        StepSpec("remove_buffers", .operation(.removeBuffers), "Removes buffers from a legacy provided-buffer group.", [
            required("group", .bufferGroup, "The group."), required("count", u32, "How many to remove."),
        ]),
        StepSpec("files_update", .operation(.filesUpdate), "Updates registered file slots from an SQE (IORING_OP_FILES_UPDATE).", [
            defaulted("offset", .slotOrAuto, .slot(.index(0)), "0", "First slot, or `auto` to pick free slots."),
            required("files", .files, "Files to install (-1 clears a slot)."),
        ]),
        StepSpec("fixed_fd_install", .operation(.fixedFDInstall), "Installs a registered file as a normal descriptor; res is the descriptor.", [
            required("slot", .slot, "The slot."),
            no("no_cloexec", "IORING_FIXED_FD_NO_CLOEXEC."),
        ], captures: .fd),
        StepSpec("waitid", .operation(.waitid), "waitid(2) for a child process.", [
            defaulted("idtype", .constants(.waitIDTypes), .named(NamedValue(value: 1, names: ["P_PID"])), "P_PID", "P_* id type."),
            optional("id", .process, "A child_process resource or a pid (absent with P_ALL)."),
            defaulted("options", .constants(.waitOptions), .named(NamedValue(value: 4, names: ["WEXITED"])), "WEXITED", "W* options."),
            optional("buf", .buffer, "Where the kernel writes the child's `siginfo_t` (128 bytes or more), for `buffers:` checks with `at:` (`si_code` is at 8, `si_status` at 24)."),
        ]),
        StepSpec("setsockopt", .operation(.uringCmd), "setsockopt(2) through IORING_OP_URING_CMD (SOCKET_URING_OP_SETSOCKOPT).", [
            fd, required("level", .constants(.socketLevels), "SOL_* level."),
            required("name", .constants(.socketOptions), "SO_* / TCP_* option."),
            required("value", .signed(bits: 32), "The int value to set."),
        ]),
        StepSpec("getsockopt", .operation(.uringCmd), "getsockopt(2) through IORING_OP_URING_CMD (SOCKET_URING_OP_GETSOCKOPT).", [
            fd, required("level", .constants(.socketLevels), "SOL_* level."),
            required("name", .constants(.socketOptions), "SO_* / TCP_* option."),
            optional("buf", .buffer, "Where the kernel writes the value, to check it with `buffers:` (the runner allocates `len` bytes when absent)."),
            derived("len", u32, "the buffer's size, or 4", "Room for the value."),
        ], captures: .value),
        StepSpec("cmd_sock", .operation(.uringCmd), "A socket command through IORING_OP_URING_CMD (SIOCINQ, SIOCOUTQ…).", [
            fd, required("cmd", .constants(.socketCommands), "SOCKET_URING_OP_* command."),
        ], captures: .value),
        StepSpec("futex_wait", .operation(.futexWait), "Sleeps while a futex word holds `value`; 0 when woken, -EAGAIN at once when the word differs.", [
            futexWord, required("value", u64, "The value the word must hold for the wait to sleep."), futexMask, futexFlags,
        ]),
        StepSpec("futex_wake", .operation(.futexWake), "Wakes waiters of a futex word; res is how many were woken.", [
            futexWord, defaulted("count", u64, .unsigned(1), "1", "Wake at most this many waiters."), futexMask, futexFlags,
        ]),
        StepSpec("futex_waitv", .operation(.futexWaitv), "Sleeps on several futex words at once; res is the index of the one woken.", [
            required("words", .iovecs, "An iovecs resource: each region's first 4 bytes are one futex word (at most 128)."),
            defaulted("value", u64, .unsigned(0), "0", "The value every word must hold for the wait to sleep."),
            futexFlags,
        ]),
        StepSpec("msg_ring", .operation(.msgRing), "Posts a CQE to a ring (IORING_MSG_DATA): `cqe_user_data` with res `data`; this request completes with 0.", [
            ringTarget,
            defaulted("data", u32, .unsigned(0), "0", "The posted CQE's res (the SQE's `len`)."),
            required("cqe_user_data", u64, "The posted CQE's user_data: expectations claim it by this number."),
            optional("cqe_flags", u32, "Flags of the posted CQE (IORING_MSG_RING_FLAGS_PASS)."),
        ]),
        StepSpec("msg_ring_fd", .operation(.msgRing), "Passes a registered file to another ring's file table (IORING_MSG_SEND_FD); to its own ring the kernel answers -EINVAL.", [
            ringTarget,
            required("source_slot", .slot, "This ring's registered file slot to pass."),
            defaulted("target_slot", .slotOrAuto, .slot(.allocate), "auto", "The target's slot, or `auto`: a free one."),
            required("cqe_user_data", u64, "The user_data of the CQE the target ring gets."),
            no("skip_cqe", "IORING_MSG_RING_CQE_SKIP: the target ring gets no CQE."),
        ]),
        StepSpec("pipe", .operation(.pipe), "Creates a pipe (pipe2(2)); res is 0 and the kernel writes the two descriptors (read, write) as int[2] into `buf`.", [
            optional("buf", .buffer, "Where the kernel writes int[2] (8 bytes); the runner allocates it when absent."),
            constants("flags", .openFlags, "O_CLOEXEC, O_NONBLOCK, O_DIRECT (`pipe_flags`)."),
        ]),
        StepSpec("pipe_direct", .operation(.pipe), "Creates a pipe straight into registered file slots: the read end at `slot`, the write end at `slot` + 1.", [
            defaulted("slot", .slotOrAuto, .slot(.allocate), "auto", "The read end's slot (the write end takes the next), or `auto`: two free slots."),
            optional("buf", .buffer, "Where the kernel writes the two slot numbers as int[2]; the runner allocates it when absent."),
            constants("flags", .openFlags, "O_NONBLOCK, O_DIRECT (O_CLOEXEC is -EINVAL for slots)."),
        ]),
        StepSpec("readv_fixed", .operation(.readvFixed), "Reads into the regions of an iovecs resource that lie in one registered buffer.", [
            fd, required("iovecs", .iovecs, "The regions to fill, in order; each must lie in `buf`."),
            required("buf", .registeredBuffer, "The registered buffer the regions lie in (its index becomes `buf_index`)."),
            fileOffset, rwFlags,
        ], captures: .count),
        StepSpec("writev_fixed", .operation(.writevFixed), "Writes the regions of an iovecs resource that lie in one registered buffer.", [
            fd, required("iovecs", .iovecs, "The regions to write, in order; each must lie in `buf`."),
            required("buf", .registeredBuffer, "The registered buffer the regions lie in (its index becomes `buf_index`)."),
            fileOffset, rwFlags,
        ], captures: .count),
        StepSpec("fgetxattr", .operation(.fgetxattr), "Reads an extended attribute of an open file into `buf`; res is its size.", [
            fd, xattrName, required("buf", .buffer, "Where the value goes."),
            derived("len", u32, "the buffer's size", "Room for the value; 0 asks only for its size."),
        ]),
        StepSpec("getxattr", .operation(.getxattr), "Reads an extended attribute of a path into `buf`; res is its size.", [
            required("path", .path, "The path, inside the sandbox."), xattrName, required("buf", .buffer, "Where the value goes."),
            derived("len", u32, "the buffer's size", "Room for the value; 0 asks only for its size."),
        ]),
        StepSpec("fsetxattr", .operation(.fsetxattr), "Sets an extended attribute of an open file.", [
            fd, xattrName, buf, data, derived("len", u32, "the buffer's or data's size", "Bytes of the value."),
            constants("flags", .xattrFlags, "XATTR_CREATE, XATTR_REPLACE."),
        ], rules: [.exactlyOne(["buf", "data"])]),
        StepSpec("setxattr", .operation(.setxattr), "Sets an extended attribute of a path.", [
            required("path", .path, "The path, inside the sandbox."), xattrName, buf, data,
            derived("len", u32, "the buffer's or data's size", "Bytes of the value."),
            constants("flags", .xattrFlags, "XATTR_CREATE, XATTR_REPLACE."),
        ], rules: [.exactlyOne(["buf", "data"])]),
        StepSpec("madvise", .operation(.madvise), "madvise(2) over a buffer resource (page-aligned).", [
            required("buf", .buffer, "The memory: a buffer resource (page-aligned) or `{ buffer, offset }` at a page boundary."),
            derived("len", u64, "the buffer's size", "Bytes to advise."),
            required("advice", .constants(.madviseAdvice), "MADV_* advice."),
        ]),
        StepSpec("recv_zc", .operation(.recvZC), "Zero-copy receive through a zcrx interface queue (IORING_REGISTER_ZCRX_IFQ on a NIC queue with header split); always multishot.", [
            fd, defaulted("ifq", u32, .unsigned(0), "0", "The zero-copy receive interface queue (`zcrx_ifq_idx`)."),
            defaulted("len", u32, .unsigned(0), "0", "Bytes to receive in all; 0: no limit."),
        ], multishot: .always),
        StepSpec("raw", .operation(.nop), "An SQE with every field given by name or number, for bug reproduction.", [
            required("opcode", .opcode, "Op name, kernel name or number (any byte)."),
            defaulted("sqe_flags", .constants(.submissionFlags), .named(NamedValue(value: 0)), "0",
                      "IOSQE_* bits, added to the step's own flags."),
            defaulted("ioprio", u16, .unsigned(0), "0", "`ioprio`."),
            defaulted("fd", .file, .file(.descriptor(-1)), "-1", "`fd` (a slot adds IOSQE_FIXED_FILE)."),
            defaulted("offset", u64, .unsigned(0), "0", "The SQE's `off` / `addr2`."),
            defaulted("addr", .rawAddress, .addressField(nil, 0), "0", "`addr`: a buffer resource's address or a number."),
            defaulted("len", u32, .unsigned(0), "0", "`len`."),
            defaulted("op_flags", u32, .unsigned(0), "0", "The per-op flag word (`rw_flags`, `open_flags`…)."),
            defaulted("buf_index", u16, .unsigned(0), "0", "`buf_index` / `buf_group`."),
            defaulted("personality", u16, .unsigned(0), "0", "`personality`."),
            defaulted("splice_fd_in", .signed(bits: 32), .signed(0), "0", "`splice_fd_in` / `file_index`."),
            defaulted("addr3", u64, .unsigned(0), "0", "`addr3`."),
            defaulted("pad2", u64, .unsigned(0), "0", "`__pad2[0]`."),
        ], captures: .value),
    ]

    // MARK: - Registrations

    static let registrations: [StepSpec] = [
        StepSpec("register_files", .registration("IORING_REGISTER_FILES"), "Registers the file table: these files, or `sparse` empty slots (IORING_REGISTER_FILES2).", [
            optional("files", .files, "Files for slots 0, 1, … (-1 leaves a slot empty)."),
            optional("sparse", u32, "An empty table of this many slots (IORING_RSRC_REGISTER_SPARSE)."),
        ], rules: [.exactlyOne(["files", "sparse"])]),
        StepSpec("register_files_update", .registration("IORING_REGISTER_FILES_UPDATE"), "Replaces registered files from slot `offset` on.", [
            defaulted("offset", u32, .unsigned(0), "0", "First slot."),
            required("files", .files, "The new files (-1 clears a slot)."),
        ]),
        StepSpec("register_file_alloc_range", .registration("IORING_REGISTER_FILE_ALLOC_RANGE"), "Limits the slots `auto` may pick.", [
            required("offset", u32, "First slot of the range."), required("count", u32, "Slots in the range."),
        ]),
        StepSpec("unregister_files", .registration("IORING_UNREGISTER_FILES"), "Removes the file table."),
        StepSpec("register_buffers", .registration("IORING_REGISTER_BUFFERS"), "Registers buffers for the `*_fixed` ops; index i is the i-th buffer.", [
            required("buffers", .buffers, "Buffer resources, in index order."),
        ]),
        StepSpec("unregister_buffers", .registration("IORING_UNREGISTER_BUFFERS"), "Removes the registered buffers."),
        StepSpec("register_eventfd", .registration("IORING_REGISTER_EVENTFD"), "Signals an eventfd on every CQE.", [
            required("eventfd", .file, "The eventfd resource."),
        ]),
        StepSpec("register_eventfd_async", .registration("IORING_REGISTER_EVENTFD_ASYNC"), "Signals an eventfd only for CQEs completed asynchronously.", [
            required("eventfd", .file, "The eventfd resource."),
        ]),
        StepSpec("unregister_eventfd", .registration("IORING_UNREGISTER_EVENTFD"), "Stops signalling the eventfd."),
        StepSpec("register_napi", .registration("IORING_REGISTER_NAPI"), "Enables NAPI busy polling.", [
            defaulted("busy_poll_timeout", .duration, .duration(nanoseconds: 100_000), "100us", "How long to busy-poll."),
            no("prefer_busy_poll", "Prefer busy polling over interrupts."),
        ]),
        StepSpec("unregister_napi", .registration("IORING_UNREGISTER_NAPI"), "Disables NAPI busy polling."),
        StepSpec("register_buffer_ring", .registration("IORING_REGISTER_PBUF_RING"), "Registers a ring-mapped provided-buffer group and fills it.", [
            required("group", u16, "The group id."),
            required("entries", u32, "Ring entries (a power of two, at most 32768); each gets a buffer."),
            required("size", u32, "Bytes per buffer."),
            no("incremental", "IOU_PBUF_RING_INC: buffers are consumed a piece at a time."),
        ]),
        StepSpec("unregister_buffer_ring", .registration("IORING_UNREGISTER_PBUF_RING"), "Removes a ring-mapped provided-buffer group.", [
            required("group", .bufferGroup, "The group."),
        ]),
        StepSpec("probe", .registration("IORING_REGISTER_PROBE"), "Probes the kernel's ops; the listed ones must be (un)supported.", [
            defaulted("supported", .opcodes, .opcodes([]), "[]", "Ops that must be supported."),
            defaulted("unsupported", .opcodes, .opcodes([]), "[]", "Ops that must not be."),
        ]),
        StepSpec("enable_rings", .registration("IORING_REGISTER_ENABLE_RINGS"), "Enables a ring set up with `r_disabled`: it takes submissions from here on."),
    ]

    // MARK: - Control steps

    static let controls: [StepSpec] = [
        StepSpec("submit", .control, "Submits the queued SQEs; with `wait`, waits for that many CQEs. `expect:` on the step checks what its io_uring_enter(2) returned: how many SQEs the kernel took.", [
            optional("wait", u32, "CQEs to wait for (io_uring_enter's min_complete)."),
        ], shorthand: "wait"),
        StepSpec("wait", .control, "Submits, then waits until each listed request has posted its (final) CQE.", [
            required("ids", .requests, "The requests to wait for."),
            optional("timeout", .duration, "Give up after this long (the scenario's deadline otherwise)."),
            optional("expect", .text, "`timeout`: the wait must expire with a listed request still pending; `done` (the default): it must not expire."),
        ], shorthand: "ids"),
        StepSpec("sleep", .control, "Submits, then sleeps.", [
            required("duration", .duration, "How long."),
        ], shorthand: "duration"),
        StepSpec("peer_write", .control, "Writes to a pipe end or socket from outside the ring.", [
            fd, required("data", .data, "The bytes."),
        ]),
        StepSpec("peer_read", .control, "Reads and discards bytes from a pipe end or socket, from outside the ring.", [
            fd, required("len", u64, "At most this many bytes."),
        ]),
        StepSpec("peer_close", .control, "Closes a descriptor from outside the ring (EOF / EPIPE for the other end).", [fd], shorthand: "fd"),
        StepSpec("peer_shutdown", .control, "shutdown(2) from outside the ring.", [
            fd, required("how", .constants(.shutdownHow), "SHUT_RD, SHUT_WR or SHUT_RDWR."),
        ]),
        StepSpec("peer_connect", .control, "Connects new client sockets to a listener from outside the ring.", [
            required("to", .listener, "The tcp_listener resource."),
            defaulted("count", u32, .unsigned(1), "1", "How many clients (`capture` needs 1)."),
        ], captures: .peerSocket),
        StepSpec("peer_send", .control, "Sends a datagram to a UDP socket from a fresh socket.", [
            required("to", .address, "The udp_socket resource or an address."), required("data", .data, "The bytes."),
        ]),
        StepSpec("peer_signal", .control, "Adds to an eventfd's counter from outside the ring.", [
            required("eventfd", .file, "The eventfd resource."),
            defaulted("value", u64, .unsigned(1), "1", "The amount."),
        ], shorthand: "eventfd"),
        StepSpec("replenish_buffers", .control, "Gives used buffers back to a buffer ring (whole, at its tail), as an application does once it has read their data.", [
            required("group", .bufferGroup, "The buffer_ring resource, or the group of a register_buffer_ring step."),
            required("first", u16, "The first buffer id to give back."),
            defaulted("count", u16, .unsigned(1), "1", "How many ids from `first` on."),
            optional("ids", .bufferIDs, "New ids the buffers go back under, one for each (they keep them from then on)."),
        ]),
        StepSpec("reap", .control, "Reaps CQEs (needs `ring: { reap: manual }`): every one ready, overflowed ones brought in, or with `count` exactly that many, waiting for them.", [
            optional("count", u32, "Reap exactly this many, waiting until they have arrived."),
            optional("timeout", .duration, "Wait at most this long for `count` (the deadline otherwise); fewer is a failure."),
        ], shorthand: "count"),
        StepSpec("enter", .control, "Calls io_uring_enter(2) as written. `expect:` checks what it returned (SQEs taken, or -errno such as -ETIME).", [
            optional("to_submit", u32, "SQEs to submit (default: every SQE queued and not yet taken)."),
            defaulted("min_complete", u32, .unsigned(0), "0", "CQEs to wait for (with `getevents`)."),
            defaulted("flags", .constants(.enterFlags), .named(NamedValue(value: 0)), "[]", "IORING_ENTER_* flags, short (getevents) or full."),
            optional("timeout", .duration, "Bound the wait (IORING_ENTER_EXT_ARG with struct io_uring_getevents_arg)."),
        ]),
        StepSpec("ring_state", .control, "Checks the ring's shared state here, without submitting or reaping; each key is an expectation.", [
            optional("sq_ready", u32, "SQEs queued that the kernel has not taken."),
            optional("cq_ready", u32, "CQEs in the CQ not yet reaped (overflowed ones not counted)."),
            optional("sq_flags", .constants(.sqRingFlags), "Exactly these IORING_SQ_* bits are set (`[]`: none)."),
            optional("cq_overflow", u32, "The CQ ring's overflow counter."),
            optional("sq_dropped", u32, "The SQ ring's dropped counter."),
            optional("sq_entries", u32, "The SQ size the kernel chose."),
            optional("cq_entries", u32, "The CQ size the kernel chose."),
            optional("features", .constants(.features), "IORING_FEAT_* bits the kernel has."),
            optional("features_lacking", .constants(.features), "IORING_FEAT_* bits the kernel lacks."),
        ], rules: [.atLeastOne(["sq_ready", "cq_ready", "sq_flags", "cq_overflow", "sq_dropped", "sq_entries", "cq_entries", "features", "features_lacking"])]),
    ] + positionAndCounterSteps
}
