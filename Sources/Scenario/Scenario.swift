import IoUring

/// The scenario language: YAML files describing the SQEs to issue and the CQEs to expect.
/// The parser, model and validator arrive with the scenario-language issue.
public enum ScenarioLanguage {
    /// The version of the language that Grammar.md documents.
    public static let version = "0.1"
}
