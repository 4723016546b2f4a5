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
    /// The path that means "read the scenario from standard input".
    public static let standardInput = "-"

    /// The files in order (`-`, standard input, kept where it is given); the first path that could not
    /// be read is the error.
    public static func find(_ paths: [String]) throws(RunnerError) -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        var pending: [String] = []
        func flush() throws(RunnerError) {
            guard !pending.isEmpty else { return }
            let listing = ScenarioFiles.find(pending)
            if let problem = listing.problems.first { throw .system("\(problem.call)(\(problem.path))", problem.errno) }
            for file in listing.files where seen.insert(file).inserted { found.append(file) }
            pending.removeAll()
        }
        for path in paths {
            if path == standardInput {
                try flush()
                if seen.insert(path).inserted { found.append(path) }
            } else {
                pending.append(path)
            }
        }
        try flush()
        return found
    }
}

/// Which scenarios of a run to pick.
public struct Selection: Sendable {
    /// A substring, or a glob when it has `*`, `?` or `[`, matched against the path and the name.
    public var filter: String?
    /// `--exclude`: scenarios whose path or name matches any of these (as `filter` matches) do not run.
    public var exclude: [String]
    /// Scenarios must carry every one of these tags.
    public var tags: [String]
    /// `--shard K/N`: the K-th of N interleaved shards (1-based), by position in the stable order.
    public var shard: (index: Int, count: Int)?

    public init(filter: String? = nil, exclude: [String] = [], tags: [String] = [], shard: (index: Int, count: Int)? = nil) {
        self.filter = filter
        self.exclude = exclude
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
        if exclude.contains(where: { Selection.match($0, path) || Selection.match($0, name) }) { return false }
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

    /// Why `pattern` is not a pattern `match` can use (an empty one, a `[` without its `]`), or nil.
    public static func problem(in pattern: String) -> String? {
        if pattern.isEmpty { return "an empty pattern matches everything; leave the option out instead" }
        let characters = Array(pattern)
        var index = 0
        while index < characters.count {
            switch characters[index] {
            case "\\":
                index += 2
                continue
            case "[":
                // A bracket expression: `]` right after `[` or `[!` belongs to the set.
                var end = index + 1
                if end < characters.count, characters[end] == "!" || characters[end] == "^" { end += 1 }
                if end < characters.count, characters[end] == "]" { end += 1 }
                while end < characters.count, characters[end] != "]" { end += 1 }
                guard end < characters.count else {
                    return "'[' at column \(index + 1) has no closing ']' (write '\\[' for a literal bracket)"
                }
                index = end + 1
                continue
            default:
                index += 1
            }
        }
        return nil
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
    /// SIGHUP stopped the run (128 + 1).
    case hangUp = 129
    /// SIGINT stopped the run (128 + 2).
    case interrupted = 130
    /// Standard output was closed under the run (128 + SIGPIPE, as if the signal had killed it).
    case outputClosed = 141
    /// SIGTERM stopped the run (128 + 15).
    case terminated = 143
}
