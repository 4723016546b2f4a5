import IoUring

enum ProbeCommand {
    static let spec = CommandSpec(
        name: "probe",
        abstract: "Print the kernel release, the ring's feature bits and every opcode's support.",
        run: { _ in
            writeAll(1, try ProbeReport.current().text + "\n")
        }
    )
}
