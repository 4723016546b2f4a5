import ArgumentParser
import Runner
import Planner
import Scenario

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print how a scenario would run: its submissions, SQEs, link chains and waits, without a ring.",
        discussion: "Exits 0 when the scenario plans, 2 when it has errors (printed to stderr like `ringscript check`)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case dot
    }

    @Argument(help: "The scenario file.")
    var file: String

    @Option(help: "text (a listing) or dot (the graph, for Graphviz).")
    var format: Format = .text

    @Flag(help: "Accept paths outside the sandbox, as if the scenario said allow_outside_sandbox: true.")
    var allowOutsideSandbox = false

    @OptionGroup
    var limitOptions: LimitOptions

    func run() throws {
        let outcome = PlanOutput.render(path: file, format: format == .dot ? .dot : .text,
                                        options: LoadOptions(allowOutsideSandbox: allowOutsideSandbox, limits: limitOptions.limits))
        switch outcome {
        case .success(let text):
            print(text, terminator: "")
        case .failure(let diagnostics):
            writeStandardError(diagnostics.text)
            throw ExitCode(2)
        }
    }
}
