import Foundation
import Testing

/// Raw memory stays in named places: IoUring (ring memory and what SQEs point at) and a few files outside it.
/// A file that starts using unsafe pointers, or stops, changes this list in the same commit: a conscious decision.
@Suite struct UnsafeCodeTests {
    /// Every Swift file under Sources/ that uses unsafe pointers, today.
    static let allowed: Set<String> = [
        // The ring engine: ring memory, SQE-referenced memory, the syscall arguments.
        "IoUring/BufferGroup.swift",
        "IoUring/CompletionBatch.swift",
        "IoUring/EngineUserData.swift",
        "IoUring/IoUring.swift",
        "IoUring/KernelMemory.swift",
        "IoUring/Operations/Basic.swift",
        "IoUring/Operations/ControlOps.swift",
        "IoUring/Operations/FileOps.swift",
        "IoUring/Operations/NetworkOps.swift",
        "IoUring/Operations/NewerOps.swift",
        "IoUring/Operations/SocketTypes.swift",
        "IoUring/Probe.swift",
        "IoUring/ProvidedBuffers.swift",
        "IoUring/Queues.swift",
        "IoUring/Registration.swift",
        "IoUring/RingState.swift",
        "IoUring/SQETemplate.swift",
        "IoUring/ScratchArena.swift",
        "IoUring/SilentRequests.swift",
        // The runner's raw memory, in one file: the pointers its system calls take, its SQE templates and
        // CQE batches.
        "Runner/SystemCalls.swift",
        // Scenario: its file-system calls (readdir's entry, read's buffer), in one file.
        "Scenario/Files/FileSystemCalls.swift",
        // Scenario: the YAML event hand-over from libyaml's C structs.
        "Scenario/YAML/EventStream.swift",
        // libyaml's emitter, for the TAP diagnostic blocks: its C API takes pointers to the text.
        "Scenario/YAML/YAMLEmitter.swift",
        // The one scenario-file reader: read(2) into a chunk.
        "Scenario/Load/ScenarioFileReader.swift",
    ]

    /// What counts as using unsafe pointers.
    static let markers = ["UnsafePointer", "UnsafeMutablePointer", "UnsafeRawPointer", "UnsafeMutableRawPointer",
                          "UnsafeBufferPointer", "UnsafeMutableBufferPointer", "UnsafeRawBufferPointer",
                          "UnsafeMutableRawBufferPointer", "withUnsafe", "unsafeBitCast", "unsafeAddress",
                          "unsafeMutableAddress", "OpaquePointer", ".pointee", "unsafeUninitializedCapacity", "Unmanaged"]

    @Test func theFilesThatUseUnsafePointersAreTheAllowedOnes() throws {
        let sources = Fixtures.repository.appendingPathComponent("Sources")
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources.path))
        var using: Set<String> = []
        var swiftFiles = 0
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            swiftFiles += 1
            let text = try String(contentsOfFile: sources.appendingPathComponent(relative).path, encoding: .utf8)
            if Self.markers.contains(where: text.contains) { using.insert(relative) }
        }
        #expect(swiftFiles > 80)
        let added = using.subtracting(Self.allowed).sorted()
        let gone = Self.allowed.subtracting(using).sorted()
        #expect(added.isEmpty, "new files with unsafe pointers (keep raw memory in IoUring or SystemCalls, or add them here on purpose): \(added)")
        #expect(gone.isEmpty, "files that no longer use unsafe pointers: take them off the list: \(gone)")
    }
}
