import IoUring
import Scenario

/// One request being issued: the step, its instance, its user_data, and typed access to its arguments
/// with the resolver behind them. Argument look-ups fail with the argument's `file:line:col`.
struct Issue {
    let spec: RequestSpec
    let instance: StepInstance
    let userData: UInt64
    let resolver: any OperandResolver

    /// The step's IOSQE_* flags: written ones plus implied ones (fixed file, buffer select, raw's own).
    var flags: SubmissionFlags { spec.flags }

    // MARK: - Failures

    /// An error naming the step, at the argument's mark (or the step's: where defaults are marked).
    func failure(_ argument: String?, _ message: String) -> RunnerError {
        let items = spec.arguments.items
        let mark = argument.flatMap { spec.arguments.argument($0)?.mark }
            ?? items.first(where: \.isDefault)?.mark ?? items.first?.mark
        let prefix = mark.map { "\($0): " } ?? ""
        return .unsupported("\(prefix)'\(spec.operation)': \(message)")
    }

    private func missing(_ name: String) -> RunnerError {
        failure(nil, "argument '\(name)' is missing or not of its op-table type")
    }

    func has(_ name: String) -> Bool { spec.arguments[name] != nil }

    // MARK: - Numbers

    /// An unsigned argument, or the value captured for it (`$n`), which must not be negative.
    func unsigned(_ name: String) throws(RunnerError) -> UInt64 {
        switch spec.arguments[name] {
        case .unsigned(let value)?: return value
        case .capture(let capture)?:
            let value = try resolver.capturedValue(capture, at: instance)
            guard value >= 0 else {
                throw failure(name, "'\(name)' is \(capture) = \(value), which is negative (its CQE failed)")
            }
            return UInt64(value)
        default: throw missing(name)
        }
    }

    func optionalUnsigned(_ name: String) throws(RunnerError) -> UInt64? {
        has(name) ? try unsigned(name) : nil
    }

    /// An unsigned argument that must fit `T` (the SQE field it goes into).
    func unsigned<T: FixedWidthInteger & UnsignedInteger>(_ name: String, as type: T.Type) throws(RunnerError) -> T {
        let value = try unsigned(name)
        guard let narrowed = T(exactly: value) else {
            throw failure(name, "'\(name)' is \(value), more than the \(T.bitWidth)-bit SQE field holds")
        }
        return narrowed
    }

    func signed(_ name: String) throws(RunnerError) -> Int64 {
        switch spec.arguments[name] {
        case .signed(let value)?: return value
        case .unsigned(let value)? where value <= UInt64(Int64.max): return Int64(value)
        default: throw missing(name)
        }
    }

    /// A file offset: -1 (the file position) is all ones in the SQE's 64-bit `off`; a random offset is
    /// drawn for this request's user_data.
    func offset(_ name: String) throws(RunnerError) -> UInt64 {
        if case .randomOffset(let random)? = spec.arguments[name] { return random.value(userData: userData) }
        return UInt64(bitPattern: try signed(name))
    }

    /// `offset` as the signed `loff_t` the engine's splice takes.
    func signedOffset(_ name: String) throws(RunnerError) -> Int64 {
        Int64(bitPattern: try offset(name))
    }

    func bool(_ name: String) -> Bool { spec.arguments.bool(name) ?? false }

    /// The number of a constants argument (`O_CREAT|O_RDWR`, or a number as written); 0 when absent.
    func constants(_ name: String) -> UInt64 { spec.arguments.named(name)?.value ?? 0 }

    func constants32(_ name: String) -> UInt32 { UInt32(truncatingIfNeeded: constants(name)) }

    func duration(_ name: String) throws(RunnerError) -> Int64 {
        guard let value = spec.arguments.duration(name) else { throw missing(name) }
        return value
    }

    // MARK: - Operands

    func file(_ name: String) throws(RunnerError) -> FileReference {
        guard let operand = spec.arguments.file(name) else { throw missing(name) }
        return try resolver.file(operand, at: instance)
    }

    /// A file the kernel takes as a plain descriptor in a field other than `fd` (epoll_ctl's target,
    /// an eventfd): a registered slot cannot stand there.
    func descriptor(_ name: String) throws(RunnerError) -> Int32 {
        switch try file(name) {
        case .descriptor(let fd): return fd
        case .fixed(let slot):
            throw failure(name, "'\(name)' is registered slot \(slot), but the kernel takes a plain descriptor there")
        }
    }

    func directory(_ name: String) throws(RunnerError) -> Int32 {
        guard let operand = spec.arguments.file(name) else { throw missing(name) }
        return try resolver.directory(operand, at: instance)
    }

