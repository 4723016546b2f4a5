import IoUring
import Scenario

/// Performs a registration step (`io_uring_register(2)`).
public enum RegistrationIssuer {
    /// Makes the call of `step` and returns the kernel's result: ≥ 0 on success, `-errno` when the
    /// kernel refused. A refusal is a result the checker compares with `step.expected`, not an error.
    /// Throws only for what the runner itself cannot do (an operand it cannot resolve, an engine refusal
    /// before the kernel is asked).
    public static func perform(_ step: RegistrationStep, instance: StepInstance, resolver: some OperandResolver,
                               ring: inout IoUring) throws(RunnerError) -> Int32 {
        throw .unsupported("registration '\(step.registration.kernelName)' is not yet implemented")
    }
}
