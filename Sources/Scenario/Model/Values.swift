import IoUring

/// Text that may contain the index of an enclosing repeat block: `r{i}`, `file-{i}-{j}.txt`.
/// Outside repeat blocks it is plain text.
public struct TemplateText: Hashable, Sendable, CustomStringConvertible {
    public enum Part: Hashable, Sendable {
        case literal(String)
        /// The current iteration of the repeat block whose index is named so.
        case index(String)
    }

    /// The text as written.
    public let text: String
    /// The parts of a template; empty for plain text (the common case, kept allocation-free).
    private let templateParts: [Part]

    /// The text split into literals and repeat indices.
    public var parts: [Part] { templateParts.isEmpty ? [.literal(text)] : templateParts }

    /// Splits `text` at `{name}` placeholders; a `{` without a closing `}` stays literal.
    public init(parsing text: String) {
        self.text = text
        guard text.utf8.contains(UInt8(ascii: "{")) else {
            templateParts = []
            return
        }
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else { break }
            let name = rest[afterOpen..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.index(String(name)))
            } else {
                literal += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        // Text whose braces hold no index name is plain.
        templateParts = parts.contains { if case .index = $0 { return true } else { return false } } ? parts : []
    }

    /// Whether any part is a repeat index.
    public var isTemplate: Bool { !templateParts.isEmpty }

    /// The index names used, in order of appearance.
    public var indexNames: [String] {
        parts.compactMap { if case .index(let name) = $0 { return name } else { return nil } }
    }

    /// The text with each index replaced by its value in `indices`.
    public func resolved(_ indices: [String: Int]) -> String {
        guard isTemplate else { return text }
        var text = ""
        for part in parts {
            switch part {
            case .literal(let literal): text += literal
            case .index(let name): text += indices[name].map(String.init) ?? "{\(name)}"
            }
        }
        return text
    }

    public var description: String { text }

    /// The index values for which this template reads `text`, if it does (`r{i}` matches `r12` with i = 12).
    public func match(_ text: String) -> [String: Int]? {
        guard isTemplate else { return text == self.text ? [:] : nil }
        var values: [String: Int] = [:]
        var rest = Substring(text)
        for part in parts {
            switch part {
            case .literal(let literal):
                guard rest.hasPrefix(literal) else { return nil }
                rest = rest.dropFirst(literal.count)
            case .index(let name):
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                guard !digits.isEmpty, let value = Int(digits) else { return nil }
                if let earlier = values[name], earlier != value { return nil }
                values[name] = value
                rest = rest.dropFirst(digits.count)
            }
        }
        return rest.isEmpty ? values : nil
    }
}

/// The two ends of a pipe, socket pair or connected socket pair, as a scenario names them (`p.read`).
public enum Endpoint: String, Hashable, Sendable, CaseIterable {
    /// A pipe's read end.
    case read
    /// A pipe's write end.
    case write
    /// A socket pair's first socket.
    case a
    /// A socket pair's second socket.
    case b
    /// The connecting side of a TCP or UDP pair.
    case client
    /// The accepted (TCP) or bound (UDP) side of a pair.
    case server
}

/// A resource, or one end of it: `data`, `p.read`, `conn.client`.
public struct ResourceReference: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var endpoint: Endpoint?

    public init(name: String, endpoint: Endpoint? = nil) {
        self.name = name
        self.endpoint = endpoint
    }

    public var description: String { endpoint.map { "\(name).\($0.rawValue)" } ?? name }
}

/// What a captured CQE value is.
public enum CaptureKind: String, Hashable, Sendable {
    /// A file descriptor (openat, accept, socket, fixed_fd_install).
    case fd
    /// A registered file slot (openat_direct, accept_direct, socket_direct…); using it sets IOSQE_FIXED_FILE.
    case slot
    /// A byte count (read, recv, write…).
    case count
    /// Any other result value.
    case value
    /// A socket the scenario connected from outside the ring (`peer_connect`).
    case peerSocket = "peer socket"

    /// Whether a capture of this kind can stand where a file is expected.
    public var isFile: Bool { self == .fd || self == .slot || self == .peerSocket }
}

/// A use of a value captured from an earlier CQE: `$fd`.
public struct CaptureReference: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    /// The step that produces it.
    public var producer: NodeID
    public var kind: CaptureKind

    public init(name: String, producer: NodeID, kind: CaptureKind) {
        self.name = name
        self.producer = producer
        self.kind = kind
    }

    public var description: String { "$" + name }
}

/// Where a step names a file: a resource, a raw number, a registered slot or a captured descriptor.
public enum FileOperand: Hashable, Sendable, CustomStringConvertible {
    /// A resource of the scenario, or one end of it.
    case resource(ResourceReference)
    /// A descriptor number as written (`-1` provokes EBADF).
    case descriptor(Int32)
    /// A slot of the registered file table; the SQE gets IOSQE_FIXED_FILE.
    case slot(UInt32)
    /// A descriptor or slot captured from an earlier CQE.
    case capture(CaptureReference)
    /// AT_FDCWD: the scenario's sandbox directory, for path-taking ops.
    case currentDirectory
    /// An empty slot in a file list (`-1` / `null` in `register_files`).
    case empty
    /// The scenario's own ring descriptor (`$ring`), to hand an io_uring fd to the ring itself.
    case ring

