import IoUring

/// The type of a step argument: how the YAML is read, what the JSON Schema says, how Grammar.md names it.
public enum ArgumentType: Hashable, Sendable {
    /// A descriptor: a resource (`data`, `p.read`), `$capture`, `{ slot: N }` or a number.
    case file
    /// Like `file`, plus `cwd` (AT_FDCWD, the sandbox directory), the default.
    case directory
    /// A buffer resource, or `{ buffer: name, offset: N }`.
    case buffer
    /// Bytes given inline: a string, `{ hex: "…" }` or `{ pattern: "…", size: N }`.
    case data
    /// A buffer resource that is registered (IORING_REGISTER_BUFFERS), for the `*_fixed` ops.
    case registeredBuffer
    /// An `iovecs` resource.
    case iovecs
    /// An unsigned integer of `bits` bits; a count capture (`$n`) is accepted where `capturable`.
    case unsigned(bits: Int, capturable: Bool)
    case signed(bits: Int)
    /// A file offset: unsigned, or -1 for the current position.
    case offset
    case bool
    /// `10ms`, `1.5s`, `250us`, `100ns`, or a number of nanoseconds.
    case duration
    /// A timeout's `struct __kernel_timespec`: a duration, or `{ sec, nsec }` as written (even invalid).
    case timespec
    /// A path inside the sandbox (checked against the sandbox rules); `{i}` allowed.
    case path
    /// Free text; `{i}` allowed.
    case text
    /// Names of a constant family (`O_CREAT`, `[O_CREAT, O_RDWR]`, `"O_CREAT|O_RDWR"`) or a number.
    case constants(ConstantFamily)
    /// A socket resource's address, `"127.0.0.1:port"` or `"[::1]:port"`.
    case address
    /// Another request: its id (`r1`, `r{i}`, `r3`) or a user_data number.
    case request
    /// A list of requests.
    case requests
    /// A provided-buffer group: a `provided_buffers` / `buffer_ring` resource, or the group number.
    case bufferGroup
    /// A registered file slot number, or a slot capture.
    case slot
    /// A slot number or `auto` (IORING_FILE_INDEX_ALLOC).
    case slotOrAuto
    /// An op name (`read`) or kernel opcode name (`IORING_OP_READ`).
    case opcode
    case opcodes
    /// A list of files (`-1` / `null` for an empty slot).
    case files
    /// A list of buffer resources.
    case buffers
    /// A list of distinct buffer ids (u16), as IORING_CQE_BUFFER_SHIFT carries them.
    case bufferIDs
    /// A `child_process` resource or a pid.
    case process
    /// `monotonic`, `boottime` or `realtime`; the value carries the IORING_TIMEOUT_* clock flag (0, BOOTTIME, REALTIME).
    case clock
    /// A raw SQE `addr`: a buffer resource (its address) or a number.
    case rawAddress
    /// A `tcp_listener` (or `udp_socket`) resource.
    case listener
    /// The ring an IORING_OP_MSG_RING goes to: `$ring` (the scenario's own ring) or `{ slot: N }`.
    case ring

    /// How Grammar.md and messages name the type.
    public var title: String {
        switch self {
        case .file: return "file"
        case .directory: return "directory"
        case .buffer: return "buffer"
        case .data: return "bytes"
        case .registeredBuffer: return "registered buffer"
        case .iovecs: return "iovecs"
        case .unsigned(let bits, let capturable): return "u\(bits)" + (capturable ? " or $count" : "")
        case .signed(let bits): return "i\(bits)"
        case .offset: return "offset"
        case .bool: return "bool"
        case .duration: return "duration"
        case .timespec: return "duration or timespec"
        case .path: return "path"
        case .text: return "text"
        case .constants(let family): return family.isBitSet ? "\(family.title)s" : family.title
        case .address: return "address"
        case .request: return "request"
        case .requests: return "requests"
        case .bufferGroup: return "buffer group"
        case .slot: return "slot"
        case .slotOrAuto: return "slot or auto"
        case .opcode: return "op"
        case .opcodes: return "ops"
        case .files: return "files"
        case .buffers: return "buffers"
        case .bufferIDs: return "buffer ids"
        case .process: return "process"
        case .clock: return "clock"
        case .rawAddress: return "buffer or u64"
        case .listener: return "listener"
        case .ring: return "ring"
        }
    }
}

/// One argument of an op-table entry. A class: the loader reads entries for every step it loads, and a
/// shared entry costs one reference where a copied struct would cost one per string and payload.
public final class ArgumentSpec: Hashable, Sendable {
    public enum Presence: Hashable, Sendable {
        case required
        /// Absent unless given.
        case optional
        /// This value when not given; `shown` is how Grammar.md writes it.
        case defaulted(ArgumentValue, shown: String)
        /// Computed from other arguments when not given (`len`: the buffer's size); `shown` explains how.
        case derived(shown: String)
    }

    public let name: String
    public let type: ArgumentType
    public let presence: Presence
    public let doc: String
    /// Precomputed for the loader's hot path.
    let isBool: Bool
    let isPath: Bool
    /// `'name'`, as messages quote it.
    let quotedName: String

    public init(_ name: String, _ type: ArgumentType, _ presence: Presence, _ doc: String) {
        self.name = name
        self.type = type
        self.presence = presence
        self.doc = doc
        self.isBool = type == .bool
        self.isPath = type == .path
        self.quotedName = "'\(name)'"
    }

    public var isRequired: Bool { presence == .required }

