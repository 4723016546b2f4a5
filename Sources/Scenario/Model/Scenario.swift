import IoUring

/// The scenario language: YAML files describing the SQEs to issue and the CQEs to expect.
public enum ScenarioLanguage {
    /// The version of the language that Grammar.md documents.
    public static let version = "0.1"
}

/// A validated scenario: plain values, no kernel needed. Every part keeps the mark it was written at.
public struct Scenario: Hashable, Sendable {
    /// The file it was loaded from, as marks name it.
    public var file: String
    public var name: String
    public var description: String?
    public var tags: [String]
    /// `xfail: "reason"`: the scenario is expected to fail (a known kernel bug…).
    public var expectedFailure: String?
    /// How long the whole run may take before the runner gives up; nil: the runner's default.
    public var deadlineNanoseconds: Int64?
    public var requirements: Requirements
    public var ring: RingSpec
    public var options: ScenarioOptions
    /// In the order written; names are unique.
    public var resources: [Resource]
    public var graph: ScenarioGraph
    public var expectations: Expectations
    /// `xfail: { reason, fixed_in: [...] }`: the releases that carry the fix. Empty: expected to fail on
    /// every kernel. See `expectsFailure(on:)`.
    public var expectedFailureFixedIn: [KernelRelease] = []

    /// The resource called `name`.
    public func resource(named name: String) -> Resource? { resources.first { $0.name == name } }

    /// A scenario with nothing in it (a placeholder where a value is needed).
    public static let empty = Scenario(file: "", name: "", description: nil, tags: [], expectedFailure: nil,
                                       deadlineNanoseconds: nil, requirements: Requirements(), ring: RingSpec(),
                                       options: ScenarioOptions(), resources: [], graph: ScenarioGraph(),
                                       expectations: Expectations())

    /// The reason the scenario is expected to fail on `kernel`, or nil when it must pass there. With
    /// `fixed_in`, a kernel has the fix when a listed release of its own series (major.minor) is not
    /// newer than it, or when its series is newer than every listed release (mainline carries the fix
    /// from the newest listed series on): `fixed_in: ["7.1", "6.18.50"]` covers 7.1 and later, and 6.18.50
    /// and later 6.18 stable releases, but not 6.19 or 6.18.44.
    public func expectsFailure(on kernel: KernelRelease) -> String? {
        guard let expectedFailure else { return nil }
        guard !expectedFailureFixedIn.isEmpty else { return expectedFailure }
        let series = { (release: KernelRelease) in (release.major, release.minor) }
        let fixed = expectedFailureFixedIn.contains { series($0) == series(kernel) && kernel.patch >= $0.patch }
            || expectedFailureFixedIn.allSatisfy { series(kernel) > series($0) }
        return fixed ? nil : expectedFailure
    }
}

/// What the kernel must offer for the scenario to run; otherwise it is skipped with the reason.
public struct Requirements: Hashable, Sendable {
    public var operations: [Opcode] = []
    public var setupFlags: SetupFlags = []
    public var features: Features = []
    public var kernel: KernelRelease?
    public var root = false
    /// The kernel must accept IORING_REGISTER_NAPI (6.9, and built with CONFIG_NET_RX_BUSY_POLL).
    public var napi = false
    /// A zero-copy receive interface queue (IORING_REGISTER_ZCRX_IFQ on a NIC queue with header split),
    /// which IORING_OP_RECV_ZC needs.
    public var zcrx = false
    /// The sandbox's file system must accept `user.*` extended attributes (tmpfs, ext4 do; some refuse
    /// with EOPNOTSUPP), for the xattr ops.
    public var xattrs = false

    public init() {}
}

/// How the ring is set up.
public struct RingSpec: Hashable, Sendable {
    public var entries: UInt32 = 64
    /// IORING_SETUP_CQSIZE is set when given.
    public var cqEntries: UInt32?
    /// Every setup flag, implied ones included (SQPOLL for `sqpoll:`, SQ_AFF for a CPU, CQSIZE).
    public var flags: SetupFlags = []
    /// SQPOLL idle time before the thread sleeps, in milliseconds.
    public var sqThreadIdleMilliseconds: UInt32?
    public var sqThreadCPU: UInt32?
    /// `expect: -EINVAL`: the scenario tests setup validation; io_uring_setup(2) must fail this way, and
    /// nothing else runs. Nil: setup must succeed.
    public var expectedSetupFailure: ResultPattern?
    /// `reap: manual`: submissions do not reap CQEs; `reap` steps, `wait`, captures and the end of the
    /// steps do (RingControl.swift).
    public var reapsManually = false
    /// Where `ring:` (or its `expect:`) is written, for a setup that differed.
    public var mark: SourceMark?

    public init() {}
}

/// Opt-ins that relax validation rules.
public struct ScenarioOptions: Hashable, Sendable {
    /// Paths may leave the sandbox (absolute, `..`, through symlinks).
    public var allowOutsideSandbox = false
    /// Explicit numeric user_data may repeat, and may collide with automatic numbering.
    public var allowDuplicateUserData = false
    /// Sockets may reach addresses beyond loopback (`allow_network: true`).
    public var allowNetwork = false

    public init(allowOutsideSandbox: Bool = false, allowDuplicateUserData: Bool = false, allowNetwork: Bool = false) {
        self.allowOutsideSandbox = allowOutsideSandbox
        self.allowDuplicateUserData = allowDuplicateUserData
        self.allowNetwork = allowNetwork
    }
}