    /// Whether the SQE refers to a registered slot (IOSQE_FIXED_FILE).
    public var isFixed: Bool {
        switch self {
        case .slot: return true
        case .capture(let capture): return capture.kind == .slot
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .resource(let reference): return reference.description
        case .descriptor(let fd): return String(fd)
        case .slot(let slot): return "slot \(slot)"
        case .capture(let capture): return capture.description
        case .currentDirectory: return "cwd"
        case .empty: return "-1"
        case .ring: return "$ring"
        }
    }
}

/// Memory a step reads or writes: a buffer resource (from an offset) or bytes written in the step itself.
public enum BufferOperand: Hashable, Sendable, CustomStringConvertible {
    case resource(name: String, offset: UInt64)
    /// Bytes given inline (`data: "hello"`); the runner allocates a buffer holding them.
    case inline([UInt8])

    public var description: String {
        switch self {
        case .resource(let name, let offset): return offset == 0 ? name : "\(name)+\(offset)"
        case .inline(let bytes): return "\(bytes.count) inline bytes"
        }
    }
}

/// A buffer registered with IORING_REGISTER_BUFFERS, for the `*_fixed` ops: its index in the
/// registered table (`buf_index`) and the offset into it.
public struct RegisteredBufferOperand: Hashable, Sendable {
    public var name: String
    public var index: UInt16
    public var offset: UInt64

    public init(name: String, index: UInt16, offset: UInt64) {
        self.name = name
        self.index = index
        self.offset = offset
    }
}

/// A socket address: the bound address of a socket resource, or a literal IPv4/IPv6 address and port.
public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// Where the named listener or bound socket listens (its port is chosen by the kernel at setup).
    case resource(ResourceReference)
    /// `127.0.0.1:8080`.
    case ipv4(host: String, port: UInt16)
    /// `[::1]:8080`.
    case ipv6(host: String, port: UInt16)
    /// `$s`: where a socket captured from an earlier CQE is bound (getsockname(2) when the step runs),
    /// so a socket the ring created and bound to port 0 can be connected to.
    case capture(CaptureReference)

    public var description: String {
        switch self {
        case .resource(let reference): return reference.description
        case .capture(let capture): return capture.description
        case .ipv4(let host, let port): return "\(host):\(port)"
        case .ipv6(let host, let port): return "[\(host)]:\(port)"
        }
    }
}

/// Which iterations of a repeated request a reference means.
public enum Iterations: Hashable, Sendable {
    /// Every iteration; inside the same repeat block, the current one.
    case each
    /// One instance, by the indices of its enclosing repeat blocks, outermost first (`r3` of `r{i}`).
    case instance([Int])
}

/// Another request, named by its id (`target: r1`) or by a bare user_data number.
public enum RequestReference: Hashable, Sendable, CustomStringConvertible {
    case request(node: NodeID, iterations: Iterations, written: String)
    case userData(UInt64)

    public var description: String {
        switch self {
        case .request(_, _, let written): return written
        case .userData(let value): return "user_data \(value)"
        }
    }
}

/// A registered-file slot to fill: a fixed number, or IORING_FILE_INDEX_ALLOC (the kernel picks).
public enum SlotChoice: Hashable, Sendable, CustomStringConvertible {
    case index(UInt32)
    case allocate

    /// The SQE's `file_index` encoding: slot + 1, or IORING_FILE_INDEX_ALLOC (~0).
    public var fileIndexField: UInt32 {
        switch self {
        case .index(let slot): return slot + 1
        case .allocate: return UInt32.max
        }
    }

    public var description: String {
        switch self {
        case .index(let slot): return String(slot)
        case .allocate: return "auto"
        }
    }
}

/// A provided-buffer group: by the group id, and the resource that declared it when named.
public struct BufferGroupReference: Hashable, Sendable, CustomStringConvertible {
    public var group: UInt16
    public var resource: String?

    public init(group: UInt16, resource: String? = nil) {
        self.group = group
        self.resource = resource
    }

    public var description: String { resource ?? "group \(group)" }
}

/// A child process the scenario starts, or a process id given as a number.
public enum ProcessReference: Hashable, Sendable {
    case resource(String)
    case pid(Int32)
}

