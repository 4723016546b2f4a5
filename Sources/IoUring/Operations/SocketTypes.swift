#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CIoUring

// Value types and kernel-memory classes for the socket operations in NetworkOps.swift: addresses,
// message flags, message headers, control messages, and the result memory of accept / getsockname.

// MARK: - Addresses

/// An IPv4 address.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The address as a number, first octet most significant: 127.0.0.1 is 0x7F00_0001.
    public var value: UInt32

    public init(value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`127.0.0.1`) strictly: exactly four decimal octets of at most 255, none
    /// with a leading zero. The forms inet_aton(3) also reads (`010.1.1.1` as octal, `0x7f.1`, `127.1`,
    /// `2130706433`) are refused rather than guessed at.
    public init?(_ text: String) {
        var octets: [UInt32] = []
        for part in text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }
            let number = part.reduce(UInt32(0)) { $0 * 10 + UInt32($1 - UInt8(ascii: "0")) }
            guard number <= 255 else { return nil }
            octets.append(number)
        }
        guard octets.count == 4 else { return nil }
        value = octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3]
    }

    /// In 127.0.0.0/8, the loopback network (RFC 1122).
    public var isLoopback: Bool { value >> 24 == 127 }

    /// 0.0.0.0 (INADDR_ANY).
    public static let any = IPv4Address(value: 0)
    /// 127.0.0.1 (INADDR_LOOPBACK).
    public static let loopback = IPv4Address(127, 0, 0, 1)

    /// The four octets, first one first.
    public var octets: [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    public var description: String { octets.map { String($0) }.joined(separator: ".") }
}

/// An IPv6 address.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The sixteen bytes in network order.
    public let bytes: [UInt8]

    /// An address from its sixteen bytes in network order.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes, not \(bytes.count)")
        self.bytes = bytes
    }

    /// Parses RFC 4291 text (`::1`, `fe80::1`, `::ffff:127.0.0.1`) with inet_pton(3), which takes no
    /// zone (`%eth0`); an embedded IPv4 address must be strict dotted-quad text (see `IPv4Address`).
    public init?(_ text: String) {
        if let colon = text.lastIndex(of: ":"), text[colon...].contains("."),
           IPv4Address(String(text[text.index(after: colon)...])) == nil {
            return nil
        }
        var raw = [UInt8](repeating: 0, count: 16)
        let status = raw.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
        guard status == 1 else { return nil }
        bytes = raw
    }

    /// The IPv4 address of an IPv4-mapped address (`::ffff:a.b.c.d`, RFC 4291 2.5.5.2), else nil.
    public var mappedIPv4: IPv4Address? {
        guard bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return nil }
        return IPv4Address(bytes[12], bytes[13], bytes[14], bytes[15])
    }

    /// ::1, or an IPv4-mapped loopback address (`::ffff:127.0.0.1`).
    public var isLoopback: Bool { self == .loopback || mappedIPv4?.isLoopback == true }

    /// :: (in6addr_any).
    public static let any = IPv6Address(bytes: [UInt8](repeating: 0, count: 16))
    /// ::1 (in6addr_loopback).
    public static let loopback = IPv6Address(bytes: [UInt8](repeating: 0, count: 15) + [1])

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { source in
            text.withUnsafeMutableBufferPointer { inet_ntop(AF_INET6, source.baseAddress, $0.baseAddress, socklen_t($0.count)) }
        }
        guard written != nil else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A socket address as `connect`, `bind`, `sendmsg` take it and `accept`, `recvmsg`, `getsockname`
