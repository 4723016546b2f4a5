/// A socket(2) of any domain, type and protocol that the runner neither binds nor connects, for the
/// ring's bind, listen and connect ops. The sandbox's domain rule applies (AF_UNIX, AF_INET and AF_INET6
/// unless `allow_network`), and so do the loopback rules on every address a step binds or connects it to.
public struct UnboundSocketResource: Hashable, Sendable {
    /// AF_INET, AF_INET6, AF_UNIX…
    public var domain: NamedValue
    /// SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET…
    public var type: NamedValue
    /// 0 lets the kernel pick the protocol of the domain and type.
    public var proto: NamedValue
    /// SOCK_NONBLOCK at creation.
    public var nonblocking: Bool

    public init(domain: NamedValue, type: NamedValue, proto: NamedValue, nonblocking: Bool) {
        self.domain = domain
        self.type = type
        self.proto = proto
        self.nonblocking = nonblocking
    }
}

/// A FIFO (named pipe) the runner makes with mkfifo(3) in the sandbox, and its two ends: `f.read`
/// (O_RDONLY) and `f.write` (O_WRONLY). The read end is opened first with O_NONBLOCK (it does not wait for
/// a writer), then the write end (a reader exists, so it does not wait either); both then lose
/// O_NONBLOCK unless `nonblocking`.
public struct FifoResource: Hashable, Sendable {
    /// Relative to the sandbox directory; the resource name unless given.
    public var path: String
    public var mode: UInt32
    /// Keep O_NONBLOCK on both ends.
    public var nonblocking: Bool

    public init(path: String, mode: UInt32, nonblocking: Bool) {
        self.path = path
        self.mode = mode
        self.nonblocking = nonblocking
    }
}

extension ControlAction {
    /// Whether the step checks a value where it stands (`check_eventfd`, `check_position`).
    public var isCheck: Bool {
        switch self {
        case .checkEventfd, .checkPosition: return true
        default: return false
        }
    }
}