    func path(_ name: String) throws(RunnerError) -> String {
        guard let text = spec.arguments.text(name) else { throw missing(name) }
        return try resolver.path(text, at: instance)
    }

    func userData(of name: String) throws(RunnerError) -> UInt64 {
        guard case .request(let reference)? = spec.arguments[name] else { throw missing(name) }
        return try resolver.userData(reference, at: instance)
    }

    /// A registered-file slot: a number, or a captured slot.
    func slot(_ name: String) throws(RunnerError) -> UInt32 {
        switch spec.arguments[name] {
        case .slot(.index(let slot))?: return slot
        case .capture(let capture)?:
            let value = try resolver.capturedValue(capture, at: instance)
            guard let slot = UInt32(exactly: value) else {
                throw failure(name, "'\(name)' is \(capture) = \(value), which is not a slot (its CQE failed)")
            }
            return slot
        default: throw missing(name)
        }
    }

    /// A slot to fill: a number or `auto` (IORING_FILE_INDEX_ALLOC).
    func slotChoice(_ name: String) throws(RunnerError) -> FileSlot {
        switch spec.arguments[name] {
        case .slot(.allocate)?: return .allocate
        case .slot(.index(let slot))?: return .index(slot)
        case .capture?: return .index(try slot(name))
        default: throw missing(name)
        }
    }

    func address(_ name: String) throws(RunnerError) -> IoUring::SocketAddress? {
        guard case .address(let address)? = spec.arguments[name] else { return nil }
        return try resolver.address(address, at: instance)
    }

    func bufferGroup(_ name: String) -> UInt16? {
        guard case .bufferGroup(let reference)? = spec.arguments[name] else { return nil }
        return reference.group
    }

    /// The memory of `buf` (a buffer resource) or `data` (inline bytes), `len` bytes of it when the step
    /// has a `len`. Nil when the step gives neither.
    func transferBuffer(length lengthName: String? = "len") throws(RunnerError) -> IoBufferSlice? {
        let length = try lengthName.flatMap { name throws(RunnerError) in try optionalUnsigned(name) }.map { Int($0) }
        if let operand = spec.arguments.buffer("buf") {
            return try resolver.buffer(operand, length: length)
        }
        if case .bytes(let bytes)? = spec.arguments["data"] {
            return try resolver.buffer(.inline(bytes), length: length)
        }
        return nil
    }

    func registeredBuffer(length lengthName: String = "len") throws(RunnerError) -> (slice: IoBufferSlice, index: UInt16) {
        guard case .registeredBuffer(let operand)? = spec.arguments["buf"] else { throw missing("buf") }
        let length = try optionalUnsigned(lengthName).map { Int($0) }
        return try resolver.registeredBuffer(operand, length: length)
    }

    func iovecs(_ name: String = "iovecs") throws(RunnerError) -> [IoBufferSlice]? {
        guard case .iovecs(let resource)? = spec.arguments[name] else { return nil }
        return try resolver.iovecs(resource)
    }

    /// The clock of a timeout (`monotonic` unless the step says otherwise). Read from its name, or from
    /// the IORING_TIMEOUT_BOOTTIME / IORING_TIMEOUT_REALTIME bit when the value is a flag word.
    func clock(_ name: String = "clock") throws(RunnerError) -> TimeoutClock {
        let written: String
        switch spec.arguments[name] {
        case nil: return .monotonic
        case .text(let text)?: written = text.description
        case .named(let value)?:
            if let first = value.names.first {
                written = first
            } else if UInt32(truncatingIfNeeded: value.value) == TimeoutFlags.boottime.rawValue {
                return .boottime
            } else if UInt32(truncatingIfNeeded: value.value) == TimeoutFlags.realtime.rawValue {
                return .realtime
            } else if value.value == 0 {
                return .monotonic
            } else {
                throw failure(name, "unknown clock \(value)")
            }
        default: throw missing(name)
        }
        switch written {
        case "monotonic": return .monotonic
        case "boottime": return .boottime
        case "realtime": return .realtime
        case let other: throw failure(name, "unknown clock '\(other)'")
        }
    }

    /// The timespec of a timeout: `after` as a length, or with `absolute` the time `after` from now on
    /// the timeout's clock (IORING_TIMEOUT_ABS). Returns it with the clock and absolute flags.
    func timespec() throws(RunnerError) -> (Timespec, TimeoutFlags) {
        let clock = try clock()
        var flags = clock.flags
        if let literal = literalTimespec() {
            if literal.absolute { flags.insert(.absolute) }
            return (literal.timespec, flags)
        }
        let after = Duration.nanoseconds(try duration("after"))
        if bool("absolute") {
            flags.insert(.absolute)
            return (Timespec.now(clock) + after, flags)
        }
        return (Timespec(after), flags)
    }

