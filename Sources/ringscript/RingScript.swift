#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CMalloc
import Checker
import IoUring
import Runner

@main
struct RingScript: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringscript",
        abstract: "Run io_uring scenarios on the real kernel and report where reality differs.",
        version: "ringscript \(RingScriptRelease.version) (io_uring UAPI of \(RingScriptRelease.kernelUAPI))",
        subcommands: [RunCommand.self, RecordCommand.self, CheckCommand.self, PlanCommand.self, SchemaCommand.self, OpsCommand.self, ProbeCommand.self, BenchCommand.self]
    )

    /// Parses and runs; usage errors exit with 2 (ringscript's "invalid input or usage") rather than
    /// argument-parser's 64, so that scripts need to know one code for bad input.
    static func main() {
        // A scenario must not reach what the parent shell left open (`dir: 9` on `/`).
        InheritedDescriptors.closeAll(keepingThoseNamedIn: CommandLine.arguments)
        keepFreedMemoryInProcess()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if let status = usageExitStatus(for: error) {
                writeStandardError(fullMessage(for: error))
                Glibc.exit(status)
            }
            exit(withError: error)
        }
    }

    /// glibc maps every block over 128 KiB afresh and unmaps it when freed, and gives the heap's top back
    /// to the kernel early; a big scenario's arrays grow by doubling, so each growth costs page faults on
    /// new zeroed pages. Blocks up to 32 MiB come from the heap and freed memory stays for reuse (peak
    /// RSS is unchanged: it is what the run touches). About 7% of loading a 100,000-SQE scenario.
    static func keepFreedMemoryInProcess() {
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        _ = mallopt(M_TOP_PAD, 64 << 20)
    }

    /// 2 for an error that argument-parser would report as a usage error (EX_USAGE); nil otherwise.
    static func usageExitStatus(for error: any Error) -> Int32? {
        exitCode(for: error) == .validationFailure ? ExitStatus.invalidInput.rawValue : nil
    }
}
