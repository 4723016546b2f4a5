#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring
import Scenario

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
        var template = Array("\(root)/ringscript-\(safeLabel)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw .system("mkdtemp(\(root))", Errno(rawValue: errno)) }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
