#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring

/// Finds scenario files: files named directly (any extension), and every `*.yaml` / `*.yml` below the
/// directories named, recursively, in a stable order (byte order of the path), each file once.
public enum ScenarioDiscovery {
    /// The path that means "read the scenario from standard input".
    public static let standardInput = "-"

    public static func find(_ paths: [String]) throws(RunnerError) -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        for path in paths {
            if path == standardInput {
                if seen.insert(path).inserted { found.append(path) }
                continue
            }
            var status = stat()
            guard stat(path, &status) == 0 else { throw .system("stat(\(path))", Errno(rawValue: errno)) }
            if status.st_mode & S_IFMT == S_IFDIR {
                var files: [String] = []
                try collect(directory: path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path, into: &files)
                for file in files.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) where seen.insert(file).inserted {
                    found.append(file)
                }
            } else if seen.insert(path).inserted {
                found.append(path)
            }
        }
        return found
    }

    private static func collect(directory: String, into files: inout [String]) throws(RunnerError) {
        guard let handle = opendir(directory) else { throw .system("opendir(\(directory))", Errno(rawValue: errno)) }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." || name.hasPrefix(".") { continue }
            let path = directory + "/" + name
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR {
                try collect(directory: path, into: &files)
            } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                files.append(path)
            }
        }
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
