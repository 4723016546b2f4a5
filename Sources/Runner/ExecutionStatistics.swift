/// Counters of one run, for reports and for proving constant memory.
public struct ExecutionStatistics: Hashable, Sendable {
    /// Step instances run (repeat blocks expanded).
    public var instances: UInt64 = 0
    /// SQEs queued.
    public var requests: UInt64 = 0
    /// CQEs reaped, teardown included.
    public var completions = 0
    /// `io_uring_enter(2)` calls the runner made (the engine's own, in teardown, are not counted).
    public var enters = 0
    /// The most distinct user_data values outstanding (queued, final CQE not yet reaped) at once.
    public var peakOutstanding = 0
    /// Requests the checker tracked densely, by their user_data, with no record of their own (requests
    /// whose every instance is checked the same way: `CheckerCore.isDense`).
    public var denseRequests: UInt64 = 0
    /// Of those, the requests queued in bulk from their templates, a run of steps or a repeat block's
    /// iterations at a time.
    public var bulkRequests: UInt64 = 0

    public init() {}
}
