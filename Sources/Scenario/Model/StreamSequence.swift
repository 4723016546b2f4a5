/// `cqes:`: the CQEs of a multishot request (or a zero-copy send's result CQE and its IORING_CQE_F_NOTIF
/// notification) in arrival order, each matched by a pattern that may repeat (`times`). A final `...`
/// element leaves the list open: any further CQEs, and the stream need not end.
public struct CQESequence: Hashable, Sendable {
    public var elements: [Element]
    /// The list ends with `...`.
    public var isOpenEnded: Bool
    public var mark: SourceMark

    public struct Element: Hashable, Sendable {
        public var pattern: CQEPattern
        /// How many consecutive CQEs this element matches (`times`, 1 when not given).
        public var times: CountRange

        public init(pattern: CQEPattern, times: CountRange) {
            self.pattern = pattern
            self.times = times
        }
    }

    public init(elements: [Element], isOpenEnded: Bool, mark: SourceMark) {
        self.elements = elements
        self.isOpenEnded = isOpenEnded
        self.mark = mark
    }

    /// How many CQEs the list accepts at least.
    public var minimumCount: Int { elements.reduce(0) { $0 + $1.times.lower } }
}
