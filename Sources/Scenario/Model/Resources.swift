/// Something the runner creates inside the scenario's sandbox before the first step.
public struct Resource: Hashable, Sendable {
    public var name: String
    public var kind: ResourceKind
    public var mark: SourceMark

    public init(name: String, kind: ResourceKind, mark: SourceMark) {
        self.name = name
        self.kind = kind
        self.mark = mark
    }
}

public enum ResourceKind: Hashable, Sendable {
    case file(FileResource)
    case directory(DirectoryResource)
    case symlink(SymlinkResource)
    case pipe(PipeResource)
    case socketPair(SocketPairResource)
    case tcpListener(ListenerResource)
    case udpSocket(ListenerResource)
    case tcpPair(ListenerResource)
    case udpPair(ListenerResource)
    case eventfd(EventfdResource)
    case epoll
    case buffer(BufferResource)
    case iovecs([IovecSpec])
    case fileTable(FileTableResource)
    case registeredBuffers([String])
    case providedBuffers(ProvidedBuffersResource)
    case bufferRing(BufferRingSpec)
    case childProcess(ChildProcessResource)
    /// A path or device that exists already (`/dev/null`, a FIFO), opened as asked and never changed.
    case existing(ExistingResource)
    /// A socket of any domain, type and protocol, neither bound nor connected (`unbound_socket`).
    case unboundSocket(UnboundSocketResource)
    /// A FIFO the runner makes in the sandbox (mkfifo), with a read end and a write end.
    case fifo(FifoResource)

    /// The word a scenario uses for this kind (`file`, `tcp_listener`…).
    public var keyword: String {
        switch self {
        case .file: return "file"
        case .directory: return "directory"
        case .symlink: return "symlink"
        case .pipe: return "pipe"
        case .socketPair: return "socketpair"
        case .tcpListener: return "tcp_listener"
        case .udpSocket: return "udp_socket"
        case .tcpPair: return "tcp_pair"
        case .udpPair: return "udp_pair"
        case .eventfd: return "eventfd"
        case .epoll: return "epoll"
        case .buffer: return "buffer"
        case .iovecs: return "iovecs"
        case .fileTable: return "file_table"
        case .registeredBuffers: return "registered_buffers"
        case .providedBuffers: return "provided_buffers"
        case .bufferRing: return "buffer_ring"
        case .childProcess: return "child_process"
        case .existing: return "existing"
        case .unboundSocket: return "unbound_socket"
        case .fifo: return "fifo"
        }
    }

    /// The ends a reference must pick one of (`p.read` / `p.write`), or none when the resource is one descriptor.
    public var endpoints: [Endpoint] {
        switch self {
        case .pipe, .fifo: return [.read, .write]
        case .socketPair: return [.a, .b]
        case .tcpPair, .udpPair: return [.client, .server]
        default: return []
        }
    }

    /// Whether the resource is (or has ends that are) descriptors a step can use as `fd`.
    public var isDescriptor: Bool {
        switch self {
        case .file(let file): return file.opens
        case .directory(let directory): return directory.opens
        case .pipe, .socketPair, .tcpListener, .udpSocket, .tcpPair, .udpPair, .eventfd, .epoll, .existing: return true
        case .unboundSocket, .fifo: return true
        default: return false
        }
    }

    /// The path inside the sandbox (or, with `allow_outside_sandbox`, outside it), for files, directories,
    /// symlinks and existing paths.
    public var path: String? {
        switch self {
        case .file(let file): return file.path
        case .directory(let directory): return directory.path
        case .symlink(let symlink): return symlink.path
        case .existing(let existing): return existing.path
        case .fifo(let fifo): return fifo.path
        default: return nil
        }
    }
}

