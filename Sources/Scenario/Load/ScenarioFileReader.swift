#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IoUring

/// read(2), under a name the reader's own `read` does not hide.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// Reads scenario files for every command (`check`, `plan`, `run`, `ops --coverage`): a regular file of at
/// most `ScenarioLimits.scenarioFileBytes`, in valid UTF-8. Anything else is refused at once with its
/// path: a FIFO or a device is never read from (it is opened with O_NONBLOCK and looked at with fstat
/// first), so `/dev/zero` or a pipe nobody writes to cannot hang or exhaust a command.
public enum ScenarioFileReader {
    /// Why a file was not read: a diagnostic at `path:1:1` (or where the first bad UTF-8 byte is), and
    /// the text as far as it can be shown, for the diagnostic's source line.
    public struct Failure: Error, Sendable {
        public var diagnostic: Diagnostic
        public var displayText: String
    }

    /// The path that names standard input (`ringscript run -`).
    public static let standardInput = "-"

    /// The text of the scenario file at `path` (standard input for `-`: any kind of file, as far as the
    /// limit).
    public static func read(_ path: String, limits: ScenarioLimits = ScenarioLimits()) -> Result<String, Failure> {
        let start = SourceMark(file: path, line: 1, column: 1)
        func refuse(_ message: String) -> Result<String, Failure> {
            .failure(Failure(diagnostic: Diagnostic(at: start, message), displayText: ""))
        }
        if path == standardInput { return readToEnd(0, path: path, limit: limits.scenarioFileBytes, expected: 0) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return refuse("cannot read '\(path)': open: \(errnoText())") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return refuse("cannot read '\(path)': fstat: \(errnoText())") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return refuse("'\(path)' is \(fileTypeDescription(status.st_mode)), not a regular file: a scenario is read from a file")
        }
        let limit = limits.scenarioFileBytes
        if status.st_size > limit {
            return refuse(tooBigMessage(path, size: Int(status.st_size), limit: limit))
        }
        return readToEnd(fd, path: path, limit: limit, expected: Int(status.st_size))
    }

    /// Everything `fd` holds until end of file (in case a file grew since fstat), never past `limit`, as
    /// UTF-8 text.
    static func readToEnd(_ fd: Int32, path: String, limit: Int, expected: Int) -> Result<String, Failure> {
        func refuse(_ message: String) -> Result<String, Failure> {
            .failure(Failure(diagnostic: Diagnostic(at: SourceMark(file: path, line: 1, column: 1), message), displayText: ""))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return refuse("cannot read '\(path)': read: \(errnoText())")
            }
            if count == 0 { break }
            guard bytes.count + count <= limit else { return refuse(tooBigMessage(path, size: bytes.count + count, limit: limit)) }
            bytes += chunk[0..<count]
        }
        if let bad = firstInvalidUTF8Byte(in: bytes) {
            let position = position(ofByte: bad, in: bytes)
            let mark = SourceMark(file: path, line: position.line, column: position.column)
            let diagnostic = Diagnostic(at: mark, "invalid UTF-8: byte 0x\(hexByte(bytes[bad])) at offset \(bad) (scenario files are UTF-8 text; write other bytes with 'hex')")
            return .failure(Failure(diagnostic: diagnostic, displayText: String(decoding: bytes, as: UTF8.self)))
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    static func tooBigMessage(_ path: String, size: Int, limit: Int) -> String {
        "'\(path)' is \(size) bytes, more than the \(ScenarioLimits.describe(UInt64(limit))) a scenario file may be (--max-scenario-size raises it)"
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629: no
    /// overlong forms, no surrogates, nothing above U+10FFFF), or nil when all of `bytes` is UTF-8.
    public static func firstInvalidUTF8Byte(in bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return index
            }
            for position in 1..<length {
                guard index + position < count else { return index }
                let byte = bytes[index + position]
                let (low, high) = position == 1 ? (lower, upper) : (0x80, 0xBF)
                guard byte >= low, byte <= high else { return index }
            }
            index += length
        }
        return nil
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }

    private static func fileTypeDescription(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    private static func errnoText() -> String {
        let code = errno
        return "\(Errno(rawValue: code).name) (\(String(cString: strerror(code))))"
    }
}
