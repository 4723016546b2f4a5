#if canImport(Glibc)
import Glibc
#endif
import Testing
import IoUring
import Scenario
@testable import Runner

/// Timeouts, polls, cancellation, epoll, waitid, registered-file ops, nop and raw, through the real kernel.
@Suite struct IssuingControlTests {
    private let timeoutAbsolute: UInt32 = 1
    private let timeoutBoottime: UInt32 = 4
    private let timeoutRealtime: UInt32 = 8

    /// A read `r` of the empty pipe `p` linked to the link_timeout `lt` (`after`), then the steps `more`.
    private static func readUnderLinkTimeout(after: String, then more: String = "") -> String {
        """
        resources:
          p:   { pipe: {} }
          buf: { buffer: { size: 8 } }
        steps:
          - read: { fd: p.read, buf: buf }
            id: r
            link: true
          - link_timeout: { after: \(after) }
            id: lt
        \(more)
        """
    }

    @Test func nopAndInjectedResult() throws {
        let h = try IssuingHarness("""
            steps:
              - nop: {}
                id: n
                async: true
              - nop: { result: -22 }
                id: inj
            """)
        try h.issue("n")
        #expect(h.lastSQE?.flags == SubmissionFlags.async.rawValue)
        #expect(try h.complete("n").res == 0)
        try h.issue("inj")
        #expect(try h.complete("inj").res == negated(.EINVAL))
    }

    @Test func relativeTimeoutExpires() throws {
        let h = try IssuingHarness("""
            steps:
              - timeout: { after: 10ms }
                id: t
            """)
        let start = ContinuousClock.now
        try h.issue("t")
        #expect(h.lastSQE?.opFlags == 0)
        #expect(try h.complete("t").res == negated(.ETIME))
        #expect(ContinuousClock.now - start >= .milliseconds(9))
    }

