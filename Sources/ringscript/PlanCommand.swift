import Planner
import Scenario

enum PlanCommand {
    static let spec = CommandSpec(
        name: "plan",
        abstract: "Print how a scenario would run: its submissions, SQEs, link chains and waits, without a ring.",
        discussion: "Exits 0 when the scenario plans, 2 when it has errors (printed to stderr like `ringscript check`).",
        options: [
            .option("--format", value: "format", "text (a listing) or dot (the graph, for Graphviz).", default: "text",
                    values: ["text", "dot"]),
            .flag("--allow-outside-sandbox", "Accept paths outside the sandbox, as if the scenario said allow_outside_sandbox: true."),
        ],
        positional: PositionalSpec(name: "file", help: "The scenario file.", repeating: false, required: true),
        run: run
    )

    static func run(_ arguments: ParsedArguments) throws {
        let outcome = PlanOutput.render(path: arguments.positionals[0],
                                        format: arguments.value("format") == "dot" ? .dot : .text,
                                        options: LoadOptions(allowOutsideSandbox: arguments.flag("allow-outside-sandbox")))
        switch outcome {
        case .success(let text):
            writeAll(1, text)
        case .failure(let diagnostics):
            writeStandardError(diagnostics.text + "\n")
            throw ProcessExit(2)
        }
    }
}
