import Foundation
import Testing
@testable import Scenario

/// The constant families against the C headers: a C program compiled here (with `_GNU_SOURCE`, as the kernel's
/// users see them) prints every constant a scenario can name, and each must equal the family's value, whether
/// it came from Glibc or from the hand table `GlibcMissing`.
@Suite struct ConstantTests {
    /// Families of io_uring's own names (from the IoUring module's tables, checked there against CIoUring) and
    /// the socket commands, which the C headers spell `SOCKET_URING_OP_*` and this system's are too old for.
    static let notInTheCHeaders: Set<String> = ["setup flag", "feature", "CQE flag", "SQE flag", "send/receive flag",
                                                "accept flag", "socket command", "SQ ring flag", "enter flag"]
    /// Names newer than this system's headers may be (linux-libc-dev 6.1, glibc 2.36): checked when present.
    static let newerThanTheHeaders: Set<String> = ["RWF_ATOMIC", "RWF_DONTCACHE", "FUTEX2_SIZE_U8", "FUTEX2_SIZE_U16",
                                                    "FUTEX2_SIZE_U32", "FUTEX2_SIZE_U64", "FUTEX2_NUMA", "FUTEX2_PRIVATE",
                                                    "MADV_POPULATE_READ", "MADV_POPULATE_WRITE"]

    /// Names whose value is the kernel's where glibc's differs: glibc makes O_LARGEFILE 0 on 64-bit machines (every
    /// open is large there), while the kernel's flag (<asm-generic/fcntl.h>) is what a scenario's openat SQE carries.
    /// They are compared with a second program that includes only the kernel's UAPI header.
    static let kernelValues: [String: String] = ["O_LARGEFILE": "linux/fcntl.h"]

    static let headers = ["fcntl.h", "poll.h", "stdio.h", "sys/epoll.h", "sys/eventfd.h", "sys/socket.h", "sys/stat.h",
                          "sys/uio.h", "sys/wait.h", "sys/mman.h", "sys/xattr.h", "linux/futex.h", "netinet/in.h", "netinet/tcp.h", "netinet/udp.h", "linux/openat2.h"]

    @Test func everyValueMatchesTheCHeaders() throws {
        var expected: [String: UInt64] = [:]
        for family in ConstantFamily.all where !Self.notInTheCHeaders.contains(family.title) {
            for constant in family.constants {
                if let earlier = expected[constant.name] { #expect(earlier == constant.value, "\(constant.name) differs between families") }
                expected[constant.name] = constant.value
            }
        }
        #expect(expected.count > 190)
        let names = expected.keys.sorted()
        var fromHeaders = try valuesInTheCHeaders(names.filter { Self.kernelValues[$0] == nil }, headers: Self.headers)
        for (name, header) in Self.kernelValues {
            fromHeaders.merge(try valuesInTheCHeaders([name], headers: [header]), uniquingKeysWith: { $1 })
        }
        for name in names {
            guard let value = fromHeaders[name] else {
                #expect(Self.newerThanTheHeaders.contains(name), "\(name) is not in the C headers")
                continue
            }
            #expect(expected[name] == value, "\(name): ours \(expected[name]!), the C headers \(value)")
        }
        // The hand table holds only what Glibc does not give: each name there is used by a family.
        #expect(Set(GlibcMissing.values.keys).isSubset(of: Set(names)))
    }

    /// What a C program including `headers` (with `_GNU_SOURCE`) prints for each name.
    func valuesInTheCHeaders(_ names: [String], headers: [String]) throws -> [String: UInt64] {
        var program = "#define _GNU_SOURCE\n#include <stdio.h>\n" + headers.map { "#include <\($0)>\n" }.joined()
        program += "int main(void) {\n"
        for name in names {
            let line = "    printf(\"%s %llu\\n\", \"\(name)\", (unsigned long long)(unsigned int)(\(name)));\n"
            program += Self.newerThanTheHeaders.contains(name) ? "#ifdef \(name)\n\(line)#endif\n" : line
        }
        program += "    return 0;\n}\n"
        let output = try compileAndRun(program)
        var values: [String: UInt64] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    /// Writes `program` to a temporary directory, compiles it with the system's C compiler and returns its output.
    func compileAndRun(_ program: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringscript-constants-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("constants.c")
        try program.write(to: source, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("constants").path
        let compile = try run("/usr/bin/cc", ["-Werror", "-o", binary, source.path])
        try #require(compile.status == 0, "cc failed:\n\(compile.output)")
        let result = try run(binary, [])
        try #require(result.status == 0)
        return result.output
    }

    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
