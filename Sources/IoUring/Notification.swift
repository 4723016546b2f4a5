import CIoUring

/// Busy-polling settings for the network devices behind a ring's sockets (`struct io_uring_napi`).
public struct NapiSettings: Hashable, Sendable {
    /// How long to busy-poll, in microseconds (`busy_poll_to`); 0 turns busy polling off.
    public var busyPollTimeout: UInt32
    /// Whether to prefer busy polling over interrupts (`prefer_busy_poll`, SO_PREFER_BUSY_POLL).
    public var preferBusyPoll: Bool

    public init(busyPollTimeout: UInt32, preferBusyPoll: Bool = false) {
        self.busyPollTimeout = busyPollTimeout
        self.preferBusyPoll = preferBusyPoll
    }
}

extension IoUring {
    // MARK: - eventfd

    /// Makes the kernel signal the eventfd `eventfd` (add 1 to its counter) whenever it posts CQEs.
    /// Only one eventfd can be registered at a time (EBUSY otherwise). IORING_REGISTER_EVENTFD.
    /// Matches io_uring_register_eventfd() in liburing.
    public mutating func registerEventfd(_ eventfd: Int32) throws(IoUringError) {
        var descriptor = eventfd
        try register(UInt32(IORING_REGISTER_EVENTFD), &descriptor, count: 1)
    }

    /// Like `registerEventfd`, but the eventfd is signalled only for completions posted from the
    /// kernel's async workers (io-wq), not for requests that complete inline while being submitted.
    /// IORING_REGISTER_EVENTFD_ASYNC. Matches io_uring_register_eventfd_async() in liburing.
    public mutating func registerEventfdAsync(_ eventfd: Int32) throws(IoUringError) {
        var descriptor = eventfd
        try register(UInt32(IORING_REGISTER_EVENTFD_ASYNC), &descriptor, count: 1)
    }

    /// Stops signalling the registered eventfd; fails with ENXIO when none is registered.
    /// IORING_UNREGISTER_EVENTFD. Matches io_uring_unregister_eventfd() in liburing.
    public mutating func unregisterEventfd() throws(IoUringError) {
        try register(UInt32(IORING_UNREGISTER_EVENTFD), nil, count: 0)
    }

    /// Whether the registered eventfd is signalled: false after `cqEventfdEnabled = false`, which sets
    /// IORING_CQ_EVENTFD_DISABLED in the CQ ring's flags. Matches io_uring_cq_eventfd_enabled() and
    /// io_uring_cq_eventfd_toggle() in liburing; setting it needs a kernel with CQ ring flags (5.8+).
    public var cqEventfdEnabled: Bool {
        get {
            guard let flags = cq.flags else { return true }
            return CIoUring_load_relaxed(flags) & IORING_CQ_EVENTFD_DISABLED == 0
        }
        set {
            guard let flags = cq.flags else {
                precondition(newValue, "this kernel's CQ ring has no flags word to disable the eventfd with")
                return
            }
            let current = CIoUring_load_relaxed(flags)
            let updated = newValue ? current & ~IORING_CQ_EVENTFD_DISABLED : current | IORING_CQ_EVENTFD_DISABLED
            CIoUring_store_release(flags, updated)
        }
    }

    // MARK: - NAPI busy polling

    /// Turns on NAPI busy polling for the ring's sockets with `settings`, tracking the NAPI ids of the
    /// sockets the ring uses. Returns the settings that were in force before. Fails with EINVAL on an
    /// IOPOLL ring and EOPNOTSUPP on a kernel without CONFIG_NET_RX_BUSY_POLL. IORING_REGISTER_NAPI.
    /// Matches io_uring_register_napi() in liburing.
    @discardableResult
    public mutating func registerNapi(_ settings: NapiSettings) throws(IoUringError) -> NapiSettings {
        var napi = io_uring_napi()
        napi.busy_poll_to = settings.busyPollTimeout
        napi.prefer_busy_poll = settings.preferBusyPoll ? 1 : 0
        try register(UInt32(IORING_REGISTER_NAPI), &napi, count: 1)
        return NapiSettings(busyPollTimeout: napi.busy_poll_to, preferBusyPoll: napi.prefer_busy_poll != 0)
    }

    /// Turns NAPI busy polling off and returns the settings that were in force.
    /// IORING_UNREGISTER_NAPI. Matches io_uring_unregister_napi() in liburing.
    @discardableResult
    public mutating func unregisterNapi() throws(IoUringError) -> NapiSettings {
        var napi = io_uring_napi()
        try register(UInt32(IORING_UNREGISTER_NAPI), &napi, count: 1)
        return NapiSettings(busyPollTimeout: napi.busy_poll_to, preferBusyPoll: napi.prefer_busy_poll != 0)
    }
}