/// report it. Queueing an operation copies its `sockaddr` into memory the ring owns.
public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// AF_INET: `sockaddr_in`.
    case ipv4(IPv4Address, port: UInt16)
    /// AF_INET6: `sockaddr_in6`.
    case ipv6(IPv6Address, port: UInt16, flowInfo: UInt32 = 0, scopeID: UInt32 = 0)
    /// AF_UNIX: `sockaddr_un`. A path starting with a NUL byte names the abstract namespace; the empty
    /// path is an unnamed socket (as `socketpair` makes).
    case unix(path: String)
    /// Another family, kept as the kernel wrote it (family first, then the rest of the bytes).
    case other(family: UInt16, bytes: [UInt8])

    /// 127.0.0.1 on `port` (0 asks the kernel for an ephemeral port).
    public static func loopbackIPv4(port: UInt16 = 0) -> SocketAddress { .ipv4(.loopback, port: port) }
    /// ::1 on `port` (0 asks the kernel for an ephemeral port).
    public static func loopbackIPv6(port: UInt16 = 0) -> SocketAddress { .ipv6(.loopback, port: port) }

    /// Parses `127.0.0.1:80`, `[::1]:80`, or `unix:/path` (`unix:@name` for the abstract namespace).
    public init?(parsing text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            self = .unix(path: path.hasPrefix("@") ? "\0" + path.dropFirst() : path)
            return
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  let address = IPv6Address(String(text[text.index(after: text.startIndex)..<close])) else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            self = .ipv6(address, port: port)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let address = IPv4Address(String(text[..<colon])),
              let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        self = .ipv4(address, port: port)
    }

    /// Whether the address stays on this machine's loopback: 127.0.0.0/8, ::1 (or IPv4-mapped
    /// loopback), or an unnamed AF_UNIX address (a socket pair's end). A unix path or abstract name
    /// reaches whatever service listens there, so it is not; neither is any other family.
    public var isLoopback: Bool {
        switch self {
        case .ipv4(let address, _): return address.isLoopback
        case .ipv6(let address, _, _, _): return address.isLoopback
        case .unix(let path): return path.isEmpty
        case .other: return false
        }
    }

    /// The address family: AF_INET, AF_INET6, AF_UNIX, or the family of `.other`.
    public var family: Int32 {
        switch self {
        case .ipv4: return AF_INET
        case .ipv6: return AF_INET6
        case .unix: return AF_UNIX
        case .other(let family, _): return Int32(family)
        }
    }

    /// The port of an IP address.
    public var port: UInt16? {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port, _, _): return port
        case .unix, .other: return nil
        }
    }

    public var description: String {
        switch self {
        case .ipv4(let address, let port): return "\(address):\(port)"
        case .ipv6(let address, let port, _, let scope):
            return scope == 0 ? "[\(address)]:\(port)" : "[\(address)%\(scope)]:\(port)"
        case .unix(let path):
            if path.isEmpty { return "unix:(unnamed)" }
            return path.hasPrefix("\0") ? "unix:@" + path.dropFirst() : "unix:" + path
        case .other(let family, let bytes): return "family \(family): \(bytes)"
        }
    }

    // MARK: Encoding (engine only)

    static let storageSize = MemoryLayout<sockaddr_storage>.size
    private static let unixPathOffset = MemoryLayout<sa_family_t>.size
    private static let unixPathCapacity = MemoryLayout<sockaddr_un>.size - MemoryLayout<sa_family_t>.size

    /// The `socklen_t` of the encoded `sockaddr`.
    var encodedLength: Int {
        switch self {
        case .ipv4: return MemoryLayout<sockaddr_in>.size
        case .ipv6: return MemoryLayout<sockaddr_in6>.size
        case .unix(let path):
            let count = path.utf8.count
            if count == 0 { return SocketAddress.unixPathOffset }
            // Abstract names are exactly their bytes; paths get their terminating NUL.
            return SocketAddress.unixPathOffset + count + (path.hasPrefix("\0") ? 0 : 1)
        case .other(_, let bytes): return MemoryLayout<sa_family_t>.size + bytes.count
        }
    }

    /// Checks what the kernel would refuse for reasons the caller can fix.
    public func validate() throws(IoUringError) {
        if case .unix(let path) = self {
            let count = path.utf8.count + (path.hasPrefix("\0") ? 0 : 1)
            guard count <= SocketAddress.unixPathCapacity else {
                throw .invalidArgument("a unix socket path has at most \(SocketAddress.unixPathCapacity - 1) bytes, not \(path.utf8.count)")
            }
        }
        if case .other(_, let bytes) = self, bytes.count + 2 > SocketAddress.storageSize {
            throw .invalidArgument("a sockaddr has at most \(SocketAddress.storageSize) bytes")
        }
    }

    /// Writes the `sockaddr` (`encodedLength` bytes, zero-filled memory assumed) to `target`.
    func encode(into target: UnsafeMutableRawPointer) {
        switch self {
        case .ipv4(let address, let port):
            var raw = sockaddr_in()
            raw.sin_family = sa_family_t(AF_INET)
            raw.sin_port = port.bigEndian
            raw.sin_addr = in_addr(s_addr: address.value.bigEndian)
            target.storeBytes(of: raw, as: sockaddr_in.self)
        case .ipv6(let address, let port, let flowInfo, let scopeID):
            var raw = sockaddr_in6()
            raw.sin6_family = sa_family_t(AF_INET6)
            raw.sin6_port = port.bigEndian
            raw.sin6_flowinfo = flowInfo.bigEndian
            raw.sin6_scope_id = scopeID
            withUnsafeMutableBytes(of: &raw.sin6_addr) { $0.copyBytes(from: address.bytes) }
            target.storeBytes(of: raw, as: sockaddr_in6.self)
        case .unix(let path):
            target.storeBytes(of: sa_family_t(AF_UNIX), as: sa_family_t.self)
            let bytes = Array(path.utf8)
            UnsafeMutableRawBufferPointer(start: target + SocketAddress.unixPathOffset, count: bytes.count).copyBytes(from: bytes)
        case .other(let family, let bytes):
            target.storeBytes(of: sa_family_t(family), as: sa_family_t.self)
            UnsafeMutableRawBufferPointer(start: target + 2, count: bytes.count).copyBytes(from: bytes)
        }
    }

    /// Calls `body` with a temporary encoded `sockaddr` and its length, for plain syscalls.
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var storage = sockaddr_storage()
        return withUnsafeMutableBytes(of: &storage) { raw in
            encode(into: raw.baseAddress!)
            return body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(encodedLength))
        }
    }

    /// Decodes `length` bytes of a `sockaddr` the kernel wrote; nil when `length` is too short to hold a family.
    init?(decoding source: UnsafeRawPointer, length: Int) {
        let length = min(length, SocketAddress.storageSize)
        guard length >= MemoryLayout<sa_family_t>.size else { return nil }
        let family = Int32(source.loadUnaligned(as: sa_family_t.self))
        switch family {
        case AF_INET where length >= MemoryLayout<sockaddr_in>.size:
            let raw = source.loadUnaligned(as: sockaddr_in.self)
            self = .ipv4(IPv4Address(value: UInt32(bigEndian: raw.sin_addr.s_addr)), port: UInt16(bigEndian: raw.sin_port))
        case AF_INET6 where length >= MemoryLayout<sockaddr_in6>.size:
            let raw = source.loadUnaligned(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: raw.sin6_addr) { Array($0) }
            self = .ipv6(IPv6Address(bytes: bytes), port: UInt16(bigEndian: raw.sin6_port),
                         flowInfo: UInt32(bigEndian: raw.sin6_flowinfo), scopeID: raw.sin6_scope_id)
        case AF_UNIX:
            let bytes = Array(UnsafeRawBufferPointer(start: source + SocketAddress.unixPathOffset,
                                                     count: length - SocketAddress.unixPathOffset))
            if bytes.first == 0 {
                self = .unix(path: String(decoding: bytes, as: UTF8.self))
            } else {
                self = .unix(path: String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
            }
        default:
            self = .other(family: UInt16(truncatingIfNeeded: family),
                          bytes: Array(UnsafeRawBufferPointer(start: source + 2, count: length - 2)))
        }
    }

    /// The address `fd` is bound to (`getsockname(2)`).
    public static func local(of fd: Int32) throws(IoUringError) -> SocketAddress {
        try query("getsockname") { getsockname(fd, $0, $1) }
    }

    /// The address `fd` is connected to (`getpeername(2)`).
    public static func remote(of fd: Int32) throws(IoUringError) -> SocketAddress {
        try query("getpeername") { getpeername(fd, $0, $1) }
    }

    private static func query(_ name: String,
                              _ call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32)
        throws(IoUringError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(storageSize)
        let status = withUnsafeMutableBytes(of: &storage) { raw in
            call(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard status == 0 else { throw .syscall(.other(name), Errno(rawValue: CIoUring_errno())) }
        let decoded = withUnsafeBytes(of: &storage) { SocketAddress(decoding: $0.baseAddress!, length: Int(length)) }
        guard let decoded else { throw .invalidArgument("\(name) returned a \(length)-byte address") }
        return decoded
    }
}

// MARK: - Flags

/// Flags of `send(2)`/`recv(2)`/`sendmsg(2)`/`recvmsg(2)` and of a received message's `msg_flags`:
/// the kernel's `MSG_*`.
public struct MessageFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let outOfBand = MessageFlags(rawValue: 0x1)            // MSG_OOB
    public static let peek = MessageFlags(rawValue: 0x2)                 // MSG_PEEK
    public static let dontRoute = MessageFlags(rawValue: 0x4)            // MSG_DONTROUTE
    public static let controlTruncated = MessageFlags(rawValue: 0x8)     // MSG_CTRUNC
    public static let truncated = MessageFlags(rawValue: 0x20)           // MSG_TRUNC
    public static let dontWait = MessageFlags(rawValue: 0x40)            // MSG_DONTWAIT
    public static let endOfRecord = MessageFlags(rawValue: 0x80)         // MSG_EOR
    public static let waitAll = MessageFlags(rawValue: 0x100)            // MSG_WAITALL
    public static let confirm = MessageFlags(rawValue: 0x800)            // MSG_CONFIRM
    public static let errorQueue = MessageFlags(rawValue: 0x2000)        // MSG_ERRQUEUE
    public static let noSignal = MessageFlags(rawValue: 0x4000)          // MSG_NOSIGNAL
    public static let more = MessageFlags(rawValue: 0x8000)              // MSG_MORE
    public static let waitForOne = MessageFlags(rawValue: 0x10000)       // MSG_WAITFORONE
    public static let zeroCopy = MessageFlags(rawValue: 0x400_0000)      // MSG_ZEROCOPY
    public static let fastOpen = MessageFlags(rawValue: 0x2000_0000)     // MSG_FASTOPEN
    public static let controlCloseOnExec = MessageFlags(rawValue: 0x4000_0000) // MSG_CMSG_CLOEXEC

    public static let named: [(flag: MessageFlags, name: String)] = [
        (.outOfBand, "MSG_OOB"), (.peek, "MSG_PEEK"), (.dontRoute, "MSG_DONTROUTE"),
        (.controlTruncated, "MSG_CTRUNC"), (.truncated, "MSG_TRUNC"), (.dontWait, "MSG_DONTWAIT"),
        (.endOfRecord, "MSG_EOR"), (.waitAll, "MSG_WAITALL"), (.confirm, "MSG_CONFIRM"),
        (.errorQueue, "MSG_ERRQUEUE"), (.noSignal, "MSG_NOSIGNAL"), (.more, "MSG_MORE"),
        (.waitForOne, "MSG_WAITFORONE"), (.zeroCopy, "MSG_ZEROCOPY"), (.fastOpen, "MSG_FASTOPEN"),
        (.controlCloseOnExec, "MSG_CMSG_CLOEXEC"),
    ]
}

/// Flags of the zero-copy sends, carried in the SQE's `ioprio`: the kernel's `IORING_RECVSEND_*` /
/// `IORING_SEND_ZC_*` bits that a caller chooses (IORING_RECVSEND_FIXED_BUF is set by `sendZCFixed`).
public struct ZeroCopySendFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// IORING_RECVSEND_POLL_FIRST: poll for socket space before trying to send.
    public static let pollFirst = ZeroCopySendFlags(rawValue: UInt16(IORING_RECVSEND_POLL_FIRST))
    /// IORING_SEND_ZC_REPORT_USAGE: the notification's `res` has IORING_NOTIF_USAGE_ZC_COPIED set when
    /// the kernel had to copy the data after all.
    public static let reportUsage = ZeroCopySendFlags(rawValue: UInt16(IORING_SEND_ZC_REPORT_USAGE))

    public static let named: [(flag: ZeroCopySendFlags, name: String)] = [
        (.pollFirst, "IORING_RECVSEND_POLL_FIRST"), (.reportUsage, "IORING_SEND_ZC_REPORT_USAGE"),
    ]

    /// IORING_NOTIF_USAGE_ZC_COPIED: set in a notification's `res` (with `.reportUsage`) when the data was copied.
    public static let usageCopied = Int32(bitPattern: IORING_NOTIF_USAGE_ZC_COPIED)
}

