#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring

// The Scenario module's file-system calls, in one place: reading a directory and reading a file. The only
// file of the module outside its YAML binding that handles C pointers (`readdir(3)`'s entry, `read(2)`'s buffer).

/// Reading a directory, for the scenario walker (`ScenarioFiles`) and the sandbox's removal.
public enum DirectoryEntries {
    /// The names in `directory` except `.` and `..`, in the order `readdir(3)` returns them; the errno of
    /// `opendir(3)` when it cannot be opened.
    public static func names(in directory: String) -> Result<[String], Errno> {
        guard let handle = opendir(directory) else { return .failure(Errno(rawValue: errno)) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }
}

/// Reading a whole file, for `check`, `plan` and `ops --coverage`.
public enum TextFile {
    /// The file's bytes as UTF-8 (invalid sequences replaced), or the errno of `open(2)` or `read(2)`.
    public static func read(_ path: String) -> Result<String, Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Errno(rawValue: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(rawValue: errno))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }
}
