import ArgumentParser
import Scenario

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of scenario files, for editor completion.",
        discussion: "With --op-reference, print Grammar.md's generated op reference instead."
    )

    @Flag(help: "Print the Markdown op reference that Grammar.md embeds.")
    var opReference = false

    func run() throws {
        print(opReference ? OpReference.markdown : ScenarioSchema.json, terminator: "")
    }
}