/// A typed argument value of a step, after names were resolved.
public enum ArgumentValue: Hashable, Sendable {
    case signed(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    /// A length of time, in nanoseconds.
    case duration(nanoseconds: Int64)
    /// A `struct __kernel_timespec` literal, `{ sec, nsec }`, passed to the kernel as written.
    case timespec(seconds: Int64, nanoseconds: Int64)
    /// A value made of named constants (`O_CREAT|O_RDWR`) or given as a number.
    case named(NamedValue)
    /// A path or name; may contain repeat indices.
    case text(TemplateText)
    case bytes([UInt8])
    case file(FileOperand)
    case buffer(BufferOperand)
    case registeredBuffer(RegisteredBufferOperand)
    /// An `iovecs` resource.
    case iovecs(String)
    case address(SocketAddress)
    case request(RequestReference)
    case bufferGroup(BufferGroupReference)
    case slot(SlotChoice)
    case opcode(Opcode)
    case opcodes([Opcode])
    case files([FileOperand])
    /// A list of buffer resources.
    case buffers([String])
    case requests([RequestReference])
    case process(ProcessReference)
    /// A numeric value taken from an earlier CQE at run time.
    case capture(CaptureReference)
    /// The raw SQE `addr` field: a buffer's address or a number.
    case addressField(BufferOperand?, UInt64)
    /// A file offset drawn for each request: `offset: { random: N, align: A, seed: S }`.
    case randomOffset(RandomOffset)
    /// A list of buffer ids (`replenish_buffers`' `ids`).
    case bufferIDs([UInt16])
}

/// `offset: { random: N, align: A, seed: S }`: every request gets a pseudo-random multiple of `align`
/// below `range` (`range` rounded down to a multiple of `align`), a function of `seed` and the request's
/// user_data. Runs repeat exactly, and requests with different user_data read different places.
public struct RandomOffset: Hashable, Sendable, CustomStringConvertible {
    /// Offsets fall in `0..<range`, in whole `align` units (so with `len` ≤ `align` and `range` the file's
    /// size, every transfer stays inside the file).
    public var range: UInt64
    /// A power of two; offsets are multiples of it.
    public var align: UInt64
    public var seed: UInt64

    public init(range: UInt64, align: UInt64 = 1, seed: UInt64 = 0) {
        self.range = range
        self.align = align
        self.seed = seed
    }

    /// How many `align` units offsets choose from (at least 1).
    @inlinable
    public var units: UInt64 { max(range / max(align, 1), 1) }

    /// The offset of the request with `userData`: splitmix64(seed + userData) scaled to `units`
    /// (multiply-high, no division), times `align`.
    @inlinable
    public func value(userData: UInt64) -> UInt64 {
        RandomOffset.scaled(RandomOffset.mix(seed &+ userData), units: units) &* align
    }

    /// splitmix64's output function: a bijective 64-bit mix.
    @inlinable
    public static func mix(_ input: UInt64) -> UInt64 {
        var z = input &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `random` mapped onto `0..<units` by the high half of the 128-bit product.
    @inlinable
    public static func scaled(_ random: UInt64, units: UInt64) -> UInt64 {
        random.multipliedFullWidth(by: units).high
    }

    public var description: String {
        "{ random: \(range)" + (align == 1 ? "" : ", align: \(align)") + (seed == 0 ? "" : ", seed: \(seed)") + " }"
    }
}

/// One argument of a step, with where it was written (or the step's mark when it is a default).
public struct StepArgument: Hashable, Sendable {
    public let name: String
    public let value: ArgumentValue
    public let mark: SourceMark
    /// Whether the scenario left it out and the op table's default was used.
    public let isDefault: Bool

    public init(name: String, value: ArgumentValue, mark: SourceMark, isDefault: Bool = false) {
        self.name = name
        self.value = value
        self.mark = mark
        self.isDefault = isDefault
    }
}

/// The arguments of a step in op-table order, defaults filled in. Look-up is by name.
public struct Arguments: Hashable, Sendable, RandomAccessCollection {
    public private(set) var items: [StepArgument]

    public init(_ items: [StepArgument] = []) { self.items = items }

    public var startIndex: Int { items.startIndex }
    public var endIndex: Int { items.endIndex }
    public subscript(position: Int) -> StepArgument { items[position] }

    /// The value of the argument called `name`, if present.
    public subscript(name: String) -> ArgumentValue? { argument(name)?.value }

    public func argument(_ name: String) -> StepArgument? { items.first { $0.name == name } }

    mutating func set(_ argument: StepArgument) {
        if let index = items.firstIndex(where: { $0.name == argument.name }) {
            items[index] = argument
        } else {
            items.append(argument)
        }
    }

    // Typed accessors, for the runner.
    public func file(_ name: String) -> FileOperand? {
        if case .file(let file)? = self[name] { return file }
        return nil
    }

    public func unsigned(_ name: String) -> UInt64? {
        if case .unsigned(let value)? = self[name] { return value }
        return nil
    }

    public func signed(_ name: String) -> Int64? {
        if case .signed(let value)? = self[name] { return value }
        return nil
    }

    public func bool(_ name: String) -> Bool? {
        if case .bool(let value)? = self[name] { return value }
        return nil
    }

    public func named(_ name: String) -> NamedValue? {
        if case .named(let value)? = self[name] { return value }
        return nil
    }

    public func text(_ name: String) -> TemplateText? {
        if case .text(let value)? = self[name] { return value }
        return nil
    }

    public func duration(_ name: String) -> Int64? {
        if case .duration(let value)? = self[name] { return value }
        return nil
    }

    public func buffer(_ name: String) -> BufferOperand? {
        if case .buffer(let value)? = self[name] { return value }
        return nil
    }
}
