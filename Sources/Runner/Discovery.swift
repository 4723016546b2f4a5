#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring
import Scenario

/// Finds scenario files for `run`, by the rules of the one walker every command shares (`ScenarioFiles`):
/// files named directly (any extension), and every `*.yaml` / `*.yml` below the directories named.
public enum ScenarioDiscovery {
    /// The files in order; the first path that could not be read is the error.
    public static func find(_ paths: [String]) throws(RunnerError) -> [String] {
        let listing = ScenarioFiles.find(paths)
        if let problem = listing.problems.first { throw .system("\(problem.call)(\(problem.path))", problem.errno) }
        return listing.files
    }
}

/// Which scenarios of a run to pick.
public struct Selection: Sendable {
    /// A substring, or a glob when it has `*`, `?` or `[`, matched against the path and the name.
    public var filter: String?
    /// Scenarios must carry every one of these tags.
    public var tags: [String]
    /// `--shard K/N`: the K-th of N interleaved shards (1-based), by position in the stable order.
    public var shard: (index: Int, count: Int)?

    public init(filter: String? = nil, tags: [String] = [], shard: (index: Int, count: Int)? = nil) {
        self.filter = filter
        self.tags = tags
        self.shard = shard
    }

    /// Whether the file at `position` of the discovered list is in this shard.
    public func inShard(position: Int) -> Bool {
        guard let shard else { return true }
        return position % shard.count == shard.index - 1
    }

    /// Whether a scenario at `path` named `name` with `tags` passes the filter and the tags.
    public func matches(path: String, name: String, tags scenarioTags: [String]) -> Bool {
        if let filter, !Selection.match(filter, path) && !Selection.match(filter, name) { return false }
        return self.tags.allSatisfy(scenarioTags.contains)
    }

    /// A glob matches the whole text or any part of it that starts after a `/` (so `links/*` matches
    /// `scenarios/links/x.yaml`); other patterns match as substrings.
    static func match(_ pattern: String, _ text: String) -> Bool {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return text.contains(pattern) }
        if fnmatch(pattern, text, 0) == 0 { return true }
        var rest = Substring(text)
        while let slash = rest.firstIndex(of: "/") {
            rest = rest[rest.index(after: slash)...]
            if fnmatch(pattern, String(rest), 0) == 0 { return true }
        }
        return false
    }

    /// Parses `K/N` with 1 ≤ K ≤ N.
    public static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
              (1...count).contains(index) else { return nil }
        return (index, count)
    }
}

/// ringscript's exit codes.
public enum ExitStatus: Int32, Sendable {
    /// Every scenario passed (skips and expected failures allowed).
    case success = 0
    /// A scenario failed, passed unexpectedly, or could not run.
    case failure = 1
    /// Invalid input or usage: a scenario file with errors, a bad option.
    case invalidInput = 2
    /// The single scenario run was skipped (liburing's test convention).
    case skipped = 77
}
