import IoUring

/// A step the runner performs itself rather than as an SQE.
public struct ControlStep: Hashable, Sendable {
    public var action: ControlAction
    /// For `peer_connect`: the name under which the connected socket is captured (`$client`).
    public var capture: CaptureSpec?
    /// For `submit`: what its io_uring_enter(2) must return (how many SQEs the kernel took), when given.
    public var expected: ResultPattern?
    public var expectationMark: SourceMark?
    /// For `wait`: `expect: timeout`, the wait must expire with a listed request still pending.
    public var expectsTimeout = false

    public init(action: ControlAction, capture: CaptureSpec? = nil, expected: ResultPattern? = nil,
                expectationMark: SourceMark? = nil) {
        self.action = action
        self.capture = capture
        self.expected = expected
        self.expectationMark = expectationMark
    }
}

public enum ControlAction: Hashable, Sendable {
    /// Submit the SQEs queued so far; with a count, wait until that many CQEs have arrived.
    case submit(waitFor: UInt32?)
    /// Submit, then wait until every listed request has posted its CQE (its final one, for multishot).
    case wait(for: [RequestReference], timeoutNanoseconds: Int64?)
    /// Submit, then sleep.
    case sleep(nanoseconds: Int64)
    /// Write bytes to a pipe end or socket from outside the ring.
    case peerWrite(FileOperand, [UInt8])
    /// Read (and discard) up to `length` bytes from a pipe end or socket.
    case peerRead(FileOperand, length: UInt64)
    /// Close a pipe end, socket or other descriptor from outside the ring.
    case peerClose(FileOperand)
    /// shutdown(2) a socket from outside the ring.
    case peerShutdown(FileOperand, how: NamedValue)
    /// Connect `count` new client sockets to a listener.
    case peerConnect(to: ResourceReference, count: Int)
    /// Send a datagram to a UDP socket from a fresh socket.
    case peerSend(to: SocketAddress, [UInt8])
    /// Add `value` to an eventfd's counter (write(2) of 8 bytes).
    case peerSignal(FileOperand, value: UInt64)
    /// Give buffers `first ..< first + count` back to a buffer ring, whole, at its tail (what an application
    /// does once it has used their data: io_uring_buf_ring_add + io_uring_buf_ring_advance).
    case replenishBuffers(group: BufferGroupReference, first: UInt16, count: UInt16)
    /// `reap`, `enter`, `ring_state`: the ring under the scenario's control (RingControl.swift).
    case ring(RingControl)
    /// `replenish_buffers` with `ids`: buffers `first ..< first + count` go back under the ids `newIDs`.
    case replenishBuffersAs(group: BufferGroupReference, first: UInt16, count: UInt16, newIDs: [UInt16])
    /// Read an eventfd's counter from outside the ring and compare it with `value` (`check_eventfd`).
    case checkEventfd(FileOperand, value: UInt64)
    /// lseek(2) a descriptor from outside the ring (`lseek`).
    case seek(FileOperand, offset: Int64, whence: NamedValue)
    /// Compare a descriptor's file position, lseek(fd, 0, SEEK_CUR), with `offset` (`check_position`).
    case checkPosition(FileOperand, offset: UInt64)
}

/// An `io_uring_register(2)` call at a point of the scenario, and the result it should have.
public struct RegistrationStep: Hashable, Sendable {
    public var registration: Registration
    /// The expected return value; success (≥ 0) unless the step says otherwise.
    public var expected: ResultPattern
    public var expectationMark: SourceMark?

    public init(registration: Registration, expected: ResultPattern, expectationMark: SourceMark? = nil) {
        self.registration = registration
        self.expected = expected
        self.expectationMark = expectationMark
    }
}