/// A command of IORING_OP_URING_CMD on a socket (`sqe->cmd_op`): the kernel's `SOCKET_URING_OP_*`.
public enum SocketCommand: UInt32, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// SOCKET_URING_OP_SIOCINQ: `res` is the number of bytes waiting to be read.
    case inputQueue = 0
    /// SOCKET_URING_OP_SIOCOUTQ: `res` is the number of bytes not yet sent.
    case outputQueue = 1
    /// SOCKET_URING_OP_GETSOCKOPT: `res` is the option's length.
    case getsockopt = 2
    /// SOCKET_URING_OP_SETSOCKOPT.
    case setsockopt = 3
    /// SOCKET_URING_OP_TX_TIMESTAMP.
    case txTimestamp = 4
    /// SOCKET_URING_OP_GETSOCKNAME.
    case getsockname = 5

    public var kernelName: String {
        switch self {
        case .inputQueue: return "SOCKET_URING_OP_SIOCINQ"
        case .outputQueue: return "SOCKET_URING_OP_SIOCOUTQ"
        case .getsockopt: return "SOCKET_URING_OP_GETSOCKOPT"
        case .setsockopt: return "SOCKET_URING_OP_SETSOCKOPT"
        case .txTimestamp: return "SOCKET_URING_OP_TX_TIMESTAMP"
        case .getsockname: return "SOCKET_URING_OP_GETSOCKNAME"
        }
    }

    public var description: String { kernelName }
}

