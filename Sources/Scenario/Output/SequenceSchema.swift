extension ScenarioSchema {
    /// `cqes:`: CQE patterns in arrival order, each with an optional `times`; a last `...` leaves it open.
    static var cqeSequence: JSONValue {
        let element = JSONValue.object([("type", .string("object")), ("properties", .object(cqeProperties + [
            ("times", described(ref("count"), "How many consecutive CQEs this element matches (1 when not given).")),
        ])), ("additionalProperties", .bool(false))])
        return .object([("type", .string("array")), ("items", .object([("anyOf", .array([
            ref("result"), element, enumeration(["..."]),
        ]))]))])
    }
}
