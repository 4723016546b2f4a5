import ArgumentParser
import IoUring

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Print the kernel release, the ring's feature bits and every opcode's support."
    )

    func run() throws {
        print(try ProbeReport.current().text)
    }
}