// MARK: - Kernel memory for results

/// Where `accept` (and `getsockname`) write an address: a `sockaddr_storage` and its `socklen_t`.
/// Pass one to an operation; read `socketAddress` after its CQE. A multishot accept rewrites it for
/// every connection, so it holds the peer of the latest one.
public final class PeerAddress: KernelMemory, @unchecked Sendable {
    private static let lengthOffset = SocketAddress.storageSize

    public init() {
        super.init(byteCount: SocketAddress.storageSize + MemoryLayout<socklen_t>.size, alignment: 8)
    }

    /// The length the kernel reported (it may exceed the storage for a truncated address); 0 before.
    public var length: Int { Int(base.load(fromByteOffset: PeerAddress.lengthOffset, as: socklen_t.self)) }

    /// The address the kernel wrote, or nil if it wrote none.
    public var socketAddress: SocketAddress? {
        guard length > 0 else { return nil }
        return SocketAddress(decoding: base, length: length)
    }

    /// Resets the length to the storage size, as the kernel expects on input.
    func prepareForKernel() {
        base.storeBytes(of: socklen_t(SocketAddress.storageSize), toByteOffset: PeerAddress.lengthOffset, as: socklen_t.self)
    }

    var lengthAddress: UInt64 { address + UInt64(PeerAddress.lengthOffset) }
}

