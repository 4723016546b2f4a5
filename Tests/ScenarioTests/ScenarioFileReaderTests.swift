#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Scenario

/// `ScenarioFileReader`, the one reader of scenario files: regular files of bounded size in UTF-8;
/// anything else is refused at once, with its path.
@Suite struct ScenarioFileReaderTests {
    /// A fresh directory for one test.
    func scratchDirectory() throws -> String {
        var template = Array("\(NSTemporaryDirectory())/reader-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: try #require(made))
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func message(_ result: Result<String, ScenarioFileReader.Failure>) -> String {
        switch result {
        case .success: return "read"
        case .failure(let failure): return "\(failure.diagnostic.mark): \(failure.diagnostic.message)"
        }
    }

    @Test func characterDevicesAreRefusedAtOnce() {
        let start = ContinuousClock.now
        #expect(message(ScenarioFileReader.read("/dev/zero")) == "/dev/zero:1:1: '/dev/zero' is a character device, not a regular file: a scenario is read from a file")
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func aFIFONobodyWritesToDoesNotBlock() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fifo.yaml"
        #expect(mkfifo(path, 0o600) == 0)
        let start = ContinuousClock.now
        #expect(message(ScenarioFileReader.read(path)) == "\(path):1:1: '\(path)' is a FIFO, not a regular file: a scenario is read from a file")
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func directoriesAndMissingFilesAreRefused() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(message(ScenarioFileReader.read(directory)) == "\(directory):1:1: '\(directory)' is a directory, not a regular file: a scenario is read from a file")
        #expect(message(ScenarioFileReader.read(directory + "/none.yaml")) == "\(directory)/none.yaml:1:1: cannot read '\(directory)/none.yaml': open: ENOENT (No such file or directory)")
    }

    @Test func filesOverTheLimitAreRefusedBeforeReading() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/big.yaml"
        try write(Array("name: x\nsteps: [nop: {}]\n".utf8), to: path)
        #expect(truncate(path, 1 << 40) == 0)  // sparse: a terabyte that takes no room
        #expect(message(ScenarioFileReader.read(path)) == "\(path):1:1: '\(path)' is 1099511627776 bytes, more than the 64 MiB a scenario file may be (--max-scenario-size raises it)")
        let small = ScenarioLimits(scenarioFileBytes: 16)
        #expect(truncate(path, 17) == 0)
        #expect(message(ScenarioFileReader.read(path, limits: small)) == "\(path):1:1: '\(path)' is 17 bytes, more than the 16 bytes a scenario file may be (--max-scenario-size raises it)")
        #expect(truncate(path, 16) == 0)
        #expect(message(ScenarioFileReader.read(path, limits: small)) == "read")
    }

    @Test(arguments: [
        ([UInt8]("name: x\nresources:\n  f: { file: { content: \"a".utf8) + [0xFF] + [UInt8]("b\" } }\n".utf8), "3:27", 0xFF as UInt8),
        ([UInt8]("name: é\n".utf8) + [0xC3, 0x28], "2:1", 0xC3),          // a lead byte without its continuation
        ([UInt8]("x: ".utf8) + [0xED, 0xA0, 0x80], "1:4", 0xED),           // a UTF-16 surrogate
        ([UInt8]("x: ".utf8) + [0xC0, 0xAF], "1:4", 0xC0),                 // an overlong '/'
        ([UInt8]("x: ééé".utf8) + [0xF4, 0x90, 0x80, 0x80], "1:7", 0xF4),   // above U+10FFFF
        ([UInt8]("x: a".utf8) + [0x80], "1:5", 0x80),                      // a lone continuation byte
        ([UInt8]("x: ".utf8) + [0xE2, 0x82], "1:4", 0xE2),                 // truncated at the end
    ])
    func invalidUTF8IsLocatedAtItsFirstBadByte(bytes: [UInt8], position: String, byte: UInt8) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bad.yaml"
        try write(bytes, to: path)
        let offset = try #require(ScenarioFileReader.firstInvalidUTF8Byte(in: bytes))
        let hex = String(byte, radix: 16, uppercase: true)
        #expect(message(ScenarioFileReader.read(path)) == "\(path):\(position): invalid UTF-8: byte 0x\(hex) at offset \(offset) (scenario files are UTF-8 text; write other bytes with 'hex')")
    }

    @Test func validUTF8OfEveryLengthIsRead() throws {
        let text = "name: \"a é € 𝄞 \u{10FFFF}\"\nsteps: [nop: {}]\n"
        #expect(ScenarioFileReader.firstInvalidUTF8Byte(in: Array(text.utf8)) == nil)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(Array(text.utf8), to: directory + "/ok.yaml")
        #expect(try ScenarioFileReader.read(directory + "/ok.yaml").get() == text)
    }

    @Test func checkReadsThroughTheReader() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(Array("name: x\nsteps:\n  - nop: {}\n    id: \"".utf8) + [0xFE] + Array("\"\n".utf8), to: directory + "/bad.yaml")
        let report = ScenarioChecker.check(paths: [directory, "/dev/null"])
        #expect(report.diagnostics.map { "\($0.mark)" } == ["\(directory)/bad.yaml:4:10", "/dev/null:1:1"])
        #expect(report.exitCode == 2)
        // A file that was never read has no source line to show.
        #expect(report.renderedDiagnostics.hasPrefix("/dev/null:1:1: error: '/dev/null' is a character device, not a regular file: a scenario is read from a file\n\(directory)/bad.yaml:4:10: error: invalid UTF-8"))
    }
}
