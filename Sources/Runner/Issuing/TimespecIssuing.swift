import IoUring
import Scenario

extension Issue {
    /// A timeout's literal timespec, as written: `at: { sec, nsec }` (absolute, IORING_TIMEOUT_ABS) or
    /// `after: { sec, nsec }` (a length). Nil when the step gives a duration instead.
    func literalTimespec() -> (timespec: Timespec, absolute: Bool)? {
        if case .timespec(let seconds, let nanoseconds)? = spec.arguments["at"] {
            return (Timespec(seconds: seconds, nanoseconds: nanoseconds), true)
        }
        if case .timespec(let seconds, let nanoseconds)? = spec.arguments["after"] {
            return (Timespec(seconds: seconds, nanoseconds: nanoseconds), false)
        }
        return nil
    }
}
