/// A bound on a duration, in nanoseconds: `">= 20ms"`, `"< 2s"`, `"20ms..2s"` (inclusive at both ends).
public struct DurationBound: Hashable, Sendable, CustomStringConvertible {
    public var lower: Int64?
    public var lowerInclusive = true
    public var upper: Int64?
    public var upperInclusive = true

    public init(lower: Int64? = nil, lowerInclusive: Bool = true, upper: Int64? = nil, upperInclusive: Bool = true) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    public func contains(_ nanoseconds: Int64) -> Bool {
        if let lower, lowerInclusive ? nanoseconds < lower : nanoseconds <= lower { return false }
        if let upper, upperInclusive ? nanoseconds > upper : nanoseconds >= upper { return false }
        return true
    }

    public var description: String {
        switch (lower, upper) {
        case (let lower?, let upper?) where lowerInclusive && upperInclusive:
            return DurationBound.format(lower) + ".." + DurationBound.format(upper)
        case (let lower?, let upper?):
            return (lowerInclusive ? ">= " : "> ") + DurationBound.format(lower) + " and "
                + (upperInclusive ? "<= " : "< ") + DurationBound.format(upper)
        case (let lower?, nil): return (lowerInclusive ? ">= " : "> ") + DurationBound.format(lower)
        case (nil, let upper?): return (upperInclusive ? "<= " : "< ") + DurationBound.format(upper)
        case (nil, nil): return "any"
        }
    }

    /// A duration as a scenario writes it: `20ms`, `1.5s`, `250us`, `100ns`.
    public static func format(_ nanoseconds: Int64) -> String {
        let magnitude = nanoseconds.magnitude
        let sign = nanoseconds < 0 ? "-" : ""
        for (unit, size) in [("s", UInt64(1_000_000_000)), ("ms", 1_000_000), ("us", 1_000)] where magnitude >= size {
            if magnitude % size == 0 { return sign + "\(magnitude / size)\(unit)" }
            if magnitude % (size / 1000) == 0 || unit == "s" {
                let value = Double(magnitude) / Double(size)
                return sign + "\((value * 1000).rounded() / 1000)\(unit)"
            }
        }
        return sign + "\(magnitude)ns"
    }
}

/// A bound on when a request's first CQE was reaped (`after:`, `within:`): measured from the submission
/// of its own SQE (`reference` nil) or from the first CQE of another request.
public struct TimingBound: Hashable, Sendable, CustomStringConvertible {
    /// The request whose first CQE the interval starts at; nil: the request's own submission.
    public var reference: ExpectationSubject?
    public var bound: DurationBound
    /// Where the bound was written.
    public var mark: SourceMark

    public init(reference: ExpectationSubject?, bound: DurationBound, mark: SourceMark) {
        self.reference = reference
        self.bound = bound
        self.mark = mark
    }

    /// `since its submission: >= 20ms`, `since a's CQE: <= 2s`.
    public var description: String {
        (reference.map { "since \($0)'s CQE" } ?? "since its submission") + ": " + bound.description
    }
}

/// `share:` of an expectation over the instances of a repeated request: the share of instances whose
/// (final) CQE's res matches `result` must lie within the bound, in percent.
public struct OutcomeShare: Hashable, Sendable, CustomStringConvertible {
    public var result: ResultPattern
    /// Percent, 0...100.
    public var lower: Double?
    public var lowerInclusive = true
    public var upper: Double?
    public var upperInclusive = true
    public var mark: SourceMark

    public init(result: ResultPattern, lower: Double?, lowerInclusive: Bool = true, upper: Double?,
                upperInclusive: Bool = true, mark: SourceMark) {
        self.result = result
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
        self.mark = mark
    }

    /// Whether `matching` of `total` instances is a share within the bound.
    public func holds(matching: UInt64, total: UInt64) -> Bool {
        guard total > 0 else { return false }
        // Compared as products, so 99% of 100 is exactly 99 instances.
        let scaled = Double(matching) * 100
        let whole = Double(total)
        if let lower, lowerInclusive ? scaled < lower * whole : scaled <= lower * whole { return false }
        if let upper, upperInclusive ? scaled > upper * whole : scaled >= upper * whole { return false }
        return true
    }

    public var boundDescription: String {
        func percent(_ value: Double) -> String {
            value == value.rounded() ? "\(Int(value))%" : "\(value)%"
        }
        switch (lower, upper) {
        case (let lower?, let upper?) where lowerInclusive && upperInclusive: return percent(lower) + ".." + percent(upper)
        case (let lower?, let upper?):
            return (lowerInclusive ? ">= " : "> ") + percent(lower) + " and " + (upperInclusive ? "<= " : "< ") + percent(upper)
        case (let lower?, nil): return (lowerInclusive ? ">= " : "> ") + percent(lower)
        case (nil, let upper?): return (upperInclusive ? "<= " : "< ") + percent(upper)
        case (nil, nil): return "any share"
        }
    }

    /// `-ETIME: >= 99%`.
    public var description: String { "\(result): \(boundDescription)" }
}
