public enum ScenarioSchema {
    public static var json: String { "" }
}
