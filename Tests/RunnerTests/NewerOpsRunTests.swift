#if canImport(Glibc)
import Glibc
#endif
import Foundation
import IoUring
import Scenario
import Testing
@testable import Runner

/// The newer typed ops through the runner: the xattr ops' path resolution in the sandbox and their skip
/// where the sandbox's file system has no user xattrs, msg_ring's foreign CQE, recv_zc's declared skip.
@Suite(.serialized) struct NewerOpsRunTests {
    static let xattrScenario = """
        name: a user xattr by path
        requires: { ops: [setxattr, getxattr], xattrs: true }
        resources:
          f:   { file: { content: "x" } }
          out: { buffer: { size: 8 } }
        steps:
          - setxattr: { path: f, name: user.k, data: "v1" }
            id: set
            link: true
          - getxattr: { path: f, name: user.k, buf: out }
            id: get
        expect:
          set: 0
          get: 2
          buffers: { out: { prefix: "v1" } }
        """

    @Test func pathXattrOpsResolveTheirPathInTheSandbox() throws {
        let result = try execute(Self.xattrScenario)
        if let reason = result.skipReason { try skip(reason) }
        #expect(result.facts != nil, "\(result.outcome)")
        let observer = RecordingObserver()
        _ = try execute(Self.xattrScenario, observer: observer)
        #expect(observer.results == ["set: 0", "get: 2"])
    }

    /// ramfs has no xattrs at all: the scenario is skipped with the errno, never run to a pass.
    @Test func aSandboxWithoutUserXattrsSkipsWithTheReason() throws {
        guard geteuid() == 0 else { try skip("mounting a ramfs needs root") }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ramfs-\(getpid())").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        guard system("mount -t ramfs ramfs '\(base)' 2>/dev/null") == 0 else { try skip("mount -t ramfs refused") }
        defer { _ = system("umount '\(base)'") }
        let result = try execute(Self.xattrScenario, options: ExecutionOptions(sandboxBase: base))
        let reason = try #require(result.skipReason, "\(result.outcome)")
        #expect(reason.contains("requires user.* extended attributes, which the sandbox's file system refuses"))
        #expect(reason.contains("EOPNOTSUPP"))
        // Without the requirement the same scenario runs and fails on the refusal: it cannot pass.
        let undeclared = Self.xattrScenario.replacingOccurrences(of: ", xattrs: true", with: "")
        let observer = RecordingObserver()
        let ran = try execute(undeclared, options: ExecutionOptions(sandboxBase: base), observer: observer)
        #expect(ran.skipReason == nil)
        #expect(observer.results.first == "set: -EOPNOTSUPP")
    }

    @Test func aMessageToTheScenariosOwnRingIsClaimedByItsUserData() throws {
        let observer = RecordingObserver()
        let result = try execute("""
            name: msg_ring to $ring
            steps:
              - msg_ring: { ring: $ring, data: 9, cqe_user_data: 0x77 }
                id: m
            expect:
              m: 0
              0x77: 9
            """, observer: observer)
        #expect(result.facts != nil)
        #expect(Set(observer.results) == ["m: 0", "119: 9"])
    }

    /// The descriptors of plain `pipe` steps are closed with the ring: 300 pipes leave no 600 descriptors.
    @Test func plainPipeDescriptorsAreClosedAfterTheRun() throws {
        func openDescriptors() -> Int { (try? DirectoryEntries.names(in: "/proc/self/fd").get().count) ?? 0 }
        let before = openDescriptors()
        let observer = CountingObserver()
        let result = try execute("""
            name: many pipes
            requires: { ops: [pipe] }
            steps:
              - repeat: 300
                steps:
                  - pipe: {}
                    id: "p{i}"
            expect:
              "p{i}": 0
            """, observer: observer)
        if let reason = result.skipReason { try skip(reason) }
        #expect(result.facts != nil && observer.completed == 300)
        #expect(openDescriptors() - before < 100, "the pipes' descriptors stayed open")
    }

    @Test func recvZCIsSkippedWithTheReasonItNeedsAnInterfaceQueue() throws {
        let result = try execute("""
            name: recv_zc
            requires: { ops: [recv_zc], zcrx: true }
            resources:
              s: { socketpair: {} }
            steps:
              - recv_zc: { fd: s.b }
                id: rx
            expect:
              rx: ">= 0"
            """)
        let reason = try #require(result.skipReason)
        #expect(reason.hasPrefix("requires a zero-copy receive interface queue (IORING_REGISTER_ZCRX_IFQ)"))
    }
}

/// Skips the running test with `reason`, for what this machine cannot offer.
private func skip(_ reason: String) throws -> Never {
    try Test.cancel(Comment(rawValue: reason))
}
