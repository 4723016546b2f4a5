extension ScenarioBuilder {
    /// The action of a `check_eventfd`, `lseek` or `check_position` step.
    func positionOrCounterAction(_ name: String, _ arguments: Arguments) -> ControlAction {
        switch name {
        case "check_eventfd":
            return .checkEventfd(arguments.file("eventfd") ?? .empty, value: arguments.unsigned("value") ?? 0)
        case "lseek":
            return .seek(arguments.file("fd") ?? .empty, offset: arguments.signed("offset") ?? 0,
                         whence: arguments.named("whence") ?? NamedValue(value: 0, names: ["SEEK_SET"]))
        default:
            return .checkPosition(arguments.file("fd") ?? .empty, offset: arguments.unsigned("offset") ?? 0)
        }
    }
}
