import Scenario

enum SchemaCommand {
    static let spec = CommandSpec(
        name: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of scenario files, for editor completion.",
        discussion: "With --op-reference, print Grammar.md's generated op reference instead.",
        options: [.flag("--op-reference", "Print the Markdown op reference that Grammar.md embeds.")],
        run: { arguments in
            writeAll(1, arguments.flag("op-reference") ? OpReference.markdown : ScenarioSchema.json)
        }
    )
}