// MARK: - Messages

/// One ancillary message of `sendmsg`/`recvmsg` (a `cmsghdr` and its data).
public struct ControlMessage: Hashable, Sendable {
    /// `cmsg_level`, such as SOL_SOCKET.
    public var level: Int32
    /// `cmsg_type`, such as SCM_RIGHTS.
    public var type: Int32
    /// The data after the header.
    public var data: [UInt8]

    public init(level: Int32, type: Int32, data: [UInt8]) {
        self.level = level
        self.type = type
        self.data = data
    }

    /// SOL_SOCKET / SCM_RIGHTS carrying file descriptors over an AF_UNIX socket.
    public static func rights(_ fds: [Int32]) -> ControlMessage {
        ControlMessage(level: SOL_SOCKET, type: Int32(SCM_RIGHTS), data: fds.flatMap { fd in withUnsafeBytes(of: fd) { Array($0) } })
    }

    /// The descriptors of an SCM_RIGHTS message, or nil for other messages.
    public var fileDescriptors: [Int32]? {
        guard level == SOL_SOCKET, type == Int32(SCM_RIGHTS) else { return nil }
        let size = MemoryLayout<Int32>.size
        return stride(from: 0, to: data.count - data.count % size, by: size).map { offset in
            data[offset..<offset + size].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        }
    }

