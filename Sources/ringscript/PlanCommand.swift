#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Runner
import Planner
import Scenario

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print how a scenario would run: its submissions, SQEs, link chains and waits, without a ring.",
        discussion: """
            Several files (or directories, searched like `ringscript run` does) are planned one after the other, \
            each under a `# FILE` line. Exits 0 when every scenario plans, 2 when one has errors (printed to stderr \
            like `ringscript check`).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case dot
    }

    @Argument(help: "Scenario files or directories.")
    var paths: [String] = []

    @Option(help: "text (a listing) or dot (the graph, for Graphviz).")
    var format: Format = .text

    @Flag(help: "Accept paths outside the sandbox, as if the scenario said allow_outside_sandbox: true.")
    var allowOutsideSandbox = false

    @OptionGroup
    var limitOptions: LimitOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one scenario file or directory") }
    }

    func run() throws {
        let files: [String]
        do {
            files = try ScenarioDiscovery.find(paths)
        } catch {
            writeStandardError("ringscript: \(error)")
            throw ExitCode(2)
        }
        if files.isEmpty {
            writeStandardError("ringscript: no scenario file found under \(paths.joined(separator: " "))")
            throw ExitCode(2)
        }
        var failed = false
        for file in files {
            let outcome = PlanOutput.render(path: file, format: format == .dot ? .dot : .text,
                                            options: LoadOptions(allowOutsideSandbox: allowOutsideSandbox,
                                                                 limits: limitOptions.limits))
            switch outcome {
            case .success(let text):
                // dot reads several graphs from one input; the text listing gets a header per file.
                if files.count > 1 && format == .text { print("# \(file)") }
                print(text, terminator: "")
            case .failure(let diagnostics):
                fflush(nil)
                writeStandardError(diagnostics.text)
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }
}
