#if canImport(Glibc)
import Glibc
#endif
import IoUring
@testable import Runner
import Testing

/// Post-condition reads count against the run's deadline (issue "hostile input": a post-condition that
/// reads a huge file must not run past it).
struct PostConditionReadTests {
    /// /dev/zero never ends: with a deadline already past, the read stops after its first chunk.
    @Test func aReadPastTheDeadlineStopsAfterItsFirstChunk() throws {
        let fd = open("/dev/zero", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let result = System.readToEnd(fd, upTo: 64 << 20, until: .now - .seconds(1))
        #expect(throws: Errno.ETIMEDOUT) { try result.get() }
    }

    /// Without a deadline, the limit alone ends it.
    @Test func aReadWithoutADeadlineEndsAtItsLimit() throws {
        let fd = open("/dev/zero", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(try System.readToEnd(fd, upTo: 200_000).get().count == 200_000)
    }
}

extension PostConditionReadTests {
    /// A run whose deadline and grace are spent reads no more of a file than its first chunk: the
    /// condition that needed more fails saying so.
    @Test func aFileReadAfterTheDeadlineIsReportedUnread() throws {
        let options = ExecutionOptions(deadline: .milliseconds(30), teardownGrace: .zero)
        let result = try execute("""
            name: a post-condition read after the deadline
            resources:
              f: { file: { path: big.bin, pattern: "ab", size: 200000 } }
            steps:
              - timeout: { after: 10s }
                id: long
            expect:
              long: any
              files:
                f: { at: 150000, prefix: "ab" }
            """, options: options)
        let ending = try #require(result.ending)
        #expect(ending.deadlineExpired)
        let file = try #require(result.facts?.files.values.first)
        #expect(file.content == nil)
        #expect(file.unread == "not read: the run's deadline passed while reading it")
    }
}
