/// Every resource kind with its keys: what the loader accepts, the JSON Schema offers and Grammar.md lists.
public enum ResourceTable {
    public struct Kind: Hashable, Sendable {
        public let name: String
        public let summary: String
        public let keys: [ArgumentSpec]
        /// The ends a reference picks with `.end`.
        public let endpoints: [Endpoint]
        /// Whether the body may be a list instead of a mapping (`iovecs: [a, b]`).
        public let acceptsList: Bool
    }

    private static func key(_ name: String, _ type: ArgumentType, _ shown: String?, _ doc: String) -> ArgumentSpec {
        ArgumentSpec(name, type, shown.map { .derived(shown: $0) } ?? .optional, doc)
    }

    private static func required(_ name: String, _ type: ArgumentType, _ doc: String) -> ArgumentSpec {
        ArgumentSpec(name, type, .required, doc)
    }

    // The widths the loader reads each key with (ResourceLoading), so the schema and Grammar.md say the same.
    private static let u12 = ArgumentType.unsigned(bits: 12, capturable: false)
    private static let u16 = ArgumentType.unsigned(bits: 16, capturable: false)
    private static let u31 = ArgumentType.unsigned(bits: 31, capturable: false)
    private static let u32 = ArgumentType.unsigned(bits: 32, capturable: false)
    private static let u64 = ArgumentType.unsigned(bits: 64, capturable: false)

    private static let network: [ArgumentSpec] = [
        key("ipv6", .bool, "false", "Use ::1 instead of 127.0.0.1."),
        key("port", u16, "0", "The port; 0 lets the kernel pick."),
        key("nonblocking", .bool, "false", "O_NONBLOCK on the socket(s)."),
    ]