    private static let headerSize = MemoryLayout<cmsghdr>.size
    private static func aligned(_ count: Int) -> Int {
        let alignment = MemoryLayout<Int>.size
        return (count + alignment - 1) & ~(alignment - 1)
    }

    /// CMSG_SPACE for `byteCount` bytes of data: what a message takes in a control buffer.
    public static func space(forDataCount byteCount: Int) -> Int { headerSize + aligned(byteCount) }

    /// The control buffer bytes for `messages`, each padded as CMSG_NXTHDR expects.
    public static func encode(_ messages: [ControlMessage]) -> [UInt8] {
        var bytes: [UInt8] = []
        for message in messages {
            var header = cmsghdr()
            header.cmsg_len = headerSize + message.data.count
            header.cmsg_level = message.level
            header.cmsg_type = message.type
            bytes += withUnsafeBytes(of: header) { Array($0) }
            bytes += message.data
            bytes += [UInt8](repeating: 0, count: aligned(message.data.count) - message.data.count)
        }
        return bytes
    }

    /// The messages in a control buffer, walking it as CMSG_FIRSTHDR/CMSG_NXTHDR do.
    public static func decode(_ bytes: [UInt8]) -> [ControlMessage] {
        var messages: [ControlMessage] = []
        var offset = 0
        while offset + headerSize <= bytes.count {
            let header = bytes[offset..<offset + headerSize].withUnsafeBytes { $0.loadUnaligned(as: cmsghdr.self) }
            let length = Int(header.cmsg_len)
            guard length >= headerSize, offset + length <= bytes.count else { break }
            messages.append(ControlMessage(level: header.cmsg_level, type: header.cmsg_type,
                                           data: Array(bytes[offset + headerSize..<offset + length])))
            offset += aligned(length)
        }
        return messages
    }
}

/// A `struct msghdr` for `sendmsg`/`recvmsg`/`sendmsg_zc`, with its iovec array, name storage and
/// control storage in one allocation the kernel may use until the request's final CQE. The iovecs point
/// at `buffers`, which this header keeps alive. After a `recvmsg` CQE, read `messageFlags`, `name` and
/// `controlMessages`.
public final class MessageHeader: KernelMemory, @unchecked Sendable {
    /// The buffers the iovecs point at, in order.
    public let buffers: [IoBufferSlice]
    /// Bytes reserved for the address (`msg_name`): a `sockaddr_storage` for receiving, the encoded
    /// address for sending, or 0.
    public let nameCapacity: Int
    /// Bytes reserved for ancillary data (`msg_control`).
    public let controlCapacity: Int

    private let iovecOffset: Int
    private let nameOffset: Int
    private let controlOffset: Int