    // MARK: - Raw SQEs

    /// An SQE for `opcode` with this request's user_data and flags, for ops the engine has no typed call
    /// (or no parameter) for. Fields are filled as liburing's io_uring_prep_* helper would.
    func rawSQE(_ opcode: Opcode, file: FileReference? = nil) -> RawSQE {
        var sqe = RawSQE(opcode: opcode.rawValue)
        sqe.flags = flags.rawValue
        sqe.userData = userData
        if let file { sqe.setFile(file) }
        return sqe
    }
}

extension RawSQE {
    /// Puts `file` in `fd`, with IOSQE_FIXED_FILE for a registered slot.
    mutating func setFile(_ file: FileReference) {
        switch file {
        case .descriptor(let fd): self.fd = fd
        case .fixed(let slot):
            fd = Int32(bitPattern: slot)
            flags |= SubmissionFlags.fixedFile.rawValue
        }
    }
}

extension FileReference {
    /// The number the SQE's `fd` holds: the descriptor, or the slot (IOSQE_FIXED_FILE is in the step's
    /// flags then). For engine calls that take a plain `Int32`.
    var sqeNumber: Int32 {
        switch self {
        case .descriptor(let fd): return fd
        case .fixed(let slot): return Int32(bitPattern: slot)
        }
    }
}

/// Kernel constants the issuer writes into raw SQEs, by their UAPI names (include/uapi/linux/io_uring.h).
enum KernelConstant {
    /// IORING_RECVSEND_POLL_FIRST, in `ioprio`.
    static let recvSendPollFirst: UInt16 = 1 << 0
    /// IORING_RECV_MULTISHOT, in `ioprio`.
    static let recvMultishot: UInt16 = 1 << 1
    /// IORING_RECVSEND_BUNDLE, in `ioprio`.
    static let recvSendBundle: UInt16 = 1 << 4
    /// IORING_ACCEPT_POLL_FIRST, in `ioprio`.
    static let acceptPollFirst: UInt16 = 1 << 2
    /// SPLICE_F_FD_IN_FIXED, in `splice_flags`.
    static let spliceFDInFixed: UInt32 = 1 << 31
    /// IORING_FILE_INDEX_ALLOC.
    static let fileIndexAlloc: UInt32 = ~0
    /// IORING_FIXED_FD_NO_CLOEXEC, in `install_fd_flags`.
    static let fixedFDNoCloexec: UInt32 = 1 << 0
    /// sizeof(struct epoll_event): packed on x86-64.
    #if arch(x86_64)
    static let epollEventSize = 12
    #else
    static let epollEventSize = 16
    #endif
}

/// Bytes of kernel structures built here.
enum KernelBytes {
    /// `value` in the machine's byte order, as kernel structures hold integers.
    static func of<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        System.bytes(of: value)
    }

    /// `value` in network byte order (ports, IPv4 addresses, flow labels).
    static func network<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        System.bytes(of: value.bigEndian)
    }

    /// A NUL-terminated copy of `path`, for SQEs that point at a path.
    static func path(_ path: String) -> [UInt8]? {
        let bytes = Array(path.utf8)
        guard !bytes.contains(0) else { return nil }
        return bytes + [0]
    }

    /// A `struct iovec` array over `regions`.
    static func iovecs(_ regions: [IoBufferSlice]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(regions.count * 16)
        for region in regions {
            bytes += of(region.kernelAddress)
            bytes += of(UInt64(region.count))
        }
        return bytes
    }
}

extension KernelBytes {
    /// The `sockaddr` of `address` and its length, as connect(2) or sendto(2) take it.
    static func sockaddr(_ address: IoUring::SocketAddress) -> [UInt8] {
        switch address {
        case .ipv4(let host, let port):
            return of(UInt16(2)) + network(port) + network(host.value) + [UInt8](repeating: 0, count: 8)
        case .ipv6(let host, let port, let flowInfo, let scopeID):
            return of(UInt16(10)) + network(port) + network(flowInfo) + host.bytes + of(scopeID)
        case .unix(let path):
            let bytes = Array(path.utf8)
            return of(UInt16(1)) + bytes + (bytes.isEmpty || bytes.first == 0 ? [] : [0])
        case .other(let family, let bytes):
            return of(family) + bytes
        }
    }
}
