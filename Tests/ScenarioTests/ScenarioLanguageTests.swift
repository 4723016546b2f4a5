import Testing
@testable import Scenario

@Test func languageHasAVersion() {
    #expect(ScenarioLanguage.version == "0.1")
}