    public static let kinds: [Kind] = [
        Kind(name: "file", summary: "A regular file the scenario creates (an existing path is refused, never truncated), opened O_RDWR so steps can use it as `fd`.", keys: [
            key("path", .path, "the resource name", "Where, relative to the sandbox."),
            key("content", .text, "empty", "Initial contents as text."),
            key("hex", .text, nil, "Initial contents as hex bytes (\"68 69\")."),
            key("pattern", .text, nil, "Text repeated to fill `size` bytes."),
            key("size", u64, "the content's size", "Size after writing the content: extends with zeros or truncates."),
            key("sparse", .bool, "false", "Extend to `size` with a hole (ftruncate) instead of zeros."),
            key("mode", u12, "0o644", "Permission bits."),
            key("open", .bool, "true", "Whether the runner opens it (false: a path only, for openat)."),
            key("flags", .constants(.openFlags), "O_RDWR", "Flags the runner opens it with."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "existing", summary: "A path that exists already (`/dev/null`, `/dev/zero`, a FIFO), opened as `access` says and never changed: no O_CREAT, O_TRUNC or chmod.", keys: [
            required("path", .path, "The existing path (outside the sandbox only with `allow_outside_sandbox`)."),
            key("access", .text, "read", "`read` (O_RDONLY), `write` (O_WRONLY) or `read_write` (O_RDWR; a FIFO so opened does not wait for its other end)."),
            key("nonblocking", .bool, "false", "O_NONBLOCK: a FIFO opened for reading alone does not wait for a writer."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "directory", summary: "A directory in the sandbox, opened O_DIRECTORY for use as `dir`.", keys: [
            key("path", .path, "the resource name", "Where, relative to the sandbox."),
            key("open", .bool, "true", "Whether the runner opens it."),
            key("mode", u12, "0o755", "Permission bits."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "symlink", summary: "A symbolic link in the sandbox.", keys: [
            key("path", .path, "the resource name", "Where, relative to the sandbox."),
            required("target", .path, "What it points at (must stay inside the sandbox)."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "pipe", summary: "A pipe; name its ends `p.read` and `p.write`.", keys: [
            key("capacity", u31, "the kernel's default", "F_SETPIPE_SZ."),
            key("nonblocking", .bool, "false", "O_NONBLOCK on both ends."),
        ], endpoints: [.read, .write], acceptsList: false),
        Kind(name: "fifo", summary: "A FIFO made in the sandbox (mkfifo); name its ends `f.read` (O_RDONLY) and `f.write` (O_WRONLY). Both are opened without waiting for the other end.", keys: [
            key("path", .path, "the resource name", "Where, relative to the sandbox."),
            key("mode", u12, "0o600", "Permission bits."),
            key("nonblocking", .bool, "false", "Keep O_NONBLOCK on both ends (they are opened with it, then it is cleared)."),
        ], endpoints: [.read, .write], acceptsList: false),
        Kind(name: "socketpair", summary: "An AF_UNIX socket pair; name its sockets `s.a` and `s.b`.", keys: [
            key("type", .constants(.socketTypes), "SOCK_STREAM", "SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET."),
            key("nonblocking", .bool, "false", "O_NONBLOCK on both sockets."),
        ], endpoints: [.a, .b], acceptsList: false),
        Kind(name: "tcp_listener", summary: "A TCP socket listening on loopback; `address: l` is its address.",
             keys: network + [key("backlog", u31, "128", "listen(2) backlog.")], endpoints: [], acceptsList: false),
        Kind(name: "udp_socket", summary: "A UDP socket bound on loopback; `address: u` is its address.", keys: network, endpoints: [], acceptsList: false),
        Kind(name: "tcp_pair", summary: "A connected TCP pair over loopback: `c.client` and `c.server`.", keys: network, endpoints: [.client, .server], acceptsList: false),
        Kind(name: "udp_pair", summary: "Two connected UDP sockets over loopback: `u.client` and `u.server`.", keys: network, endpoints: [.client, .server], acceptsList: false),
        Kind(name: "unbound_socket", summary: "A socket(2) of any domain, type and protocol, neither bound nor connected, for the ring's bind, listen and connect ops.", keys: [
            required("domain", .constants(.addressFamilies), "AF_INET, AF_INET6 or AF_UNIX (others need `allow_network`)."),
            required("type", .constants(.socketTypes), "SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET…"),
            key("protocol", .constants(.protocols), "0", "The protocol; 0 lets the kernel pick."),
            key("nonblocking", .bool, "false", "SOCK_NONBLOCK."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "eventfd", summary: "An eventfd.", keys: [
            key("initial", u32, "0", "The initial counter."),
            key("flags", .constants(.eventfdFlags), "0", "EFD_* flags."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "epoll", summary: "An epoll instance (epoll_create1), for epoll_ctl and epoll_wait.", keys: [], endpoints: [], acceptsList: false),
        Kind(name: "buffer", summary: "Memory for reads and writes: `size` bytes, starting with `content`, the rest `fill`.", keys: [
            key("size", u32, "the content's size", "Bytes."),
            key("content", .text, "empty", "Initial bytes as text."),
            key("hex", .text, nil, "Initial bytes as hex."),
            key("fill", .unsigned(bits: 8, capturable: false), "0", "The byte value of the rest."),
            key("align", u32, "the allocator's", "Alignment (a power of two), e.g. 4096 for O_DIRECT."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "iovecs", summary: "An iovec array over buffer resources: `[a, { buffer: b, offset: 4, len: 8 }]`.", keys: [
            required("buffers", .buffers, "The buffers (or slices) in order."),
        ], endpoints: [], acceptsList: true),
        Kind(name: "file_table", summary: "The registered file table, set up before the first step.", keys: [
            key("files", .files, nil, "Files for slots 0, 1, … (-1 leaves a slot empty)."),
            key("sparse", u31, nil, "Instead: this many empty slots."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "registered_buffers", summary: "Buffers registered before the first step, for the `*_fixed` ops.", keys: [
            required("buffers", .buffers, "Buffer resources, in index order."),
        ], endpoints: [], acceptsList: true),
        Kind(name: "provided_buffers", summary: "A legacy provided-buffer group, provided before the first step.", keys: [
            required("group", u16, "The group id."),
            required("count", u16, "How many buffers."),
            required("size", u31, "Bytes per buffer."),
            key("start_id", u16, "0", "Id of the first buffer."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "buffer_ring", summary: "A ring-mapped provided-buffer group (IORING_REGISTER_PBUF_RING), filled before the first step.", keys: [
            required("group", u16, "The group id."),
            required("entries", u16, "Buffers (a power of two, at most 32768)."),
            required("size", u31, "Bytes per buffer."),
            key("incremental", .bool, "false", "IOU_PBUF_RING_INC: buffers are consumed a piece at a time."),
            key("start_id", u16, "0", "Id of the first buffer; the others follow (the id CQEs carry)."),
            key("ids", .bufferIDs, nil, "Instead: the ids of the buffers, in order (as many buffers as ids, at most `entries`)."),
        ], endpoints: [], acceptsList: false),
        Kind(name: "child_process", summary: "A child process that exits after `delay` with `exit_code`, for waitid.", keys: [
            key("exit_code", .unsigned(bits: 8, capturable: false), "0", "Its exit status."),
            key("delay", .duration, "0", "How long it lives."),
        ], endpoints: [], acceptsList: false),
    ]

    public static func kind(named name: String) -> Kind? { kinds.first { $0.name == name } }

    /// The keys the loader accepts for `kind`.
    static func keys(of kind: String) -> [String] { self.kind(named: kind)?.keys.map(\.name) ?? [] }
}
