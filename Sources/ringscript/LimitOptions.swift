import ArgumentParser
import Scenario

/// The options that raise a scenario's limits (`ScenarioLimits`), shared by check, plan and run.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Memory and file bytes a scenario may ask for in all (default 1GiB).", valueName: "size"))
    var maxMemory: String?

    @Option(help: ArgumentHelp("Bytes one buffer, file or buffer ring may have (default 256MiB).", valueName: "size"))
    var maxBuffer: String?

    @Option(help: ArgumentHelp("Bytes a scenario file may have (default 64MiB).", valueName: "size"))
    var maxScenarioSize: String?

    func validate() throws {
        for (name, value) in [("--max-memory", maxMemory), ("--max-buffer", maxBuffer), ("--max-scenario-size", maxScenarioSize)] {
            if let value, ScenarioLimits.parseSize(value) == nil {
                throw ValidationError("\(name) takes a size such as 4096, 512MiB or 2GiB, not '\(value)'")
            }
        }
    }

    /// The defaults, raised (or lowered) as the options say.
    var limits: ScenarioLimits {
        var limits = ScenarioLimits()
        if let size = maxMemory.flatMap(ScenarioLimits.parseSize) { limits.scenarioBytes = size }
        if let size = maxBuffer.flatMap(ScenarioLimits.parseSize) { limits.bufferBytes = size }
        if let size = maxScenarioSize.flatMap(ScenarioLimits.parseSize) { limits.scenarioFileBytes = Int(clamping: size) }
        return limits
    }
}
