#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring

// The Scenario module's directory reading, in one place (`readdir(3)`'s entry is a C pointer). Files are
// read by `ScenarioFileReader`.

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
