import IoUring
import Scenario

/// What issuing needs from the running scenario: the run-time meaning of a step's operands at one
/// instance of the step (repeat indices, captured values, resources and the sandbox). The runner
/// implements it; `OperationIssuer` and `RegistrationIssuer` call it while filling an SQE or making an
/// `io_uring_register(2)` call. Everything an op must create per request (a `StatxResult`, a
/// `WaitResult`, a `PeerAddress`, a `MessageHeader`, an `open_how`…) the issuer creates itself.
///
/// Errors carry their context (the operand, and the scenario's `file:line:col` when known), so a
/// resolver failure reads well on its own.
///
/// The issuer keeps nothing between calls and holds the resolver as `any OperandResolver` while it fills
/// one SQE: a class (or a struct of at most three words) avoids a heap box per request.
public protocol OperandResolver {
    /// The descriptor or registered-file slot a file operand names at `instance`: a resource's (or
    /// resource end's) descriptor, a number as written (`.descriptor`), `{ slot: N }` (`.fixed`), or a
    /// captured fd (`.descriptor`), slot (`.fixed`) or peer socket (`.descriptor`). Never called with
    /// `.currentDirectory` or `.empty`.
    func file(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> FileReference

    /// The dirfd of a path op: the sandbox directory's descriptor for `.currentDirectory` (`cwd`),
    /// otherwise the descriptor the operand names (a directory resource, a number, a captured fd).
    func directory(_ operand: FileOperand, at instance: StepInstance) throws(RunnerError) -> Int32

    /// Memory for a buffer operand: `length` bytes (when nil, every byte after the operand's offset)
    /// of a buffer resource from its offset, or a buffer holding inline bytes (`length` of them from the
    /// start). The kernel only reads inline bytes, so the same buffer may be handed out every time.
    func buffer(_ operand: BufferOperand, length: Int?) throws(RunnerError) -> IoBufferSlice

    /// A registered buffer (IORING_REGISTER_BUFFERS) as `buffer` would give it, and its index in the
    /// registered table (`buf_index`). The slice must lie in the buffer registered at that index.
    func registeredBuffer(_ operand: RegisteredBufferOperand, length: Int?) throws(RunnerError)
        -> (slice: IoBufferSlice, index: UInt16)

    /// The regions of an `iovecs` resource, in order.
    func iovecs(_ name: String) throws(RunnerError) -> [IoBufferSlice]

    /// A path with the repeat indices of `instance` filled in, otherwise as written: a relative path stays
    /// relative (the kernel resolves it against the op's dirfd, the sandbox directory for `cwd`), and a
    /// symlink target is stored exactly as returned.
    func path(_ text: TemplateText, at instance: StepInstance) throws(RunnerError) -> String

    /// A socket address: where a `tcp_listener` / `udp_socket` resource or a captured socket (`$s`, as
    /// seen from `instance`) is bound, or a literal address.
    func address(_ address: Scenario::SocketAddress, at instance: StepInstance) throws(RunnerError) -> IoUring::SocketAddress

    /// The user_data of the request a reference names, seen from `instance` (`r{i}` inside the same
    /// repeat block is the current iteration's).
    func userData(_ reference: RequestReference, at instance: StepInstance) throws(RunnerError) -> UInt64

    /// The value captured from an earlier CQE (`$n`) as seen from `instance`: its `res`.
    func capturedValue(_ capture: CaptureReference, at instance: StepInstance) throws(RunnerError) -> Int64

    /// The process id of a `child_process` resource, or the pid as written.
    func process(_ reference: ProcessReference) throws(RunnerError) -> Int32

    /// What the scenario may reach beyond its sandbox and loopback (`allow_outside_sandbox`,
    /// `allow_network`), for the checks the issuer makes itself (raw SQEs, socket domains).
    var sandboxOptions: ScenarioOptions { get }
}

extension OperandResolver {
    /// Nothing beyond the sandbox and loopback.
    public var sandboxOptions: ScenarioOptions { ScenarioOptions() }
}