public enum Registration: Hashable, Sendable {
    /// IORING_REGISTER_FILES: the table holds these files (`.empty` leaves a slot free).
    case files([FileOperand])
    /// IORING_REGISTER_FILES2 with IORING_RSRC_REGISTER_SPARSE: an empty table of `count` slots.
    case sparseFiles(count: UInt32)
    /// IORING_REGISTER_FILES_UPDATE: replace slots from `offset` on.
    case filesUpdate(offset: UInt32, [FileOperand])
    /// IORING_REGISTER_FILE_ALLOC_RANGE: where IORING_FILE_INDEX_ALLOC may put files.
    case fileAllocRange(offset: UInt32, count: UInt32)
    /// IORING_UNREGISTER_FILES.
    case unregisterFiles
    /// IORING_REGISTER_BUFFERS: buffer resources, indexed in this order.
    case buffers([String])
    /// IORING_UNREGISTER_BUFFERS.
    case unregisterBuffers
    /// IORING_REGISTER_EVENTFD, or IORING_REGISTER_EVENTFD_ASYNC when `async`.
    case eventfd(FileOperand, async: Bool)
    /// IORING_UNREGISTER_EVENTFD.
    case unregisterEventfd
    /// IORING_REGISTER_NAPI.
    case napi(busyPollTimeoutNanoseconds: Int64, preferBusyPoll: Bool)
    /// IORING_UNREGISTER_NAPI.
    case unregisterNAPI
    /// IORING_REGISTER_PBUF_RING: a ring-mapped provided-buffer group.
    case bufferRing(BufferRingSpec)
    /// IORING_UNREGISTER_PBUF_RING.
    case unregisterBufferRing(group: UInt16)
    /// IORING_REGISTER_PROBE: the listed ops must be reported supported / unsupported.
    case probe(supported: [Opcode], unsupported: [Opcode])
    /// IORING_REGISTER_ENABLE_RINGS: a ring set up with IORING_SETUP_R_DISABLED starts taking submissions.
    case enableRings

    /// The op-table name of the step that makes this call (`register_files` for both table forms).
    public var stepName: String {
        switch self {
        case .files, .sparseFiles: return "register_files"
        case .filesUpdate: return "register_files_update"
        case .fileAllocRange: return "register_file_alloc_range"
        case .unregisterFiles: return "unregister_files"
        case .buffers: return "register_buffers"
        case .unregisterBuffers: return "unregister_buffers"
        case .eventfd(_, let async): return async ? "register_eventfd_async" : "register_eventfd"
        case .unregisterEventfd: return "unregister_eventfd"
        case .napi: return "register_napi"
        case .unregisterNAPI: return "unregister_napi"
        case .bufferRing: return "register_buffer_ring"
        case .unregisterBufferRing: return "unregister_buffer_ring"
        case .probe: return "probe"
        case .enableRings: return "enable_rings"
        }
    }

    /// The kernel's name of the register opcode.
    public var kernelName: String {
        switch self {
        case .files: return "IORING_REGISTER_FILES"
        case .sparseFiles: return "IORING_REGISTER_FILES2"
        case .filesUpdate: return "IORING_REGISTER_FILES_UPDATE"
        case .fileAllocRange: return "IORING_REGISTER_FILE_ALLOC_RANGE"
        case .unregisterFiles: return "IORING_UNREGISTER_FILES"
        case .buffers: return "IORING_REGISTER_BUFFERS"
        case .unregisterBuffers: return "IORING_UNREGISTER_BUFFERS"
        case .eventfd(_, let async): return async ? "IORING_REGISTER_EVENTFD_ASYNC" : "IORING_REGISTER_EVENTFD"
        case .unregisterEventfd: return "IORING_UNREGISTER_EVENTFD"
        case .napi: return "IORING_REGISTER_NAPI"
        case .unregisterNAPI: return "IORING_UNREGISTER_NAPI"
        case .bufferRing: return "IORING_REGISTER_PBUF_RING"
        case .unregisterBufferRing: return "IORING_UNREGISTER_PBUF_RING"
        case .probe: return "IORING_REGISTER_PROBE"
        case .enableRings: return "IORING_REGISTER_ENABLE_RINGS"
        }
    }
}

/// A ring-mapped provided-buffer group (IORING_REGISTER_PBUF_RING), filled with `entries` buffers of `size`.
public struct BufferRingSpec: Hashable, Sendable {
    public var group: UInt16
    public var entries: UInt32
    public var size: UInt32
    /// IOU_PBUF_RING_INC: buffers are consumed incrementally.
    public var incremental: Bool
    /// The ids the buffers get, in order (`start_id` or `ids`); nil: 0..<entries. There may be fewer
    /// buffers than entries.
    public var ids: [UInt16]? = nil

    public init(group: UInt16, entries: UInt32, size: UInt32, incremental: Bool) {
        self.group = group
        self.entries = entries
        self.size = size
        self.incremental = incremental
    }
}
