/// `expect: { signals: { SIGPIPE: 1 } }`: how many times a signal reached the thread running the scenario
/// during the run (0: never).
public struct SignalExpectation: Hashable, Sendable {
    /// The signal's name as written (`SIGPIPE`).
    public var name: String
    public var number: Int32
    public var count: UInt64
    /// Where the expectation is written.
    public var mark: SourceMark

    public init(name: String, number: Int32, count: UInt64, mark: SourceMark) {
        self.name = name
        self.number = number
        self.count = count
        self.mark = mark
    }
}
