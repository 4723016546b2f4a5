#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
internal import CIoUring
import IoUring
import Scenario

/// The descriptors ringscript inherited from whoever started it.
public enum InheritedDescriptors {
    /// Closes every descriptor above 2 (stdin, stdout and stderr stay), so a scenario cannot name one
    /// the parent shell left open (`dir: 9` on `/`), and no child or exec inherits it. Descriptors that
    /// `arguments` name as `/dev/fd/N` or `/proc/self/fd/N` (a scenario given as `<(generate)`) stay
    /// open; the runner refuses numeric descriptors anyway. Call it first thing in `main`, before any
    /// thread starts. Returns how many it closed (0 without /proc, when close_range(2) closes them all
    /// unseen).
    @discardableResult
    public static func closeAll(keepingThoseNamedIn arguments: [String] = []) -> Int {
        var kept: Set<Int32> = []
        for argument in arguments {
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where argument.hasPrefix(prefix) {
                if let fd = Int32(argument.dropFirst(prefix.count)), fd > 2 { kept.insert(fd) }
            }
        }
        var open: [Int32] = []
        if let descriptors = System.openDescriptors() {
            open = descriptors.filter { $0 > 2 }
        } else if kept.isEmpty {
            // No /proc: close_range(2) closes them all at once.
            _ = CIoUring_close_range(3, ~0, 0)
            return 0
        } else {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            open = Array(3..<Int32(clamping: min(limit.rlim_cur, 1 << 16)))
        }
        var closed = 0
        for fd in open where !kept.contains(fd) {
            if Glibc.close(fd) == 0 { closed += 1 }
        }
        return closed
    }
}

/// A private directory for one scenario run. Paths in a scenario are relative to it; it is removed
/// afterwards unless the user asks to keep it.
public struct Sandbox: Sendable {
    /// Absolute path of the directory.
    public let path: String
    /// An O_RDONLY|O_DIRECTORY descriptor for it, the dirfd of the scenario's *at() operations.
    public let directoryFD: Int32

    /// Creates `<base>/ringscript-<label>-XXXXXX`, `base` defaulting to $TMPDIR or /tmp.
    public static func create(label: String, base: String? = nil) throws(RunnerError) -> Sandbox {
        let root = base ?? (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        let safeLabel = String(label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }.prefix(40))
        guard let path = System.makeTemporaryDirectory("\(root)/ringscript-\(safeLabel)-XXXXXX") else {
            throw .system("mkdtemp(\(root))", Errno(rawValue: errno))
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open(\(path))", Errno(rawValue: errno)) }
        return Sandbox(path: path, directoryFD: fd)
    }

    /// The absolute path of `relative` inside the sandbox; an absolute path (allowed only with
    /// `allow_outside_sandbox`) stays as it is.
    public func resolve(_ relative: String) -> String {
        if relative.hasPrefix("/") { return relative }
        return relative.isEmpty || relative == "." ? path : path + "/" + relative
    }

    /// Closes the directory descriptor and deletes the tree (not following symlinks).
    public func remove() {
        close(directoryFD)
        removeTree(path)
    }

    /// Closes the directory descriptor and leaves the tree in place.
    public func keep() {
        close(directoryFD)
    }
}

/// Removes `path` and everything below it, never following symbolic links out of it.
func removeTree(_ path: String) {
    var status = stat()
    guard lstat(path, &status) == 0 else { return }
    if status.st_mode & S_IFMT == S_IFDIR {
        if case .success(let names) = DirectoryEntries.names(in: path) {
            for name in names { removeTree(path + "/" + name) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// Why a scenario could not be run (as opposed to failing its expectations).
public enum RunnerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call made outside the ring failed: the call and its errno.
    case system(String, Errno)
    /// The ring engine refused or failed.
    case engine(IoUringError)
    /// The scenario asked for something the runner cannot do, with where and why.
    case unsupported(String)

    public var description: String {
        switch self {
        case .system(let call, let errno): return "\(call): \(errno.name) (\(errno.message))"
        case .engine(let error): return error.description
        case .unsupported(let what): return what
        }
    }
}