    public static func == (lhs: ArgumentSpec, rhs: ArgumentSpec) -> Bool {
        lhs === rhs || (lhs.name == rhs.name && lhs.type == rhs.type && lhs.presence == rhs.presence && lhs.doc == rhs.doc)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(type)
        hasher.combine(presence)
        hasher.combine(doc)
    }
}

/// What a step is, in the op table. A class: entries are shared, never copied.
public final class StepSpec: Hashable, Sendable {
    public enum Category: Hashable, Sendable {
        /// An SQE with this opcode.
        case operation(Opcode)
        /// An `io_uring_register(2)` call (the kernel name of its register opcode).
        case registration(String)
        /// Done by the runner itself.
        case control
    }

    /// A constraint between arguments.
    public enum Rule: Hashable, Sendable {
        case exactlyOne([String])
        case atMostOne([String])
        case atLeastOne([String])
        /// The first argument (when true or given) needs the second.
        case requires(String, String)
    }

    /// How many CQEs the SQE may post.
    public enum Multishot: Hashable, Sendable {
        case never
        case always
        /// When the bool argument of this name is true.
        case whenArgument(String)
    }

    public let name: String
    public let category: Category
    /// One line for Grammar.md, the schema and `did you mean` lists.
    public let summary: String
    public let arguments: [ArgumentSpec]
    public let rules: [Rule]
    /// The table positions of the arguments each rule names, in the rule's order.
    let ruleArguments: [[Int]]
    /// The kind of value `capture:` takes from the CQE, if the step can capture.
    public let captures: CaptureKind?
    public let multishot: Multishot
    /// The opcode used instead of the main one when this argument is given (`read` with `iovecs` is READV).
    public let opcodeVariant: OpcodeVariant?
    /// The argument a non-mapping value stands for (`sleep: 10ms` is `sleep: { duration: 10ms }`).
    public let shorthand: String?
    /// Whether any argument is a path (checked against the sandbox).
    let hasPaths: Bool
    /// Table positions of the arguments the loader consults for every step (`buf`, `len`, `data`, `iovecs`).
    let bufferIndex, lengthIndex, dataIndex, iovecsIndex: Int?
    /// The argument whose file goes into the SQE's `fd` field (`out` for splice and tee, `epfd` for epoll).
    let primaryFileArgument: String
    /// Facts the loader asks of every request, answered once here instead of by comparing names per step.
    let isRaw, isLinkTimeout, isCancel, takesBufferGroup, takesNewUserData: Bool
    /// The argument holding a user_data that a CQE will carry though no request was queued with it
    /// (poll_update's `new_user_data`, msg_ring's `cqe_user_data`): usable as an expectation key.
    let postedUserDataArgument: String?

    public struct OpcodeVariant: Hashable, Sendable {
        public let argument: String
        public let opcode: Opcode
    }

    init(_ name: String, _ category: Category, _ summary: String, _ arguments: [ArgumentSpec] = [],
         rules: [Rule] = [], captures: CaptureKind? = nil, multishot: Multishot = .never,
         variant: OpcodeVariant? = nil, shorthand: String? = nil) {
        self.name = name
        self.category = category
        self.summary = summary
        self.arguments = arguments
        self.rules = rules
        ruleArguments = rules.map { rule in
            let names: [String]
            switch rule {
            case .exactlyOne(let list), .atMostOne(let list), .atLeastOne(let list): names = list
            case .requires(let first, let second): names = [first, second]
            }
            return names.map { name in
                guard let index = arguments.firstIndex(where: { $0.name == name }) else {
                    preconditionFailure("op table: a rule of '\(name)' names an argument it does not have")
                }
                return index
            }
        }
        self.captures = captures
        self.multishot = multishot
        self.opcodeVariant = variant
        self.shorthand = shorthand
        self.hasPaths = arguments.contains { $0.isPath }
        // The loader keeps one bit per argument (ArgumentDraft).
        precondition(arguments.count <= 64, "'\(name)' has more arguments than the loader's 64-bit sets hold")
        bufferIndex = arguments.firstIndex { $0.name == "buf" }
        lengthIndex = arguments.firstIndex { $0.name == "len" }
        dataIndex = arguments.firstIndex { $0.name == "data" }
        iovecsIndex = arguments.firstIndex { $0.name == "iovecs" }
        primaryFileArgument = switch name {
        case "splice", "tee": "out"
        case "epoll_ctl", "epoll_wait": "epfd"
        default: "fd"
        }
        isRaw = name == "raw"
        isLinkTimeout = name == "link_timeout"
        isCancel = name == "cancel"
        takesBufferGroup = arguments.contains { $0.name == "buffer_group" }
        postedUserDataArgument = arguments.first { $0.name == "new_user_data" || $0.name == "cqe_user_data" }?.name
        takesNewUserData = postedUserDataArgument != nil
    }

    public func argument(_ name: String) -> ArgumentSpec? { arguments.first { $0.name == name } }

    public static func == (lhs: StepSpec, rhs: StepSpec) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The opcode, for operations.
    public var opcode: Opcode? {
        if case .operation(let opcode) = category { return opcode }
        return nil
    }

    /// The kernel name shown in docs: `IORING_OP_READ (IORING_OP_READV with iovecs)`.
    public var kernelName: String {
        switch category {
        case .operation(let opcode):
            var text = opcode.kernelName
            if let opcodeVariant { text += " (\(opcodeVariant.opcode.kernelName) with `\(opcodeVariant.argument)`)" }
            return text
        case .registration(let name): return name
        case .control: return "—"
        }
    }
}