    @Test(arguments: [("monotonic", UInt32(0)), ("boottime", UInt32(4)), ("realtime", UInt32(8))])
    func absoluteTimeoutIsNowPlusAfterOnItsClock(clock: String, clockFlag: UInt32) throws {
        let h = try IssuingHarness("""
            steps:
              - timeout: { after: 30ms, absolute: true, clock: \(clock) }
                id: t
            """)
        let start = ContinuousClock.now
        try h.issue("t")
        #expect(h.lastSQE?.opFlags == timeoutAbsolute | clockFlag)
        #expect(try h.complete("t").res == negated(.ETIME))
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(25) && elapsed < .seconds(2), "\(elapsed)")
    }

    @Test func timeoutCountCompletesAfterOtherCQEs() throws {
        let h = try IssuingHarness("""
            steps:
              - timeout: { after: 10s, count: 1, etime_success: true }
                id: t
              - nop: {}
                id: n
            """)
        try h.issue("t")
        #expect(h.lastSQE.map { ($0.off, $0.opFlags) } ?? (0, 0) == (1, 0x20))  // count, IORING_TIMEOUT_ETIME_SUCCESS
        try h.issue("n")
        let cqes = try h.reap(2)
        #expect(h.res("t", in: cqes) == 0)
    }

    @Test func timeoutUpdateAndRemove() throws {
        let h = try IssuingHarness("""
            steps:
              - timeout: { after: 10s }
                id: long
              - timeout: { after: 10s }
                id: other
              - timeout_update: { target: long, after: 5ms }
                id: upd
              - timeout_remove: { target: other }
                id: rm
            """)
        try h.issue("long")
        try h.issue("other")
        try h.ring.submit()
        try h.issue("upd")
        let update = try #require(h.lastSQE)
        #expect(update.addr == h.userData("long") && update.opFlags & 2 != 0)  // IORING_TIMEOUT_UPDATE
        try h.issue("rm")
        #expect(h.lastSQE?.addr == h.userData("other"))
        let cqes = try h.reap(4)
        func res(_ id: String) -> Int32? { h.res(id, in: cqes) }
        #expect(res("upd") == 0 && res("rm") == 0)
        #expect(res("long") == negated(.ETIME) && res("other") == negated(.ECANCELED))
    }

    @Test func linkTimeoutCancelsTheLinkedRead() throws {
        let h = try IssuingHarness(Self.readUnderLinkTimeout(after: "10ms"))
        try h.issue("r")
        #expect(h.lastSQE?.flags == SubmissionFlags.link.rawValue)
        try h.issue("lt")
        #expect(h.lastSQE?.opcode == Opcode.linkTimeout.rawValue)
        let cqes = try h.reap(2)
        let read = h.res("r", in: cqes)
        #expect(read == negated(.ECANCELED) || read == negated(.EINTR))
        #expect(h.res("lt", in: cqes) == negated(.ETIME))
    }

    @Test func linkTimeoutUpdateReachesTheLinkTimeout() throws {
        let h = try IssuingHarness(Self.readUnderLinkTimeout(after: "10s", then: """
              - timeout_update: { target: lt, after: 5ms, link: true }
                id: upd
            """))
        try h.issue("r")
        try h.issue("lt")
        try h.ring.submit()
        try h.issue("upd")
        let updateFlags = try #require(h.lastSQE).opFlags
        #expect(updateFlags & 18 == 18)  // IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE
        let cqes = try h.reap(3, timeout: .seconds(3))
        #expect(h.res("upd", in: cqes) == 0)
        #expect(h.res("lt", in: cqes) == negated(.ETIME))
    }

    @Test func pollAddUpdateAndRemove() throws {
        let h = try IssuingHarness("""
            resources:
              p: { pipe: {} }
              q: { pipe: {} }
            steps:
              - poll_add: { fd: p.read, events: POLLIN }
                id: poll
              - poll_update: { target: poll, events: [POLLIN, POLLPRI], new_user_data: 999 }
                id: upd
              - poll_add: { fd: q.read, events: POLLIN, multishot: true }
                id: multi
              - poll_remove: { target: multi }
                id: rm
            """)
        try h.issue("poll")
        #expect(h.lastSQE.map { ($0.len, $0.opFlags) } ?? (9, 9) == (0, 1))
        try h.ring.submit()
        try h.issue("upd")
        let update = try #require(h.lastSQE)
        #expect(update.addr == h.userData("poll") && update.off == 999 && update.opFlags == 3)
        #expect(update.len == 2 | 4)  // IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA
        #expect(try h.complete("upd").res == 0)
        #expect(write(h.fd("p.write"), "x", 1) == 1)
        let fired = try #require(try h.reap(1).first)
        #expect(fired.userData == 999 && fired.res & 1 != 0)
        try h.issue("multi")
        #expect(h.lastSQE?.len == 1)  // IORING_POLL_ADD_MULTI
        try h.ring.submit()
        try h.issue("rm")
        let removed = try h.reap(2)
        #expect(h.res("rm", in: removed) == 0)
        #expect(h.res("multi", in: removed) == negated(.ECANCELED))
    }

    @Test func cancelByIdByFdByOpAndAny() throws {
        let h = try IssuingHarness("""
            resources:
              p:   { pipe: {} }
              q:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf }
                id: r1
              - cancel: { target: r1 }
                id: c1
              - read: { fd: p.read, buf: buf }
                id: r2
              - cancel: { fd: p.read }
                id: c2
              - read: { fd: q.read, buf: buf }
                id: r3
              - cancel: { op: read, all: true }
                id: c3
              - read: { fd: q.read, buf: buf }
                id: r4
              - cancel: { fd: q.read, target: r4 }
                id: c4
              - poll_add: { fd: q.read, events: POLLIN }
                id: r5
              - cancel: { any: true }
                id: c5
            """)
        func cancel(_ target: String, _ canceller: String, check: (RawSQE) -> Void) throws {
            try h.issue(target)
            try h.ring.submit()
            try h.issue(canceller)
            check(try #require(h.lastSQE))
            let cqes = try h.reap(2)
            #expect(cqes.first { $0.userData == h.userData(canceller) }.map { $0.res >= 0 } == true, "\(canceller): \(cqes)")
            #expect(h.res(target, in: cqes) == negated(.ECANCELED), "\(target)")
        }
        try cancel("r1", "c1") { #expect($0.addr == h.userData("r1") && $0.opFlags == 0) }
        try cancel("r2", "c2") { #expect($0.fd == h.fd("p.read") && $0.opFlags == 2) }  // IORING_ASYNC_CANCEL_FD
        try cancel("r3", "c3") { #expect($0.len == UInt32(Opcode.read.rawValue) && $0.opFlags == 1 | 32) }  // ALL | OP
        try cancel("r4", "c4") { #expect($0.fd == h.fd("q.read") && $0.addr == h.userData("r4") && $0.opFlags == 2 | 16) }  // FD | USERDATA
        try cancel("r5", "c5") { #expect($0.opFlags == 4) }  // ANY
    }

    @Test func epollCtlThenEpollWait() throws {
        let h = try IssuingHarness("""
            resources:
              ep: { epoll: {} }
              p:  { pipe: {} }
            steps:
              - epoll_ctl: { epfd: ep, op: EPOLL_CTL_ADD, fd: p.read, events: [EPOLLIN], data: 7 }
                id: add
              - epoll_wait: { epfd: ep, max_events: 4 }
                id: wait
            """)
        try h.issue("add")
        let add = try #require(h.lastSQE)
        #expect(add.fd == h.fd("ep") && add.off == UInt64(h.fd("p.read")) && add.len == 1)
        #expect(try h.complete("add").res == 0)
        #expect(write(h.fd("p.write"), "x", 1) == 1)
        try h.issue("wait")
        #expect(h.lastSQE.map { ($0.opcode, $0.len) } ?? (0, 0) == (Opcode.epollWait.rawValue, 4))
        #expect(try h.complete("wait").res == 1)
    }

    @Test func waitidReapsTheSpawnedChild() throws {
        let h = try IssuingHarness("""
            resources:
              child: { child_process: { exit_code: 3, delay: 5ms } }
            steps:
              - waitid: { idtype: P_PID, id: child, options: WEXITED }
                id: wait
              - waitid: { idtype: 9, options: WEXITED }
                id: bogus
            """)
        let pid = h.resolver.processes["child"]!
        try h.issue("wait")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.fd == pid && sqe.len == 1 && sqe.spliceFDIn == 4 && sqe.off != 0)
        #expect(try h.complete("wait").res == 0)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD)  // already reaped by the ring
        try h.issue("bogus")
        #expect(h.lastSQE?.len == 9)
        #expect(try h.complete("bogus").res == negated(.EINVAL))
    }

    @Test func filesUpdateAndFixedFdInstall() throws {
        let h = try IssuingHarness("""
            resources:
              data:  { file: { content: "x" } }
              p:     { pipe: {} }
              table: { file_table: { sparse: 4 } }
            steps:
              - files_update: { offset: 1, files: [data, p.read] }
                id: update
              - files_update: { offset: auto, files: [data] }
                id: auto
              - fixed_fd_install: { slot: 1 }
                id: install
            """)
        try h.issue("update")
        let update = try #require(h.lastSQE)
        #expect(update.opcode == Opcode.filesUpdate.rawValue && update.off == 1 && update.len == 2 && update.fd == -1)
        #expect(try h.complete("update").res == 2)
        try h.issue("auto")
        #expect(h.lastSQE?.off == UInt64(UInt32.max))
        #expect(try h.complete("auto").res == 1)
        try h.issue("install")
        let install = try #require(h.lastSQE)
        #expect(install.fd == 1 && install.flags & SubmissionFlags.fixedFile.rawValue != 0 && install.opFlags == 0)
        let installed = try h.complete("install")
        #expect(installed.res >= 0)
        var status = stat()
        #expect(fstat(installed.res, &status) == 0 && status.st_size == 1)
        close(installed.res)
    }

    @Test func readMultishotFromAPipe() throws {
        let h = try IssuingHarness("""
            resources:
              p:   { pipe: {} }
              grp: { buffer_ring: { group: 6, entries: 4, size: 32 } }
            steps:
              - read_multishot: { fd: p.read, buffer_group: grp }
                id: rm
            """)
        try h.issue("rm")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == Opcode.readMultishot.rawValue && sqe.bufIndex == 6 && sqe.off == 0 && sqe.len == 0)
        #expect(sqe.flags & SubmissionFlags.bufferSelect.rawValue != 0)
        try h.ring.submit()
        #expect(write(h.fd("p.write"), "chunk", 5) == 5)
        let cqe = try #require(try h.reap(1).first)
        #expect(cqe.res == 5 && cqe.flags.contains([.more, .buffer]))
        close(h.fd("p.write"))
        h.resolver.descriptors["p.write"] = nil
        #expect(try h.reap(1).first.map { $0.res == 0 && !$0.flags.contains(.more) } == true)
    }

    @Test func repeatIndicesReachPathsAndTargets() throws {
        let h = try IssuingHarness("""
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - repeat: 3
                steps:
                  - openat: { path: "f-{i}.txt", flags: [O_CREAT, O_WRONLY] }
                    id: "o{i}"
                  - read: { fd: p.read, buf: buf }
                    id: "r{i}"
                  - cancel: { target: "r{i}" }
                    id: "c{i}"
            """)
        try h.issue("o{i}", iterations: [2])
        let opened = try #require(try h.reap(1).first)
        #expect(opened.res >= 0)
        close(opened.res)
        #expect(h.fileContent("f-2.txt") == [])
        let read = try h.issue("r{i}", iterations: [1])
        try h.ring.submit()
        try h.issue("c{i}", iterations: [1])
        #expect(h.lastSQE?.addr == read)
        let cqes = try h.reap(2)
        #expect(cqes.first { $0.userData == read }?.res == negated(.ECANCELED))
    }

    @Test func rawSetsEveryFieldAsWritten() throws {
        let h = try IssuingHarness("""
            resources:
              data: { file: { content: "raw" } }
              buf:  { buffer: { size: 8 } }
            steps:
              - raw: { opcode: read, fd: data, addr: { buffer: buf, offset: 2 }, len: 3, \(rawOffsetKey): 0 }
                id: r
              - raw: { opcode: 250, sqe_flags: [IOSQE_ASYNC], ioprio: 7, \(rawOffsetKey): 9, op_flags: 0xffffffff, buf_index: 1, personality: 0, splice_fd_in: -1, addr3: 1, pad2: 2, addr: 0x1000 }
                id: bogus
            """)
        try h.issue("r")
        let read = try #require(h.lastSQE)
        #expect(read.opcode == Opcode.read.rawValue && read.fd == h.fd("data") && read.len == 3)
        #expect(read.addr == h.buffer("buf").kernelAddress + 2)
        #expect(try h.complete("r").res == 3)
        #expect(h.buffer("buf").bytes(2..<5) == Array("raw".utf8))
        try h.issue("bogus")
        let sqe = try #require(h.lastSQE)
        #expect(sqe.opcode == 250 && sqe.flags == SubmissionFlags.async.rawValue && sqe.ioprio == 7 && sqe.fd == -1)
        #expect(sqe.off == 9 && sqe.addr == 0x1000 && sqe.len == 0 && sqe.opFlags == 0xffff_ffff)
        #expect(sqe.bufIndex == 1 && sqe.personality == 0 && sqe.spliceFDIn == -1 && sqe.addr3 == 1 && sqe.pad2 == 2)
        #expect(sqe.userData == h.userData("bogus"))
        #expect(try h.complete("bogus").res == negated(.EINVAL))
    }

    @Test func failuresNameTheStepAndArgument() throws {
        let h = try IssuingHarness("""
            resources:
              ep: { epoll: {} }
              table: { file_table: { sparse: 2 } }
            steps:
              - epoll_ctl: { epfd: ep, op: EPOLL_CTL_ADD, fd: { slot: 1 }, events: EPOLLIN }
                id: bad
            """)
        #expect(throws: RunnerError.unsupported("test.yaml:6:51: 'epoll_ctl': 'fd' is registered slot 1, but the kernel takes a plain descriptor there")) {
            try h.issue("bad")
        }
    }
}
