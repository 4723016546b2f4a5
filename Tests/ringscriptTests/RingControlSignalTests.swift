import Foundation
import Testing

/// A `reap` that waits, cut short by SIGINT: the stop moves the deadline, and the reap's own wait, which
/// could last 20 s, sees it after the interrupted io_uring_enter(2) returns EINTR.
@Suite struct RingControlSignalTests {
    @Test func sigintEndsAReapThatWaitsForCQEsThatNeverCome() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringscript-reap-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scenario = directory.appendingPathComponent("reap.yaml")
        try """
            name: a reap that waits for a read that never completes
            deadline: 30s
            ring: { reap: manual }
            resources:
              p:   { pipe: {} }
              buf: { buffer: { size: 8 } }
            steps:
              - read: { fd: p.read, buf: buf }
                id: stuck
              - submit
              - reap: { count: 1, timeout: 20s }
            expect:
              stuck: 1
            """.write(to: scenario, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["run", scenario.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": directory.appendingPathComponent("tmp").path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        usleep(400_000)  // the run is now waiting in the reap's io_uring_enter
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(ContinuousClock.now - start < .seconds(5), "the reap was not cut short")
        #expect(process.terminationStatus == 130)
    }
}
