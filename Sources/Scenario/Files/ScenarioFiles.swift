#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring

/// The one directory walker of every command (`run`, `check`, `plan`, `ops --coverage`).
///
/// The rules (README, "Which files a directory holds"):
/// - A path named on the command line is taken as it is (any name, any extension, hidden or not) unless it
///   is a directory.
/// - A directory is searched recursively for files named `*.yaml` or `*.yml`; names starting with `.`
///   (hidden files and directories) are skipped below it.
/// - Symbolic links are followed (`stat(2)`, not `lstat(2)`): a symlinked directory is searched, a symlinked
///   `.yaml` file is listed. A symlink to a directory that is already on the path being searched (a loop,
///   told apart by device and inode) is not followed, so every walk ends.
/// - A directory's files come sorted by the byte order of their paths; across the paths given, each path is
///   listed once, at its first place.
/// - A symlink named `*.yaml` whose target is missing is listed: reading it then reports why, rather than
///   the file vanishing. A directory that cannot be read, or a named path that does not exist, is a problem
///   of the listing (`ScenarioFileListing.problems`).
public enum ScenarioFiles {
    /// The scenario files `paths` name, by the rules above.
    public static func find(_ paths: [String]) -> ScenarioFileListing {
        var listing = ScenarioFileListing()
        var seen: Set<String> = []
        for path in paths {
            switch FileStatus.of(path) {
            case .failure(let code):
                listing.problems.append(ScenarioFileProblem(call: "stat", path: path, errno: code))
            case .success(let status) where status.isDirectory:
                var found: [String] = []
                var onPath: [FileIdentity] = []
                walk(directory: trimmingTrailingSlashes(path), identity: status.identity, onPath: &onPath,
                     into: &found, problems: &listing.problems)
                found.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                for file in found where seen.insert(file).inserted { listing.files.append(file) }
            case .success:
                if seen.insert(path).inserted { listing.files.append(path) }
            }
        }
        return listing
    }

    /// Whether a file found in a directory is a scenario file by its name.
    public static func isScenarioName(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
    }

    private static func walk(directory: String, identity: FileIdentity, onPath: inout [FileIdentity],
                             into found: inout [String], problems: inout [ScenarioFileProblem]) {
        let names: [String]
        switch DirectoryEntries.names(in: directory) {
        case .success(let list): names = list
        case .failure(let code):
            problems.append(ScenarioFileProblem(call: "opendir", path: directory, errno: code))
            return
        }
        onPath.append(identity)
        defer { onPath.removeLast() }
        for name in names where !name.hasPrefix(".") {
            let child = directory == "/" ? "/" + name : directory + "/" + name
            switch FileStatus.of(child) {
            case .success(let status) where status.isDirectory:
                if onPath.contains(status.identity) { continue }
                walk(directory: child, identity: status.identity, onPath: &onPath, into: &found, problems: &problems)
            case .success, .failure:
                if isScenarioName(name) { found.append(child) }
            }
        }
    }

    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}

/// What `ScenarioFiles.find` found: the files, in order, and the paths it could not read.
public struct ScenarioFileListing: Sendable, Equatable {
    public var files: [String] = []
    public var problems: [ScenarioFileProblem] = []
}

/// A path the walker could not read: the call, the path and the errno.
public struct ScenarioFileProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var call: String
    public var path: String
    public var errno: Errno

    public init(call: String, path: String, errno: Errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// `stat(scenarios/x): ENOENT (No such file or directory)`.
    public var description: String { "\(call)(\(path)): \(errno.name) (\(errno.message))" }
}

/// A file's device and inode: what tells two paths to one directory apart from two directories.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
}

/// What `stat(2)` says of a path (symlinks followed).
struct FileStatus: Sendable {
    var identity: FileIdentity
    var isDirectory: Bool

    static func of(_ path: String) -> Result<FileStatus, Errno> {
        var status = stat()
        guard stat(path, &status) == 0 else { return .failure(Errno(rawValue: errno)) }
        return .success(FileStatus(identity: FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)),
                                   isDirectory: status.st_mode & S_IFMT == S_IFDIR))
    }
}