    private init(buffers: [any BufferRegion], nameCapacity: Int, controlCapacity: Int) {
        let slices = buffers.map(\.region)
        let headerSize = (MemoryLayout<msghdr>.size + 15) & ~15
        let iovecBytes = slices.count * MemoryLayout<iovec>.stride
        let nameOffset = headerSize + iovecBytes
        let controlOffset = (nameOffset + nameCapacity + 15) & ~15
        self.buffers = slices
        self.nameCapacity = nameCapacity
        self.controlCapacity = controlCapacity
        self.iovecOffset = headerSize
        self.nameOffset = nameOffset
        self.controlOffset = controlOffset
        super.init(byteCount: controlOffset + controlCapacity, alignment: 16)

        let vectors = (base + iovecOffset).bindMemory(to: iovec.self, capacity: max(slices.count, 1))
        for (index, slice) in slices.enumerated() {
            vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(slice.address)), iov_len: slice.count)
        }
        var header = msghdr()
        header.msg_iov = slices.isEmpty ? nil : vectors
        header.msg_iovlen = slices.count
        header.msg_name = nameCapacity > 0 ? base + nameOffset : nil
        header.msg_control = controlCapacity > 0 ? base + controlOffset : nil
        base.storeBytes(of: header, as: msghdr.self)
    }

    /// A header for `sendmsg`: the data of `buffers` in order, to `destination` (for unconnected
    /// datagram sockets), with `control` as ancillary data.
    public convenience init(sending buffers: [any BufferRegion], to destination: SocketAddress? = nil,
                            control: [ControlMessage] = []) {
        self.init(sending: buffers, to: destination, controlBytes: ControlMessage.encode(control))
    }

    /// A header for `sendmsg` with raw ancillary bytes.
    public convenience init(sending buffers: [any BufferRegion], to destination: SocketAddress? = nil,
                            controlBytes: [UInt8]) {
        self.init(buffers: buffers, nameCapacity: destination?.encodedLength ?? 0, controlCapacity: controlBytes.count)
        if let destination { destination.encode(into: base + nameOffset) }
        UnsafeMutableRawBufferPointer(start: base + controlOffset, count: controlBytes.count).copyBytes(from: controlBytes)
        writeLengths()
    }

    /// A header for `recvmsg`: data lands in `buffers` in order; the sender's address is kept when
    /// `receivesName`; up to `controlCapacity` bytes of ancillary data are kept.
    public convenience init(receiving buffers: [any BufferRegion], receivesName: Bool = true, controlCapacity: Int = 0) {
        precondition(controlCapacity >= 0, "negative control capacity")
        self.init(buffers: buffers, nameCapacity: receivesName ? SocketAddress.storageSize : 0, controlCapacity: controlCapacity)
        writeLengths()
    }

    /// A header for `recvmsg` with exactly `nameCapacity` bytes of room for the sender's address
    /// (`msg_namelen`). For a multishot recvmsg the kernel lays out each provided buffer as
    /// `struct io_uring_recvmsg_out`, then `msg_namelen` bytes of name, then `msg_controllen` bytes of
    /// control data, then the payload, so these sizes decide how much of the buffer is left for data.
    public convenience init(receiving buffers: [any BufferRegion], nameCapacity: Int, controlCapacity: Int = 0) {
        precondition(controlCapacity >= 0 && nameCapacity >= 0, "negative capacity")
        self.init(buffers: buffers, nameCapacity: nameCapacity, controlCapacity: controlCapacity)
        writeLengths()
    }

    private var header: msghdr { base.load(as: msghdr.self) }

    private func writeLengths() {
        var header = self.header
        header.msg_namelen = socklen_t(nameCapacity)
        header.msg_controllen = controlCapacity
        header.msg_flags = 0
        base.storeBytes(of: header, as: msghdr.self)
    }

    /// Resets the lengths and flags the kernel overwrites, so a header can be queued again.
    func prepareForKernel() { writeLengths() }

    /// The total bytes the iovecs cover.
    public var totalByteCount: Int { buffers.reduce(0) { $0 + $1.count } }

    /// `msg_flags` as `recvmsg` set it (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_OOB, MSG_ERRQUEUE…).
    public var messageFlags: MessageFlags { MessageFlags(rawValue: UInt32(bitPattern: header.msg_flags)) }

    /// `msg_namelen`: the length of the address in `name` (as `recvmsg` set it).
    public var nameLength: Int { Int(header.msg_namelen) }

    /// The address in `msg_name`: the sender's after `recvmsg`, the destination for `sendmsg`.
    public var name: SocketAddress? {
        guard nameCapacity > 0, nameLength > 0 else { return nil }
        return SocketAddress(decoding: base + nameOffset, length: min(nameLength, nameCapacity))
    }

    /// `msg_controllen`: bytes of ancillary data (as `recvmsg` set it).
    public var controlLength: Int { Int(header.msg_controllen) }

    /// The ancillary data bytes.
    public var controlBytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: base + controlOffset, count: min(controlLength, controlCapacity)))
    }

    /// The ancillary data, message by message.
    public var controlMessages: [ControlMessage] { ControlMessage.decode(controlBytes) }
}
