import IoUring
import Scenario

/// Turns one instance of a request step into the engine call that queues its SQE.
public enum OperationIssuer {
    /// Queues the SQE of `spec` at `instance` with `userData` and the step's IOSQE_* flags
    /// (`spec.flags`), through the engine's typed operation for it. Operands are resolved by `resolver`.
    /// Throws `.engine` when the engine refuses (a full SQ, an argument it can tell is wrong) and
    /// `.unsupported` when the step asks for something the runner cannot express.
    public static func issue(_ spec: RequestSpec, instance: StepInstance, userData: UInt64,
                             resolver: some OperandResolver, ring: inout IoUring) throws(RunnerError) {
        throw .unsupported("issuing '\(spec.operation)' is not yet implemented")
    }
}
