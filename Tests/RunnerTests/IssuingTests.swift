#if canImport(Glibc)
import Glibc
#endif
import Testing
import IoUring
import Scenario
@testable import Runner

/// Every op of the op table is issued, with each argument in the right SQE field: checked on the SQE as
/// queued, the CQE, and the effect on the sandbox, buffers or peers.
@Suite struct IssuingTests {
    @Test func everyOperationOfTheOpTableHasAnIssuer() {
        let operations = OpTable.all.filter { if case .operation = $0.category { return true } else { return false } }
        #expect(OperationIssuer.handledOperations == Set(operations.map(\.name)))
    }

    // MARK: - Files

    @Test func readAtAnOffset() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "0123456789" } }
              buf:  { buffer: { size: 8 } }
            steps:
              - read: { fd: data, buf: buf, len: 4, offset: 3 }
                id: r
            """)
        try h.issue("r")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.read.rawValue)
        #expect(sqe.fd == h.fd("data"))
        #expect(sqe.off == 3)
        #expect(sqe.len == 4)
        #expect(sqe.addr == h.buffer("buf").kernelAddress)
        #expect(sqe.userData == h.userData("r"))
        #expect(try h.complete("r").res == 4)
        #expect(h.buffer("buf").bytes(0..<4) == Array("3456".utf8))
    }

    @Test func randomOffsetsFollowTheUserData() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { pattern: "0123456789abcdef", size: 65536 } }
              buf:  { buffer: { size: 16 } }
            steps:
              - repeat: 8
                steps:
                  - read: { fd: data, buf: buf, len: 16, offset: { random: 65536, align: 4096, seed: 3 } }
                    id: "r{i}"
            """)
        var offsets: [UInt64] = []
        for iteration in 0..<8 {
            let userData = try h.issue("r{i}", iterations: [iteration])
            let sqe = try #require(h.lastSQE)
            #expect(sqe.off == RandomOffset(range: 65536, align: 4096, seed: 3).value(userData: userData))
            #expect(sqe.off % 4096 == 0 && sqe.off < 65536)
            offsets.append(sqe.off)
            let cqe = try #require(try h.reap(1).first)
            #expect(cqe.userData == userData && cqe.res == 16)
            #expect(h.buffer("buf").bytes() == Array("0123456789abcdef".utf8))
        }
        #expect(Set(offsets).count > 1)
    }

    @Test func writeInlineDataAtTheFilePosition() throws {
        let h = try IssuingHarness("""
            resources:
              out: { file: { content: "........" } }
            steps:
              - write: { fd: out, data: "abc", offset: 2 }
                id: w
              - write: { fd: out, data: "XY", offset: -1 }
                id: w2
            """)
        try h.issue("w")
        #expect(h.lastSQE?.len == 3)
        #expect(try h.complete("w").res == 3)
        try h.issue("w2")
        #expect(h.lastSQE?.off == UInt64.max)
        #expect(try h.complete("w2").res == 2)
        #expect(h.fileContent("out") == Array("XYabc...".utf8))
    }

    @Test func readvScattersIntoTheIovecs() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "0123456789" } }
              a:    { buffer: { size: 4 } }
              b:    { buffer: { size: 16, fill: 0x2e } }
              vec:  { iovecs: [a, { buffer: b, offset: 2, len: 6 }] }
            steps:
              - readv: { fd: data, iovecs: vec, offset: 0 }
                id: rv
              - read: { fd: data, iovecs: vec, offset: 0, flags: RWF_NOWAIT }
                id: rvflags
            """)
        try h.issue("rv")
        #expect(h.lastSQE?.opcode == Opcode.readv.rawValue)
        #expect(h.lastSQE?.len == 2)
        #expect(try h.complete("rv").res == 10)
        #expect(h.buffer("a").bytes() == Array("0123".utf8))
        #expect(h.buffer("b").bytes(0..<9) == Array("..456789.".utf8))
        // rw_flags go through a raw SQE filled like io_uring_prep_readv2().
        try h.issue("rvflags")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.readv.rawValue)
        #expect(sqe.opFlags == 0x08)
        #expect(sqe.len == 2)
        #expect(try h.complete("rvflags").res == 10)
    }

    @Test func readThroughARegisteredFileSlot() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "slotted" } }
              buf:  { buffer: { size: 16 } }
            steps:
              - register_files: { files: [-1, data] }
              - read: { fd: { slot: 1 }, buf: buf, len: 7 }
                id: r
            """)
        #expect(try h.register(0) == 0)
        try h.issue("r")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.fd == 1)
        #expect(sqe.flags & SubmissionFlags.fixedFile.rawValue != 0)
        #expect(try h.complete("r").res == 7)
        #expect(h.buffer("buf").bytes(0..<7) == Array("slotted".utf8))
    }

    @Test func readFixedAndWriteFixedUseTheBufferIndex() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "fixed buffers" } }
              a:    { buffer: { size: 8 } }
              b:    { buffer: { size: 16 } }
              regs: { registered_buffers: [a, b] }
            steps:
              - read_fixed: { fd: data, buf: { buffer: b, offset: 2 }, len: 5, offset: 6 }
                id: rf
              - write_fixed: { fd: data, buf: { buffer: b, offset: 2 }, len: 5, offset: 0 }
                id: wf
            """)
        try h.issue("rf")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.readFixed.rawValue)
        #expect(sqe.bufIndex == 1)
        #expect(sqe.addr == h.buffer("b").kernelAddress + 2)
        #expect(sqe.off == 6)
        #expect(try h.complete("rf").res == 5)
        #expect(h.buffer("b").bytes(2..<7) == Array("buffe".utf8))
        try h.issue("wf")
        #expect(h.lastSQE?.opcode == Opcode.writeFixed.rawValue)
        #expect(try h.complete("wf").res == 5)
        #expect(h.fileContent("data") == Array("buffe buffers".utf8))
    }

    @Test func openatIsRelativeToTheSandboxAndItsFdIsCaptured() throws {
        let h = try IssuingHarness("""
            resources:
              sub: { directory: { path: sub } }
            steps:
              - openat: { path: sub/new.txt, flags: [O_CREAT, O_WRONLY], mode: 0o600 }
                id: o
                capture: fd
              - write: { fd: $fd, data: "made" }
                id: w
              - close: { fd: $fd }
                id: c
            """)
        try h.issue("o")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.fd == h.sandbox.directoryFD)
        #expect(sqe.len == 0o600)
        #expect(sqe.opFlags == UInt32(O_CREAT | O_WRONLY))
        let opened = try h.complete("o")
        #expect(opened.res >= 0)
        h.capture("fd", opened)
        try h.issue("w")
        #expect(h.lastSQE?.fd == opened.res)
        #expect(try h.complete("w").res == 4)
        try h.issue("c")
        #expect(try h.complete("c").res == 0)
        #expect(h.fileContent("sub/new.txt") == Array("made".utf8))
        var status = stat()
        #expect(stat(h.sandbox.resolve("sub/new.txt"), &status) == 0 && status.st_mode & 0o777 == 0o600)
    }

    @Test func openatDirectAndCloseDirect() throws {
        let h = try IssuingHarness("""
            resources:
              data:  { file: { content: "direct" } }
              table: { file_table: { sparse: 4 } }
              buf:   { buffer: { size: 8 } }
            steps:
              - openat_direct: { path: data, slot: 2 }
                id: o
              - openat_direct: { path: data }
                id: auto
                capture: s
              - read: { fd: $s, buf: buf, len: 6 }
                id: r
              - close_direct: { slot: 2 }
                id: c
            """)
        try h.issue("o")
        #expect(h.lastSQE?.spliceFDIn == 3)  // file_index = slot + 1
        #expect(try h.complete("o").res == 0)
        try h.issue("auto")
        #expect(h.lastSQE.map { UInt32(bitPattern: $0.spliceFDIn) } == UInt32.max)
        let allocated = try h.complete("auto")
        #expect(allocated.res >= 0 && allocated.res != 2)
        h.capture("s", allocated)
        try h.issue("r")
        #expect(h.lastSQE?.flags == SubmissionFlags.fixedFile.rawValue)
        #expect(h.lastSQE?.fd == allocated.res)
        #expect(try h.complete("r").res == 6)
        try h.issue("c")
        #expect(try h.complete("c").res == 0)
    }

    @Test func statxFillsTheMaskAndFlags() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "12345" } }
            steps:
              - statx: { path: data, mask: STATX_SIZE, flags: AT_SYMLINK_NOFOLLOW }
                id: st
              - statx: { path: missing }
                id: none
            """)
        try h.issue("st")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.statx.rawValue)
        #expect(sqe.len == 0x200)
        #expect(sqe.opFlags == 0x100)
        #expect(sqe.fd == h.sandbox.directoryFD)
        #expect(sqe.off != 0)  // the StatxResult the issuer made
        #expect(try h.complete("st").res == 0)
        try h.issue("none")
        #expect(try h.complete("none").res == negated(.ENOENT))
    }

    @Test func pathOpsWorkInTheSandbox() throws {
        let h = try IssuingHarness("""
            resources:
              a: { file: { content: "x", open: false } }
            steps:
              - mkdirat: { path: d, mode: 0o700 }
                id: mk
              - renameat: { old_path: a, new_path: d/b }
                id: mv
              - linkat: { old_path: d/b, new_path: hard }
                id: ln
              - symlinkat: { target: d/b, link: soft }
                id: sym
              - unlinkat: { path: hard }
                id: rm
            """)
        for id in ["mk", "mv", "ln", "sym", "rm"] {
            try h.issue(id)
            #expect(try h.complete(id).res == 0, "\(id)")
        }
        #expect(h.fileContent("d/b") == Array("x".utf8))
        #expect(h.fileContent("soft") == Array("x".utf8))
        #expect(h.fileContent("hard") == nil)
        var target = [CChar](repeating: 0, count: 64)
        let count = readlink(h.sandbox.resolve("soft"), &target, 63)
        #expect(String(decoding: target[0..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "d/b")
    }

    @Test func spliceMovesFileBytesIntoAPipe() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "0123456789" } }
              p:    { pipe: {} }
              q:    { pipe: {} }
            steps:
              - splice: { in: data, in_offset: 2, out: p.write, len: 5 }
                id: sp
              - tee: { in: p.read, out: q.write, len: 5 }
                id: tee
            """)
        try h.issue("sp")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.fd == h.fd("p.write"))
        #expect(sqe.spliceFDIn == h.fd("data"))
        #expect(sqe.addr == 2)  // splice_off_in
        #expect(sqe.off == UInt64.max)
        #expect(try h.complete("sp").res == 5)
        try h.issue("tee")
        let tee = try #require(h.lastSQE)
        #expect(tee.opcode == Opcode.tee.rawValue)
        #expect(tee.fd == h.fd("q.write") && tee.spliceFDIn == h.fd("p.read") && tee.len == 5)
        #expect(try h.complete("tee").res == 5)
        var bytes = [UInt8](repeating: 0, count: 5)
        #expect(read(h.fd("q.read"), &bytes, 5) == 5)
        #expect(bytes == Array("23456".utf8))
        #expect(read(h.fd("p.read"), &bytes, 5) == 5)  // tee did not consume
    }

    @Test func syncAllocateAdviseTruncate() throws {
        let h = try IssuingHarness("""
            resources:
              out: { file: { content: "0123456789" } }
            steps:
              - fsync: { fd: out, datasync: true }
                id: fs
              - fsync: { fd: out, offset: 2, len: 4 }
                id: fsr
              - sync_file_range: { fd: out, offset: 1, len: 9, flags: [SYNC_FILE_RANGE_WRITE, SYNC_FILE_RANGE_WAIT_AFTER] }
                id: sfr
              - fallocate: { fd: out, offset: 0, len: 8192 }
                id: fa
              - fadvise: { fd: out, offset: 3, len: 5, advice: POSIX_FADV_SEQUENTIAL }
                id: fadv
              - ftruncate: { fd: out, len: 4 }
                id: ft
            """)
        try h.issue("fs")
        #expect(h.lastSQE?.opFlags == 1)  // IORING_FSYNC_DATASYNC
        #expect(try h.complete("fs").res == 0)
        try h.issue("fsr")
        #expect(h.lastSQE.map { ($0.off, $0.len) } ?? (0, 0) == (2, 4))
        #expect(try h.complete("fsr").res == 0)
        try h.issue("sfr")
        let sfr = try #require(h.lastSQE)
        #expect(sfr.opcode == Opcode.syncFileRange.rawValue && sfr.off == 1 && sfr.len == 9 && sfr.opFlags == 6)
        #expect(try h.complete("sfr").res == 0)
        try h.issue("fa")
        #expect(h.lastSQE?.addr == 8192)  // fallocate's length lives in addr
        #expect(try h.complete("fa").res == 0)
        try h.issue("fadv")
        let fadv = try #require(h.lastSQE)
        #expect(fadv.off == 3 && fadv.len == 5 && fadv.opFlags == 2)
        #expect(try h.complete("fadv").res == 0)
        try h.issue("ft")
        #expect(h.lastSQE?.off == 4)
        #expect(try h.complete("ft").res == 0)
        #expect(h.fileContent("out") == Array("0123".utf8))
    }

    @Test func openat2WithResolveFlags() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "two" } }
              link: { symlink: { target: data } }
            steps:
              - openat2: { path: data, flags: O_RDONLY, mode: 0, resolve: RESOLVE_BENEATH }
                id: ok
              - openat2: { path: link, flags: O_RDONLY, mode: 0, resolve: RESOLVE_NO_SYMLINKS }
                id: refused
              - openat2: { path: new, flags: [O_CREAT, O_WRONLY], mode: 0o640 }
                id: created
            """)
        try h.issue("ok")
        #expect(h.lastSQE?.len == 24)  // sizeof(struct open_how)
        let fd = try h.complete("ok")
        #expect(fd.res >= 0)
        close(fd.res)
        try h.issue("refused")
        #expect(try h.complete("refused").res == negated(.ELOOP))
        try h.issue("created")
        let created = try h.complete("created")
        #expect(created.res >= 0)
        close(created.res)
        var status = stat()
        #expect(stat(h.sandbox.resolve("new"), &status) == 0 && status.st_mode & 0o777 == 0o640)
    }
}
