/// Durations as scenarios and the command line write them: `10ms`, `1.5s`, `250us`, `100ns`, `0`.
public enum DurationText {
    /// The duration, or nil when `text` is not one.
    public static func parse(_ text: String) -> Duration? {
        NodeReader.parseDuration(text).map { .nanoseconds($0) }
    }
}