/// A regular file the scenario creates (it must not exist: the runner never truncates or chmods what it
/// did not create), opened (O_RDWR unless told otherwise) so steps can use it as `fd`.
public struct FileResource: Hashable, Sendable {
    /// Relative to the sandbox directory; the resource name unless given.
    public var path: String
    /// The initial contents (already expanded from text, hex or pattern).
    public var content: [UInt8]
    /// Size after writing the content: extended (with zeros, or a hole when `sparse`) or truncated.
    public var size: UInt64?
    /// Extend with ftruncate (a hole) instead of writing zeros.
    public var sparse: Bool
    public var mode: UInt32
    /// Whether the runner opens it, and with which flags.
    public var opens: Bool
    public var openFlags: NamedValue
}

public struct DirectoryResource: Hashable, Sendable {
    public var path: String
    /// Whether the runner opens it (O_DIRECTORY) so steps can use it as a `dir` argument.
    public var opens: Bool
    public var mode: UInt32
}

public struct SymlinkResource: Hashable, Sendable {
    public var path: String
    /// What the link points at, relative to its directory.
    public var target: String
}

public struct PipeResource: Hashable, Sendable {
    /// F_SETPIPE_SZ, if given.
    public var capacity: UInt32?
    public var nonblocking: Bool
}

public struct SocketPairResource: Hashable, Sendable {
    /// SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET (AF_UNIX).
    public var type: NamedValue
    public var nonblocking: Bool
}

/// A loopback TCP listener or UDP socket, or a connected TCP/UDP pair over loopback.
public struct ListenerResource: Hashable, Sendable {
    public var ipv6: Bool
    /// 0: the kernel picks a port.
    public var port: UInt16
    public var backlog: UInt32
    public var nonblocking: Bool
}

public struct EventfdResource: Hashable, Sendable {
    public var initialValue: UInt32
    public var flags: NamedValue
}

/// Plain memory: `size` bytes, starting with `content`, the rest `fill`.
public struct BufferResource: Hashable, Sendable {
    public var size: UInt64
    public var content: [UInt8]
    public var fill: UInt8
    public var alignment: UInt64
}

/// One entry of an `iovecs` resource: `length` bytes of a buffer resource from `offset`.
public struct IovecSpec: Hashable, Sendable {
    public var buffer: String
    public var offset: UInt64
    public var length: UInt64
}

/// The file table registered at setup: these files, or `sparse` empty slots.
public struct FileTableResource: Hashable, Sendable {
    public var files: [FileOperand]
    public var sparse: UInt32?

    /// How many slots the table has.
    public var slotCount: UInt32 { sparse ?? UInt32(files.count) }
}

/// A legacy provided-buffer group (IORING_OP_PROVIDE_BUFFERS at setup): `count` buffers of `size` bytes.
public struct ProvidedBuffersResource: Hashable, Sendable {
    public var group: UInt16
    public var count: UInt32
    public var size: UInt32
    public var startID: UInt16
}

/// A path that exists already — a device (`/dev/null`, `/dev/zero`), a FIFO, a file — opened with
/// `access` and nothing else: no O_CREAT, no O_TRUNC, no chmod. Relative paths are in the sandbox.
public struct ExistingResource: Hashable, Sendable {
    public enum Access: String, Hashable, Sendable, CaseIterable {
        case read
        case write
        case readWrite = "read_write"

        /// O_RDONLY, O_WRONLY or O_RDWR.
        public var openFlag: Int32 {
            switch self {
            case .read: return 0
            case .write: return 1
            case .readWrite: return 2
            }
        }
    }

    public var path: String
    public var access: Access
    /// O_NONBLOCK at open (and on the descriptor): a FIFO opened for reading alone then does not wait
    /// for a writer.
    public var nonblocking: Bool

    public init(path: String, access: Access, nonblocking: Bool) {
        self.path = path
        self.access = access
        self.nonblocking = nonblocking
    }
}

/// A child process that exits with `exitCode` after `delay`, for `waitid`.
public struct ChildProcessResource: Hashable, Sendable {
    public var exitCode: Int32
    public var delayNanoseconds: Int64
}
